//! Images sent inline (`data:` URIs) are judged at submission against the limits the pages
//! give; an image given as a URL is not fetched on the submit path (the video store reads it
//! later, only to shape the video). A data URI that names another media type than an image,
//! or is not base64, is refused, except in a field that also takes a video (a Wan 2.7
//! reference). The
//! payload is checked and measured in chunks and only the header is decoded: a 30 MB image is
//! never decoded whole on the submit path.

use imagesize::ImageType;

use crate::{
    novita_error::NovitaError,
    rules::fields::{choices, Checked, Fields},
    video::data_uri::DataUri,
};

/// What the pages allow for an input image.
pub struct ImageLimits {
    pub formats: &'static [ImageType],
    pub min_side: usize,
    /// `None` when the page gives no upper bound.
    pub max_side: Option<usize>,
    pub max_bytes: usize,
    /// Longest side over shortest, at most (1:8 to 8:1 is 8).
    pub max_aspect_ratio: Option<f64>,
    /// The field also takes a video (a Wan 2.7 reference): inline data that is no image passes.
    pub also_video: bool,
}

/// JPEG, PNG, BMP and WEBP: what the Wan 2.x pages accept.
pub const JPEG_PNG_BMP_WEBP: &[ImageType] = &[
    ImageType::Jpeg,
    ImageType::Png,
    ImageType::Bmp,
    ImageType::Webp,
];

/// "JPEG, PNG, BMP or WEBP", as a refusal lists the formats.
fn format_names(formats: &[ImageType]) -> String {
    let names: Vec<String> = formats
        .iter()
        .map(|kind| format!("{kind:?}").to_uppercase())
        .collect();
    choices(&names)
}

/// Checks the field's value when it is inline (a `data:` URI): it must be an image within the
/// limits, or, where the field also takes a video, anything that is no image. A URL passes.
pub fn check_inline_image(f: &Fields<'_>, field: &str, limits: &ImageLimits) -> Checked<()> {
    let Some(text) = f.raw(field).and_then(|v| v.as_str()) else {
        return Ok(());
    };
    let Some(uri) = DataUri::parse(text) else {
        return Ok(());
    };
    let refuse = |rule: String| Err(NovitaError::invalid_body(&f.name(field), rule));
    let names_an_image = uri.media_type.is_empty() || uri.media_type.starts_with("image/");
    let image = uri.image();
    let image_data = names_an_image && image.is_some();
    if !(limits.also_video || image_data) {
        let got = if names_an_image {
            "its payload is not base64".to_string()
        } else {
            format!("it holds {:?} data", uri.media_type)
        };
        return refuse(format!(
            "{got}, not an image; use {}",
            format_names(limits.formats)
        ));
    }
    // Bytes whose image size cannot be read (a cut header) are not judged further.
    let Some(image) = image else {
        return Ok(());
    };
    let Some((w, h)) = image.size else {
        return Ok(());
    };
    if let Some(kind) = image.kind {
        if !limits.formats.contains(&kind) {
            return refuse(format!(
                "{kind:?} images are not supported; use {}",
                format_names(limits.formats)
            ));
        }
    }
    if image.len > limits.max_bytes {
        return refuse(format!(
            "the image is {} bytes; at most {} are allowed",
            image.len, limits.max_bytes
        ));
    }
    let sides = limits.min_side..=limits.max_side.unwrap_or(usize::MAX);
    if !sides.contains(&w) || !sides.contains(&h) {
        let between = match limits.max_side {
            Some(max) => format!("between {} and {max}", limits.min_side),
            None => format!("at least {}", limits.min_side),
        };
        return refuse(format!(
            "the image is {w}x{h} pixels; width and height must be {between}"
        ));
    }
    if let Some(ratio) = limits.max_aspect_ratio {
        if w.max(h) as f64 / w.min(h).max(1) as f64 > ratio {
            return refuse(format!(
                "the image is {w}x{h} pixels; its aspect ratio must be between 1:{ratio} and {ratio}:1"
            ));
        }
    }
    Ok(())
}
