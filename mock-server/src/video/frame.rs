//! The limits of a rendered video, and how a frame size is worked out within them: from a
//! requested size, or from a pixel count in an input's aspect ratio. Everything a request or
//! its inputs can ask for is clamped here before rendering, so `render` only ever refuses a
//! spec built some other way.

/// What a video must look like.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VideoSpec {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub frames: u32,
    /// Drives the picture: the same seed gives the same video.
    pub seed: u64,
    /// A silent sound track beside the picture (the Wan 2.6 and 2.7 videos have sound).
    pub audio: bool,
}

/// Longest side of a rendered frame: a 4K frame (3840x2160, Kling 3.0 4K) must fit, upright or
/// on its side.
pub(crate) const MAX_SIDE: u32 = 3840;
/// Shortest side: one macroblock.
pub(crate) const MIN_SIDE: u32 = 16;
/// Most pixels in a frame: 4K. The uncompressed picture is 12 MB at this size.
pub(crate) const MAX_AREA: u32 = 3840 * 2160;
/// Longest side over shortest, at most (Wan 2.7 takes images from 1:8 to 8:1).
pub(crate) const MAX_ASPECT_RATIO: u32 = 8;
pub(crate) const MAX_FPS: u32 = 60;
/// Longest video: a minute at 30 fps (the pages' longest is 15 s).
pub(crate) const MAX_FRAMES: u32 = 1800;

// The MP4 writes a side in 16 bits (`avc1`) and as the integer part of a 16.16 value (`tkhd`):
// the limit keeps both exact.
const _: () = assert!(MAX_SIDE <= u16::MAX as u32);
const _: () = assert!(MAX_AREA <= MAX_SIDE * MAX_SIDE && MIN_SIDE % 16 == 0);

/// Why a spec cannot be rendered.
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("video spec {width}x{height}, {frames} frames at {fps} fps is outside the render limits")]
pub struct OutOfLimits {
    width: u32,
    height: u32,
    fps: u32,
    frames: u32,
}

/// Whether `spec` is within the limits (even sides of at least 16, at most [`MAX_SIDE`] and
/// [`MAX_AREA`], a ratio of at most [`MAX_ASPECT_RATIO`], 1 to [`MAX_FPS`] fps and 1 to
/// [`MAX_FRAMES`] frames).
pub(crate) fn check(spec: &VideoSpec) -> Result<(), OutOfLimits> {
    let (w, h) = (spec.width, spec.height);
    let sides = (MIN_SIDE..=MAX_SIDE).contains(&w)
        && (MIN_SIDE..=MAX_SIDE).contains(&h)
        && w % 2 == 0
        && h % 2 == 0;
    let fits = sides
        && u64::from(w) * u64::from(h) <= u64::from(MAX_AREA)
        && w.max(h) <= w.min(h) * MAX_ASPECT_RATIO
        && (1..=MAX_FPS).contains(&spec.fps)
        && (1..=MAX_FRAMES).contains(&spec.frames);
    if fits {
        Ok(())
    } else {
        Err(OutOfLimits {
            width: w,
            height: h,
            fps: spec.fps,
            frames: spec.frames,
        })
    }
}

/// About `area` pixels in the aspect ratio `w:h`, each side a multiple of 16, inside the
/// limits: the ratio is clamped to [`MAX_ASPECT_RATIO`], the area to [`MAX_AREA`], and a side
/// past [`MAX_SIDE`] shrinks both sides.
pub fn fit_area(area: u32, w: usize, h: usize) -> (u32, u32) {
    let limit = f64::from(MAX_ASPECT_RATIO);
    let ratio = (w.max(1) as f64 / h.max(1) as f64).clamp(1.0 / limit, limit);
    let area = f64::from(area.clamp(MIN_SIDE * MIN_SIDE, MAX_AREA));
    let mut width = (area * ratio).sqrt();
    let mut height = width / ratio;
    let over = (width.max(height) / f64::from(MAX_SIDE)).max(1.0);
    width /= over;
    height /= over;
    let side = |side: f64, round: fn(f64) -> f64| {
        let blocks = round(side / 16.0).clamp(1.0, f64::from(MAX_SIDE / 16));
        blocks as u32 * 16
    };
    let mut rounded = (side(width, f64::round), side(height, f64::round));
    if rounded.0 * rounded.1 > MAX_AREA {
        // Rounding up both sides went past the area: round down instead.
        rounded = (side(width, f64::floor), side(height, f64::floor));
    }
    // Rounding (or the 16 px floor) can also tip the ratio past its limit: shorten the long
    // side, so that what this returns is always within `check` (and `frame` keeps it).
    let (w, h) = &mut rounded;
    let (long, short) = if *w >= *h { (w, *h) } else { (h, *w) };
    *long = (*long).min(short * MAX_ASPECT_RATIO);
    rounded
}

/// The frame for a requested size: the size itself when it is within the limits (every size
/// the pages allow is), else the nearest frame that is.
pub fn frame(width: u32, height: u32) -> (u32, u32) {
    let probe = VideoSpec {
        width,
        height,
        fps: 1,
        frames: 1,
        seed: 0,
        audio: false,
    };
    if check(&probe).is_ok() {
        (width, height)
    } else {
        fit_area(
            width.saturating_mul(height),
            width as usize,
            height as usize,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(size: (u32, u32)) -> bool {
        check(&VideoSpec {
            width: size.0,
            height: size.1,
            fps: 24,
            frames: 1,
            seed: 0,
            audio: false,
        })
        .is_ok()
    }

    #[test]
    fn area_is_kept_in_the_image_ratio() {
        assert_eq!(fit_area(832 * 480, 1000, 1000), (624, 624));
        assert_eq!(fit_area(832 * 480, 1600, 900), (848, 480));
        assert_eq!(fit_area(1280 * 720, 720, 1280), (720, 1280));
        assert_eq!(
            fit_area(3840 * 2160, 1920, 1080),
            (3840, 2160),
            "4K stays possible"
        );
        assert_eq!(fit_area(3840 * 2160, 1080, 1920), (2160, 3840));
    }

    #[test]
    fn extreme_shapes_are_clamped() {
        // 1 x 100 000 000 and 1 x (2^31 - 1) px headers: the ratio stops at 1:8.
        assert_eq!(fit_area(1920 * 1080, 1, 100_000_000), (480, 3840));
        assert!(within(fit_area(1920 * 1080, 1, 100_000_000)));
        assert!(within(fit_area(1920 * 1080, 1, (1 << 31) - 1)));
        assert!(within(fit_area(1920 * 1080, usize::MAX, 1)));
        assert!(within(fit_area(u32::MAX, 3, 2)));
        assert!(within(fit_area(0, 0, 0)));
        assert_eq!(
            fit_area(u32::MAX, 8, 1),
            (3840, 480),
            "the long side stops at 3840"
        );
    }

    #[test]
    fn requested_sizes_within_the_limits_are_kept() {
        for size in [
            (832, 480),
            (1280, 720),
            (1920, 1080),
            (720, 1280),
            (3840, 2160),
        ] {
            assert_eq!(frame(size.0, size.1), size);
        }
        assert!(within(frame(1, 1)));
        assert!(within(frame(4001, 4001)));
        assert!(within(frame(u32::MAX, 2)));
        assert_eq!(frame(833, 480).0 % 2, 0);
    }

    #[test]
    fn check_refuses_each_limit() {
        let ok = VideoSpec {
            width: 3840,
            height: 2160,
            fps: MAX_FPS,
            frames: MAX_FRAMES,
            seed: 0,
            audio: true,
        };
        assert!(check(&ok).is_ok());
        let bad = [
            VideoSpec {
                width: 3856,
                ..ok.clone()
            },
            VideoSpec {
                width: 3840,
                height: 2176,
                ..ok.clone()
            },
            VideoSpec {
                width: 14,
                height: 16,
                ..ok.clone()
            },
            VideoSpec {
                width: 17,
                height: 16,
                ..ok.clone()
            },
            VideoSpec {
                width: 160,
                height: 16,
                ..ok.clone()
            },
            VideoSpec {
                fps: 0,
                ..ok.clone()
            },
            VideoSpec {
                fps: MAX_FPS + 1,
                ..ok.clone()
            },
            VideoSpec {
                frames: 0,
                ..ok.clone()
            },
            VideoSpec {
                frames: MAX_FRAMES + 1,
                ..ok.clone()
            },
        ];
        for spec in bad {
            assert!(check(&spec).is_err(), "{spec:?}");
        }
    }
}
