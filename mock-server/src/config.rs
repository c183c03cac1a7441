//! Settings of the mock: defaults, a scenario file (YAML or JSON), then flags and environment.

use std::{net::SocketAddr, path::Path, time::Duration};

use serde::{Deserialize, Serialize};

use crate::outcomes::QueuedOutcome;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Divides every simulated duration (task run times, webhook backoff).
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
    /// Wait before the first retry, in milliseconds; it doubles for each further retry and is
    /// divided by `speed`.
    pub webhook_backoff_ms: u64,
    /// Requests kept in the journal; older ones are dropped and counted.
    pub journal_limit: usize,
    /// Answer every request with the vendor documentation's example bodies.
    pub docs_replay: bool,
    /// Outcomes queued at start (and again after a reset).
    pub outcomes: Vec<QueuedOutcome>,
}

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
            journal_limit: 100_000,
            docs_replay: false,
            outcomes: Vec::new(),
        }
    }
}

impl Config {
    /// A configuration for tests: any free port, jobs a hundred times faster.
    pub fn for_tests() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            speed: 100.0,
            ..Config::default()
        }
    }

    /// Reads a scenario file; `.json` files as JSON, anything else as YAML.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let parsed = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            serde_yaml::from_str(&text).map_err(|e| e.to_string())
        };
        parsed.map_err(|e| format!("scenario file {}: {e}", path.display()))
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(self.speed.is_finite() && self.speed > 0.0) {
            return Err(format!(
                "speed must be a positive number (got {})",
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
            reqwest::Url::parse(url).map_err(|e| format!("public URL {url:?}: {e}"))?;
        }
        Ok(())
    }

    /// A simulated duration as real time.
    pub fn scaled(&self, simulated: Duration) -> Duration {
        simulated.div_f64(self.speed)
    }
}
