//! Images for the tests: the start of a file, all a reader needs to learn its size. The unit
//! tests reach it as `video::test_images`; the integration tests include this file in
//! `tests/it/common`, so both build their images from one place.

/// The start of a PNG of `width` x `height`.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&width.to_be_bytes());
    png.extend_from_slice(&height.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    png
}
