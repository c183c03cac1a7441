//! Wan 2.1 text-to-video and image-to-video (retired by Novita, still served by the mock): the
//! fields their pages document, as tables, and how an accepted body shapes the job.

use std::time::Duration;

use crate::{
    catalogue::Endpoint,
    rules::{
        fields::{Checked, Fields},
        table::{read_integer, text_up_to, EndpointRules, Field, Rule, URL},
    },
    sim::job::{Framing, Job},
};

pub(super) const ENDPOINTS: &[EndpointRules] = &[
    EndpointRules {
        endpoint: Endpoint::WanT2v,
        body: T2V,
        job: |f| job(Endpoint::WanT2v, f),
    },
    EndpointRules {
        endpoint: Endpoint::WanI2v,
        body: I2V,
        job: |f| job(Endpoint::WanI2v, f),
    },
];

const SIDES: [i64; 4] = [480, 720, 832, 1280];
const PAIRS: [(i64, i64); 4] = [(480, 832), (832, 480), (720, 1280), (1280, 720)];
/// Either side missing: the service forces 832x480.
const DEFAULT_FRAME: (u32, u32) = (832, 480);
/// Wan 2.1 renders 81 frames at 16 fps: about 5 seconds.
const FRAMES: u32 = 81;
const FPS: u32 = 16;
const DEFAULT_STEPS: i64 = 30;

/// Accepted and ignored, as the current service does.
const MODEL_NAME: Field = Field::optional("model_name", Rule::Text { min: 0, max: None });
const PROMPT: Field = Field::required(
    "prompt",
    Rule::Text {
        min: 1,
        max: Some(2000),
    },
);
const NEGATIVE_PROMPT: Field = Field::optional("negative_prompt", text_up_to(2000));
const WIDTH: Field = Field::optional("width", Rule::IntegerIn(&SIDES));
const HEIGHT: Field = Field::optional("height", Rule::IntegerIn(&SIDES));
const FRAME: Field = Field::across(Rule::PairIn("width", "height", &PAIRS));
const LORA: &[Field] = &[
    Field::required("path", URL),
    Field::required("scale", Rule::Number { min: 0.0, max: 4.0 }),
];
const LORAS: Field = Field::optional(
    "loras",
    Rule::Objects {
        min: 0,
        max: 3,
        fields: LORA,
    },
);
/// -1 asks for a random seed.
const SEED: Field = Field::optional(
    "seed",
    Rule::Integer {
        min: -1,
        max: 9_999_999_999,
    },
);
const STEPS: Field = Field::optional("steps", Rule::Integer { min: 1, max: 40 });
const GUIDANCE_SCALE: Field = Field::optional(
    "guidance_scale",
    Rule::Number {
        min: 0.0,
        max: 10.0,
    },
);
const FLOW_SHIFT: Field = Field::optional(
    "flow_shift",
    Rule::Number {
        min: 1.0,
        max: 10.0,
    },
);
const SAFETY_CHECKER: Field = Field::optional("enable_safety_checker", Rule::Boolean);
/// The current text-to-video page lists `fast_mode` too, as the image-to-video page does.
const FAST_MODE: Field = Field::optional("fast_mode", Rule::Boolean);

const T2V: &[Field] = &[
    MODEL_NAME,
    PROMPT,
    NEGATIVE_PROMPT,
    WIDTH,
    HEIGHT,
    FRAME,
    LORAS,
    SEED,
    STEPS,
    GUIDANCE_SCALE,
    FLOW_SHIFT,
    SAFETY_CHECKER,
    FAST_MODE,
];

const I2V: &[Field] = &[
    MODEL_NAME,
    PROMPT,
    NEGATIVE_PROMPT,
    Field::required("image_url", URL),
    WIDTH,
    HEIGHT,
    FRAME,
    LORAS,
    SEED,
    STEPS,
    GUIDANCE_SCALE,
    FLOW_SHIFT,
    SAFETY_CHECKER,
    FAST_MODE,
];

/// 480p takes about 6 s of simulated work at 30 steps, 720p twice that; fast mode halves it.
fn job(endpoint: Endpoint, f: &Fields<'_>) -> Checked<Job> {
    let image_url = match endpoint {
        Endpoint::WanI2v => f.string("image_url", 0, None)?,
        _ => None,
    };
    let (width, height) = match (read_integer(f, "width")?, read_integer(f, "height")?) {
        (Some(w), Some(h)) => (w as u32, h as u32),
        _ => DEFAULT_FRAME,
    };
    let seed = read_integer(f, "seed")?.filter(|s| *s != -1);
    let steps = read_integer(f, "steps")?.unwrap_or(DEFAULT_STEPS);
    let fast = f.boolean("fast_mode")?.unwrap_or(false);
    let base = if width.max(height) >= 1280 { 12.0 } else { 6.0 };
    let work = base * steps as f64 / DEFAULT_STEPS as f64 * if fast { 0.5 } else { 1.0 };
    Ok(Job {
        endpoint,
        seed,
        framing: Framing::new(image_url, width, height),
        fps: FPS,
        frames: FRAMES,
        work: Duration::from_secs_f64(work),
        webhook: None,
        // Wan 2.1 videos are silent.
        audio: false,
        input_video: None,
    })
}
