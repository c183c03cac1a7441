//! The box walker against handmade, hostile and fuzzed files, and against our own renders.

use super::*;
use crate::video::{render, VideoSpec};

/// A box of `kind` around `body`, with its 32-bit size.
fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A box whose size field says `size` whatever its body.
fn bx_sized(kind: &[u8; 4], size: u32, body: &[u8]) -> Vec<u8> {
    let mut out = size.to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

fn mvhd(timescale: u32, duration: u32) -> Vec<u8> {
    let mut body = vec![0u8; 100];
    body[12..16].copy_from_slice(&timescale.to_be_bytes());
    body[16..20].copy_from_slice(&duration.to_be_bytes());
    bx(b"mvhd", &body)
}

fn tkhd(width: u32, height: u32) -> Vec<u8> {
    let mut body = vec![0u8; 84];
    body[76..80].copy_from_slice(&(width << 16).to_be_bytes());
    body[80..84].copy_from_slice(&(height << 16).to_be_bytes());
    bx(b"tkhd", &body)
}

fn hdlr(handler: &[u8; 4]) -> Vec<u8> {
    let mut body = vec![0u8; 24];
    body[8..12].copy_from_slice(handler);
    bx(b"hdlr", &body)
}

/// A well-formed moov: 2 s at timescale 1000, one 640x360 video track.
fn moov_with(extra: &[u8]) -> Vec<u8> {
    let trak = bx(
        b"trak",
        &[tkhd(640, 360), bx(b"mdia", &hdlr(b"vide"))].concat(),
    );
    bx(b"moov", &[mvhd(1000, 2000), trak, extra.to_vec()].concat())
}

fn file_with(moov: Vec<u8>) -> Vec<u8> {
    [
        bx(b"ftyp", b"isom\0\0\x02\0isom"),
        moov,
        bx(b"mdat", &[0; 16]),
    ]
    .concat()
}

#[test]
fn a_small_handmade_file_reads() {
    let shape = video_shape(&file_with(moov_with(&[]))).unwrap();
    assert_eq!((shape.width, shape.height, shape.seconds), (640, 360, 2.0));
}

#[test]
fn our_own_rendered_mp4_reads_right() {
    let spec = VideoSpec {
        width: 3840,
        height: 2160,
        fps: 24,
        frames: 36,
        seed: 3,
        audio: true,
    };
    let shape = video_shape(&render(&spec).unwrap()).unwrap();
    assert_eq!((shape.width, shape.height), (3840, 2160));
    assert!((shape.seconds - 1.5).abs() < 0.01, "{shape:?}");
}

#[test]
fn a_short_tail_after_the_last_box_is_padding() {
    // QuickTime may end a list of boxes with a 32-bit zero.
    let shape = video_shape(&file_with(moov_with(&[0, 0, 0, 0])));
    assert_eq!(shape.map(|s| s.width), Some(640));
}

#[test]
fn a_zero_size_child_in_moov_ends_the_walk() {
    // The child runs to the end of moov: nothing after it is read, and the walk ends.
    let zero = bx_sized(b"free", 0, &[]);
    let moov = bx(b"moov", &[mvhd(1000, 2000), zero].concat());
    assert_eq!(video_shape(&file_with(moov)), None, "no track before it");
    let shape = video_shape(&file_with(moov_with(&bx_sized(b"udta", 0, &[1, 2, 3]))));
    assert_eq!(shape.map(|s| s.width), Some(640), "the track came first");
    // A zero-size box at the top level is the rest of the file (an mdat, typically).
    let file = [file_with(moov_with(&[])), bx_sized(b"mdat", 0, &[9; 40])].concat();
    assert!(video_shape(&file).is_some());
}

#[test]
fn a_64_bit_size_under_meta_is_checked_not_allocated() {
    // udta > meta with a 64-bit size of 2^50: the crate used before allocated that much.
    let mut meta = 1u32.to_be_bytes().to_vec();
    meta.extend_from_slice(b"meta");
    meta.extend_from_slice(&0x0004_0000_0000_0000u64.to_be_bytes());
    meta.extend_from_slice(&[0; 12]);
    let udta = bx(b"udta", &meta);
    let shape = video_shape(&file_with(moov_with(&udta)));
    assert_eq!(shape.map(|s| s.width), Some(640), "udta is never entered");
    // The same box straight in moov is walked, and refused.
    assert_eq!(video_shape(&file_with(moov_with(&meta))), None);
    // A sound 64-bit size is read.
    let mut large = 1u32.to_be_bytes().to_vec();
    large.extend_from_slice(b"free");
    large.extend_from_slice(&20u64.to_be_bytes());
    large.extend_from_slice(&[0; 4]);
    assert!(video_shape(&file_with(moov_with(&large))).is_some());
}

#[test]
fn sizes_past_the_end_or_under_the_header_are_refused() {
    let past = bx_sized(b"free", 4096, &[0; 8]);
    assert_eq!(video_shape(&file_with(moov_with(&past))), None);
    let under = bx_sized(b"free", 7, &[0; 8]);
    assert_eq!(video_shape(&file_with(moov_with(&under))), None);
    let moov = moov_with(&[]);
    let mut cut = moov.clone();
    cut[..4].copy_from_slice(&((moov.len() + 1) as u32).to_be_bytes());
    assert_eq!(video_shape(&cut), None, "moov past the end of the file");
    let mut huge = 1u32.to_be_bytes().to_vec();
    huge.extend_from_slice(b"moov");
    huge.extend_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(video_shape(&huge), None);
}

#[test]
fn truncated_headers_read_as_nothing() {
    let file = file_with(moov_with(&[]));
    for cut in 0..file.len() {
        // Every cut either leaves moov whole (the file is still readable) or gives None.
        let shape = video_shape(&file[..cut]);
        assert!(shape.is_none() || shape.unwrap().width == 640);
    }
    // Box bodies cut short: an mvhd or tkhd too small for its fields.
    let trak = bx(
        b"trak",
        &[bx(b"tkhd", &[0; 30]), bx(b"mdia", &hdlr(b"vide"))].concat(),
    );
    let moov = bx(b"moov", &[mvhd(1000, 2000), trak].concat());
    assert_eq!(video_shape(&file_with(moov)), None);
    let moov = bx(b"moov", &[bx(b"mvhd", &[0; 10]), moov_with(&[])].concat());
    assert_eq!(video_shape(&file_with(moov)), None);
}

#[test]
fn nesting_past_the_depth_limit_stops_the_walk() {
    // Walks every box it can reach, as deep as the walker lets it.
    fn deepest(boxes: Boxes<'_, '_>) -> Result<u32, ()> {
        let mut found = Vec::new();
        let depth = boxes.depth;
        for b in boxes {
            found.push(b?);
        }
        let mut max = 0;
        for b in found {
            let budget = Budget::new();
            max = max.max(depth).max(deepest(b.children(&budget))?);
        }
        Ok(max)
    }
    let mut nested = bx(b"free", &[]);
    for _ in 0..100 {
        nested = bx(b"mdia", &nested);
    }
    let budget = Budget::new();
    assert_eq!(deepest(top_level(&nested, &budget)), Err(()));
    let mut shallow = bx(b"free", &[]);
    for _ in 0..MAX_DEPTH - 1 {
        shallow = bx(b"mdia", &shallow);
    }
    let budget = Budget::new();
    assert_eq!(deepest(top_level(&shallow, &budget)), Ok(MAX_DEPTH));
    // A movie whose video track hides under ten thousand levels is not a movie we read.
    let mut deep = moov_with(&[]);
    for _ in 0..10_000 {
        deep = bx(b"moov", &deep);
    }
    assert_eq!(video_shape(&deep), None);
}

#[test]
fn the_box_count_is_bounded() {
    let many: Vec<u8> = (0..MAX_BOXES).flat_map(|_| bx(b"free", &[])).collect();
    let moov = bx(b"moov", &[many, mvhd(1000, 2000)].concat());
    assert_eq!(video_shape(&file_with(moov)), None);
}

#[test]
fn a_track_length_stands_in_for_a_missing_movie_length() {
    let mut mdhd = vec![0u8; 24];
    mdhd[12..16].copy_from_slice(&24u32.to_be_bytes());
    mdhd[16..20].copy_from_slice(&72u32.to_be_bytes());
    let mdia = bx(b"mdia", &[bx(b"mdhd", &mdhd), hdlr(b"vide")].concat());
    let sound = bx(b"trak", &[tkhd(0, 0), bx(b"mdia", &hdlr(b"soun"))].concat());
    let trak = bx(b"trak", &[tkhd(320, 240), mdia].concat());
    let moov = bx(b"moov", &[mvhd(1000, 0), sound, trak].concat());
    let shape = video_shape(&file_with(moov)).unwrap();
    assert_eq!((shape.width, shape.height, shape.seconds), (320, 240, 3.0));
}

/// Offsets of every box header in `file`, to mutate.
fn box_offsets(file: &[u8]) -> Vec<usize> {
    fn visit(data: &[u8], base: usize, out: &mut Vec<usize>, depth: u32) {
        let mut at = 0;
        while at + 8 <= data.len() && depth < 10 {
            let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
            if size < 8 || at + size > data.len() {
                return;
            }
            out.push(base + at);
            let kind = &data[at + 4..at + 8];
            if [
                b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"dinf",
            ]
            .iter()
            .any(|k| k.as_slice() == kind)
            {
                visit(&data[at + 8..at + size], base + at + 8, out, depth + 1);
            }
            at += size;
        }
    }
    let mut out = Vec::new();
    visit(file, 0, &mut out, 0);
    out
}

#[test]
fn fuzz_mp4_box_walker() {
    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;
    let spec = VideoSpec {
        width: 64,
        height: 48,
        fps: 24,
        frames: 4,
        seed: 1,
        audio: true,
    };
    let valid = render(&spec).unwrap();
    let offsets = box_offsets(&valid);
    assert!(offsets.len() > 20, "the rendered tree is walked");
    let sizes = prop_oneof![Just(0u32), Just(1), Just(7), Just(u32::MAX), any::<u32>()];
    let mutation = (
        0..offsets.len(),
        sizes,
        any::<u64>(),
        0..valid.len(),
        any::<bool>(),
    );
    let input = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512).prop_map(Err),
        mutation.prop_map(Ok),
    ];
    let mut runner = TestRunner::new(proptest::test_runner::Config {
        failure_persistence: None,
        ..Default::default()
    });
    let cases = runner.config().cases;
    runner
        .run(&input, |input| {
            let file = match input {
                Err(random) => random,
                Ok((which, size, large, cut, truncate)) => {
                    let mut file = valid.clone();
                    let at = offsets[which];
                    file[at..at + 4].copy_from_slice(&size.to_be_bytes());
                    if size == 1 {
                        // A 64-bit size overwrites the start of the body.
                        let end = (at + 16).min(file.len());
                        let bytes = large.to_be_bytes();
                        file[at + 8..end].copy_from_slice(&bytes[..end - at - 8]);
                    }
                    if truncate {
                        file.truncate(cut);
                    }
                    file
                }
            };
            if let Some(shape) = video_shape(&file) {
                prop_assert!(shape.width > 0 && shape.height > 0 && shape.seconds > 0.0);
            }
            Ok(())
        })
        .unwrap();
    println!("fuzz mp4_box_walker: {cases} cases, no crash");
}
