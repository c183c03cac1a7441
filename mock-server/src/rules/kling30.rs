//! Kling 3.0, the family Novita names as Wan 2.5 and 2.6's replacement: text to video and image
//! to video in three tiers (standard, pro, 4K) and motion control, each a table of the fields
//! its page documents, and how the accepted body shapes the job. What the pages leave open
//! (pixel sizes, frame rate, the pro pages' prompt/shots rule, motion control's defaults) is
//! decided as the spec's x-inferred notes say.

use imagesize::ImageType;

use crate::{
    catalogue::Endpoint,
    rules::{
        fields::{Checked, Fields},
        media::ImageLimits,
        table::{read_integer, text_up_to, EndpointRules, Field, Rule},
        video_media::{VideoFormat, VideoLimits},
    },
    sim::job::{Framing, InputVideo, Job},
};

pub(super) const ENDPOINTS: &[EndpointRules] = &[
    EndpointRules {
        endpoint: Endpoint::KlingStdT2v,
        body: STD_T2V,
        job: |f| t2v(Endpoint::KlingStdT2v, Tier::Standard, f),
    },
    EndpointRules {
        endpoint: Endpoint::KlingProT2v,
        body: PRO_T2V,
        job: |f| t2v(Endpoint::KlingProT2v, Tier::Pro, f),
    },
    EndpointRules {
        endpoint: Endpoint::Kling4kT2v,
        body: UHD_T2V,
        job: |f| t2v(Endpoint::Kling4kT2v, Tier::Uhd, f),
    },
    EndpointRules {
        endpoint: Endpoint::KlingStdI2v,
        body: STD_I2V,
        job: |f| i2v(Endpoint::KlingStdI2v, Tier::Standard, f),
    },
    EndpointRules {
        endpoint: Endpoint::KlingProI2v,
        body: PRO_I2V,
        job: |f| i2v(Endpoint::KlingProI2v, Tier::Pro, f),
    },
    EndpointRules {
        endpoint: Endpoint::Kling4kI2v,
        body: UHD_I2V,
        job: |f| i2v(Endpoint::Kling4kI2v, Tier::Uhd, f),
    },
    EndpointRules {
        endpoint: Endpoint::KlingMotionControl,
        body: MOTION_CONTROL,
        job: motion_control,
    },
];

/// JPG, JPEG or PNG; at most 10 MB; sides at least 300 px; 1:2.5 to 2.5:1.
const IMAGE: ImageLimits = ImageLimits {
    formats: &[ImageType::Jpeg, ImageType::Png],
    min_side: 300,
    max_side: None,
    max_bytes: 10 * 1024 * 1024,
    max_aspect_ratio: Some(2.5),
    also_video: false,
};

/// The reference motion video: MP4 or MOV, at most 10 MB, sides at least 300 px, 3 to 30 s.
const REFERENCE_VIDEO: VideoLimits = VideoLimits {
    formats: &[VideoFormat::Mp4, VideoFormat::Mov],
    min_side: 300,
    max_side: None,
    max_bytes: 10 * 1024 * 1024,
    min_seconds: 3.0,
    max_seconds: 30.0,
};

/// The output tiers. Novita states no pixels: standard is 720p, pro 1080p and 4K 2160p, as
/// third-party Kling documentation gives (x-inferred in the spec).
#[derive(Clone, Copy)]
enum Tier {
    Standard,
    Pro,
    Uhd,
}

impl Tier {
    /// The 16:9 frame; 9:16 turns it, 1:1 keeps about its pixel count.
    fn landscape(self) -> (u32, u32) {
        match self {
            Tier::Standard => (1280, 720),
            Tier::Pro => (1920, 1080),
            Tier::Uhd => (3840, 2160),
        }
    }

    fn square(self) -> u32 {
        match self {
            Tier::Standard => 960,
            Tier::Pro => 1440,
            Tier::Uhd => 2880,
        }
    }

    /// Simulated work per second of video, before `--speed`: pro takes twice standard's, 4K
    /// four times.
    fn work_per_second(self) -> f64 {
        match self {
            Tier::Standard => 0.6,
            Tier::Pro => 1.2,
            Tier::Uhd => 2.4,
        }
    }
}

/// Not stated by Novita; 30 fps as third-party documentation gives.
const FPS: u32 = 30;
const DEFAULT_SECONDS: u32 = 5;
/// Motion control with orientation `video` lasts as long as the reference, at most this.
const MOTION_MAX_SECONDS: u32 = 30;
const ASPECT_RATIOS: &[&str] = &["16:9", "9:16", "1:1"];
/// Motion control's tiers, set by `model_name`.
const MODEL_NAMES: &[&str] = &["kling-v3-0-std", "kling-v3-0-pro"];
const ORIENTATIONS: &[&str] = &["image", "video"];
const LISTED_DURATIONS: &[i64] = &[3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

const PROMPT: Field = Field::required("prompt", text_up_to(2500));
const OPTIONAL_PROMPT: Field = Field::optional("prompt", text_up_to(2500));
const NEGATIVE_PROMPT: Field = Field::optional("negative_prompt", text_up_to(2500));
/// The standard pages list each second; the others give the range.
const LISTED_DURATION: Field = Field::optional("duration", Rule::IntegerIn(LISTED_DURATIONS));
const DURATION: Field = Field::optional("duration", Rule::Integer { min: 3, max: 15 });
const CFG_SCALE: Field = Field::optional("cfg_scale", Rule::Number { min: 0.0, max: 1.0 });
const ASPECT_RATIO: Field = Field::optional("aspect_ratio", Rule::OneOf(ASPECT_RATIOS));
const SOUND: Field = Field::optional("sound", Rule::Boolean);
const FIRST_FRAME: Field = Field::required("image", Rule::Image(&IMAGE));
const END_FRAME: Field = Field::optional("end_image", Rule::Image(&IMAGE));
const SHOT: &[Field] = &[
    Field::required("prompt", Rule::Text { min: 1, max: None }),
    Field::optional("duration", Rule::Integer { min: 3, max: 15 }),
];
/// Shots whose members the page gives (standard and 4K image to video).
const SHOTS: Field = Field::optional(
    "multi_prompt",
    Rule::Objects {
        min: 1,
        max: usize::MAX,
        fields: SHOT,
    },
);
/// Shots whose members the pro pages do not give: any objects.
const OPEN_SHOTS: Field = Field::optional(
    "multi_prompt",
    Rule::Objects {
        min: 1,
        max: usize::MAX,
        fields: &[],
    },
);
const PROMPT_OR_SHOTS: Field = Field::across(Rule::ExactlyOne("prompt", "multi_prompt"));
const END_FRAME_OR_SHOTS: Field = Field::across(Rule::AtMostOne("end_image", "multi_prompt"));

const STD_T2V: &[Field] = &[
    PROMPT,
    NEGATIVE_PROMPT,
    LISTED_DURATION,
    CFG_SCALE,
    ASPECT_RATIO,
    SOUND,
];
const PRO_T2V: &[Field] = &[
    OPTIONAL_PROMPT,
    OPEN_SHOTS,
    PROMPT_OR_SHOTS,
    NEGATIVE_PROMPT,
    DURATION,
    CFG_SCALE,
    ASPECT_RATIO,
    SOUND,
];
const UHD_T2V: &[Field] = &[
    PROMPT,
    NEGATIVE_PROMPT,
    DURATION,
    CFG_SCALE,
    ASPECT_RATIO,
    SOUND,
];
const STD_I2V: &[Field] = &[
    FIRST_FRAME,
    END_FRAME,
    PROMPT,
    SHOTS,
    END_FRAME_OR_SHOTS,
    NEGATIVE_PROMPT,
    LISTED_DURATION,
    CFG_SCALE,
    SOUND,
];
const PRO_I2V: &[Field] = &[
    FIRST_FRAME,
    END_FRAME,
    OPTIONAL_PROMPT,
    OPEN_SHOTS,
    PROMPT_OR_SHOTS,
    END_FRAME_OR_SHOTS,
    NEGATIVE_PROMPT,
    DURATION,
    CFG_SCALE,
    SOUND,
];
const UHD_I2V: &[Field] = &[
    FIRST_FRAME,
    END_FRAME,
    PROMPT,
    SHOTS,
    END_FRAME_OR_SHOTS,
    NEGATIVE_PROMPT,
    DURATION,
    CFG_SCALE,
    SOUND,
];
const MOTION_CONTROL: &[Field] = &[
    Field::required("image", Rule::Image(&IMAGE)),
    Field::required("video", Rule::Video(&REFERENCE_VIDEO)),
    OPTIONAL_PROMPT,
    Field::required("model_name", Rule::OneOf(MODEL_NAMES)),
    NEGATIVE_PROMPT,
    Field::optional("keep_original_sound", Rule::Boolean),
    Field::required("character_orientation", Rule::OneOf(ORIENTATIONS)),
];

/// A job of `seconds` at the tier's pace, 30 fps.
fn job(endpoint: Endpoint, tier: Tier, framing: Framing, seconds: u32, audio: bool) -> Job {
    Job {
        endpoint,
        // Kling 3.0 takes no seed: every video is a new one.
        seed: None,
        framing,
        fps: FPS,
        frames: FPS * seconds,
        work: std::time::Duration::from_secs_f64(tier.work_per_second() * f64::from(seconds)),
        webhook: None,
        audio,
        input_video: None,
    }
}

fn seconds(f: &Fields<'_>) -> Checked<u32> {
    Ok(read_integer(f, "duration")?.map_or(DEFAULT_SECONDS, |s| s as u32))
}

fn t2v(endpoint: Endpoint, tier: Tier, f: &Fields<'_>) -> Checked<Job> {
    let (long, short) = tier.landscape();
    let (width, height) = match f.one_of("aspect_ratio", ASPECT_RATIOS)? {
        Some("9:16") => (short, long),
        Some("1:1") => (tier.square(), tier.square()),
        _ => (long, short), // 16:9, the default
    };
    let sound = f.boolean("sound")?.unwrap_or(false);
    let framing = Framing::Fixed { width, height };
    Ok(job(endpoint, tier, framing, seconds(f)?, sound))
}

/// The first frame's aspect ratio at the tier's pixel count (16:9 when it cannot be read).
fn i2v(endpoint: Endpoint, tier: Tier, f: &Fields<'_>) -> Checked<Job> {
    let (width, height) = tier.landscape();
    let framing = Framing::new(f.string("image", 0, None)?, width, height);
    let sound = f.boolean("sound")?.unwrap_or(false);
    Ok(job(endpoint, tier, framing, seconds(f)?, sound))
}

/// Orientation `image`: 5 seconds in the image's ratio. Orientation `video`: the reference
/// video's ratio and length (at most 30 s). Either way the reference is held to the page's
/// limits: inline at submission, a URL while the task runs (read once; the task fails when
/// it is out of them), so the job carries it even when the output takes nothing from it.
fn motion_control(f: &Fields<'_>) -> Checked<Job> {
    let tier = match f.one_of("model_name", MODEL_NAMES)? {
        Some("kling-v3-0-pro") => Tier::Pro,
        _ => Tier::Standard,
    };
    let (width, height) = tier.landscape();
    let sound = f.boolean("keep_original_sound")?.unwrap_or(true);
    let endpoint = Endpoint::KlingMotionControl;
    let url = f.string("video", 0, None)?.unwrap_or_default().to_string();
    let by_image = f.one_of("character_orientation", ORIENTATIONS)? == Some("image");
    let (framing, keep_ratio_area, keep_length_up_to) = if by_image {
        let framing = Framing::new(f.string("image", 0, None)?, width, height);
        (framing, None, None)
    } else {
        let framing = Framing::Fixed { width, height };
        (framing, Some(width * height), Some(MOTION_MAX_SECONDS))
    };
    let mut job = job(endpoint, tier, framing, DEFAULT_SECONDS, sound);
    job.input_video = Some(Box::new(InputVideo {
        url,
        keep_ratio_area,
        keep_length_up_to,
    }));
    Ok(job)
}
