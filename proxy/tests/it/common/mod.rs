//! Helpers of the proxy's integration tests: a proxy in front of an upstream, and requests
//! through it.
#![allow(dead_code)]

use novita_proxy::{report::Report, ContractProxy, ProxyOptions};
use novita_video::NovitaClient;
use serde_json::json;
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// The key every test client sends.
pub const KEY: &str = "proxy-test-key";

pub async fn proxy_in_front_of(
    upstream: &str,
    record: bool,
    relay_webhooks: bool,
) -> ContractProxy {
    let options = ProxyOptions {
        upstream: upstream.to_string(),
        record,
        ..ProxyOptions::default()
    };
    ContractProxy::start(options, relay_webhooks)
        .await
        .expect("the proxy starts")
}

/// A client of the proxy (or the mock) at `url`.
pub fn client_of(url: &str) -> NovitaClient {
    NovitaClient::builder()
        .api_key(KEY)
        .base_url(url)
        .build()
        .expect("client builds")
}

/// Sends one request through a proxy in front of `upstream` (wiremock) and returns the
/// answer's status and body and the proxy's report.
pub async fn through_proxy(
    upstream: &MockServer,
    request: impl FnOnce(&reqwest::Client, &str) -> reqwest::RequestBuilder,
) -> (u16, String, Report) {
    let proxy = proxy_in_front_of(&upstream.uri(), false, false).await;
    let answer = request(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .expect("the proxy answers");
    let status = answer.status().as_u16();
    let body = answer.text().await.unwrap();
    (status, body, proxy.contract().report())
}

/// A Wan 2.7 text-to-video submission to `base`.
pub fn submit_t2v(http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/v3/async/wan2.7-t2v"))
        .bearer_auth(KEY)
        .json(&json!({"prompt": "A red fox."}))
}

/// A read of task `t-1`'s result from `base`.
pub fn read_result(http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
    http.get(format!("{base}/v3/async/task-result?task_id=t-1"))
        .bearer_auth(KEY)
}

/// A wiremock upstream that gives `answer` to `verb` requests of `route`.
pub async fn upstream_answering(route: &str, verb: &str, answer: ResponseTemplate) -> MockServer {
    let upstream = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(answer)
        .mount(&upstream)
        .await;
    upstream
}

/// Moves a mock's clock forward by `seconds` (returns once every event due has run).
pub async fn advance(mock_url: &str, seconds: f64) {
    let answer = reqwest::Client::new()
        .post(format!("{mock_url}/_mock/clock/advance"))
        .json(&json!({ "seconds": seconds }))
        .send()
        .await
        .expect("the control API answers");
    assert!(answer.status().is_success(), "{}", answer.status());
}

/// What the mock's control API says of one task (`/_mock/tasks/{id}`).
pub async fn task_detail(mock_url: &str, task_id: &str) -> serde_json::Value {
    reqwest::get(format!("{mock_url}/_mock/tasks/{task_id}"))
        .await
        .expect("the control API answers")
        .json()
        .await
        .expect("a JSON task")
}

/// A mock in this process with its clock paused: tasks move when a test advances it.
pub async fn paused_mock() -> novita_mock::RunningMock {
    novita_mock::spawn(novita_mock::Config {
        paused: true,
        ..novita_mock::Config::for_tests()
    })
    .await
    .expect("the mock starts")
}
