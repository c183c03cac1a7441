//! Videos sent inline (`data:` URIs) are judged at submission against the limits the pages
//! give (Kling 3.0 motion control's reference video): labelled as a listed format or not
//! labelled, within the byte limit (measured before anything is decoded), an MP4 or MOV whose
//! size and length the video edits' bounded box walker reads, with sides and length within the
//! limits. A video given as a URL is not fetched on the submit path, as an image URL is not:
//! where the field has limits, the task fetches it while it runs and [`judge`]s it the same
//! way (`reference_check`).

use crate::{
    novita_error::NovitaError,
    rules::{
        fields::{choices, Checked, Fields},
        media::{inline_media, sides_within},
    },
    video::input::{data_video_shape, VideoShape},
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
    // Valid base64 (checked above): its length is known without decoding.
    let len = uri.decoded_len().unwrap_or(usize::MAX);
    let shape = || data_video_shape(&uri, limits.max_bytes);
    match judge(limits, &uri.essence(), len, shape) {
        Ok(_) => Ok(()),
        Err(rule) => Err(NovitaError::invalid_body(&f.name(field), rule)),
    }
}

/// Holds a video labelled `named` (empty when not labelled) of `len` bytes to the limits:
/// its shape (read by `shape`, only once the label and size pass) when it is within them,
/// else the rule it breaks, as a refusal says it.
pub fn judge(
    limits: &VideoLimits,
    named: &str,
    len: usize,
    shape: impl FnOnce() -> Option<VideoShape>,
) -> Result<VideoShape, String> {
    let formats = format_names(limits.formats);
    let listed = limits.formats.iter().any(|f| f.media_type() == named);
    if !named.is_empty() && !listed {
        return Err(format!("it holds {named:?} data; use {formats}"));
    }
    if len > limits.max_bytes {
        return Err(format!(
            "the video is {len} bytes; at most {} are allowed",
            limits.max_bytes
        ));
    }
    let Some(shape) = shape() else {
        return Err(format!(
            "the size and length of this video cannot be read; use {formats}"
        ));
    };
    let sides = (shape.width, shape.height);
    sides_within("video", sides, limits.min_side, limits.max_side)?;
    let seconds = shape.seconds;
    if !(limits.min_seconds..=limits.max_seconds).contains(&seconds) {
        return Err(format!(
            "the video lasts {seconds:.2} seconds; it must last {} to {} seconds",
            limits.min_seconds, limits.max_seconds
        ));
    }
    Ok(shape)
}
