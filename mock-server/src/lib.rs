//! A stand-in for Novita AI's asynchronous video API (Wan, Kling 3.0), for testing services without the real
//! service: it validates like Novita, queues and progresses tasks over simulated time, fails
//! them on demand, calls webhooks with retries, and serves real MP4 videos.
//!
//! Run it with `cargo run -p novita-mock`, or start it inside a test:
//!
//! ```no_run
//! # async fn demo() {
//! let mock = novita_mock::spawn(novita_mock::Config::for_tests()).await.unwrap();
//! println!("point the client at {}", mock.url());
//! # }
//! ```
//!
//! # How the pieces fit
//!
//! A request enters through [`app`](self) (the router, the journal middleware, the body limit).
//! Novita's routes go to `novita_api`: the handlers authenticate, apply a forced outcome if QA
//! asked for one, check the body against `rules` (an independent reading of the vendor pages:
//! one file of tables per model family) and hand the resulting job to `sim`, which keeps the
//! task in a bounded store and computes its state from the mock clock whenever it is read.
//! When a task ends, `sim`'s scheduler runs the `webhooks` deliveries it is handed at their
//! instants on the same clock; `wire` is the JSON of a task result and of a webhook event.
//! `video` renders the result MP4 on first download and `video_links` serves it. `control` is
//! QA's side: the `/_mock` API and its token guard; `traffic` keeps the request journal and the
//! rate limiter. `state` ties them together as the axum state every handler receives; `config`
//! holds the settings; `net_guard` keeps outbound requests (webhooks, input images) away from
//! link-local addresses. `conn` is the server loop (its header-read and idle timeouts);
//! `stopping` drains and saves on shutdown, through `snapshot` when a state file is asked for.
//!
//! # Layers
//!
//! Imports run one way, from the top down: `app` at the top, `catalogue` (the endpoints) and
//! `novita_error` (Novita's error body) at the bottom, importing nothing of the mock. The order
//! of every top-level module is `LAYERS` in `tests/it/layers.rs`, the one place that lists it;
//! that test fails on an import that runs upward, and inside a folder on a circle.

mod app;
mod body_budget;
mod catalogue;
mod config;
mod conn;
mod control;
#[cfg(test)]
mod fuzzing;
mod net_guard;
mod novita_api;
mod novita_error;
mod observe;
mod otel;
mod reference_check;
mod result_json;
mod rules;
mod sim;
mod snapshot;
mod state;
mod stopping;
mod traffic;
mod video;
mod video_links;
mod webhooks;
mod wire;

use std::{future::Future, net::SocketAddr, time::Duration};

pub use app::control_routes;
pub use config::{Config, Retired};
pub use control::token::TOKEN_HEADER;
pub use novita_process::shutdown_signal;
pub use sim::faults::{Fault, FAULT_HEADER};
pub use sim::outcomes::{Outcome, QueuedOutcome, SCENARIO_HEADER};
pub use sim::tasks::{Attempt, Delivery};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
pub use webhooks::trigger::send_test_event;

/// A mock listening in the background; dropping it shuts the server down.
pub struct RunningMock {
    addr: SocketAddr,
    url: String,
    control_token: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: JoinHandle<std::io::Result<()>>,
}

impl RunningMock {
    /// The base URL to give a client (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token the control API requires: the configured one, or the one made up because the
    /// mock listens beyond loopback. `None` when the control API is open (loopback only).
    pub fn control_token(&self) -> Option<&str> {
        self.control_token.as_deref()
    }

    /// Stops accepting connections, lets running requests finish, and waits.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.handle)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `config.addr` and serves in a background task.
pub async fn spawn(mut config: Config) -> std::io::Result<RunningMock> {
    let (tx, rx) = oneshot::channel();
    let bound = bind(&config).await?;
    let addr = bound.local_addr()?;
    config.secure_for(addr);
    let url = bound.url.clone();
    let control_token = config.control_token.clone();
    let handle = tokio::spawn(serve(bound, config, async {
        let _ = rx.await;
    }));
    Ok(RunningMock {
        addr,
        url,
        control_token,
        shutdown: Some(tx),
        handle,
    })
}

/// A mock ready to serve: its listener, its public URL, the cassette it replays and the state
/// it restores.
pub struct Bound {
    listener: TcpListener,
    /// The base URL the mock hands out (`--public-url`, else the bound address).
    pub url: String,
    replays: sim::replay::Replays,
    /// The state file claimed for this mock, and what it held.
    state_file: Option<(snapshot::StateFile, Option<snapshot::Saved>)>,
    http: net_guard::Outbound,
    /// The trace exporter, when the `OTEL_*` variables ask for traces.
    traces: Option<otel::Tracing>,
}

impl Bound {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// Checks the settings, reads the cassette to replay and the state file to restore (once; a
/// broken one is an `InvalidData` error naming the file and reason, before anything listens),
/// binds the listener and works out the public URL.
pub async fn bind(config: &Config) -> std::io::Result<Bound> {
    config.validate().map_err(std::io::Error::other)?;
    let invalid = |e| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let replays = config.replays().map_err(invalid)?;
    let state_file = match &config.state {
        Some(path) => Some(snapshot::StateFile::open(path).map_err(invalid)?),
        None => None,
    };
    let http = net_guard::Outbound::new(config.allow_link_local_webhooks)
        .map_err(std::io::Error::other)?;
    let traces = otel::Tracing::from_env().map_err(invalid)?;
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_string();
    Ok(Bound {
        listener,
        url,
        replays,
        state_file,
        http,
        traces,
    })
}

/// Serves `bound` until `shutdown` completes. Then it stops accepting, lets the requests in
/// flight finish, gives webhook attempts already due `shutdown_grace_seconds` to run, saves
/// the state file if there is one (an error naming it if that fails) and logs what it dropped.
pub async fn serve(
    bound: Bound,
    mut config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let Bound {
        listener,
        url: public_url,
        replays,
        state_file,
        http,
        traces,
    } = bound;
    tracing::info!(
        trust = ?http.trust(),
        "https webhooks and image fetches are verified against {}",
        http.trust()
    );
    config.secure_for(listener.local_addr()?);
    let skipped = replays.skipped();
    for reason in &skipped.reasons {
        tracing::warn!("cassette: a recorded task is not replayed: {reason}");
    }
    if skipped.count > 0 {
        tracing::warn!(
            skipped = skipped.count,
            "cassette: {} recorded tasks are not replayed",
            skipped.count
        );
    }
    for (endpoint, tasks) in replays.counts() {
        tracing::info!(
            endpoint = endpoint.path(),
            tasks,
            "replaying recorded tasks"
        );
    }
    let timeouts = conn::Timeouts {
        header_read: Duration::from_secs(config.header_read_timeout_seconds),
        idle: Duration::from_secs(config.idle_timeout_seconds),
    };
    let grace = Duration::from_secs(config.shutdown_grace_seconds);
    if traces.is_some() {
        tracing::info!("traces: exporting spans over OTLP/HTTP");
    }
    let state = state::AppState::with_parts(config, public_url, replays, http, traces);
    webhooks::delivery::start_driver(&state);
    let (state_file, saved) = state_file.unzip();
    if let (Some(file), Some(saved)) = (&state_file, saved.flatten()) {
        stopping::restored(saved.restore(&state), file.path(), state.config.max_tasks);
    }
    let events = state.observer.events.clone();
    let shutdown = async move {
        shutdown.await;
        // Event streams never end by themselves: they end as the mock stops.
        events.close();
    };
    conn::serve(
        listener,
        app::router(state.clone()),
        timeouts,
        grace,
        shutdown,
    )
    .await;
    stopping::drain_webhooks(&state, grace).await;
    let finished = stopping::finish(&state, state_file.as_ref());
    stopping::close_traces(&state, grace).await;
    finished.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
