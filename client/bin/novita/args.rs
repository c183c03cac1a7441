//! The command line's fixed part: global flags, following a task, and the shorthand commands.
//!
//! The limits of each field (ranges, allowed values, defaults) are not written here: they come
//! from the spec (`novita submit OPERATION --help`), and a value that breaks one is reported by
//! the client's check before anything is sent.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "novita",
    version,
    about = "Novita AI Wan video jobs from the command line",
    after_help = "`novita submit --help` lists every operation of the spec; \
                  the other submit commands are shorthands for some of them."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct Global {
    /// API key (sent as Authorization: Bearer).
    #[arg(long, env = "NOVITA_API_KEY", global = true, hide_env_values = true)]
    pub api_key: Option<String>,
    /// Base URL: the real service by default, or the mock (http://127.0.0.1:8080).
    #[arg(long, env = "NOVITA_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// What to do once the task is submitted.
#[derive(Args, Clone)]
pub struct Follow {
    /// Wait for the task to finish, showing its progress.
    #[arg(long)]
    pub wait: bool,
    /// After waiting, download the video to this file (implies --wait).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 1200)]
    pub timeout: u64,
    /// Webhook URL that receives the result (extra.webhook.url, where the operation has it).
    #[arg(long)]
    pub webhook: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Shorthand for `submit wan-t2v`: Wan 2.1 text to video.
    T2v {
        #[command(flatten)]
        common: Wan21Args,
        #[command(flatten)]
        follow: Follow,
    },
    /// Shorthand for `submit wan-i2v`: Wan 2.1 image to video; the image must be a URL.
    I2v {
        /// Image URL. This endpoint takes URLs only: upload a local file first.
        #[arg(long)]
        image: String,
        #[command(flatten)]
        common: Wan21Args,
        /// Faster, cheaper, lower quality.
        #[arg(long)]
        fast_mode: bool,
        /// Turn the safety checker off.
        #[arg(long)]
        no_safety_checker: bool,
        #[command(flatten)]
        follow: Follow,
    },
    /// Shorthand for `submit wan2.6-i2v`: Wan 2.6 image to video; a local image is sent as a
    /// data URI.
    Wan26I2v {
        /// Image URL, or a local image file.
        #[arg(long)]
        image: String,
        #[command(flatten)]
        common: Wan2xArgs,
        /// Single or multiple shots.
        #[arg(long)]
        shot_type: Option<String>,
        /// Audio file URL to generate the video to.
        #[arg(long)]
        audio_url: Option<String>,
        /// No generated audio track.
        #[arg(long)]
        no_audio: bool,
        #[command(flatten)]
        follow: Follow,
    },
    /// Shorthand for `submit wan2.7-i2v`: Wan 2.7 image to video (first frame, first and last
    /// frame, or a clip to continue).
    Wan27I2v {
        /// First frame image URL (or use --first-clip).
        #[arg(long, conflicts_with = "first_clip")]
        image: Option<String>,
        /// Clip URL to continue.
        #[arg(long)]
        first_clip: Option<String>,
        /// Last frame image URL, with --image.
        #[arg(long)]
        last_frame: Option<String>,
        #[command(flatten)]
        common: Wan2xArgs,
        #[command(flatten)]
        follow: Follow,
    },
    /// Show a task's current result.
    Result {
        task_id: String,
        /// Give up after this many seconds, retries included.
        #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
    },
    /// Wait for a task to finish (optionally downloading its video).
    Wait {
        task_id: String,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 1200)]
        timeout: u64,
    },
    /// Download a finished task's video.
    Download {
        task_id: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Give up reading the result after this many seconds, and the download when no bytes
        /// come for this long (a slow download that keeps moving goes on).
        #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
    },
}

/// Fields shared by the Wan 2.1 endpoints.
#[derive(Args)]
pub struct Wan21Args {
    /// What the video should show.
    #[arg(long)]
    pub prompt: String,
    /// What to avoid.
    #[arg(long)]
    pub negative_prompt: Option<String>,
    /// Width in pixels; it pairs with --height.
    #[arg(long)]
    pub width: Option<i64>,
    /// Height in pixels; it pairs with --width.
    #[arg(long)]
    pub height: Option<i64>,
    /// Seed; -1 picks one at random.
    #[arg(long, allow_hyphen_values = true)]
    pub seed: Option<i64>,
    /// Inference steps.
    #[arg(long)]
    pub steps: Option<i64>,
    /// How closely to follow the prompt.
    #[arg(long)]
    pub guidance_scale: Option<f64>,
    /// Motion strength.
    #[arg(long)]
    pub flow_shift: Option<f64>,
    /// LoRA as PATH:SCALE; repeat for several.
    #[arg(long = "lora", value_name = "PATH:SCALE")]
    pub loras: Vec<String>,
}

/// Fields shared by the Wan 2.6 and 2.7 shorthands.
#[derive(Args)]
pub struct Wan2xArgs {
    /// What the video should show.
    #[arg(long)]
    pub prompt: Option<String>,
    /// What to avoid.
    #[arg(long)]
    pub negative_prompt: Option<String>,
    /// Length in seconds.
    #[arg(long)]
    pub duration: Option<i64>,
    /// Output resolution (any case).
    #[arg(long)]
    pub resolution: Option<String>,
    #[arg(long)]
    pub seed: Option<i64>,
}
