//! Media sent inline (`data:` URIs, the scheme in any case) are judged at submission against
//! the limits the pages give; media given as a URL are not fetched on the submit path (the
//! video store reads them later, only to shape the video). Inline media must be base64 and
//! not empty. An inline image must be measurable: an image `imagesize` reads, of the type its
//! media type names, in a listed format, within the byte and side limits (a PNG's header
//! whole, with sides from 1 to 2^31 - 1). A field that also takes a video (a Wan 2.7
//! reference) leaves data that is no image to the service. The payload is checked and
//! measured in chunks and only the header is decoded: a 30 MB image is never decoded whole on
//! the submit path.

use imagesize::ImageType;

use crate::{
    novita_error::NovitaError,
    rules::fields::{choices, Checked, Fields},
    video::data_uri::{is_inline, DataUri},
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

/// Largest side a PNG header may give (PNG specification, 11.2.2).
const PNG_MAX_SIDE: usize = (1 << 31) - 1;

/// "JPEG, PNG, BMP or WEBP", as a refusal lists the formats.
fn format_names(formats: &[ImageType]) -> String {
    let names: Vec<String> = formats
        .iter()
        .map(|kind| format!("{kind:?}").to_uppercase())
        .collect();
    choices(&names)
}

/// The field's value when it is inline media (`Ok(None)` for a URL or no value): a base64
/// `data:` URI holding something, or the refusal naming the field.
pub(super) fn inline_media<'a>(f: &Fields<'a>, field: &str) -> Checked<Option<DataUri<'a>>> {
    let Some(text) = f.raw(field).and_then(|v| v.as_str()) else {
        return Ok(None);
    };
    if !is_inline(text) {
        return Ok(None);
    }
    let rule = match DataUri::parse(text) {
        None => "a data URI must be base64: data:<type>;base64,<data>",
        Some(uri) if uri.is_empty() => "the data URI holds no data",
        Some(uri) if uri.decoded_len().is_none() => "its payload is not base64",
        Some(uri) => return Ok(Some(uri)),
    };
    Err(NovitaError::invalid_body(&f.name(field), rule))
}

/// Checks the field's value when it is inline: an image within the limits, or, where the
/// field also takes a video, anything that is no image. A URL passes.
pub fn check_inline_image(f: &Fields<'_>, field: &str, limits: &ImageLimits) -> Checked<()> {
    let Some(uri) = inline_media(f, field)? else {
        return Ok(());
    };
    let refuse = |rule: String| Err(NovitaError::invalid_body(&f.name(field), rule));
    let named = uri.essence();
    let names_an_image = named.starts_with("image/");
    // Valid base64 (checked above): the header is read.
    let Some(image) = uri.image() else {
        return refuse("its payload is not base64".to_string());
    };
    if limits.also_video && !(names_an_image || (named.is_empty() && image.kind.is_some())) {
        return Ok(());
    }
    let formats = format_names(limits.formats);
    if !named.is_empty() && !names_an_image {
        return refuse(format!(
            "it holds {named:?} data, not an image; use {formats}"
        ));
    }
    let Some(kind) = image.kind else {
        return refuse(format!("its data is not an image; use {formats}"));
    };
    let name = format!("{kind:?}").to_uppercase();
    if !limits.formats.contains(&kind) {
        return refuse(format!("{name} images are not supported; use {formats}"));
    }
    if !named.is_empty() && !labels(kind).contains(&&named["image/".len()..]) {
        return refuse(format!(
            "it holds {name} data but is labelled {named:?}; the media type must match the data"
        ));
    }
    if image.len > limits.max_bytes {
        return refuse(format!(
            "the image is {} bytes; at most {} are allowed",
            image.len, limits.max_bytes
        ));
    }
    let Some((w, h)) = image.size.filter(|_| header_whole(&uri, kind)) else {
        return refuse(format!(
            "the size of this {name} image cannot be read (its header is cut, damaged or gives sides the format does not allow)"
        ));
    };
    check_sides(w, h, limits).map_err(|rule| NovitaError::invalid_body(&f.name(field), rule))
}

/// Both sides of an image or a video (`what`) against the smallest and the largest side
/// allowed (`None`: no largest).
pub(crate) fn sides_within(
    what: &str,
    (w, h): (usize, usize),
    min_side: usize,
    max_side: Option<usize>,
) -> Result<(), String> {
    let sides = min_side..=max_side.unwrap_or(usize::MAX);
    if sides.contains(&w) && sides.contains(&h) {
        return Ok(());
    }
    let between = match max_side {
        Some(max) => format!("between {min_side} and {max}"),
        None => format!("at least {min_side}"),
    };
    Err(format!(
        "the {what} is {w}x{h} pixels; width and height must be {between}"
    ))
}

/// The sides and aspect ratio against the limits.
fn check_sides(w: usize, h: usize, limits: &ImageLimits) -> Result<(), String> {
    sides_within("image", (w, h), limits.min_side, limits.max_side)?;
    if let Some(ratio) = limits.max_aspect_ratio {
        if w.max(h) as f64 / w.min(h).max(1) as f64 > ratio {
            return Err(format!(
                "the image is {w}x{h} pixels; its aspect ratio must be between 1:{ratio} and {ratio}:1"
            ));
        }
    }
    Ok(())
}

/// Whether a PNG's header is whole: the signature, `IHDR`, sides PNG allows. Other formats
/// are as `imagesize` reads them.
fn header_whole(uri: &DataUri<'_>, kind: ImageType) -> bool {
    if kind != ImageType::Png {
        return true;
    }
    let Some(head) = uri.head(24) else {
        return false;
    };
    let side = |at: usize| u32::from_be_bytes(head[at..at + 4].try_into().unwrap()) as usize;
    head.len() == 24
        && head.starts_with(b"\x89PNG\r\n\x1a\n")
        && &head[12..16] == b"IHDR"
        && (1..=PNG_MAX_SIDE).contains(&side(16))
        && (1..=PNG_MAX_SIDE).contains(&side(20))
}

/// The subtypes of `image/` that name a format.
fn labels(kind: ImageType) -> &'static [&'static str] {
    match kind {
        ImageType::Jpeg => &["jpeg", "jpg", "pjpeg"],
        ImageType::Png => &["png"],
        ImageType::Bmp => &["bmp", "x-ms-bmp", "x-bmp"],
        ImageType::Webp => &["webp"],
        _ => &[],
    }
}
