//! Videos sent inline (`data:` URIs) are judged at submission against the limits the pages
//! give (Kling 3.0 motion control's reference video): labelled as a listed format or not
//! labelled, within the byte limit (measured before anything is decoded), an MP4 or MOV whose
//! size and length the video edits' bounded box walker reads, with sides and length within the
//! limits. A video given as a URL is not fetched on the submit path, as an image URL is not;
//! the video store reads it later, only to shape the result.

use crate::{
    novita_error::NovitaError,
    rules::{
        fields::{choices, Checked, Fields},
        media::inline_media,
    },
    video::input::data_video_shape,
};

/// A container the pages list for a video.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VideoFormat {
    Mp4,
    Mov,
}

impl VideoFormat {
    /// The media type a data URI of this format names.
    fn media_type(self) -> &'static str {
        match self {
            VideoFormat::Mp4 => "video/mp4",
            VideoFormat::Mov => "video/quicktime",
        }
    }
}

/// What the pages allow for an input video.
pub struct VideoLimits {
    pub formats: &'static [VideoFormat],
    pub min_side: usize,
    /// `None` when the page gives no upper bound.
    pub max_side: Option<usize>,
    pub max_bytes: usize,
    pub min_seconds: f64,
    pub max_seconds: f64,
}

/// "MP4 or MOV", as a refusal lists the formats.
fn format_names(formats: &[VideoFormat]) -> String {
    let names: Vec<String> = formats
        .iter()
        .map(|format| format!("{format:?}").to_uppercase())
        .collect();
    choices(&names)
}

/// Checks the field's value when it is inline (a `data:` URI): a video within the limits.
/// A URL passes.
pub fn check_inline_video(f: &Fields<'_>, field: &str, limits: &VideoLimits) -> Checked<()> {
    let Some(uri) = inline_media(f, field)? else {
        return Ok(());
    };
    let refuse = |rule: String| Err(NovitaError::invalid_body(&f.name(field), rule));
    let formats = format_names(limits.formats);
    let named = uri.essence();
    let listed = limits.formats.iter().any(|f| f.media_type() == named);
    if !named.is_empty() && !listed {
        return refuse(format!("it holds {named:?} data; use {formats}"));
    }
    // Valid base64 (checked above): its length is known without decoding.
    let len = uri.decoded_len().unwrap_or(usize::MAX);
    if len > limits.max_bytes {
        return refuse(format!(
            "the video is {len} bytes; at most {} are allowed",
            limits.max_bytes
        ));
    }
    let Some(shape) = data_video_shape(&uri, limits.max_bytes) else {
        return refuse(format!(
            "the size and length of this video cannot be read; use {formats}"
        ));
    };
    let (w, h) = (shape.width, shape.height);
    let sides = limits.min_side..=limits.max_side.unwrap_or(usize::MAX);
    if !sides.contains(&w) || !sides.contains(&h) {
        let between = match limits.max_side {
            Some(max) => format!("between {} and {max}", limits.min_side),
            None => format!("at least {}", limits.min_side),
        };
        return refuse(format!(
            "the video is {w}x{h} pixels; width and height must be {between}"
        ));
    }
    let seconds = shape.seconds;
    if !(limits.min_seconds..=limits.max_seconds).contains(&seconds) {
        return refuse(format!(
            "the video lasts {seconds:.2} seconds; it must last {} to {} seconds",
            limits.min_seconds, limits.max_seconds
        ));
    }
    Ok(())
}
