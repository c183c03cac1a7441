//! `novita`: submit Wan video jobs, wait for them and download the result from a terminal.
//!
//! Exit codes: 0 success; 2 bad command line or a request that breaks a documented rule;
//! 3 Novita answered with an error; 4 the task failed; 5 gave up waiting; 6 network or
//! unexpected answer; 7 the download or a local file failed.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};

use base64::Engine;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use novita_video::{
    types::{
        Lora, RequestExtra, TaskResultResponse, Wan26I2vInput, Wan26I2vParameters,
        Wan26I2vParametersResolution, Wan26I2vParametersShotType, Wan26I2vRequest, Wan27I2vRequest,
        Wan27I2vRequestResolution, WanI2vRequest, WanT2vRequest, WebhookSettings,
    },
    Error, NovitaClient, SubmitRequest, WaitOptions, WaitProgress,
};

#[derive(Parser)]
#[command(
    name = "novita",
    version,
    about = "Novita AI Wan video jobs from the command line"
)]
struct Cli {
    /// API key (sent as Authorization: Bearer).
    #[arg(long, env = "NOVITA_API_KEY", global = true, hide_env_values = true)]
    api_key: Option<String>,
    /// Base URL: the real service by default, or the mock (http://127.0.0.1:8080).
    #[arg(long, env = "NOVITA_BASE_URL", global = true)]
    base_url: Option<String>,
    /// Print machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Follow {
    /// Wait for the task to finish, showing its progress.
    #[arg(long)]
    wait: bool,
    /// After waiting, download the video to this file (implies --wait).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 1200)]
    timeout: u64,
    /// Webhook URL that receives the result (extra.webhook.url).
    #[arg(long)]
    webhook: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Wan 2.1 text to video (POST /v3/async/wan-t2v).
    T2v {
        #[command(flatten)]
        common: Wan21Args,
        #[command(flatten)]
        follow: Follow,
    },
    /// Wan 2.1 image to video (POST /v3/async/wan-i2v); the image must be a URL.
    I2v {
        /// Image URL. This endpoint takes URLs only: upload a local file first.
        #[arg(long)]
        image: String,
        #[command(flatten)]
        common: Wan21Args,
        /// Faster, cheaper, lower quality (default off).
        #[arg(long)]
        fast_mode: bool,
        /// Turn the safety checker off (it is on by default).
        #[arg(long)]
        no_safety_checker: bool,
        #[command(flatten)]
        follow: Follow,
    },
    /// Wan 2.6 image to video (POST /v3/async/wan2.6-i2v); a local image is sent as a data URI.
    Wan26I2v {
        /// Image URL, or a local file (JPEG, PNG, BMP, WEBP; sides 360-2000 px; at most 10 MB).
        #[arg(long)]
        image: String,
        /// What the video should show (0-2000 characters).
        #[arg(long)]
        prompt: Option<String>,
        /// What to avoid (0-500 characters).
        #[arg(long)]
        negative_prompt: Option<String>,
        /// Seconds: 5, 10 or 15.
        #[arg(long)]
        duration: Option<i32>,
        /// 720P or 1080P.
        #[arg(long)]
        resolution: Option<String>,
        /// single or multi.
        #[arg(long)]
        shot_type: Option<String>,
        /// 0-2147483647.
        #[arg(long)]
        seed: Option<i64>,
        /// Audio file URL (wav/mp3, 3-30 s) to generate the video to.
        #[arg(long)]
        audio_url: Option<String>,
        /// No generated audio track.
        #[arg(long)]
        no_audio: bool,
        #[command(flatten)]
        follow: Follow,
    },
    /// Wan 2.7 image to video (POST /v3/async/wan2.7-i2v): first frame, first+last frame, or a clip to continue.
    Wan27I2v {
        /// First frame image URL (or use --first-clip).
        #[arg(long, conflicts_with = "first_clip")]
        image: Option<String>,
        /// Clip URL to continue (mp4/mov, 2-10 s).
        #[arg(long)]
        first_clip: Option<String>,
        /// Last frame image URL, with --image.
        #[arg(long)]
        last_frame: Option<String>,
        /// What the video should show (0-5000 characters).
        #[arg(long)]
        prompt: Option<String>,
        /// What to avoid (0-500 characters).
        #[arg(long)]
        negative_prompt: Option<String>,
        /// Seconds, 2-15 (service default 5).
        #[arg(long)]
        duration: Option<i32>,
        /// 720P or 1080P (service default 1080P).
        #[arg(long)]
        resolution: Option<String>,
        /// 0-2147483647.
        #[arg(long)]
        seed: Option<i64>,
        #[command(flatten)]
        follow: Follow,
    },
    /// Show a task's current result.
    Result { task_id: String },
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
    },
}

/// Fields shared by the Wan 2.1 endpoints.
#[derive(Args)]
struct Wan21Args {
    /// What the video should show (1-2000 characters).
    #[arg(long)]
    prompt: String,
    /// What to avoid (0-2000 characters).
    #[arg(long)]
    negative_prompt: Option<String>,
    /// 480, 720, 832 or 1280; pairs: 480x832, 832x480, 720x1280, 1280x720 (default 832x480).
    #[arg(long)]
    width: Option<i32>,
    #[arg(long)]
    height: Option<i32>,
    /// -1 (random, the default) to 9999999999.
    #[arg(long, allow_hyphen_values = true)]
    seed: Option<i64>,
    /// Inference steps, 1-40 (default 30).
    #[arg(long)]
    steps: Option<i32>,
    /// How closely to follow the prompt, 0-10 (default 5).
    #[arg(long)]
    guidance_scale: Option<f64>,
    /// Motion strength, 1-10 (default 5).
    #[arg(long)]
    flow_shift: Option<f64>,
    /// LoRA as PATH:SCALE (scale 0-4), at most three.
    #[arg(long = "lora", value_name = "PATH:SCALE")]
    loras: Vec<String>,
}

/// A failure with the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match &error {
            Error::InvalidRequest { .. } | Error::Config(_) => 2,
            Error::Api(_) => 3,
            Error::TaskFailed { .. } => 4,
            Error::WaitTimeout { .. } => 5,
            Error::Download { .. } | Error::Io { .. } | Error::NoVideo { .. } => 7,
            _ => 6,
        };
        Failure {
            code,
            message: error.to_string(),
        }
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"error": failure.message, "exit_code": failure.code})
                );
            }
            eprintln!("novita: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let mut builder = NovitaClient::builder();
    if let Some(key) = &cli.api_key {
        builder = builder.api_key(key);
    }
    if let Some(url) = &cli.base_url {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    let out = Output { json: cli.json };
    match cli.command {
        Command::T2v { common, follow } => {
            let request = WanT2vRequest {
                model_name: None,
                prompt: common.prompt.clone(),
                negative_prompt: common.negative_prompt.clone(),
                width: common.width,
                height: common.height,
                loras: parse_loras(&common.loras)?,
                seed: common.seed,
                steps: common.steps,
                guidance_scale: common.guidance_scale,
                flow_shift: common.flow_shift,
                extra: webhook_extra(&follow),
            };
            submit_and_follow(&client, &out, &request, &follow).await
        }
        Command::I2v {
            image,
            common,
            fast_mode,
            no_safety_checker,
            follow,
        } => {
            urls_only(
                &image,
                "wan-i2v takes image URLs",
                ", or use wan26-i2v, which accepts local files",
            )?;
            let request = WanI2vRequest {
                prompt: common.prompt.clone(),
                image_url: image,
                negative_prompt: common.negative_prompt.clone(),
                width: common.width,
                height: common.height,
                loras: parse_loras(&common.loras)?,
                seed: common.seed,
                steps: common.steps,
                guidance_scale: common.guidance_scale,
                flow_shift: common.flow_shift,
                enable_safety_checker: no_safety_checker.then_some(false),
                fast_mode: fast_mode.then_some(true),
                extra: webhook_extra(&follow),
            };
            submit_and_follow(&client, &out, &request, &follow).await
        }
        Command::Wan26I2v {
            image,
            prompt,
            negative_prompt,
            duration,
            resolution,
            shot_type,
            seed,
            audio_url,
            no_audio,
            follow,
        } => {
            let resolution: Option<Wan26I2vParametersResolution> =
                choice("--resolution", upper(&resolution).as_deref(), &RESOLUTIONS)?;
            let shot_type: Option<Wan26I2vParametersShotType> =
                choice("--shot-type", shot_type.as_deref(), &["single", "multi"])?;
            let parameters = Wan26I2vParameters {
                seed,
                audio: no_audio.then_some(false),
                duration,
                shot_type,
                watermark: None,
                resolution,
                prompt_extend: None,
            };
            let request = Wan26I2vRequest {
                input: Wan26I2vInput {
                    prompt,
                    img_url: image_reference(&image)?,
                    template: None,
                    audio_url,
                    negative_prompt,
                },
                parameters: (parameters != Wan26I2vParameters::default()).then_some(parameters),
            };
            if follow.webhook.is_some() {
                return Err(usage(
                    "--webhook is documented for the Wan 2.1 endpoints only",
                ));
            }
            submit_and_follow(&client, &out, &request, &follow).await
        }
        Command::Wan27I2v {
            image,
            first_clip,
            last_frame,
            prompt,
            negative_prompt,
            duration,
            resolution,
            seed,
            follow,
        } => {
            let resolution: Option<Wan27I2vRequestResolution> =
                choice("--resolution", upper(&resolution).as_deref(), &RESOLUTIONS)?;
            for url in [&image, &first_clip, &last_frame].into_iter().flatten() {
                urls_only(url, "wan2.7-i2v takes URLs", "")?;
            }
            if follow.webhook.is_some() {
                return Err(usage(
                    "--webhook is documented for the Wan 2.1 endpoints only",
                ));
            }
            let request = Wan27I2vRequest {
                prompt,
                image_url: image,
                first_clip_url: first_clip,
                last_frame_url: last_frame,
                driving_audio_url: None,
                negative_prompt,
                duration,
                resolution,
                watermark: None,
                prompt_extend: None,
                seed,
            };
            submit_and_follow(&client, &out, &request, &follow).await
        }
        Command::Result { task_id } => {
            let result = client.task_result(&task_id).await?;
            out.result(&result);
            Ok(())
        }
        Command::Wait {
            task_id,
            out: file,
            timeout,
        } => {
            let result = wait(&client, &out, &task_id, timeout).await?;
            finish(&client, &out, &result, file.as_deref()).await
        }
        Command::Download { task_id, out: file } => {
            let result = client.task_result(&task_id).await?;
            finish(&client, &out, &result, Some(&file)).await
        }
    }
}

const RESOLUTIONS: [&str; 2] = ["720P", "1080P"];

/// Resolutions are accepted in any case (`720p`).
fn upper(value: &Option<String>) -> Option<String> {
    value.as_ref().map(|v| v.to_ascii_uppercase())
}

/// One of `allowed` as the generated enum it names.
fn choice<T: std::str::FromStr>(
    flag: &str,
    value: Option<&str>,
    allowed: &[&str],
) -> Result<Option<T>, Failure> {
    let Some(value) = value else {
        return Ok(None);
    };
    allowed
        .iter()
        .find(|a| **a == value)
        .and_then(|canonical| canonical.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            usage(format!(
                "{flag} must be {} (got {value})",
                allowed.join(" or ")
            ))
        })
}

/// Refuses a local file where the endpoint (`takes`, e.g. "wan-i2v takes image URLs") wants a URL.
fn urls_only(value: &str, takes: &str, hint: &str) -> Result<(), Failure> {
    if Path::new(value).exists() && !value.contains("://") {
        return Err(usage(format!(
            "{value} is a local file, but {takes} only: upload it first{hint}"
        )));
    }
    Ok(())
}

fn webhook_extra(follow: &Follow) -> Option<RequestExtra> {
    follow.webhook.as_ref().map(|url| RequestExtra {
        webhook: Some(WebhookSettings {
            url: url.clone(),
            test_mode: None,
        }),
    })
}

fn parse_loras(specs: &[String]) -> Result<Vec<Lora>, Failure> {
    specs
        .iter()
        .map(|spec| {
            let (path, scale) = spec
                .rsplit_once(':')
                .ok_or_else(|| usage(format!("--lora {spec}: expected PATH:SCALE")))?;
            let scale = scale
                .parse()
                .map_err(|_| usage(format!("--lora {spec}: the scale must be a number")))?;
            Ok(Lora {
                path: path.to_string(),
                scale,
            })
        })
        .collect()
}

/// A URL as given, or a local image file as a data URI (Wan 2.6 accepts both).
fn image_reference(image: &str) -> Result<String, Failure> {
    if image.contains("://") || image.starts_with("data:") {
        return Ok(image.to_string());
    }
    let path = Path::new(image);
    let bytes = std::fs::read(path).map_err(|e| Failure {
        code: 7,
        message: format!("reading {image}: {e}"),
    })?;
    let mime = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("bmp") => "image/bmp",
        _ => return Err(usage(format!("{image}: use a JPEG, PNG, BMP or WEBP file"))),
    };
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

async fn submit_and_follow<R: SubmitRequest>(
    client: &NovitaClient,
    out: &Output,
    request: &R,
    follow: &Follow,
) -> Result<(), Failure> {
    let task_id = client.submit(request).await?;
    if !(follow.wait || follow.out.is_some()) {
        out.submitted(&task_id);
        return Ok(());
    }
    if !out.json {
        eprintln!("task {task_id} submitted");
    }
    let result = wait(client, out, &task_id, follow.timeout).await?;
    finish(client, out, &result, follow.out.as_deref()).await
}

async fn wait(
    client: &NovitaClient,
    out: &Output,
    task_id: &str,
    timeout: u64,
) -> Result<TaskResultResponse, Failure> {
    let interactive = std::io::stderr().is_terminal() && !out.json;
    let bar = interactive.then(|| {
        let bar = ProgressBar::new(100);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg:<24} [{bar:30}] {pos:>3}%  eta {prefix}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let json = out.json;
    let mut last_line = String::new();
    // A person watching a bar wants it to move: poll at least every 2 s then. Scripts keep the
    // default pacing, which follows the task's eta.
    let mut options = WaitOptions::default();
    if bar.is_some() {
        let min_interval = options.min_interval;
        options = options.interval(min_interval, Duration::from_secs(2));
    }
    let options = options
        .timeout(Duration::from_secs(timeout))
        .on_progress(|p: &WaitProgress| {
            let status = p.status.as_ref().map(|s| s.to_string()).unwrap_or_default();
            let percent = p.progress_percent.unwrap_or(0.0).clamp(0.0, 100.0) as u64;
            let eta = p
                .eta
                .map(|e| format!("{:.0}s", e.as_secs_f64().ceil()))
                .unwrap_or_else(|| "?".into());
            match &bar {
                Some(bar) => {
                    bar.set_message(status.trim_start_matches("TASK_STATUS_").to_string());
                    bar.set_position(percent);
                    bar.set_prefix(eta);
                }
                None if !json => {
                    let line = format!("{} {status} {percent}% eta {eta}", p.task_id);
                    if line != last_line {
                        eprintln!("{line}");
                        last_line = line;
                    }
                }
                None => {}
            }
        });
    let outcome = client.wait(task_id, options).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    outcome.map_err(|error| {
        if let (true, Error::TaskFailed { result, .. }) = (json, &error) {
            out.result(result);
        }
        Failure::from(error)
    })
}

async fn finish(
    client: &NovitaClient,
    out: &Output,
    result: &TaskResultResponse,
    file: Option<&Path>,
) -> Result<(), Failure> {
    let Some(file) = file else {
        out.result(result);
        return Ok(());
    };
    let interactive = std::io::stderr().is_terminal() && !out.json;
    let bar = interactive.then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message("downloading");
        bar
    });
    let written = client
        .download_video(result, file, |done, total| {
            if let Some(bar) = &bar {
                if let Some(total) = total {
                    bar.set_length(total);
                }
                bar.set_position(done);
            }
        })
        .await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if out.json {
        let mut value = serde_json::to_value(result).unwrap_or_default();
        value["downloaded"] =
            serde_json::json!({"path": file.display().to_string(), "bytes": written});
        println!("{value}");
    } else {
        println!("{} ({written} bytes)", file.display());
    }
    Ok(())
}

/// What goes to stdout: one JSON document per command with --json, short text otherwise.
struct Output {
    json: bool,
}

impl Output {
    fn submitted(&self, task_id: &str) {
        if self.json {
            println!("{}", serde_json::json!({ "task_id": task_id }));
        } else {
            println!("{task_id}");
        }
    }

    fn result(&self, result: &TaskResultResponse) {
        if self.json {
            println!("{}", serde_json::to_string(result).unwrap_or_default());
            return;
        }
        let task = result.task.clone().unwrap_or_default();
        println!(
            "{} {} {}%{}",
            task.task_id.unwrap_or_default(),
            task.status.map(|s| s.to_string()).unwrap_or_default(),
            task.progress_percent.unwrap_or(0.0),
            task.reason
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        for video in &result.videos {
            println!("{}", video.video_url.as_deref().unwrap_or_default());
        }
    }
}
