//! MP4 files for the tests: only the boxes a reader needs to learn a video's shape. The mock's
//! tests reach it through `common`; the conformance crate, which cannot be a dependency of the
//! mock's tests, compiles this same file into its `media` module.

/// A box of `kind` around `body`.
pub fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// The boxes of an MP4 that give its shape: `ftyp`, then `moov` with an `mvhd` of `millis`
/// milliseconds and one video track of `width` x `height`; `padding` bytes of `mdat` after.
pub fn mp4(width: u32, height: u32, millis: u32, padding: usize) -> Vec<u8> {
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&millis.to_be_bytes());
    let mut tkhd = vec![0u8; 84];
    tkhd[76..80].copy_from_slice(&(width << 16).to_be_bytes());
    tkhd[80..84].copy_from_slice(&(height << 16).to_be_bytes());
    let mut hdlr = vec![0u8; 24];
    hdlr[8..12].copy_from_slice(b"vide");
    let mdia = mp4_box(b"mdia", &mp4_box(b"hdlr", &hdlr));
    let trak = mp4_box(b"trak", &[mp4_box(b"tkhd", &tkhd), mdia].concat());
    let moov = mp4_box(b"moov", &[mp4_box(b"mvhd", &mvhd), trak].concat());
    let mdat = mp4_box(b"mdat", &vec![0; padding]);
    [mp4_box(b"ftyp", b"isom\0\0\x02\0isom"), moov, mdat].concat()
}
