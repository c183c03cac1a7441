//! The command line's fixed part: global flags, following a task, the task commands and
//! `endpoints`.
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
    about = "Novita AI video jobs from the command line",
    after_help = "`novita submit --help` lists every operation of the spec; \
                  `t2v` and `i2v` are shorthands for today's models (see their help)."
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
    /// Print one machine-readable JSON document on stdout instead of text, also on failure.
    #[arg(long, global = true)]
    pub json: bool,
    /// Wait for a Retry-After of at most this many seconds before a retry; give up on a
    /// longer one.
    #[arg(long, value_name = "SECONDS", global = true, default_value_t = 60)]
    pub max_retry_after: u64,
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
    /// List the spec's submit operations and their documented status; --probe asks the service.
    #[command(after_help = crate::endpoints::VERDICTS)]
    Endpoints {
        /// Ask the service at the base URL about each operation, with a body the spec says is
        /// invalid ({}), so that no task can be created.
        #[arg(long)]
        probe: bool,
        /// Give up on one probe's answer after this many seconds (each is sent once).
        #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
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
