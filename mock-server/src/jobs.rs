//! The four submit endpoints: what each accepts (the vendor pages' rules, read by hand,
//! independently of the client crate) and what job each request describes.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::{
    fields::{Checked, Fields},
    novita_error::NovitaError,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    WanT2v,
    WanI2v,
    Wan26I2v,
    Wan27I2v,
}

impl Endpoint {
    pub const ALL: [Endpoint; 4] = [
        Endpoint::WanT2v,
        Endpoint::WanI2v,
        Endpoint::Wan26I2v,
        Endpoint::Wan27I2v,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::WanT2v => "/v3/async/wan-t2v",
            Endpoint::WanI2v => "/v3/async/wan-i2v",
            Endpoint::Wan26I2v => "/v3/async/wan2.6-i2v",
            Endpoint::Wan27I2v => "/v3/async/wan2.7-i2v",
        }
    }

    /// `task.task_type` of its tasks. The Wan 2.6/2.7 values are our choice: undocumented.
    pub fn task_type(self) -> &'static str {
        match self {
            Endpoint::WanT2v => "WAN_TXT_TO_VIDEO",
            Endpoint::WanI2v => "WAN_IMG_TO_VIDEO",
            Endpoint::Wan26I2v => "WAN_2_6_IMG_TO_VIDEO",
            Endpoint::Wan27I2v => "WAN_2_7_IMG_TO_VIDEO",
        }
    }
}

/// Webhook settings of a request (`extra.webhook`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebhookRequest {
    pub url: String,
    /// `Some(status)` in test mode: the simulated terminal status to send at once.
    pub test_mode: Option<String>,
    /// The settings as sent, echoed in `extra.webhook`.
    pub echo: Value,
}

/// How the output's frame is chosen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Framing {
    /// Exactly this size.
    Fixed { width: u32, height: u32 },
    /// About this many pixels, in the aspect ratio of the input image when it can be read
    /// (`fallback` when not).
    FromImage {
        image_url: String,
        area: u32,
        fallback: (u32, u32),
    },
}

impl Framing {
    /// The requested size, or its pixel count in the image's aspect ratio when there is an image.
    fn new(image_url: Option<&str>, width: u32, height: u32) -> Framing {
        match image_url {
            Some(url) => Framing::FromImage {
                image_url: url.to_string(),
                area: width * height,
                fallback: (width, height),
            },
            None => Framing::Fixed { width, height },
        }
    }
}

/// Everything the mock needs to simulate one task.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    pub endpoint: Endpoint,
    /// `None` asks for a random seed.
    pub seed: Option<i64>,
    pub framing: Framing,
    pub fps: u32,
    pub frames: u32,
    /// Simulated time of the work itself, before `--speed` divides it.
    pub work: Duration,
    pub webhook: Option<WebhookRequest>,
}

impl Job {
    /// Bytes this job holds on the heap, roughly (the task store's byte budget counts them).
    pub fn heap_bytes(&self) -> usize {
        let image = match &self.framing {
            Framing::FromImage { image_url, .. } => image_url.len(),
            Framing::Fixed { .. } => 0,
        };
        let webhook = self.webhook.as_ref().map_or(0, |w| {
            // The echo repeats the URL and test-mode settings inside a small JSON map.
            std::mem::size_of::<WebhookRequest>() + 2 * w.url.len() + 160
        });
        image + webhook
    }
}

/// Parses and checks a request body for `endpoint`.
pub fn parse(endpoint: Endpoint, body: &Value) -> Checked<Job> {
    let fields = Fields::root(body)?;
    match endpoint {
        Endpoint::WanT2v | Endpoint::WanI2v => wan21(endpoint, &fields),
        Endpoint::Wan26I2v => wan26(&fields),
        Endpoint::Wan27I2v => wan27(&fields),
    }
}

const WAN21_SIDES: [i64; 4] = [480, 720, 832, 1280];
const WAN21_PAIRS: [(i64, i64); 4] = [(480, 832), (832, 480), (720, 1280), (1280, 720)];
/// Wan 2.1 renders 81 frames at 16 fps: about 5 seconds.
const WAN21_FRAMES: u32 = 81;
const WAN21_FPS: u32 = 16;
/// Wan 2.6 and 2.7 frame rate: not documented, our choice.
const WAN2X_FPS: u32 = 24;
const SEED_MAX_31: i64 = 2_147_483_647;

fn wan21(endpoint: Endpoint, f: &Fields<'_>) -> Checked<Job> {
    f.string("model_name", 0, None)?; // accepted and ignored, as the current service does
    f.required_string("prompt", 1, Some(2000))?;
    f.string("negative_prompt", 0, Some(2000))?;
    let image_url = if endpoint == Endpoint::WanI2v {
        Some(f.required_string("image_url", 1, None)?)
    } else {
        None
    };
    let width = f.integer_in("width", &WAN21_SIDES)?;
    let height = f.integer_in("height", &WAN21_SIDES)?;
    let (width, height) = match (width, height) {
        (Some(w), Some(h)) if WAN21_PAIRS.contains(&(w, h)) => (w as u32, h as u32),
        (Some(w), Some(h)) => {
            return Err(NovitaError::invalid_body(
                "width/height",
                format!("{w}x{h} is not supported; use 480x832, 832x480, 720x1280 or 1280x720"),
            ))
        }
        // Either one missing: the service forces 832x480.
        _ => (832, 480),
    };
    f.array_of("loras", 3, |lora| {
        lora.required_string("path", 1, None)?;
        lora.number("scale", 0.0, 4.0)?
            .ok_or_else(|| NovitaError::invalid_body(&lora.name("scale"), "is required"))
    })?;
    let seed = f.integer("seed", -1, 9_999_999_999)?.filter(|s| *s != -1);
    let steps = f.integer("steps", 1, 40)?.unwrap_or(30);
    f.number("guidance_scale", 0.0, 10.0)?;
    f.number("flow_shift", 1.0, 10.0)?;
    f.boolean("enable_safety_checker")?;
    let fast = if endpoint == Endpoint::WanI2v {
        f.boolean("fast_mode")?.unwrap_or(false)
    } else {
        false
    };
    let webhook = webhook(f)?;

    // 480p takes about 6 s of simulated work at 30 steps, 720p twice that; fast mode halves it.
    let base = if width.max(height) >= 1280 { 12.0 } else { 6.0 };
    let work = base * steps as f64 / 30.0 * if fast { 0.5 } else { 1.0 };
    let framing = Framing::new(image_url, width, height);
    Ok(Job {
        endpoint,
        seed,
        framing,
        fps: WAN21_FPS,
        frames: WAN21_FRAMES,
        work: Duration::from_secs_f64(work),
        webhook,
    })
}

fn wan26(f: &Fields<'_>) -> Checked<Job> {
    let input = f.required_object("input")?;
    input.string("prompt", 0, Some(2000))?;
    let image_url = input.required_string("img_url", 1, None)?;
    input.string("template", 0, None)?;
    input.string("audio_url", 0, None)?;
    input.string("negative_prompt", 0, Some(500))?;
    let (mut seed, mut duration, mut resolution) = (None, 5, "1080P");
    if let Some(parameters) = f.object("parameters")? {
        seed = parameters.integer("seed", 0, SEED_MAX_31)?;
        parameters.boolean("audio")?;
        duration = parameters
            .integer_in("duration", &[5, 10, 15])?
            .unwrap_or(5);
        parameters.one_of("shot_type", &["single", "multi"])?;
        parameters.boolean("watermark")?;
        resolution = parameters
            .one_of("resolution", &["720P", "1080P"])?
            .unwrap_or("1080P");
        parameters.boolean("prompt_extend")?;
    }
    let mut job = wan2x_job(
        Endpoint::Wan26I2v,
        seed,
        duration,
        resolution,
        Some(image_url),
        0.8,
    );
    // Only the Wan 2.1 pages document `extra.webhook`; we accept it everywhere.
    job.webhook = webhook(f)?;
    Ok(job)
}

fn wan27(f: &Fields<'_>) -> Checked<Job> {
    f.string("prompt", 0, Some(5000))?;
    let image_url = f.string("image_url", 1, None)?;
    let first_clip = f.string("first_clip_url", 1, None)?;
    match (image_url, first_clip) {
        (Some(_), Some(_)) => {
            return Err(NovitaError::invalid_body(
                "image_url/first_clip_url",
                "are mutually exclusive; give only one",
            ))
        }
        (None, None) => {
            return Err(NovitaError::invalid_body(
                "image_url/first_clip_url",
                "one of them is required",
            ))
        }
        _ => {}
    }
    f.string("last_frame_url", 1, None)?;
    f.string("driving_audio_url", 1, None)?;
    f.string("negative_prompt", 0, Some(500))?;
    let duration = f.integer("duration", 2, 15)?.unwrap_or(5);
    let resolution = f
        .one_of("resolution", &["720P", "1080P"])?
        .unwrap_or("1080P");
    f.boolean("watermark")?;
    f.boolean("prompt_extend")?;
    let seed = f.integer("seed", 0, SEED_MAX_31)?;
    let mut job = wan2x_job(
        Endpoint::Wan27I2v,
        seed,
        duration,
        resolution,
        image_url,
        0.6,
    );
    job.webhook = webhook(f)?;
    Ok(job)
}

/// Wan 2.6/2.7: `seconds_per_second` of simulated work per second of 720P video, twice that
/// at 1080P. The frame follows the input image (16:9 when it cannot be read, or for a clip).
fn wan2x_job(
    endpoint: Endpoint,
    seed: Option<i64>,
    duration: i64,
    resolution: &str,
    image_url: Option<&str>,
    seconds_per_second: f64,
) -> Job {
    let (width, height, tier_factor) = if resolution == "720P" {
        (1280, 720, 1.0)
    } else {
        (1920, 1080, 2.0)
    };
    let framing = Framing::new(image_url, width, height);
    Job {
        endpoint,
        seed,
        framing,
        fps: WAN2X_FPS,
        frames: WAN2X_FPS * duration as u32,
        work: Duration::from_secs_f64(seconds_per_second * duration as f64 * tier_factor),
        webhook: None,
    }
}

fn webhook(f: &Fields<'_>) -> Checked<Option<WebhookRequest>> {
    let Some(extra) = f.object("extra")? else {
        return Ok(None);
    };
    let Some(hook) = extra.object("webhook")? else {
        return Ok(None);
    };
    let url = hook.required_string("url", 1, None)?;
    // The spec's rule: `^https?://[^\s]+$`. A URL that still cannot be used shows up in the
    // delivery log of the task.
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    if rest.is_none_or(str::is_empty) || url.chars().any(is_pattern_whitespace) {
        return Err(NovitaError::invalid_body(
            &hook.name("url"),
            "must be an http(s) URL",
        ));
    }
    let mut test_mode = None;
    if let Some(mode) = hook.object("test_mode")? {
        let enabled = mode
            .boolean("enabled")?
            .ok_or_else(|| NovitaError::invalid_body(&mode.name("enabled"), "is required"))?;
        let status = mode
            .one_of(
                "return_task_status",
                &["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"],
            )?
            .ok_or_else(|| {
                NovitaError::invalid_body(&mode.name("return_task_status"), "is required")
            })?;
        if enabled {
            test_mode = Some(status.to_string());
        }
    }
    Ok(Some(WebhookRequest {
        url: url.to_string(),
        test_mode,
        echo: extra.raw("webhook").cloned().unwrap_or(Value::Null),
    }))
}

/// Whitespace as the spec's pattern (`\s`, an ECMAScript regular expression) reads it. Rust's
/// `char::is_whitespace` differs in two characters: it counts U+0085 (next line) and not
/// U+FEFF (byte order mark).
fn is_pattern_whitespace(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}
