//! Renders a video: an H.264 stream of moving test-card frames in an MP4 container.

use super::frame::{self, OutOfLimits, VideoSpec};
use super::h264::{self, Picture, StreamParams};
use super::muxer;

/// Encodes the video described by `spec` as an MP4 (H.264 Constrained Baseline).
///
/// The picture is a soft diagonal gradient whose colours come from the seed, with a grid of
/// lighter squares, so different seeds are visibly different. A spec outside the limits of
/// `frame` (even sides of 16 to 3840 px, at most 4K's area, ...) is refused: the size of
/// the picture and of the video follow from it.
pub fn render(spec: &VideoSpec) -> Result<Vec<u8>, OutOfLimits> {
    frame::check(spec)?;
    let params = StreamParams {
        width: spec.width,
        height: spec.height,
        level_idc: level_for(spec),
    };
    let picture = draw(&params, spec.seed);
    let mut samples = Vec::with_capacity(spec.frames as usize);
    samples.push(h264::idr_slice(&picture));
    for frame in 1..spec.frames {
        samples.push(h264::skip_slice(&params, frame));
    }
    let sps = h264::sps(&params);
    let pps = h264::pps();
    Ok(muxer::mux(&muxer::Track {
        width: spec.width,
        height: spec.height,
        fps: spec.fps,
        sps: &sps,
        pps: &pps,
        profile: params.profile(),
        samples: &samples,
        silent_audio: spec.audio,
    }))
}

/// The lowest level whose frame-size and macroblock-rate limits fit the stream.
fn level_for(spec: &VideoSpec) -> u8 {
    let frame_mbs = spec.width.div_ceil(16) * spec.height.div_ceil(16);
    let mbs_per_second = frame_mbs * spec.fps;
    // (level_idc, MaxFS, MaxMBPS) from Table A-1 of the H.264 specification.
    const LEVELS: [(u8, u32, u32); 8] = [
        (30, 1_620, 40_500),
        (31, 3_600, 108_000),
        (32, 5_120, 216_000),
        (40, 8_192, 245_760),
        (42, 8_704, 522_240),
        (50, 22_080, 589_824),
        (51, 36_864, 983_040),
        (52, 36_864, 2_073_600),
    ];
    LEVELS
        .iter()
        .find(|(_, max_fs, max_mbps)| frame_mbs <= *max_fs && mbs_per_second <= *max_mbps)
        .map_or(52, |(level, _, _)| *level)
}

fn draw(params: &StreamParams, seed: u64) -> Picture {
    let width = params.width_mbs() as usize * 16;
    let height = params.height_mbs() as usize * 16;
    // Colours from the seed; every sample stays within 16..=235 (no zero bytes, video range).
    let mix = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let base_u = 60 + (mix & 0x7f) as usize;
    let base_v = 60 + ((mix >> 8) & 0x7f) as usize;
    let cell = 32 + ((mix >> 16) & 0x3f) as usize;
    let mut y = vec![0u8; width * height];
    for row in 0..height {
        for col in 0..width {
            let gradient = 40 + (row + col) * 120 / (width + height);
            let square = if (row / cell + col / cell) % 2 == 0 {
                40
            } else {
                0
            };
            y[row * width + col] = (gradient + square).min(235) as u8;
        }
    }
    let (cw, ch) = (width / 2, height / 2);
    let mut u = vec![0u8; cw * ch];
    let mut v = vec![0u8; cw * ch];
    for row in 0..ch {
        for col in 0..cw {
            u[row * cw + col] = (base_u + col * 40 / cw).min(235) as u8;
            v[row * cw + col] = (base_v + row * 40 / ch).min(235) as u8;
        }
    }
    Picture {
        width_mbs: params.width_mbs(),
        height_mbs: params.height_mbs(),
        y,
        u,
        v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_fit_the_sizes() {
        let spec = |width, height, fps| VideoSpec {
            width,
            height,
            fps,
            frames: 1,
            seed: 0,
            audio: false,
        };
        assert_eq!(level_for(&spec(832, 480, 16)), 30);
        assert_eq!(level_for(&spec(1280, 720, 16)), 31);
        assert_eq!(level_for(&spec(1920, 1080, 24)), 40);
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let spec = VideoSpec {
            width: 64,
            height: 48,
            fps: 16,
            frames: 3,
            seed: 7,
            audio: true,
        };
        assert_eq!(render(&spec).unwrap(), render(&spec).unwrap());
        assert_ne!(
            render(&spec).unwrap(),
            render(&VideoSpec {
                seed: 8,
                ..spec.clone()
            })
            .unwrap()
        );
    }

    #[test]
    fn specs_outside_the_limits_are_refused_not_rendered() {
        let spec = |width, height| VideoSpec {
            width,
            height,
            fps: 24,
            frames: 2,
            seed: 0,
            audio: false,
        };
        // What used to panic (odd, tiny) or abort (a 2^31-line picture) is an error.
        for (width, height) in [(15, 16), (17, 16), (16, u32::MAX - 1), (2, 1 << 31), (0, 0)] {
            assert!(render(&spec(width, height)).is_err(), "{width}x{height}");
        }
        let empty = VideoSpec {
            frames: 0,
            ..spec(16, 16)
        };
        assert!(render(&empty).is_err());
    }

    /// The largest video the limits allow: its size and render time are printed (run with
    /// `--nocapture`; nothing is asserted on time).
    #[test]
    fn the_largest_video_renders_and_reads_back_exactly() {
        let spec = VideoSpec {
            width: frame::MAX_SIDE,
            height: frame::MAX_AREA / frame::MAX_SIDE,
            fps: 30,
            frames: frame::MAX_FRAMES,
            seed: 5,
            audio: true,
        };
        let started = std::time::Instant::now();
        let bytes = render(&spec).unwrap();
        println!(
            "largest video: {}x{}, {} frames: {} bytes in {:?}",
            spec.width,
            spec.height,
            spec.frames,
            bytes.len(),
            started.elapsed()
        );
    }
}
