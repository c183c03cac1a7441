//! The limits the spec gives for media sent inline: a `data:` URI holding an image is decoded
//! and its format, size in bytes, sides and aspect ratio are checked against the property's
//! `x-novita-media` before anything is sent; a data URI that names another media type
//! than an image, or is not base64, is refused in an image field. Media given as a URL cannot be read here; the service judges those.

use base64::Engine;
use serde_json::Value;

/// What one inline image breaks of `limits` (the property's `x-novita-media`), if anything.
pub(crate) fn image_problem(limits: &Value, text: &str) -> Option<String> {
    let (media_type, payload) = data_uri_parts(text)?;
    let bytes = decode(payload);
    // An image field takes image data only: a `data:` URI that names another type (a video, a
    // sound) or whose payload is not base64 is refused. A field that also takes a video
    // (`also_video`, a Wan 2.7 reference) and a video field leave those to the service.
    let image_only = limits["kind"] == "image" && limits["also_video"] != true;
    let names_an_image = media_type.is_empty() || media_type.starts_with("image/");
    if image_only && !(names_an_image && bytes.is_some()) {
        let names: Vec<&str> = limits["formats"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let got = if names_an_image {
            "a payload that is not base64".to_string()
        } else {
            format!("{media_type:?} data")
        };
        return Some(format!(
            "must be an image in {} (got {got})",
            names.join(", ")
        ));
    }
    let bytes = bytes?;
    // Bytes whose image size cannot be read (a cut header) are not judged further.
    let size = imagesize::blob_size(&bytes).ok()?;
    let format = imagesize::image_type(&bytes).ok().map(format_name);
    if let (Some(allowed), Some(format)) = (limits["formats"].as_array(), format) {
        if !allowed.iter().any(|f| f.as_str() == Some(format)) {
            let names: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
            return Some(format!(
                "must be an image in {} (got {format})",
                names.join(", ")
            ));
        }
    }
    if let Some(max) = limits["max_bytes"].as_u64() {
        if bytes.len() as u64 > max {
            return Some(format!(
                "must be an image of at most {max} bytes (got {})",
                bytes.len()
            ));
        }
    }
    let (width, height) = (size.width as u64, size.height as u64);
    let min = limits["min_side"].as_u64().unwrap_or(0);
    let max = limits["max_side"].as_u64().unwrap_or(u64::MAX);
    if width < min || height < min || width > max || height > max {
        return Some(format!(
            "must be an image whose sides are between {min} and {max} pixels (got {width}x{height})"
        ));
    }
    if let Some(ratio) = limits["max_aspect_ratio"].as_f64() {
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

/// The media type (`image/png`, or empty) and the payload of a base64 `data:` URI; `None` for
/// anything else (a URL).
fn data_uri_parts(text: &str) -> Option<(&str, &str)> {
    let (media_type, payload) = text.strip_prefix("data:")?.split_once(";base64,")?;
    Some((media_type, payload.trim()))
}

/// The payload's bytes; `None` when it is not valid base64.
fn decode(payload: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(payload)
        .ok()
}

fn format_name(kind: imagesize::ImageType) -> &'static str {
    match kind {
        imagesize::ImageType::Jpeg => "jpeg",
        imagesize::ImageType::Png => "png",
        imagesize::ImageType::Bmp => "bmp",
        imagesize::ImageType::Webp => "webp",
        imagesize::ImageType::Gif => "gif",
        imagesize::ImageType::Tiff => "tiff",
        _ => "another format",
    }
}
