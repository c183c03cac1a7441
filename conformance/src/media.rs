//! Inline media for the tests: images the client and the mock can measure without a network.

use base64::Engine;

/// The start of a PNG of `width` x `height`: all a reader needs to learn its size.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    png.extend_from_slice(&width.to_be_bytes());
    png.extend_from_slice(&height.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    png
}

/// `bytes` as a base64 `data:` URI of media type `mime`.
pub fn data_uri(mime: &str, bytes: &[u8]) -> String {
    let payload = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{mime};base64,{payload}")
}
