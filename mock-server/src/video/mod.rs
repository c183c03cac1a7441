//! Real, playable MP4 videos for finished tasks.
//!
//! - `render` makes one: H.264 frames (`h264`, bit writing in `bits`) in an MP4 box tree (`muxer`),
//!   with a silent AAC sound track when the model's videos have sound, within the limits of
//!   `frame` (which also works out frame sizes from inputs);
//! - `input` reads the media a request points at (an image's size, a video's size and length),
//!   with `data_uri` for inline media and `boxes` to walk an untrusted MP4's boxes;
//! - `cache` works out the video's shape from the job and its inputs, renders off the async
//!   threads on first download and keeps the bytes in a bounded cache;

mod bits;
mod boxes;
pub(crate) mod cache;
pub(crate) mod data_uri;
pub(crate) mod frame;
mod h264;
pub(crate) mod input;
mod muxer;
mod render;

pub use frame::VideoSpec;
pub use render::render;

/// Images for the tests (the integration tests include the same file).
#[cfg(test)]
pub(crate) mod test_images;
