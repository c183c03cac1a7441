//! What a scenario runs against: the mock in-process behind `novita-proxy`'s contract proxy,
//! or a live server named by `NOVITA_BASE_URL` and `NOVITA_API_KEY`.
//!
//! The mock's answers are held to the spec by the proxy's own check, the one that holds a live
//! service to it: the client talks to the mock through a [`ContractProxy`], and
//! [`Harness::assert_answers_match_spec`] reads its drift report. The proxy's request checks
//! are off: scenarios send bodies that break the rules on purpose.

use std::sync::Arc;

use novita_mock::{Config, RunningMock};
use novita_proxy::{
    drift::Drift,
    spec::{AnswerSpec, Spec},
    ContractProxy, ProxyOptions,
};
use novita_video::{NovitaClient, RetryPolicy};
use serde_json::Value;

pub const MOCK_KEY: &str = "conformance-key";

/// The spec, loaded once for the whole test binary.
pub fn spec() -> Arc<Spec> {
    Spec::shared()
}

pub struct Harness {
    /// The client under test, pointed at the target.
    pub client: NovitaClient,
    pub base_url: String,
    pub api_key: String,
    pub http: reqwest::Client,
    mock: Option<RunningMock>,
    /// Between the client and the target, checking every answer against the spec.
    proxy: ContractProxy,
}

/// Backoffs fast enough for tests, same rules as the defaults. A `Retry-After` from the mock
/// is waited for as asked (the mock asks for 1 s), as the client always does.
fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::new(
        max_attempts,
        std::time::Duration::from_millis(5),
        std::time::Duration::from_millis(50),
    )
}

impl Harness {
    /// The mock at fifty times real speed.
    pub async fn mock() -> Harness {
        Harness::mock_with(Config {
            speed: 50.0,
            ..Config::for_tests()
        })
        .await
    }

    pub async fn mock_with(config: Config) -> Harness {
        let mock = novita_mock::spawn(config).await.expect("the mock starts");
        let proxy = checking_proxy(mock.url()).await;
        let client = NovitaClient::builder()
            .api_key(MOCK_KEY)
            .base_url(proxy.url())
            .poll_retry(quick_retries(3))
            .submit_retry(quick_retries(2))
            .build()
            .expect("client builds");
        Harness {
            client,
            base_url: proxy.url().to_string(),
            api_key: MOCK_KEY.to_string(),
            http: reqwest::Client::new(),
            mock: Some(mock),
            proxy,
        }
    }

    /// The live target behind the same contract proxy, or `None` (with a printed notice) when
    /// it is not configured or the scenario needs the mock's control API.
    pub async fn live(scenario: &str, needs_control_api: bool) -> Option<Harness> {
        let base = std::env::var("NOVITA_BASE_URL")
            .ok()
            .filter(|v| !v.trim().is_empty());
        let key = std::env::var("NOVITA_API_KEY")
            .ok()
            .filter(|v| !v.trim().is_empty());
        let (Some(base_url), Some(api_key)) = (base, key) else {
            eprintln!("SKIPPED live run of `{scenario}`: set NOVITA_BASE_URL and NOVITA_API_KEY to run it");
            return None;
        };
        if needs_control_api {
            eprintln!("SKIPPED live run of `{scenario}`: it needs the mock's control API");
            return None;
        }
        let proxy = checking_proxy(base_url.trim_end_matches('/')).await;
        let client = NovitaClient::builder()
            .api_key(&api_key)
            .base_url(proxy.url())
            .build()
            .expect("client builds");
        Some(Harness {
            client,
            base_url: proxy.url().to_string(),
            api_key,
            http: reqwest::Client::new(),
            mock: None,
            proxy,
        })
    }

    pub fn is_mock(&self) -> bool {
        self.mock.is_some()
    }

    /// The mock's own URL (the control API, videos); panics on a live target.
    pub fn mock_url(&self) -> &str {
        self.mock.as_ref().expect("a mock target").url()
    }

    /// Calls the mock's control API and returns the JSON answer.
    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.mock_url()));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("control API answers");
        assert!(
            response.status().is_success(),
            "control API {path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// Queues a forced outcome on the mock.
    pub async fn queue(&self, outcome: Value) {
        self.control(reqwest::Method::POST, "/_mock/outcomes", Some(outcome))
            .await;
    }

    /// Every answer the target sent through the proxy keeps what the spec documents for its
    /// status, as the proxy checks it (the schema of a JSON body, JSON where the spec says
    /// so, a status the spec lists). Returns how many exchanges were checked.
    ///
    /// One departure is the mock's by design: a fault can answer with a 5xx the spec does not
    /// list (the HTML 503 page of a proxy in front of Novita). Those are let through.
    pub fn assert_answers_match_spec(&self) -> usize {
        let report = self.proxy.contract().report();
        let spec = spec();
        let drift: Vec<&Drift> = report
            .drift
            .iter()
            .filter(|d| !is_injected_server_fault(&spec, d))
            .collect();
        assert!(
            drift.is_empty() && report.drift_not_listed == 0,
            "the mock's answers broke the spec:\n{}{drift:#?}",
            report.summary()
        );
        report.exchanges as usize
    }
}

/// The contract proxy in front of `upstream`, its request checks off (scenarios send invalid
/// bodies on purpose).
async fn checking_proxy(upstream: &str) -> ContractProxy {
    let options = ProxyOptions {
        upstream: upstream.to_string(),
        check_requests: false,
        ..ProxyOptions::default()
    };
    ContractProxy::start(options, false)
        .await
        .expect("the contract proxy starts")
}

/// A finding on a 5xx answer whose status the spec does not list for its operation.
fn is_injected_server_fault(spec: &Spec, drift: &Drift) -> bool {
    drift.status >= 500
        && matches!(
            spec.answer(&drift.method, &drift.path, drift.status),
            Some(AnswerSpec::Undocumented(_))
        )
}
