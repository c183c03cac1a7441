//! The Wan endpoints' rules as the vendor pages state them, read by hand and independently of
//! the client crate: one function per family that checks a body and says what job it asks for.

use std::time::Duration;

use crate::{
    catalogue::Endpoint,
    novita_error::NovitaError,
    rules::{
        extra::webhook,
        fields::{Checked, Fields},
        media::{check_inline_image, WAN26_IMAGE, WAN27_IMAGE},
    },
    sim::job::{wan2x_job, Framing, Job},
};

const WAN21_SIDES: [i64; 4] = [480, 720, 832, 1280];
const WAN21_PAIRS: [(i64, i64); 4] = [(480, 832), (832, 480), (720, 1280), (1280, 720)];
/// Wan 2.1 renders 81 frames at 16 fps: about 5 seconds.
const WAN21_FRAMES: u32 = 81;
const WAN21_FPS: u32 = 16;
const SEED_MAX_31: i64 = 2_147_483_647;

pub(super) fn wan21(endpoint: Endpoint, f: &Fields<'_>) -> Checked<Job> {
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
    // The current text-to-video page lists `fast_mode` too, as the image-to-video page does.
    let fast = f.boolean("fast_mode")?.unwrap_or(false);
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
        // Wan 2.1 videos are silent.
        audio: false,
        input_video: None,
    })
}

pub(super) fn wan26(f: &Fields<'_>) -> Checked<Job> {
    let input = f.required_object("input")?;
    input.string("prompt", 0, Some(2000))?;
    let image_url = input.required_string("img_url", 1, None)?;
    check_inline_image(&input, "img_url", &WAN26_IMAGE)?;
    input.string("template", 0, None)?;
    input.string("audio_url", 0, None)?;
    input.string("negative_prompt", 0, Some(500))?;
    let (mut seed, mut duration, mut resolution, mut audio) = (None, 5, "1080P", true);
    if let Some(parameters) = f.object("parameters")? {
        seed = parameters.integer("seed", 0, SEED_MAX_31)?;
        audio = parameters.boolean("audio")?.unwrap_or(true);
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
    // Only the Wan 2.1 pages list `extra.webhook`; the spec accepts it on every Wan endpoint
    // (marked x-inferred there) and so does the mock, which delivers it.
    job.webhook = webhook(f)?;
    job.audio = audio;
    Ok(job)
}

pub(super) fn wan27(f: &Fields<'_>) -> Checked<Job> {
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
    check_inline_image(f, "image_url", &WAN27_IMAGE)?;
    check_inline_image(f, "last_frame_url", &WAN27_IMAGE)?;
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
