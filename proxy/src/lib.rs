//! The contract proxy behind `novita-proxy`: it stands between a service and Novita (or the
//! mock), forwards every exchange unchanged, checks each against the spec, and can record what
//! it saw as a cassette for `novita-mock --replay`. The user's guide is `proxy/README.md`.
//!
//! - [`spec`]: the spec's component schemas as JSON Schema validators;
//! - [`drift`]: what an exchange breaks of the spec;
//! - [`report`]: the drift report and its bounds;
//! - [`recorder`]: the cassette recorder (the format is `novita-cassette`'s);
//! - [`relay`]: webhook events routed through the proxy;
//! - [`secrets`]: what is never written to the cassette, the report or the log;
//! - [`forward`]: the axum handlers that do the forwarding;
//! - [`stopping`]: serving until then, and the grace given to requests in flight;
//! - [`ContractProxy`]: the proxy serving in the background, for tests that put it in front of
//!   a server (the conformance suite checks every answer of the mock through it).

pub mod drift;
pub mod forward;
pub mod recorder;
pub mod relay;
pub mod report;
pub mod secrets;
pub mod spec;
pub mod stopping;

/// Compiles the Rust examples of README.md, so that they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use crate::spec::Spec;
use drift::Drift;
use recorder::Recorder;
use relay::Relay;
use report::{Report, UpstreamFailure};

/// How long the upstream may take by default: to connect and send the answer's headers, and
/// then between two parts of the answer's body.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest upstream timeout: a day. A longer one is refused at start (it would overflow
/// the deadlines computed from it, and no upstream is waited on for longer).
pub const MAX_UPSTREAM_TIMEOUT_SECONDS: u64 = 86_400;

/// How the proxy is set up.
#[derive(Clone, Debug)]
pub struct ProxyOptions {
    /// Where requests go, e.g. `https://api.novita.ai`.
    pub upstream: String,
    /// Record a cassette of the tasks seen.
    pub record: bool,
    /// Check requests against the documented rules of their operation. Off for callers that
    /// send invalid requests on purpose and want only the upstream's answers held to the spec.
    pub check_requests: bool,
    /// The proxy's address as the upstream can reach it: turns the webhook relay on.
    pub public_url: Option<String>,
    /// Limit for connecting to the upstream plus getting its answer's headers, and then for
    /// each silence in the answer's body. Past it the caller gets a 504.
    pub upstream_timeout: Duration,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            upstream: String::new(),
            record: false,
            check_requests: true,
            public_url: None,
            upstream_timeout: DEFAULT_UPSTREAM_TIMEOUT,
        }
    }
}

/// What the proxy's handlers share.
pub struct Contract {
    pub(crate) upstream: String,
    pub(crate) spec: Arc<Spec>,
    pub(crate) http: reqwest::Client,
    pub(crate) relay: Option<Relay>,
    pub(crate) upstream_timeout: Duration,
    pub(crate) check_requests: bool,
    report: Mutex<Report>,
    recorder: Option<Mutex<Recorder>>,
    /// Bumped on every change, so that periodic writers skip a file that did not change.
    changes: AtomicU64,
}

impl Contract {
    pub fn new(options: &ProxyOptions, spec: Arc<Spec>) -> Result<Contract, String> {
        let upstream = url::Url::parse(&options.upstream)
            .map_err(|e| format!("upstream URL {:?}: {e}", options.upstream))?;
        // Every request's path and query are appended to it: one of its own would mangle them.
        if !matches!(upstream.scheme(), "http" | "https")
            || upstream.query().is_some()
            || upstream.fragment().is_some()
        {
            return Err(format!(
                "upstream URL {:?}: must be http or https, without a query or fragment",
                options.upstream
            ));
        }
        if options.upstream_timeout.is_zero()
            || options.upstream_timeout > Duration::from_secs(MAX_UPSTREAM_TIMEOUT_SECONDS)
        {
            return Err(format!(
                "the upstream timeout must be more than zero and at most \
                 {MAX_UPSTREAM_TIMEOUT_SECONDS} seconds (got {}s)",
                options.upstream_timeout.as_secs_f64()
            ));
        }
        if let Some(public) = &options.public_url {
            url::Url::parse(public).map_err(|e| format!("public URL {public:?}: {e}"))?;
        }
        let http = reqwest::Client::builder()
            // rustls by name, whatever other backend a workspace build unifies into reqwest.
            .tls_backend_rustls()
            // Forwarded unchanged: a redirect goes back to the caller, as it came.
            .redirect(reqwest::redirect::Policy::none())
            // The wait for the headers is bounded in the handler (a connection that is open but
            // silent); these bound the connect and every silence of a body after it.
            .connect_timeout(options.upstream_timeout)
            .read_timeout(options.upstream_timeout)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Contract {
            upstream: upstream.as_str().trim_end_matches('/').to_string(),
            spec,
            http,
            relay: options.public_url.as_deref().map(Relay::new),
            upstream_timeout: options.upstream_timeout,
            check_requests: options.check_requests,
            report: Mutex::new(Report::default()),
            recorder: options.record.then(|| Mutex::new(Recorder::default())),
            changes: AtomicU64::new(0),
        })
    }

    fn report_mut(&self) -> std::sync::MutexGuard<'_, Report> {
        self.changes.fetch_add(1, Ordering::Relaxed);
        self.report.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn count_exchange(&self) {
        self.report_mut().exchanges += 1;
    }

    /// Adds findings about one exchange to the report, one log line each.
    pub(crate) fn drifted(
        &self,
        method: &str,
        path: &str,
        status: u16,
        findings: Vec<(String, String)>,
    ) {
        if findings.is_empty() {
            return;
        }
        let mut report = self.report_mut();
        let path = secrets::blank_text(path);
        for (pointer, message) in findings {
            let message = if secrets::points_at_secret(&pointer) {
                "the value of a member named like a secret breaks the spec (not shown)".into()
            } else {
                secrets::blank_text(&message)
            };
            tracing::warn!(
                target: "drift",
                "{method} {path} {status} {}: {message}",
                if pointer.is_empty() { "(whole)" } else { &pointer }
            );
            report.add_drift(Drift {
                method: method.to_string(),
                path: path.to_string(),
                status,
                pointer,
                message,
            });
        }
    }

    /// Reports a failure to answer; returns the message as it may be shown (no secrets).
    pub(crate) fn upstream_failed(&self, method: &str, path: &str, message: String) -> String {
        let (path, message) = (&secrets::blank_text(path), secrets::blank_text(&message));
        tracing::error!(target: "upstream", "{method} {path}: {message}");
        self.report_mut().add_failure(UpstreamFailure {
            method: method.to_string(),
            path: path.to_string(),
            message: message.clone(),
        });
        message
    }

    /// Runs `f` on the recorder, when recording.
    pub(crate) fn record(&self, f: impl FnOnce(&mut Recorder)) {
        if let Some(recorder) = &self.recorder {
            self.changes.fetch_add(1, Ordering::Relaxed);
            f(&mut recorder.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }

    pub fn report(&self) -> Report {
        self.report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The cassette so far, as YAML (`None` when not recording).
    pub fn cassette_yaml(&self) -> Option<String> {
        let recorder = self.recorder.as_ref()?;
        Some(recorder.lock().unwrap_or_else(|e| e.into_inner()).to_yaml())
    }

    pub fn recorded_tasks(&self) -> usize {
        self.recorder.as_ref().map_or(0, |r| {
            r.lock().unwrap_or_else(|e| e.into_inner()).task_count()
        })
    }

    /// A number that changes whenever the report or the cassette does.
    pub fn generation(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }
}

/// A contract proxy serving in the background (for tests; the binary serves in the
/// foreground). Dropping it stops it.
pub struct ContractProxy {
    url: String,
    contract: Arc<Contract>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl ContractProxy {
    /// Starts a proxy on a free loopback port. `public_url` of the options may be left out and
    /// filled by `relay_webhooks` with the proxy's own address.
    pub async fn start(
        options: ProxyOptions,
        relay_webhooks: bool,
    ) -> Result<ContractProxy, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind: {e}"))?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let options = ProxyOptions {
            public_url: options
                .public_url
                .or_else(|| relay_webhooks.then(|| url.clone())),
            ..options
        };
        let contract = Arc::new(Contract::new(&options, Spec::shared())?);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = forward::router(contract.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(ContractProxy {
            url,
            contract,
            _shutdown: tx,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn contract(&self) -> &Contract {
        &self.contract
    }
}
