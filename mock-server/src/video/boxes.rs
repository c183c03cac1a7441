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
mod tests;
