//! Wan 2.6 image-to-video (retired by Novita, still served by the mock): its nested `input`
//! and `parameters` objects as tables, and how an accepted body shapes the job.

use crate::{
    catalogue::Endpoint,
    rules::{
        fields::{Checked, Fields},
        media::{ImageLimits, JPEG_PNG_BMP_WEBP},
        table::{read_integer, text_up_to, EndpointRules, Field, Rule, SEED},
    },
    sim::job::{wan2x_job, Job},
};

pub(super) const ENDPOINTS: &[EndpointRules] = &[EndpointRules {
    endpoint: Endpoint::Wan26I2v,
    body: I2V,
    job,
}];

/// JPEG, PNG, BMP or WEBP, sides 360 to 2000 px, at most 10 MB.
const IMAGE: ImageLimits = ImageLimits {
    formats: JPEG_PNG_BMP_WEBP,
    min_side: 360,
    max_side: Some(2000),
    max_bytes: 10 * 1024 * 1024,
    max_aspect_ratio: None,
    also_video: false,
};

const RESOLUTIONS: &[&str] = &["720P", "1080P"];
const DEFAULT_RESOLUTION: &str = "1080P";
const DEFAULT_DURATION: i64 = 5;
/// Simulated work per second of 720P video; 1080P takes twice as long.
const WORK_PER_SECOND: f64 = 0.8;

const INPUT: &[Field] = &[
    Field::optional("prompt", text_up_to(2000)),
    Field::required("img_url", Rule::Image(&IMAGE)),
    Field::optional("template", Rule::Text { min: 0, max: None }),
    Field::optional("audio_url", Rule::Text { min: 0, max: None }),
    Field::optional("negative_prompt", text_up_to(500)),
];

const PARAMETERS: &[Field] = &[
    Field::optional("seed", SEED),
    Field::optional("audio", Rule::Boolean),
    Field::optional("duration", Rule::IntegerIn(&[5, 10, 15])),
    Field::optional("shot_type", Rule::OneOf(&["single", "multi"])),
    Field::optional("watermark", Rule::Boolean),
    Field::optional("resolution", Rule::OneOf(RESOLUTIONS)),
    Field::optional("prompt_extend", Rule::Boolean),
];

const I2V: &[Field] = &[
    Field::required("input", Rule::Object(INPUT)),
    Field::optional("parameters", Rule::Object(PARAMETERS)),
];

fn job(f: &Fields<'_>) -> Checked<Job> {
    let input = f.required_object("input")?;
    let image_url = input.string("img_url", 0, None)?;
    let (mut seed, mut duration, mut resolution, mut audio) =
        (None, DEFAULT_DURATION, DEFAULT_RESOLUTION, true);
    if let Some(parameters) = f.object("parameters")? {
        seed = read_integer(&parameters, "seed")?;
        audio = parameters.boolean("audio")?.unwrap_or(true);
        duration = read_integer(&parameters, "duration")?.unwrap_or(DEFAULT_DURATION);
        resolution = parameters
            .one_of("resolution", RESOLUTIONS)?
            .unwrap_or(DEFAULT_RESOLUTION);
    }
    let mut job = wan2x_job(
        Endpoint::Wan26I2v,
        seed,
        duration,
        resolution,
        image_url,
        WORK_PER_SECOND,
    );
    job.audio = audio;
    Ok(job)
}
