//! What one accepted request asks the simulation for: the job (frame, length, seed, webhook)
//! and how much simulated work it takes, which is the mock's cost model.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalogue::Endpoint;

/// Webhook settings of a request (`extra.webhook`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookRequest {
    pub url: String,
    /// `Some(status)` in test mode: the simulated terminal status to send at once.
    pub test_mode: Option<String>,
    /// The settings as sent, echoed in `extra.webhook`.
    pub echo: Value,
}

/// How the output's frame is chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Framing {
    /// Exactly this size.
    Fixed { width: u32, height: u32 },
    /// About this many pixels, in the aspect ratio of the input image when it can be read
    /// (`fallback` when not).
    FromImage {
        image_url: Box<str>,
        area: u32,
        fallback: (u32, u32),
    },
}

impl Framing {
    /// The requested size, or its pixel count in the image's aspect ratio when there is an image.
    pub(crate) fn new(image_url: Option<&str>, width: u32, height: u32) -> Framing {
        match image_url {
            Some(url) => Framing::FromImage {
                image_url: url.into(),
                area: width * height,
                fallback: (width, height),
            },
            None => Framing::Fixed { width, height },
        }
    }
}

/// Everything the mock needs to simulate one task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub endpoint: Endpoint,
    /// `None` asks for a random seed.
    pub seed: Option<i64>,
    pub framing: Framing,
    pub fps: u32,
    pub frames: u32,
    /// Simulated time of the work itself, before `--speed` divides it.
    pub work: Duration,
    /// Boxed, as `input_video`: most jobs have neither, and the box saves 72 and 32 bytes on
    /// each of those (every stored task holds its job).
    pub webhook: Option<Box<WebhookRequest>>,
    /// Whether the video has a sound track (silent in the mock).
    pub audio: bool,
    /// A video to edit, whose shape the output may keep (video editing).
    pub input_video: Option<Box<InputVideo>>,
}

/// The input of a video edit, and what the output takes from it when it can be read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputVideo {
    pub url: String,
    /// Keep the input's aspect ratio at about this many pixels (no `ratio` was asked).
    pub keep_ratio_area: Option<u32>,
    /// Keep the input's length (`duration` 0); at most this many seconds.
    pub keep_length_up_to: Option<u32>,
}

impl Job {
    /// Bytes this job holds on the heap, roughly (the task store's byte budget counts them).
    pub fn heap_bytes(&self) -> usize {
        let image = match &self.framing {
            Framing::FromImage { image_url, .. } => image_url.len(),
            Framing::Fixed { .. } => 0,
        };
        let webhook = self.webhook.as_ref().map_or(0, |w| {
            // The box, and the echo that repeats the URL and test-mode settings inside a small
            // JSON map.
            std::mem::size_of::<WebhookRequest>() + 2 * w.url.len() + 160
        });
        let input_video = self
            .input_video
            .as_ref()
            .map_or(0, |v| std::mem::size_of::<InputVideo>() + v.url.len());
        image + webhook + input_video
    }
}

/// Wan 2.6 and 2.7 frame rate: not documented, our choice.
pub(crate) const WAN2X_FPS: u32 = 24;

/// Wan 2.6/2.7 image to video: a [`timed_job`] at the resolution tier's 16:9 frame, which
/// follows the input image when there is one (16:9 when it cannot be read, or for a clip).
pub(crate) fn wan2x_job(
    endpoint: Endpoint,
    seed: Option<i64>,
    duration: i64,
    resolution: &str,
    image_url: Option<&str>,
    seconds_per_second: f64,
) -> Job {
    let (width, height) = if resolution == "720P" {
        (1280, 720)
    } else {
        (1920, 1080)
    };
    let framing = Framing::new(image_url, width, height);
    timed_job(endpoint, seed, framing, duration as u32, seconds_per_second)
}

/// A Wan 2.6/2.7 job of `seconds`: `seconds_per_second` of simulated work per second of video
/// at 720P, twice that for the larger (1080P) frames.
pub(crate) fn timed_job(
    endpoint: Endpoint,
    seed: Option<i64>,
    framing: Framing,
    seconds: u32,
    seconds_per_second: f64,
) -> Job {
    let area = match &framing {
        Framing::Fixed { width, height } => width * height,
        Framing::FromImage { area, .. } => *area,
    };
    let tier_factor = if area > 1280 * 720 { 2.0 } else { 1.0 };
    Job {
        endpoint,
        seed,
        framing,
        fps: WAN2X_FPS,
        frames: WAN2X_FPS * seconds,
        work: Duration::from_secs_f64(seconds_per_second * f64::from(seconds) * tier_factor),
        webhook: None,
        audio: true,
        input_video: None,
    }
}
