//! Inline media for the tests: images and videos the client and the mock can measure without a
//! network. The builders are the mock's own test files, compiled here too, so that both crates'
//! tests make their media in one place (the mock's tests cannot depend on this crate).

use base64::Engine;

#[path = "../../mock-server/src/video/test_images.rs"]
mod test_images;
#[path = "../../mock-server/tests/it/common/mp4_boxes.rs"]
mod test_videos;

pub use test_images::png_header as png;
pub use test_videos::mp4;

/// `bytes` as a base64 `data:` URI of media type `mime`.
pub fn data_uri(mime: &str, bytes: &[u8]) -> String {
    let payload = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{mime};base64,{payload}")
}
