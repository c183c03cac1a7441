//! `novita-mock`: run the mock Novita server.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand, ValueEnum};
use novita_mock::{Config, Retired};
use tracing_subscriber::EnvFilter;

// Many small allocations per request (JSON values, strings): mimalloc serves them faster than
// the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A stand-in for Novita AI's Wan video API, for QA on a laptop or in CI.
///
/// Every flag can also be set by its environment variable. A scenario file (YAML or JSON)
/// sets the same options plus outcomes queued at start; flags win over the file.
#[derive(Parser, Debug)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    serve: Args,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fire a test-mode ASYNC_TASK_RESULT event at a webhook receiver, with Novita's timeout
    /// and retries, and print every attempt.
    SendWebhook {
        /// The receiver's URL.
        url: String,
        /// Which simulated event to send.
        #[arg(long, value_enum, default_value_t = EventStatus::Succeed)]
        status: EventStatus,
        /// Retries after a failed attempt.
        #[arg(long, default_value_t = 5)]
        retries: u32,
        /// Divides the waits between retries (1 s, 2 s, 4 s, ...).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum EventStatus {
    Succeed,
    Failed,
}

#[derive(clap::Args, Debug)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "NOVITA_MOCK_ADDR")]
    addr: Option<SocketAddr>,
    /// Divides every simulated duration: 10 makes jobs ten times faster.
    #[arg(long, env = "NOVITA_MOCK_SPEED")]
    speed: Option<f64>,
    /// Accept only this API key (repeatable). Without it, any non-empty key is accepted.
    #[arg(long = "api-key", env = "NOVITA_MOCK_API_KEYS", value_delimiter = ',')]
    api_keys: Vec<String>,
    /// Base of the video URLs in results (default: http://<listening address>).
    #[arg(long, env = "NOVITA_MOCK_PUBLIC_URL")]
    public_url: Option<String>,
    /// Requests per minute allowed per submit endpoint and key (Novita: 20); off by default.
    #[arg(long, env = "NOVITA_MOCK_RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// Lifetime of video links in seconds (default 3600).
    #[arg(long, env = "NOVITA_MOCK_VIDEO_TTL")]
    video_ttl: Option<u64>,
    /// Answer with the vendor documentation's example bodies.
    #[arg(long, env = "NOVITA_MOCK_DOCS_REPLAY")]
    docs_replay: bool,
    /// Scenario file (YAML, or JSON by its .json extension).
    #[arg(long, env = "NOVITA_MOCK_SCENARIO")]
    scenario: Option<PathBuf>,
    /// Start with the mock clock paused (POST /_mock/clock/resume or /advance moves it).
    #[arg(long, env = "NOVITA_MOCK_PAUSED")]
    paused: bool,
    /// Tasks kept; past it the oldest go, finished ones first (default 100000).
    #[arg(long, env = "NOVITA_MOCK_MAX_TASKS")]
    max_tasks: Option<usize>,
    /// MiB that kept tasks may hold (request bodies, ids, URLs); past it the oldest go (default 64).
    #[arg(long, env = "NOVITA_MOCK_MAX_TASK_MEMORY_MB")]
    max_task_memory_mb: Option<usize>,
    /// Drop finished tasks this many simulated seconds after they end (default: keep).
    #[arg(long = "task-retention", env = "NOVITA_MOCK_TASK_RETENTION")]
    task_retention_seconds: Option<u64>,
    /// Requests kept in the journal (default 10000).
    #[arg(long, env = "NOVITA_MOCK_JOURNAL_LIMIT")]
    journal_limit: Option<usize>,
    /// MiB of rendered videos kept in memory (default 64).
    #[arg(long, env = "NOVITA_MOCK_VIDEO_CACHE_MB")]
    video_cache_mb: Option<usize>,
    /// Token the control API (/_mock/...) requires in X-Mock-Token. Made up at start when the
    /// mock listens beyond loopback without one.
    #[arg(long, env = "NOVITA_MOCK_CONTROL_TOKEN")]
    control_token: Option<String>,
    /// Let webhooks and image fetches reach link-local and unspecified addresses (refused by
    /// default: cloud metadata services live there).
    #[arg(long, env = "NOVITA_MOCK_ALLOW_LINK_LOCAL_WEBHOOKS")]
    allow_link_local_webhooks: bool,
    /// Endpoints of models Novita has retired (wan-t2v, wan-i2v, wan2.6-i2v): `serve` them as
    /// before (default), or `reject` them with 404 MODEL_RETIRED.
    #[arg(long, value_enum, env = "NOVITA_MOCK_RETIRED")]
    retired: Option<Retired>,
    /// Replay a cassette recorded by novita-proxy: new tasks of its endpoints follow the
    /// recorded ones (statuses, progress, reasons, timing divided by --speed).
    #[arg(long, env = "NOVITA_MOCK_REPLAY")]
    replay: Option<PathBuf>,
    /// Seconds a client has to send a request's headers before its connection is closed
    /// (default 10).
    #[arg(long = "header-read-timeout", env = "NOVITA_MOCK_HEADER_READ_TIMEOUT")]
    header_read_timeout_seconds: Option<u64>,
    /// Seconds a kept-alive connection may stay idle between requests (default 60).
    #[arg(long = "idle-timeout", env = "NOVITA_MOCK_IDLE_TIMEOUT")]
    idle_timeout_seconds: Option<u64>,
    /// Seconds a stopping mock gives webhook attempts already due (default 5).
    #[arg(long = "shutdown-grace", env = "NOVITA_MOCK_SHUTDOWN_GRACE")]
    shutdown_grace_seconds: Option<u64>,
    /// Save tasks, clock, pending webhooks and counters here on shutdown, and read them back
    /// at start (default: the state is in memory only).
    #[arg(long, env = "NOVITA_MOCK_STATE")]
    state: Option<PathBuf>,
}

impl Args {
    fn into_config(self) -> Result<Config, String> {
        let mut config = match &self.scenario {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(addr) = self.addr {
            config.addr = addr;
        }
        if let Some(speed) = self.speed {
            config.speed = speed;
        }
        if !self.api_keys.is_empty() {
            config.api_keys = self.api_keys;
        }
        if self.public_url.is_some() {
            config.public_url = self.public_url;
        }
        if self.rate_limit.is_some() {
            config.rate_limit = self.rate_limit;
        }
        if let Some(ttl) = self.video_ttl {
            config.video_ttl_seconds = ttl;
        }
        config.docs_replay |= self.docs_replay;
        config.paused |= self.paused;
        config.allow_link_local_webhooks |= self.allow_link_local_webhooks;
        if let Some(max) = self.max_tasks {
            config.max_tasks = max;
        }
        if let Some(mb) = self.max_task_memory_mb {
            config.max_task_memory_mb = mb;
        }
        if self.task_retention_seconds.is_some() {
            config.task_retention_seconds = self.task_retention_seconds;
        }
        if let Some(limit) = self.journal_limit {
            config.journal_limit = limit;
        }
        if let Some(mb) = self.video_cache_mb {
            config.video_cache_mb = mb;
        }
        if self.control_token.is_some() {
            config.control_token = self.control_token;
        }
        if let Some(retired) = self.retired {
            config.retired = retired;
        }
        if self.replay.is_some() {
            config.replay = self.replay;
        }
        if let Some(seconds) = self.header_read_timeout_seconds {
            config.header_read_timeout_seconds = seconds;
        }
        if let Some(seconds) = self.idle_timeout_seconds {
            config.idle_timeout_seconds = seconds;
        }
        if let Some(seconds) = self.shutdown_grace_seconds {
            config.shutdown_grace_seconds = seconds;
        }
        if self.state.is_some() {
            config.state = self.state;
        }
        config.validate()?;
        Ok(config)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Colour codes only for a person at a terminal: container and CI logs get plain text.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    let cli = Cli::parse();
    if let Some(Command::SendWebhook {
        url,
        status,
        retries,
        speed,
    }) = cli.command
    {
        return send_webhook(&url, status, retries, speed).await;
    }
    raise_file_limit();
    let mut config = match cli.serve.into_config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("novita-mock: {message}");
            return ExitCode::from(2);
        }
    };
    let bound = match novita_mock::bind(&config).await {
        Ok(bound) => bound,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            eprintln!("novita-mock: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("novita-mock: cannot listen on {}: {e}", config.addr);
            return ExitCode::from(1);
        }
    };
    let url = bound.url.clone();
    let stop = novita_mock::shutdown_signal();
    let Ok(local) = bound.local_addr() else {
        eprintln!("novita-mock: the listening socket has no address");
        return ExitCode::from(1);
    };
    if config.secure_for(local).is_some() {
        println!(
            "  {local} is reachable beyond loopback: the control API needs a token, made up now"
        );
    }
    println!("novita-mock listening on http://{local}");
    println!("  point a client at it:  NOVITA_BASE_URL={url} NOVITA_API_KEY=any-key");
    match &config.control_token {
        Some(token) => {
            println!("  control API:           {url}/_mock/tasks  (header X-Mock-Token: {token})");
            println!("  dashboard:             {url}/_mock/ui?token={token}");
        }
        None => {
            println!("  control API:           {url}/_mock/tasks");
            println!("  dashboard:             {url}/_mock/ui");
        }
    }
    println!(
        "  speed x{}{}, webhook retries {}, rate limit {}, at most {} tasks",
        config.speed,
        if config.paused { " (clock paused)" } else { "" },
        config.webhook_retries,
        config
            .rate_limit
            .map_or("off".to_string(), |r| format!("{r}/min")),
        config.max_tasks,
    );
    let stopping = async {
        stop.await;
        tracing::info!("shutting down");
    };
    match novita_mock::serve(bound, config, stopping).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("novita-mock: {e}");
            ExitCode::from(1)
        }
    }
}

/// Raises the soft limit on open files to the hard one: every client connection is a file.
/// A failure is logged and the mock goes on with the limit it has.
fn raise_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open files allowed: {limit}"),
        Err(e) => tracing::warn!("cannot raise the open-file limit: {e}"),
    }
}

async fn send_webhook(url: &str, status: EventStatus, retries: u32, speed: f64) -> ExitCode {
    let config = Config {
        webhook_retries: retries,
        speed,
        ..Config::default()
    };
    if let Err(message) = config.validate() {
        eprintln!("novita-mock: {message}");
        return ExitCode::from(2);
    }
    let failed = matches!(status, EventStatus::Failed);
    let (delivery, attempts) = novita_mock::send_test_event(url, failed, config).await;
    for attempt in &attempts {
        let outcome = match (attempt.status, &attempt.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_string(),
        };
        println!(
            "attempt {}: {outcome} in {} ms",
            attempt.attempt, attempt.duration_ms
        );
    }
    if delivery == novita_mock::Delivery::Delivered {
        println!("delivered to {url}");
        ExitCode::SUCCESS
    } else {
        println!("not delivered to {url} after {} attempts", attempts.len());
        ExitCode::from(1)
    }
}
