//! Real, playable MP4 videos for finished tasks.
//!
//! - `render` makes one: H.264 frames (`h264`, bit writing in `bits`) in an MP4 box tree (`mp4`);
//! - `store` works out the frame size (reading the input image when there is one), renders off
//!   the async threads on first download and keeps the bytes in a bounded cache;
//! - `serve` answers `/_mock/videos/<task id>.mp4` like a signed storage link.

mod bits;
mod h264;
mod mp4;
mod render;
pub(crate) mod serve;
pub(crate) mod store;

pub use render::{render, VideoSpec};
