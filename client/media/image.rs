//! An inline image, held to its property's `x-novita-media`: its bytes must be an image
//! `imagesize` can measure, of the type its media type names (a PNG labelled `image/gif` is
//! refused), in one of the listed formats, within the byte limit, and with sides and aspect
//! ratio within the limits. A PNG's header must be whole: the signature, then `IHDR` with
//! sides from 1 to 2^31 - 1 as the PNG specification allows.

use imagesize::ImageType;

use crate::spec_rules::Media;

use super::{format_names, sides_problem, Inline};

/// Largest side a PNG header may give (PNG specification, 11.2.2).
const PNG_MAX_SIDE: u64 = (1 << 31) - 1;

pub(super) fn problem(limits: &Media, inline: &Inline) -> Option<String> {
    let named = inline.media_type.as_str();
    let names_an_image = named.starts_with("image/");
    let kind = imagesize::image_type(&inline.bytes).ok();
    // A field that also takes a video (a Wan 2.7 reference) judges as an image only what is
    // labelled an image, or unlabelled bytes that are one; the rest it leaves to the service.
    if limits.also_video && !(names_an_image || (named.is_empty() && kind.is_some())) {
        return None;
    }
    let allowed = format_names(limits);
    if !named.is_empty() && !names_an_image {
        return Some(format!(
            "must be an image in {allowed} (got {named:?} data)"
        ));
    }
    let Some(kind) = kind else {
        return Some(format!(
            "must be an image in {allowed} (got data that is not an image)"
        ));
    };
    let format = format_name(kind);
    if !limits.formats.iter().any(|f| f == format) {
        return Some(format!("must be an image in {allowed} (got {format})"));
    }
    if !named.is_empty() && !labels(format).contains(&&named["image/".len()..]) {
        return Some(format!(
            "holds {format} data but is labelled {named:?}; the media type must match the data"
        ));
    }
    if let Some(max) = limits.max_bytes {
        if inline.bytes.len() as u64 > max {
            return Some(format!(
                "must be an image of at most {max} bytes (got {})",
                inline.bytes.len()
            ));
        }
    }
    let Some((width, height)) = sides(&inline.bytes, kind) else {
        return Some(format!(
            "must be an image whose size can be read (its {} header is cut, damaged or gives sides the format does not allow)",
            format.to_uppercase()
        ));
    };
    if let Some(problem) = sides_problem(limits, "an image", width, height) {
        return Some(problem);
    }
    if let Some(ratio) = limits.max_aspect_ratio {
        let long = width.max(height) as f64;
        let short = width.min(height).max(1) as f64;
        if long / short > ratio {
            return Some(format!(
                "must be an image no more elongated than 1:{ratio} (got {width}x{height})"
            ));
        }
    }
    None
}

/// Width and height as the header gives them; `None` when it cannot be read, or (for a PNG)
/// when the header is not whole or gives a side the PNG specification does not allow.
fn sides(bytes: &[u8], kind: ImageType) -> Option<(u64, u64)> {
    let size = imagesize::blob_size(bytes).ok()?;
    let (width, height) = (size.width as u64, size.height as u64);
    if kind == ImageType::Png {
        let whole = bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.get(12..16) == Some(b"IHDR");
        let allowed = 1..=PNG_MAX_SIDE;
        if !(whole && allowed.contains(&width) && allowed.contains(&height)) {
            return None;
        }
    }
    Some((width, height))
}

fn format_name(kind: ImageType) -> &'static str {
    match kind {
        ImageType::Jpeg => "jpeg",
        ImageType::Png => "png",
        ImageType::Bmp => "bmp",
        ImageType::Webp => "webp",
        ImageType::Gif => "gif",
        ImageType::Tiff => "tiff",
        _ => "another format",
    }
}

/// The subtypes of `image/` that name a format.
fn labels(format: &str) -> &'static [&'static str] {
    match format {
        "jpeg" => &["jpeg", "jpg", "pjpeg"],
        "png" => &["png"],
        "bmp" => &["bmp", "x-ms-bmp", "x-bmp"],
        "webp" => &["webp"],
        _ => &[],
    }
}
