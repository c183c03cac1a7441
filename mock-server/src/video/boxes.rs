//! Reads the shape of an untrusted MP4 (or MOV) already in memory: a small ISO-BMFF box walker
//! that looks only at `moov/mvhd` (timescale, duration) and, for the first track whose
//! `mdia/hdlr` handler is `vide`, `trak/tkhd` (width, height) and `mdia/mdhd` (the track's own
//! length, used when `mvhd` gives none).
//!
//! Nothing here allocates: every box is a slice of the input. Each size field is checked
//! against what remains of its parent before it is used, so no size (0, 32-bit or 64-bit) can
//! point past the data or make the walk stand still; the depth and the number of boxes visited
//! are bounded too. A general-purpose MP4 crate parsed these inputs before and could loop
//! forever on a zero-size child box or abort on a huge 64-bit size.

use std::cell::Cell;

/// What the output of a video edit may take from its input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoShape {
    pub width: usize,
    pub height: usize,
    pub seconds: f64,
}

/// Deepest box visited (the reader needs `moov/trak/mdia/hdlr`: four).
const MAX_DEPTH: u32 = 8;
/// Boxes looked at in one file, at most: a real file's moov holds a few dozen per track.
const MAX_BOXES: u32 = 10_000;

/// One box: its four-character type and its payload (everything after the header).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mp4Box<'a> {
    pub kind: [u8; 4],
    pub body: &'a [u8],
    depth: u32,
}

/// The walk's shared limit: boxes left to visit in this file.
pub(crate) struct Budget {
    boxes_left: Cell<u32>,
}

impl Budget {
    pub fn new() -> Self {
        Budget {
            boxes_left: Cell::new(MAX_BOXES),
        }
    }

    /// Takes one box from the budget; false once it is spent.
    fn take(&self) -> bool {
        let left = self.boxes_left.get();
        self.boxes_left.set(left.saturating_sub(1));
        left > 0
    }
}

/// The boxes laid one after another in `data`. It yields `Err(())` (and then stops) at the
/// first box that does not fit, or when a limit is reached: the caller gives up on the file.
pub(crate) struct Boxes<'a, 'b> {
    rest: &'a [u8],
    depth: u32,
    budget: &'b Budget,
    failed: bool,
}

/// The top-level boxes of a file.
pub(crate) fn top_level<'a, 'b>(file: &'a [u8], budget: &'b Budget) -> Boxes<'a, 'b> {
    Boxes {
        rest: file,
        depth: 1,
        budget,
        failed: false,
    }
}

impl<'a> Mp4Box<'a> {
    /// The boxes inside this one (an error, if there are any, past the depth limit).
    pub fn children<'b>(&self, budget: &'b Budget) -> Boxes<'a, 'b> {
        Boxes {
            rest: self.body,
            depth: self.depth + 1,
            budget,
            failed: false,
        }
    }
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    let bytes = data.get(at..at.checked_add(8)?)?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

impl<'a> Boxes<'a, '_> {
    /// The next box and its total length, if its header and size are sound.
    fn split(&self) -> Option<(Mp4Box<'a>, usize)> {
        let rest = self.rest;
        let size = be_u32(rest, 0)?;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, total) = match size {
            // Size 0: the box runs to the end of its parent (ISO/IEC 14496-12, 4.2).
            0 => (8, rest.len()),
            // Size 1: a 64-bit size follows the type.
            1 => {
                let large = be_u64(rest, 8)?;
                // Compared as u64 first: a huge size is refused, never cast down.
                (16, usize::try_from(large).ok()?)
            }
            n => (8, usize::try_from(n).ok()?),
        };
        if total < header || total > rest.len() {
            return None;
        }
        let found = Mp4Box {
            kind,
            body: &rest[header..total],
            depth: self.depth,
        };
        Some((found, total))
    }
}

impl<'a> Iterator for Boxes<'a, '_> {
    type Item = Result<Mp4Box<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        // Fewer bytes than a box header are padding, not a box: QuickTime ends some lists
        // with a 32-bit zero.
        if self.failed || self.rest.len() < 8 {
            return None;
        }
        let split = if self.depth <= MAX_DEPTH && self.budget.take() {
            self.split()
        } else {
            None
        };
        match split {
            Some((found, total)) => {
                // `total` is at least the 8-byte header: every step moves forward.
                self.rest = &self.rest[total..];
                Some(Ok(found))
            }
            None => {
                self.failed = true;
                Some(Err(()))
            }
        }
    }
}

/// `(timescale, duration)` of an `mvhd` or `mdhd` (versions 0 and 1; the two share a layout
/// up to the duration).
fn timing(body: &[u8]) -> Option<(u32, u64)> {
    match *body.first()? {
        0 => Some((be_u32(body, 12)?, u64::from(be_u32(body, 16)?))),
        1 => Some((be_u32(body, 20)?, be_u64(body, 24)?)),
        _ => None,
    }
}

/// Width and height (the integer part of their 16.16 values) of a `tkhd`.
fn track_size(body: &[u8]) -> Option<(u32, u32)> {
    // After version/flags: times, track id, reserved and duration (20 bytes, or 32 in
    // version 1), then 8 reserved, layer, group, volume, 2 reserved and the 36-byte matrix.
    let at = match *body.first()? {
        0 => 4 + 20 + 16 + 36,
        1 => 4 + 32 + 16 + 36,
        _ => return None,
    };
    Some((be_u32(body, at)? >> 16, be_u32(body, at + 4)? >> 16))
}

/// What one `trak` says, if it is a video track.
struct VideoTrack {
    size: Option<(u32, u32)>,
    timing: Option<(u32, u64)>,
}

fn video_track(trak: &Mp4Box<'_>, budget: &Budget) -> Result<Option<VideoTrack>, ()> {
    let mut size = None;
    let mut is_video = false;
    let mut timing_found = None;
    for child in trak.children(budget) {
        let child = child?;
        match &child.kind {
            b"tkhd" => size = track_size(child.body),
            b"mdia" => {
                for media in child.children(budget) {
                    let media = media?;
                    match &media.kind {
                        b"hdlr" => is_video = media.body.get(8..12) == Some(b"vide"),
                        b"mdhd" => timing_found = timing(media.body),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(is_video.then_some(VideoTrack {
        size,
        timing: timing_found,
    }))
}

/// Seconds of `duration` ticks at `timescale`, if both make a length.
fn seconds(timing: Option<(u32, u64)>) -> Option<f64> {
    let (timescale, duration) = timing?;
    (timescale > 0 && duration > 0).then(|| duration as f64 / f64::from(timescale))
}

/// The size and length of the first video track of the MP4 in `file`; `None` when the file
/// cannot be read (a box that does not fit, no `moov`, no video track, a zero size or length).
pub(crate) fn video_shape(file: &[u8]) -> Option<VideoShape> {
    let budget = Budget::new();
    let moov = top_level(file, &budget)
        .find_map(|found| match found {
            Ok(found) if &found.kind == b"moov" => Some(Ok(found)),
            Ok(_) => None,
            Err(()) => Some(Err(())),
        })?
        .ok()?;
    let mut movie_timing = None;
    let mut video = None;
    for child in moov.children(&budget) {
        let child = child.ok()?;
        match &child.kind {
            b"mvhd" => movie_timing = timing(child.body),
            b"trak" if video.is_none() => video = video_track(&child, &budget).ok()?,
            _ => {}
        }
    }
    let video = video?;
    let (width, height) = video.size?;
    let seconds = seconds(movie_timing).or_else(|| seconds(video.timing))?;
    (width > 0 && height > 0).then_some(VideoShape {
        width: width as usize,
        height: height as usize,
        seconds,
    })
}

#[cfg(test)]
mod tests {
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
}
