//! Wan 2.7 image-to-video, text-to-video, reference-to-video and video editing: each a table
//! of the fields its page documents (PPIO, Novita's sister platform with the same routes,
//! where the stored Novita pages are cut off), and how the accepted body shapes the job.

use crate::{
    catalogue::Endpoint,
    rules::{
        fields::{Checked, Fields},
        media::{ImageLimits, JPEG_PNG_BMP_WEBP},
        table::{read_integer, text_up_to, EndpointRules, Field, Rule, SEED, URL},
    },
    sim::job::{timed_job, wan2x_job, Framing, InputVideo, Job},
};

pub(super) const ENDPOINTS: &[EndpointRules] = &[
    EndpointRules {
        endpoint: Endpoint::Wan27I2v,
        body: I2V,
        job: i2v,
    },
    EndpointRules {
        endpoint: Endpoint::Wan27T2v,
        body: T2V,
        job: t2v,
    },
    EndpointRules {
        endpoint: Endpoint::Wan27R2v,
        body: R2V,
        job: r2v,
    },
    EndpointRules {
        endpoint: Endpoint::Wan27Videoedit,
        body: VIDEOEDIT,
        job: videoedit,
    },
];

/// Frames and references: sides 240 to 8000 px, 1:8 to 8:1, at most 20 MB.
const IMAGE: ImageLimits = ImageLimits {
    formats: JPEG_PNG_BMP_WEBP,
    min_side: 240,
    max_side: Some(8000),
    max_bytes: 20 * 1024 * 1024,
    max_aspect_ratio: Some(8.0),
    also_video: false,
};

/// Video-editing reference images (no ratio rule given).
const REFERENCE: ImageLimits = ImageLimits {
    max_aspect_ratio: None,
    ..IMAGE
};

/// The `size` values of text- and reference-to-video, with their frames.
const SIZES: [(&str, (u32, u32)); 10] = [
    ("1280*720", (1280, 720)),
    ("720*1280", (720, 1280)),
    ("960*960", (960, 960)),
    ("1088*832", (1088, 832)),
    ("832*1088", (832, 1088)),
    ("1920*1080", (1920, 1080)),
    ("1080*1920", (1080, 1920)),
    ("1440*1440", (1440, 1440)),
    ("1632*1248", (1632, 1248)),
    ("1248*1632", (1248, 1632)),
];
const SIZE_NAMES: [&str; 10] = {
    let mut names = [""; 10];
    let mut i = 0;
    while i < SIZES.len() {
        names[i] = SIZES[i].0;
        i += 1;
    }
    names
};
const DEFAULT_SIZE: &str = "1920*1080";

/// One of video editing's `ratio` values and its frames at 720P and 1080P.
struct Ratio {
    name: &'static str,
    at_720p: (u32, u32),
    at_1080p: (u32, u32),
}

const fn ratio(name: &'static str, at_720p: (u32, u32), at_1080p: (u32, u32)) -> Ratio {
    Ratio {
        name,
        at_720p,
        at_1080p,
    }
}

/// Video editing's ratios (its 4:3 sizes differ from the other endpoints').
const RATIOS: [Ratio; 5] = [
    ratio("16:9", (1280, 720), (1920, 1080)),
    ratio("9:16", (720, 1280), (1080, 1920)),
    ratio("1:1", (960, 960), (1440, 1440)),
    ratio("4:3", (1104, 832), (1648, 1248)),
    ratio("3:4", (832, 1104), (1248, 1648)),
];
const RATIO_NAMES: [&str; 5] = {
    let mut names = [""; 5];
    let mut i = 0;
    while i < RATIOS.len() {
        names[i] = RATIOS[i].name;
        i += 1;
    }
    names
};

const RESOLUTIONS: [&str; 2] = ["720P", "1080P"];
/// Video editing's `duration`: 0 keeps the input's length; 2 to 10 cut it.
const EDIT_DURATIONS: [i64; 10] = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/// Simulated work per second of 720P video; 1080P takes twice as long.
const WORK_PER_SECOND: f64 = 0.6;

/// The prompt of text and reference to video: required, at most 1500 characters.
const PROMPT_1500: Field = Field::required("prompt", text_up_to(1500));
const NEGATIVE_PROMPT: Field = Field::optional("negative_prompt", text_up_to(500));

const I2V: &[Field] = &[
    Field::optional("prompt", text_up_to(5000)),
    Field::optional("image_url", Rule::Image(&IMAGE)),
    Field::optional("first_clip_url", URL),
    Field::across(Rule::ExactlyOne("image_url", "first_clip_url")),
    Field::optional("last_frame_url", Rule::Image(&IMAGE)),
    Field::optional("driving_audio_url", URL),
    NEGATIVE_PROMPT,
    Field::optional("duration", Rule::Integer { min: 2, max: 15 }),
    Field::optional("resolution", Rule::OneOf(&RESOLUTIONS)),
    Field::optional("watermark", Rule::Boolean),
    Field::optional("prompt_extend", Rule::Boolean),
    Field::optional("seed", SEED),
];

const T2V: &[Field] = &[
    PROMPT_1500,
    NEGATIVE_PROMPT,
    Field::optional("size", Rule::OneOf(&SIZE_NAMES)),
    Field::optional("duration", Rule::Integer { min: 2, max: 15 }),
    Field::optional("audio_url", URL),
    Field::optional("watermark", Rule::Boolean),
    Field::optional("prompt_extend", Rule::Boolean),
    Field::optional("seed", SEED),
];

/// A reference is an image or a video (`type: reference_video`): inline data that is no image
/// passes, an inline image is held to the frame limits.
const REFERENCE_MEDIA: ImageLimits = ImageLimits {
    also_video: true,
    ..IMAGE
};

const R2V_MEDIA: &[Field] = &[
    Field::required("url", Rule::Image(&REFERENCE_MEDIA)),
    Field::required(
        "type",
        Rule::OneOf(&["reference_image", "reference_video", "first_frame"]),
    ),
    Field::optional("reference_voice", URL),
];

const R2V: &[Field] = &[
    PROMPT_1500,
    NEGATIVE_PROMPT,
    Field::required(
        "media",
        Rule::Objects {
            min: 1,
            max: 5,
            fields: R2V_MEDIA,
        },
    ),
    Field::optional("size", Rule::OneOf(&SIZE_NAMES)),
    Field::optional("audio", Rule::Boolean),
    Field::optional("duration", Rule::Integer { min: 2, max: 10 }),
    Field::optional("shot_type", Rule::OneOf(&["single", "multi"])),
    Field::optional("watermark", Rule::Boolean),
    Field::optional("seed", SEED),
];

const VIDEOEDIT: &[Field] = &[
    Field::required("video_url", URL),
    Field::optional("prompt", text_up_to(5000)),
    NEGATIVE_PROMPT,
    Field::optional("reference_image_url", Rule::Image(&REFERENCE)),
    Field::optional("reference_image_url_2", Rule::Image(&REFERENCE)),
    Field::optional("reference_image_url_3", Rule::Image(&REFERENCE)),
    Field::optional("ratio", Rule::OneOf(&RATIO_NAMES)),
    Field::optional("resolution", Rule::OneOf(&RESOLUTIONS)),
    Field::optional("duration", Rule::IntegerIn(&EDIT_DURATIONS)),
    Field::optional("audio_setting", Rule::OneOf(&["auto", "origin"])),
    Field::optional("watermark", Rule::Boolean),
    Field::optional("prompt_extend", Rule::Boolean),
    Field::optional("seed", SEED),
];

fn size(f: &Fields<'_>) -> Checked<Framing> {
    let name = f.one_of("size", &SIZE_NAMES)?.unwrap_or(DEFAULT_SIZE);
    let (width, height) = SIZES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, frame)| *frame)
        .unwrap_or((1920, 1080));
    Ok(Framing::Fixed { width, height })
}

/// The input image's frame at the resolution tier's area (16:9 for a first clip).
fn i2v(f: &Fields<'_>) -> Checked<Job> {
    let duration = read_integer(f, "duration")?.unwrap_or(5);
    let resolution = f.one_of("resolution", &RESOLUTIONS)?.unwrap_or("1080P");
    let seed = read_integer(f, "seed")?;
    let image_url = f.string("image_url", 0, None)?;
    Ok(wan2x_job(
        Endpoint::Wan27I2v,
        seed,
        duration,
        resolution,
        image_url,
        WORK_PER_SECOND,
    ))
}

fn t2v(f: &Fields<'_>) -> Checked<Job> {
    let seconds = read_integer(f, "duration")?.unwrap_or(5) as u32;
    let seed = read_integer(f, "seed")?;
    Ok(timed_job(
        Endpoint::Wan27T2v,
        seed,
        size(f)?,
        seconds,
        WORK_PER_SECOND,
    ))
}

fn r2v(f: &Fields<'_>) -> Checked<Job> {
    let seconds = read_integer(f, "duration")?.unwrap_or(5) as u32;
    let seed = read_integer(f, "seed")?;
    let mut job = timed_job(Endpoint::Wan27R2v, seed, size(f)?, seconds, WORK_PER_SECOND);
    job.audio = f.boolean("audio")?.unwrap_or(true);
    Ok(job)
}

/// The output keeps the input's ratio unless `ratio` is set, and its length unless `duration`
/// cuts it. Until the input is read (at the first download) the work assumes 5 seconds, and
/// an unreadable input gives a 16:9, 5-second video.
fn videoedit(f: &Fields<'_>) -> Checked<Job> {
    let video_url = f.string("video_url", 1, None)?.unwrap_or_default();
    let hd = f.one_of("resolution", &RESOLUTIONS)?.unwrap_or("1080P") == "1080P";
    let ratio = f.one_of("ratio", &RATIO_NAMES)?;
    let chosen = RATIOS
        .iter()
        .find(|r| Some(r.name) == ratio)
        .unwrap_or(&RATIOS[0]);
    let (width, height) = if hd { chosen.at_1080p } else { chosen.at_720p };
    let duration = read_integer(f, "duration")?;
    let keep_length = duration.unwrap_or(0) == 0;
    let seconds = if keep_length {
        5
    } else {
        duration.unwrap_or(5) as u32
    };
    let seed = read_integer(f, "seed")?;
    let framing = Framing::Fixed { width, height };
    let mut job = timed_job(
        Endpoint::Wan27Videoedit,
        seed,
        framing,
        seconds,
        WORK_PER_SECOND,
    );
    job.input_video = Some(Box::new(InputVideo {
        url: video_url.to_string(),
        keep_ratio_area: ratio.is_none().then_some(width * height),
        keep_length_up_to: keep_length.then_some(10),
    }));
    Ok(job)
}
