//! An inline video, held to its property's `x-novita-media`: labelled as one of the listed
//! formats (or not labelled), within the byte limit, an MP4 or MOV whose first video track's
//! size and whose length the bounded reader ([`super::mp4`]) can read, with sides and length
//! within the limits.

use super::{format_names, mp4, sides_problem, Inline};
use crate::spec_rules::Media;

/// The format a video media type names.
fn format_of(media_type: &str) -> Option<&'static str> {
    match media_type {
        "video/mp4" => Some("mp4"),
        "video/quicktime" => Some("mov"),
        _ => None,
    }
}

pub(super) fn problem(limits: &Media, inline: &Inline) -> Option<String> {
    let allowed = format_names(limits);
    let named = inline.media_type.as_str();
    let listed = |format: &str| limits.formats.iter().any(|f| f == format);
    if !named.is_empty() && !format_of(named).is_some_and(listed) {
        return Some(format!("must be a video in {allowed} (got {named:?} data)"));
    }
    let bytes = inline.bytes.len() as u64;
    if let Some(max) = limits.max_bytes {
        if bytes > max {
            return Some(format!(
                "must be a video of at most {max} bytes (got {bytes})"
            ));
        }
    }
    let Some(shape) = mp4::shape(&inline.bytes) else {
        return Some(format!(
            "must be a video in {allowed} that can be measured (got data whose size and length cannot be read)"
        ));
    };
    let (width, height) = (u64::from(shape.width), u64::from(shape.height));
    if let Some(problem) = sides_problem(limits, "a video", width, height) {
        return Some(problem);
    }
    let shortest = limits.min_seconds.unwrap_or(0.0);
    let longest = limits.max_seconds.unwrap_or(f64::INFINITY);
    if shape.seconds < shortest || shape.seconds > longest {
        return Some(format!(
            "must be a video of {shortest} to {longest} seconds (got {:.2})",
            shape.seconds
        ));
    }
    None
}
