//! The state every handler shares, passed explicitly as axum state.

use std::sync::Arc;

use crate::{
    body_budget::BodyBudget, catalogue::Endpoint, config::Config, net_guard::Outbound,
    observe::Observer, otel::Tracing, sim::clock::Clock, sim::outcomes::OutcomeQueue,
    sim::reference_pool::ReferenceChecks, sim::replay::Replays, sim::scheduler::Scheduler,
    sim::task_store::TaskStore, sim::tasks::TaskId, traffic::journal::Journal,
    traffic::rate_limit::RateLimiter, video::cache::VideoStore,
};

#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub config: Config,
    /// What request bodies may hold in memory at once.
    pub body_budget: BodyBudget,
    /// Base of the URLs the mock hands out (`--public-url`, else its own address).
    pub public_url: String,
    pub clock: Clock,
    pub tasks: TaskStore,
    pub scheduler: Arc<Scheduler>,
    pub outcomes: OutcomeQueue,
    pub journal: Journal,
    pub rate_limiter: Option<RateLimiter>,
    pub videos: VideoStore,
    /// Reference videos given as URLs, checked while their tasks run.
    pub references: Arc<ReferenceChecks>,
    /// Sends webhooks and fetches input images; it never carries API keys.
    pub http: Outbound,
    /// The endpoint of the last submission answered by the docs replay.
    pub docs_last_endpoint: std::sync::Mutex<Endpoint>,
    /// Recorded tasks that new tasks follow (`--replay`); empty otherwise.
    pub replays: Replays,
    /// What happened, for the metrics and the event stream.
    pub observer: Observer,
    /// The span exporter while traces are on (`OTEL_EXPORTER_OTLP_ENDPOINT`).
    pub otel: Option<Tracing>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.scheduler.close();
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    /// The state of a new mock. Nothing runs its webhook attempts until
    /// `webhooks::delivery::start_driver` is called on it. Fails only if the outgoing HTTP
    /// client cannot be built.
    pub fn new(config: Config, public_url: String) -> Result<Self, String> {
        let http = Outbound::new(config.allow_link_local_webhooks)?;
        Ok(AppState::with_parts(
            config,
            public_url,
            Replays::default(),
            http,
            None,
        ))
    }

    /// The state of a new mock that replays `replays` and sends its webhooks and image
    /// fetches through `http`.
    pub fn with_parts(
        config: Config,
        public_url: String,
        replays: Replays,
        http: Outbound,
        otel: Option<Tracing>,
    ) -> Self {
        let scheduler = Arc::new(Scheduler::default());
        let state = AppState {
            inner: Arc::new(Inner {
                body_budget: BodyBudget::default(),
                journal: Journal::new(config.journal_limit),
                rate_limiter: config.rate_limit.map(RateLimiter::new),
                public_url: public_url.trim_end_matches('/').to_string(),
                clock: Clock::new(config.speed, config.paused),
                tasks: TaskStore::new(config.store_bounds()),
                scheduler,
                outcomes: OutcomeQueue::default(),
                videos: VideoStore::new(config.video_cache_mb.saturating_mul(1024 * 1024)),
                references: ReferenceChecks::new(),
                http,
                docs_last_endpoint: std::sync::Mutex::new(Endpoint::WanT2v),
                replays,
                observer: Observer::default(),
                otel,
                config,
            }),
        };
        state.load_scenario_outcomes();
        state
    }

    fn load_scenario_outcomes(&self) {
        for outcome in &self.config.outcomes {
            // Checked by `Config::validate`; a full queue cannot happen at start.
            let _ = self.outcomes.push(outcome.clone());
        }
    }

    /// Back to the state at start: no tasks, no journal, no pending webhooks, the scenario's
    /// outcomes queued again. The clock keeps its reading (and stays paused if it is).
    pub fn reset(&self) {
        self.tasks.clear();
        self.scheduler.clear();
        self.outcomes.clear();
        self.journal.clear();
        if let Some(limiter) = &self.rate_limiter {
            limiter.clear();
        }
        self.videos.clear();
        self.load_scenario_outcomes();
    }

    pub fn video_url(&self, task_id: TaskId) -> String {
        const PATH: &str = "/_mock/videos/";
        let mut url = String::with_capacity(self.public_url.len() + PATH.len() + 40);
        url.push_str(&self.public_url);
        url.push_str(PATH);
        url.push_str(task_id.encode(&mut [0; 36]));
        url.push_str(".mp4");
        url
    }
}
