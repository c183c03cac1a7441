//! The size and length of an untrusted MP4 (or MOV) in memory: a small ISO-BMFF box walker that
//! looks only at `moov/mvhd` (timescale, duration) and, for the first track whose `mdia/hdlr`
//! handler is `vide`, `tkhd` (width, height) and `mdia/mdhd` (the track's length, used when
//! `mvhd` gives none). Nothing is allocated: every box is a slice of the input, each size is
//! checked against what remains of its parent before use, and the depth and the number of boxes
//! looked at are bounded, so no file can make the walk loop, overflow or run long.

use std::cell::Cell;

/// What a reference video measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Shape {
    pub width: u32,
    pub height: u32,
    pub seconds: f64,
}

/// Deepest box looked at (`moov/trak/mdia/hdlr` is four).
const MAX_DEPTH: u32 = 8;
/// Boxes looked at in one file, at most.
const MAX_BOXES: u32 = 10_000;

/// The boxes laid one after another in `rest`; yields `Err(())` once, at the first that does not
/// fit or past a limit.
struct Boxes<'a, 'b> {
    rest: &'a [u8],
    depth: u32,
    left: &'b Cell<u32>,
    failed: bool,
}

fn be_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(data: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

impl<'a> Boxes<'a, '_> {
    /// The next box (type and body) and its whole length, if its header and size are sound.
    fn split(&self) -> Option<([u8; 4], &'a [u8], usize)> {
        let rest = self.rest;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, total) = match be_u32(rest, 0)? {
            // Size 0: the box runs to the end of its parent.
            0 => (8, rest.len()),
            // Size 1: a 64-bit size follows; compared before any cast.
            1 => (16, usize::try_from(be_u64(rest, 8)?).ok()?),
            n => (8, usize::try_from(n).ok()?),
        };
        (header <= total && total <= rest.len()).then(|| (kind, &rest[header..total], total))
    }
}

impl<'a> Iterator for Boxes<'a, '_> {
    type Item = Result<([u8; 4], &'a [u8], u32), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        // Fewer bytes than a header are padding (QuickTime may end a list with a zero word).
        if self.failed || self.rest.len() < 8 {
            return None;
        }
        let budget = self.left.get();
        self.left.set(budget.saturating_sub(1));
        let split = (self.depth <= MAX_DEPTH && budget > 0)
            .then(|| self.split())
            .flatten();
        let Some((kind, body, total)) = split else {
            self.failed = true;
            return Some(Err(()));
        };
        self.rest = &self.rest[total..];
        Some(Ok((kind, body, self.depth)))
    }
}

fn children<'a, 'b>(body: &'a [u8], depth: u32, left: &'b Cell<u32>) -> Boxes<'a, 'b> {
    Boxes {
        rest: body,
        depth: depth + 1,
        left,
        failed: false,
    }
}

/// `(timescale, duration)` of an `mvhd` or `mdhd`, versions 0 and 1.
fn timing(body: &[u8]) -> Option<(u32, u64)> {
    match *body.first()? {
        0 => Some((be_u32(body, 12)?, u64::from(be_u32(body, 16)?))),
        1 => Some((be_u32(body, 20)?, be_u64(body, 24)?)),
        _ => None,
    }
}

/// Width and height (integer parts of 16.16 values) of a `tkhd`, after its times, ids,
/// reserved words, layer, group, volume and 36-byte matrix.
fn track_size(body: &[u8]) -> Option<(u32, u32)> {
    let at = match *body.first()? {
        0 => 4 + 20 + 16 + 36,
        1 => 4 + 32 + 16 + 36,
        _ => return None,
    };
    Some((be_u32(body, at)? >> 16, be_u32(body, at + 4)? >> 16))
}

fn seconds(timing: Option<(u32, u64)>) -> Option<f64> {
    let (scale, duration) = timing?;
    (scale > 0 && duration > 0).then(|| duration as f64 / f64::from(scale))
}

/// The track's size and timing when it is a video track; `Err` when a box does not fit.
type Track = Option<(Option<(u32, u32)>, Option<(u32, u64)>)>;

fn video_track(body: &[u8], depth: u32, left: &Cell<u32>) -> Result<Track, ()> {
    let (mut size, mut timing_found, mut is_video) = (None, None, false);
    for child in children(body, depth, left) {
        let (kind, body, depth) = child?;
        match &kind {
            b"tkhd" => size = track_size(body),
            b"mdia" => {
                for media in children(body, depth, left) {
                    let (kind, body, _) = media?;
                    match &kind {
                        b"hdlr" => is_video = body.get(8..12) == Some(b"vide"),
                        b"mdhd" => timing_found = timing(body),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(is_video.then_some((size, timing_found)))
}

/// The first video track's size and the movie's length; `None` when the file cannot be read.
pub(super) fn shape(file: &[u8]) -> Option<Shape> {
    let left = Cell::new(MAX_BOXES);
    let mut top = Boxes {
        rest: file,
        depth: 1,
        left: &left,
        failed: false,
    };
    // The first `moov`; a box before it that does not fit ends the walk.
    let (_, moov, depth) = top
        .find(|found| match found {
            Ok((kind, _, _)) => kind == b"moov",
            Err(()) => true,
        })?
        .ok()?;
    let (mut movie, mut video) = (None, None);
    for child in children(moov, depth, &left) {
        let (kind, body, depth) = child.ok()?;
        match &kind {
            b"mvhd" => movie = timing(body),
            b"trak" if video.is_none() => video = video_track(body, depth, &left).ok()?,
            _ => {}
        }
    }
    let (size, track_timing) = video?;
    let (width, height) = size?;
    let seconds = seconds(movie).or_else(|| seconds(track_timing))?;
    (width > 0 && height > 0).then_some(Shape {
        width,
        height,
        seconds,
    })
}
