//! Images sent inline (`data:` URIs) are judged at submission against the limits the pages
//! give; an image given as a URL is not fetched on the submit path (the video store reads it
//! later, only to shape the video). A data URI that holds no readable image passes here. The
//! payload is checked and measured in chunks and only the header is decoded: a 30 MB image is
//! never decoded whole on the submit path.

use imagesize::ImageType;

use crate::{
    novita_error::NovitaError,
    rules::fields::{Checked, Fields},
    video::data_uri::DataUri,
};

/// What the pages allow for an input image.
pub struct ImageLimits {
    pub formats: &'static [ImageType],
    pub min_side: usize,
    pub max_side: usize,
    pub max_bytes: usize,
    /// Longest side over shortest, at most (1:8 to 8:1 is 8).
    pub max_aspect_ratio: Option<f64>,
}

const FORMATS: &[ImageType] = &[
    ImageType::Jpeg,
    ImageType::Png,
    ImageType::Bmp,
    ImageType::Webp,
];

/// Wan 2.6 image to video: JPEG, PNG, BMP or WEBP, sides 360 to 2000 px, at most 10 MB.
pub const WAN26_IMAGE: ImageLimits = ImageLimits {
    formats: FORMATS,
    min_side: 360,
    max_side: 2000,
    max_bytes: 10 * 1024 * 1024,
    max_aspect_ratio: None,
};

/// Wan 2.7 frames and references: sides 240 to 8000 px, 1:8 to 8:1, at most 20 MB.
pub const WAN27_IMAGE: ImageLimits = ImageLimits {
    formats: FORMATS,
    min_side: 240,
    max_side: 8000,
    max_bytes: 20 * 1024 * 1024,
    max_aspect_ratio: Some(8.0),
};

/// Wan 2.7 video-editing reference images (no ratio rule given).
pub const WAN27_REFERENCE: ImageLimits = ImageLimits {
    max_aspect_ratio: None,
    ..WAN27_IMAGE
};

/// Checks the field's value when it is an inline image; anything else passes.
pub fn check_inline_image(f: &Fields<'_>, field: &str, limits: &ImageLimits) -> Checked<()> {
    let Some(text) = f.raw(field).and_then(|v| v.as_str()) else {
        return Ok(());
    };
    let Some(image) = DataUri::parse(text).and_then(|uri| uri.image()) else {
        return Ok(());
    };
    let Some((w, h)) = image.size else {
        return Ok(());
    };
    let refuse = |rule: String| Err(NovitaError::invalid_body(&f.name(field), rule));
    if let Some(kind) = image.kind {
        if !limits.formats.contains(&kind) {
            return refuse(format!(
                "{kind:?} images are not supported; use JPEG, PNG, BMP or WEBP"
            ));
        }
    }
    if image.len > limits.max_bytes {
        return refuse(format!(
            "the image is {} bytes; at most {} are allowed",
            image.len, limits.max_bytes
        ));
    }
    let sides = limits.min_side..=limits.max_side;
    if !sides.contains(&w) || !sides.contains(&h) {
        return refuse(format!(
            "the image is {w}x{h} pixels; width and height must be between {} and {}",
            limits.min_side, limits.max_side
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
