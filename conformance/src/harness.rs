//! What a scenario runs against: the mock in-process behind a recording proxy, or a live
//! server named by `NOVITA_BASE_URL` and `NOVITA_API_KEY`.

use std::sync::{Arc, OnceLock};

use novita_mock::{Config, RunningMock};
use novita_video::{NovitaClient, RetryPolicy};
use serde_json::Value;

use crate::{proxy::RecordingProxy, spec::Spec};

pub const MOCK_KEY: &str = "conformance-key";

pub fn spec() -> Arc<Spec> {
    static SPEC: OnceLock<Arc<Spec>> = OnceLock::new();
    SPEC.get_or_init(|| Arc::new(Spec::load())).clone()
}

pub struct Harness {
    /// The client under test, pointed at the target.
    pub client: NovitaClient,
    pub base_url: String,
    pub api_key: String,
    pub http: reqwest::Client,
    mock: Option<(RunningMock, RecordingProxy)>,
}

/// Retries fast enough for tests, same rules as the defaults.
fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: std::time::Duration::from_millis(5),
        max_delay: std::time::Duration::from_millis(50),
        max_retry_after: std::time::Duration::from_millis(100),
    }
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
        let proxy = RecordingProxy::start(mock.url()).await;
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
            mock: Some((mock, proxy)),
        }
    }

    /// The live target, or `None` (with a printed notice) when it is not configured or the
    /// scenario needs the mock's control API.
    pub fn live(scenario: &str, needs_control_api: bool) -> Option<Harness> {
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
        let client = NovitaClient::builder()
            .api_key(&api_key)
            .base_url(&base_url)
            .build()
            .expect("client builds");
        Some(Harness {
            client,
            base_url,
            api_key,
            http: reqwest::Client::new(),
            mock: None,
        })
    }

    pub fn is_mock(&self) -> bool {
        self.mock.is_some()
    }

    /// The mock's own URL (the control API, videos); panics on a live target.
    pub fn mock_url(&self) -> &str {
        self.mock.as_ref().expect("a mock target").0.url()
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

    /// Every JSON answer the mock sent through the proxy validates against the spec's schema
    /// for its status (the error body for statuses the spec does not list). Returns how many
    /// were checked.
    pub fn assert_answers_match_spec(&self) -> usize {
        let Some((_, proxy)) = &self.mock else {
            return 0;
        };
        let spec = spec();
        let mut checked = 0;
        for exchange in proxy.exchanges() {
            if !exchange.content_type.starts_with("application/json") {
                assert!(
                    exchange.status >= 500,
                    "{} {} answered {} with {}: only 5xx pages may be other than JSON",
                    exchange.method,
                    exchange.path,
                    exchange.status,
                    exchange.content_type
                );
                continue;
            }
            let body: Value = serde_json::from_slice(&exchange.body).unwrap_or_else(|e| {
                panic!("{} {}: not JSON ({e})", exchange.method, exchange.path)
            });
            let schema = spec
                .response_schema(&exchange.method, &exchange.path, exchange.status)
                .unwrap_or_else(|| "ErrorBody".to_string());
            let errors = spec.errors(&schema, &body);
            assert!(
                errors.is_empty(),
                "{} {} -> {}: body breaks {schema}: {errors:?}\n{body}",
                exchange.method,
                exchange.path,
                exchange.status
            );
            checked += 1;
        }
        checked
    }
}
