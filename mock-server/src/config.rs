//! Settings of the mock: defaults, a scenario file (YAML or JSON), then flags and environment.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::{Deserialize, Serialize};

use crate::sim::outcomes::QueuedOutcome;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// How fast the mock clock runs: it divides every simulated duration (task run times,
    /// webhook backoff, video link lifetimes).
    pub speed: f64,
    /// Accepted API keys; empty accepts any non-empty key.
    pub api_keys: Vec<String>,
    /// Base of the video URLs in results; defaults to `http://<listening address>`.
    pub public_url: Option<String>,
    /// Requests per minute per submit endpoint and key; `None` turns the limit off.
    pub rate_limit: Option<u32>,
    /// Lifetime of a video link, in seconds, from the task's end (reported as `video_url_ttl`).
    pub video_ttl_seconds: u64,
    /// How long a webhook receiver has to answer, in milliseconds.
    pub webhook_timeout_ms: u64,
    /// Retries after a failed webhook attempt (Novita documents five).
    pub webhook_retries: u32,
    /// Wait before the first retry, in simulated milliseconds (mock clock); it doubles for each
    /// further retry.
    pub webhook_backoff_ms: u64,
    /// Requests kept in the journal; older ones are dropped and counted.
    pub journal_limit: usize,
    /// Answer every request with the vendor documentation's example bodies.
    pub docs_replay: bool,
    /// Outcomes queued at start (and again after a reset).
    pub outcomes: Vec<QueuedOutcome>,
    /// Start with the mock clock paused: no task moves until the control API resumes or
    /// advances it.
    pub paused: bool,
    /// Tasks kept; past it the oldest go (finished ones first).
    pub max_tasks: usize,
    /// What the kept tasks may hold (request bodies, ids, URLs), in MiB; past it the oldest go.
    pub max_task_memory_mb: usize,
    /// Finished tasks are dropped this many (simulated) seconds after they end; none when unset.
    pub task_retention_seconds: Option<u64>,
    /// Bytes of rendered videos kept, in MiB.
    pub video_cache_mb: usize,
    /// Once set, every `/_mock/...` route but the videos needs it in `X-Mock-Token`.
    pub control_token: Option<String>,
    /// Let webhooks and image fetches reach link-local and unspecified addresses.
    pub allow_link_local_webhooks: bool,
    /// What a submission to a model Novita has retired gets: served as before (the default,
    /// so existing test suites keep working), or refused as retired.
    pub retired: Retired,
    /// A cassette recorded by `novita-proxy`: new tasks of its endpoints follow its recorded
    /// tasks. In a scenario file, a relative path is read from the file's directory.
    pub replay: Option<PathBuf>,
    /// Seconds a client has to send a request's headers, from connecting or from the first
    /// byte of a later request on a kept-alive connection; then the connection is closed.
    pub header_read_timeout_seconds: u64,
    /// Seconds a kept-alive connection may sit with no request in flight before it is closed.
    pub idle_timeout_seconds: u64,
    /// Seconds a stopping mock gives the webhook attempts already due (and retries falling due
    /// meanwhile on the mock clock) before it exits.
    pub shutdown_grace_seconds: u64,
    /// Where the mock saves its tasks, clock, pending webhooks and counters on shutdown, and
    /// reads them back at start. In a scenario file, a relative path is read from the file's
    /// directory. Without it the mock's state is in memory only.
    pub state: Option<PathBuf>,
}

/// How the mock treats the endpoints of retired models (`--retired`, `retired:`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Retired {
    /// Accept and run them like any other endpoint.
    #[default]
    Serve,
    /// Answer 404 `MODEL_RETIRED` with the retirement date and replacement. What Novita itself
    /// answers is not documented; this answer is our choice.
    Reject,
}

/// The slowest clock: a simulated second lasts about 17 real minutes.
pub const MIN_SPEED: f64 = 0.001;
/// The fastest clock: a simulated day passes in under a tenth of a real second. Far beyond
/// this, simulated durations stop fitting the clock's arithmetic.
pub const MAX_SPEED: f64 = 1_000_000.0;
/// Largest `header_read_timeout_seconds` and `idle_timeout_seconds`: one day.
pub const MAX_CONNECTION_TIMEOUT_SECONDS: u64 = 86_400;
/// Largest `video_ttl_seconds`: a year.
pub const MAX_VIDEO_TTL_SECONDS: u64 = 365 * 86_400;
/// Largest `task_retention_seconds`: a year.
pub const MAX_TASK_RETENTION_SECONDS: u64 = 365 * 86_400;
/// Largest `webhook_timeout_ms`: ten minutes.
pub const MAX_WEBHOOK_TIMEOUT_MS: u64 = 600_000;
/// Largest `webhook_backoff_ms`: an hour (it doubles up to twenty times from there).
pub const MAX_WEBHOOK_BACKOFF_MS: u64 = 3_600_000;
/// Largest `shutdown_grace_seconds`.
pub const MAX_SHUTDOWN_GRACE_SECONDS: u64 = 600;

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            speed: 1.0,
            api_keys: Vec::new(),
            public_url: None,
            rate_limit: None,
            video_ttl_seconds: 3600,
            webhook_timeout_ms: 5000,
            webhook_retries: 5,
            webhook_backoff_ms: 1000,
            journal_limit: 10_000,
            docs_replay: false,
            outcomes: Vec::new(),
            paused: false,
            max_tasks: 100_000,
            max_task_memory_mb: 64,
            task_retention_seconds: None,
            video_cache_mb: 64,
            control_token: None,
            allow_link_local_webhooks: false,
            retired: Retired::Serve,
            replay: None,
            header_read_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            shutdown_grace_seconds: 5,
            state: None,
        }
    }
}

impl Config {
    /// A configuration for tests: any free port, jobs a hundred times faster. Tests that need a
    /// task in a given state set `paused: true` and move the clock themselves. Webhook receivers
    /// get a minute to answer, so that a loaded machine's slow answer is never taken for a
    /// timeout; a test of the timeout sets a short one against a receiver that never answers.
    pub fn for_tests() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            speed: 100.0,
            webhook_timeout_ms: 60_000,
            ..Config::default()
        }
    }

    /// Reads a scenario file; `.json` files as JSON, anything else as YAML.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let json = path.extension().is_some_and(|e| e == "json");
        let mut config = Config::parse_scenario(&text, json)
            .map_err(|e| format!("scenario file {}: {e}", path.display()))?;
        if let Some(dir) = path.parent() {
            if let Some(replay) = &config.replay {
                config.replay = Some(dir.join(replay));
            }
            if let Some(state) = &config.state {
                config.state = Some(dir.join(state));
            }
        }
        Ok(config)
    }

    /// A scenario file's text, as JSON or as YAML.
    fn parse_scenario(text: &str, json: bool) -> Result<Config, String> {
        if json {
            serde_json::from_str(text)
                .map_err(|e| format!("line {}, column {}: {e}", e.line(), e.column()))
        } else {
            // serde-saphyr's message names the line and column and shows the line itself.
            serde_saphyr::from_str(text).map_err(|e| e.to_string())
        }
    }

    /// The recorded tasks to replay (none without `replay`); a cassette that cannot be read
    /// is an error naming the file, line and reason.
    pub(crate) fn replays(&self) -> Result<crate::sim::replay::Replays, String> {
        match &self.replay {
            Some(path) => crate::sim::replay::Replays::load(path),
            None => Ok(crate::sim::replay::Replays::default()),
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(MIN_SPEED..=MAX_SPEED).contains(&self.speed) {
            return Err(format!(
                "speed (--speed) must be a number from {MIN_SPEED} to {MAX_SPEED} (got {})",
                self.speed
            ));
        }
        if self.rate_limit == Some(0) {
            return Err("rate limit must be at least 1 request per minute".into());
        }
        if self.api_keys.iter().any(|k| k.trim().is_empty()) {
            return Err("API keys must not be empty".into());
        }
        if let Some(url) = &self.public_url {
            let parsed =
                reqwest::Url::parse(url).map_err(|e| format!("public URL {url:?}: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(format!(
                    "public URL {url:?} (--public-url) must be an http or https URL with a host"
                ));
            }
        }
        self.validate_durations()?;
        let at_least_one = [
            ("max_tasks (--max-tasks)", self.max_tasks),
            (
                "max_task_memory_mb (--max-task-memory-mb)",
                self.max_task_memory_mb,
            ),
            ("journal_limit (--journal-limit)", self.journal_limit),
            ("video_cache_mb (--video-cache-mb)", self.video_cache_mb),
        ];
        for (name, value) in at_least_one {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if self.webhook_retries > 20 {
            return Err(format!(
                "webhook_retries must be at most 20 (got {})",
                self.webhook_retries
            ));
        }
        if let Some(token) = &self.control_token {
            if token.trim().is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(
                    "control_token (--control-token) must be a non-empty word without spaces"
                        .into(),
                );
            }
        }
        let timeouts = [
            (
                "header_read_timeout_seconds (--header-read-timeout)",
                self.header_read_timeout_seconds,
            ),
            (
                "idle_timeout_seconds (--idle-timeout)",
                self.idle_timeout_seconds,
            ),
        ];
        for (name, value) in timeouts {
            if !(1..=MAX_CONNECTION_TIMEOUT_SECONDS).contains(&value) {
                return Err(format!(
                    "{name} must be between 1 and {MAX_CONNECTION_TIMEOUT_SECONDS} seconds (got {value})"
                ));
            }
        }
        if self.shutdown_grace_seconds > MAX_SHUTDOWN_GRACE_SECONDS {
            return Err(format!(
                "shutdown_grace_seconds (--shutdown-grace) must be at most {MAX_SHUTDOWN_GRACE_SECONDS} (got {})",
                self.shutdown_grace_seconds
            ));
        }
        for queued in &self.outcomes {
            queued.validate()?;
        }
        Ok(())
    }

    /// Every duration within its bounds (the `MAX_...` above), so that nothing computed from one
    /// overflows and none is zero where zero makes no sense.
    fn validate_durations(&self) -> Result<(), String> {
        let durations = [
            (
                "video_ttl_seconds (--video-ttl)",
                Some(self.video_ttl_seconds),
                1,
                MAX_VIDEO_TTL_SECONDS,
            ),
            (
                "task_retention_seconds (--task-retention)",
                self.task_retention_seconds,
                1,
                MAX_TASK_RETENTION_SECONDS,
            ),
            (
                "webhook_timeout_ms",
                Some(self.webhook_timeout_ms),
                1,
                MAX_WEBHOOK_TIMEOUT_MS,
            ),
            (
                "webhook_backoff_ms",
                Some(self.webhook_backoff_ms),
                0,
                MAX_WEBHOOK_BACKOFF_MS,
            ),
        ];
        for (name, value, min, max) in durations {
            if let Some(value) = value.filter(|v| !(min..=max).contains(v)) {
                return Err(format!(
                    "{name} must be between {min} and {max} (got {value})"
                ));
            }
        }
        Ok(())
    }

    /// Makes sure the control API is never open beyond loopback: listening on `addr` (not a
    /// loopback address) without a control token makes one up. Returns it when it did.
    pub fn secure_for(&mut self, addr: SocketAddr) -> Option<String> {
        if self.control_token.is_some() || addr.ip().is_loopback() {
            return None;
        }
        let token = made_up_token();
        self.control_token = Some(token.clone());
        Some(token)
    }

    /// The bounds of the task store.
    pub fn store_bounds(&self) -> crate::sim::task_store::Bounds {
        crate::sim::task_store::Bounds {
            max_tasks: self.max_tasks,
            max_bytes: self.max_task_memory_mb.saturating_mul(1024 * 1024),
            retention: self.task_retention_seconds.map(Duration::from_secs),
        }
    }
}

/// A random token for a mock that listens beyond loopback without one.
fn made_up_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_tokens_are_long_and_differ() {
        let made = made_up_token();
        assert_eq!(made.len(), 32);
        assert_ne!(made, made_up_token());
    }

    #[test]
    fn fuzz_scenario_file() {
        let yaml = concat!(
            "addr: 127.0.0.1:0\nspeed: 10\napi_keys: [a, b]\nrate_limit: 20\n",
            "webhook_retries: 3\nmax_tasks: 100\npaused: true\noutcomes:\n",
            "  - outcome: {type: reject, reason: BILLING_BALANCE_NOT_ENOUGH}\n",
            "    match: wan-t2v\nreplay: day.yaml\n",
        );
        if let Err(e) = Config::parse_scenario(yaml, false) {
            panic!("the seed is a good file: {e}");
        }
        let json = serde_json::to_string(&Config::for_tests()).unwrap();
        crate::fuzzing::text_parser("scenario file", &[yaml.to_string(), json], |text| {
            for as_json in [false, true] {
                if let Ok(config) = Config::parse_scenario(text, as_json) {
                    let _ = config.validate();
                }
            }
        });
    }
}
