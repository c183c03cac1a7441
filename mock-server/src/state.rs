//! The state every handler shares, passed explicitly as axum state.

use std::sync::Arc;

use crate::{
    config::Config, journal::Journal, outcomes::OutcomeQueue, rate_limit::RateLimiter,
    tasks::TaskStore, video_store::VideoStore,
};

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub config: Config,
    /// Base of the URLs the mock hands out (`--public-url`, else its own address).
    pub public_url: String,
    pub tasks: TaskStore,
    pub outcomes: OutcomeQueue,
    pub journal: Journal,
    pub rate_limiter: Option<RateLimiter>,
    pub videos: VideoStore,
    /// Sends webhooks; it never carries API keys.
    pub http: reqwest::Client,
    /// The endpoint of the last submission answered by the docs replay.
    pub docs_last_endpoint: std::sync::Mutex<crate::jobs::Endpoint>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    pub fn new(config: Config, public_url: String) -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("novita-mock/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with default settings builds");
        let state = AppState {
            inner: Arc::new(Inner {
                journal: Journal::new(config.journal_limit),
                rate_limiter: config.rate_limit.map(RateLimiter::new),
                public_url: public_url.trim_end_matches('/').to_string(),
                tasks: TaskStore::default(),
                outcomes: OutcomeQueue::default(),
                videos: VideoStore::default(),
                http,
                docs_last_endpoint: std::sync::Mutex::new(crate::jobs::Endpoint::WanT2v),
                config,
            }),
        };
        state.load_scenario_outcomes();
        state
    }

    fn load_scenario_outcomes(&self) {
        for outcome in &self.config.outcomes {
            self.outcomes.push(outcome.clone());
        }
    }

    /// Back to the state at start: no tasks, no journal, the scenario's outcomes queued again.
    pub fn reset(&self) {
        self.tasks.clear();
        self.outcomes.clear();
        self.journal.clear();
        if let Some(limiter) = &self.rate_limiter {
            limiter.clear();
        }
        self.videos.clear();
        self.load_scenario_outcomes();
    }

    pub fn video_url(&self, task_id: &str) -> String {
        format!("{}/_mock/videos/{task_id}.mp4", self.public_url)
    }
}
