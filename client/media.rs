//! The limits the spec gives for media sent inline (`x-novita-media`), checked before anything
//! is sent. A value that starts with `data:` (in any case, as RFC 2397 reads the scheme) is
//! inline media: it must be `data:<type>;base64,<payload>` with a payload that is base64 and
//! not empty, and what it holds must be measurable and within the property's limits
//! ([`image`] for images, [`video`] for videos). Media given as a URL cannot be read here; the
//! service judges those.

mod image;
mod mp4;
mod video;

use base64::Engine;

use crate::spec_rules::{Media, MediaKind};

/// A `data:` URI taken apart: the media type it names and the bytes it holds.
struct Inline {
    /// The media type in lower case without parameters (`image/png`); empty when none is named.
    media_type: String,
    bytes: Vec<u8>,
}

/// What one value of a property with `limits` (its `x-novita-media`) breaks, if anything.
pub(crate) fn media_problem(limits: &Media, text: &str) -> Option<String> {
    let inline = match parse(text)? {
        Ok(inline) => inline,
        Err(problem) => return Some(problem),
    };
    if limits.kind == MediaKind::Video {
        video::problem(limits, &inline)
    } else {
        image::problem(limits, &inline)
    }
}

/// `None` for a value that is not inline (a URL); else the data URI taken apart, or why it
/// cannot be.
fn parse(text: &str) -> Option<Result<Inline, String>> {
    let scheme = text.get(..5)?;
    if !scheme.eq_ignore_ascii_case("data:") {
        return None;
    }
    let Some((header, payload)) = text[5..].split_once(',') else {
        return Some(Err(
            "must be a data URI of the form data:<type>;base64,<data> (got no data)".to_string(),
        ));
    };
    let header = header.to_ascii_lowercase();
    let Some(media_type) = header.strip_suffix(";base64") else {
        return Some(Err(
            "must be a base64 data URI (data:<type>;base64,<data>); other encodings are not read"
                .to_string(),
        ));
    };
    let payload = payload.trim();
    if payload.is_empty() {
        return Some(Err("must hold data (got an empty data URI)".to_string()));
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(payload) else {
        return Some(Err(
            "must hold base64 data (got a payload that is not base64)".to_string(),
        ));
    };
    let media_type = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    Some(Ok(Inline { media_type, bytes }))
}

/// The names listed under `formats`, joined for a message (`jpeg, png`).
fn format_names(limits: &Media) -> String {
    limits.formats.join(", ")
}

/// What is wrong with `what`'s sides against `min_side` and `max_side`, if anything.
fn sides_problem(limits: &Media, what: &str, width: u64, height: u64) -> Option<String> {
    let min = limits.min_side.unwrap_or(0);
    let max = limits.max_side.unwrap_or(u64::MAX);
    if width >= min && height >= min && width <= max && height <= max {
        return None;
    }
    let between = match limits.max_side {
        Some(max) => format!("between {min} and {max}"),
        None => format!("at least {min}"),
    };
    Some(format!(
        "must be {what} whose sides are {between} pixels (got {width}x{height})"
    ))
}
