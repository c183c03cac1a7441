//! A service's own `reqwest::Client` passed in with `ClientBuilder::http_client`: the crate's
//! rules hold on it, put on each request (the key, the request timeout, bounded reads, no
//! redirect followed), and what only the client's own settings could hold is refused when the
//! client is built. Against wiremock and loopback servers; no assertion on how long anything
//! took.

use crate::common;

use std::time::Duration;

use common::{drip_server, fast_retry, mp4_bytes, ok_head, task_body, wan27_t2v, KEY};
use novita_video::{Error, NovitaClient, SubmitOperation};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;
use wiremock::{
    matchers::{header, method, path},
    Mock, MockServer, ResponseTemplate,
};

/// A service's client: its own header on every request, no timeout, redirects followed (the
/// `reqwest` default).
fn service_client() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("x-team", HeaderValue::from_static("video"));
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

fn client_with(base_url: &str, http: reqwest::Client) -> NovitaClient {
    NovitaClient::builder()
        .api_key(KEY)
        .base_url(base_url)
        .http_client(http)
        .poll_retry(fast_retry(1))
        .submit_retry(fast_retry(1))
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_key_goes_on_each_api_request_beside_the_services_own_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/async/wan2.7-t2v"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("x-team", "video"))
        .and(header("user-agent", "my-service/2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("x-team", "video"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body(
            "TASK_STATUS_QUEUED",
            0.0,
            10.0,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .user_agent("my-service/2")
        .http_client(service_client())
        .build()
        .unwrap();
    assert_eq!(client.submit(&wan27_t2v()).await.unwrap(), "t-1");
    client.task_result_once("t-1").await.unwrap();
}

#[tokio::test]
async fn a_probe_through_a_passed_in_client_carries_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 400, "reason": "INVALID_REQUEST_BODY", "message": "prompt", "metadata": {}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_with(&server.uri(), service_client());
    let t2v = SubmitOperation::find("wan2.7-t2v").unwrap();
    let answer = client.probe(t2v, &json!({})).await.unwrap();
    assert_eq!(answer.status(), 400);
}

#[tokio::test]
async fn a_download_through_a_passed_in_client_carries_no_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/video.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(mp4_bytes(64)))
        .mount(&server)
        .await;
    let client = client_with(&server.uri(), service_client());
    let mut video = Vec::new();
    let url = format!("{}/video.mp4", server.uri());
    assert_eq!(
        client.download(&url, &mut video, |_, _| {}).await.unwrap(),
        64
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].headers["x-team"], "video");
    assert!(
        !requests[0].headers.contains_key("authorization"),
        "a pre-signed link gets no key: {:?}",
        requests[0].headers
    );
}

#[tokio::test]
async fn a_passed_in_client_without_a_timeout_is_held_to_the_request_timeout() {
    // 10 000 bytes, one every 100 ms: without a limit the read would take 16 minutes.
    let body = format!("{{\"task_id\": \"t-1\"{}}}", " ".repeat(10_000 - 18));
    let url = drip_server(
        ok_head("application/json", body.len()),
        body.into_bytes(),
        1,
        Duration::from_millis(100),
    )
    .await;
    let error = client_with(&url, service_client())
        .task_result_once("t-1")
        .await
        .unwrap_err();
    match error {
        Error::Timeout { what, limit, .. } => {
            assert_eq!(what, "the task-result request");
            assert_eq!(limit, Duration::from_secs(1));
        }
        other => panic!("expected a Timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_download_through_a_passed_in_client_is_bounded_by_its_silence() {
    // The head, the first 16 bytes of a video, then nothing for far longer than the limit.
    let url = drip_server(
        ok_head("video/mp4", 4096),
        mp4_bytes(32),
        16,
        common::AN_HOUR,
    )
    .await;
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(&url)
        .http_client(service_client())
        .download_idle_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let mut video = Vec::new();
    let error = client
        .download(&format!("{url}/v.mp4"), &mut video, |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Timeout { limit, .. } if *limit == Duration::from_secs(1)),
        "{error:?}"
    );
}

#[tokio::test]
async fn answers_past_the_limit_are_refused_on_a_passed_in_client() {
    let server = MockServer::start().await;
    let mut big = task_body("TASK_STATUS_QUEUED", 0.0, 10.0);
    big["padding"] = json!("x".repeat(4096));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(big))
        .mount(&server)
        .await;
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .http_client(service_client())
        .poll_retry(fast_retry(1))
        .max_answer_bytes(1024)
        .build()
        .unwrap();
    let error = client.task_result_once("t-1").await.unwrap_err();
    assert!(
        matches!(error, Error::AnswerTooLarge { limit: 1024, .. }),
        "{error:?}"
    );
}

/// A server whose API paths all redirect (307, which keeps the method and body) to `/moved`,
/// where a task is accepted and a result is served.
async fn redirecting_server() -> MockServer {
    let server = MockServer::start().await;
    let moved = format!("{}/moved?sig=secret", server.uri());
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-elsewhere"})))
        .mount(&server)
        .await;
    Mock::given(path("/v3/async/wan2.7-t2v"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", moved.as_str()))
        .mount(&server)
        .await;
    Mock::given(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", moved.as_str()))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_redirect_a_passed_in_client_followed_is_refused_naming_the_rule() {
    let server = redirecting_server().await;
    let client = client_with(&server.uri(), service_client());
    let error = client.submit(&wan27_t2v()).await.unwrap_err();
    match &error {
        Error::RedirectFollowed {
            url,
            status,
            operation,
            ..
        } => {
            assert_eq!(
                url,
                &format!("{}/moved?…", server.uri()),
                "no signature shown"
            );
            assert_eq!(status.as_u16(), 200);
            assert!(operation.is_some(), "a submission says a task may exist");
        }
        other => panic!("expected RedirectFollowed, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("redirect(Policy::none())"), "{message}");
    assert!(!message.contains("secret"), "{message}");

    let error = client.task_result_once("t-1").await.unwrap_err();
    assert!(
        matches!(&error, Error::RedirectFollowed { task_id: Some(id), .. } if id == "t-1"),
        "{error:?}"
    );
    let probe = client
        .probe(SubmitOperation::find("wan2.7-t2v").unwrap(), &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(probe, Error::RedirectFollowed { .. }), "{probe:?}");
}

#[tokio::test]
async fn a_passed_in_client_that_follows_none_reports_the_redirect_itself() {
    let server = redirecting_server().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let error = client_with(&server.uri(), http)
        .submit(&wan27_t2v())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Redirected { status, .. } if status.as_u16() == 307),
        "{error:?}"
    );
    let moved = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/moved")
        .count();
    assert_eq!(moved, 0, "nothing was sent on");
}

#[test]
fn a_connect_timeout_for_a_passed_in_client_is_refused_at_build_naming_the_setting() {
    let error = NovitaClient::builder()
        .api_key(KEY)
        .http_client(reqwest::Client::new())
        .connect_timeout(Duration::from_secs(3))
        .build()
        .unwrap_err();
    match error {
        Error::Config(message) => {
            assert!(message.contains("connect_timeout"), "{message}");
            assert!(message.contains("passed-in http_client"), "{message}");
        }
        other => panic!("expected a Config error, got {other:?}"),
    }
}

#[test]
fn the_builders_debug_says_a_client_was_passed_in_and_shows_no_key() {
    let builder = NovitaClient::builder()
        .api_key("sk-very-secret")
        .http_client(service_client());
    let shown = format!("{builder:?}");
    assert!(shown.contains("passed in"), "{shown}");
    assert!(!shown.contains("sk-very-secret"), "{shown}");
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains("sk-very-secret"));
    // The generated client holds the key among the rules its hook puts on each request.
    let generated = format!("{:?}", client.api());
    assert!(generated.contains("<redacted>"), "{generated}");
    assert!(!generated.contains("sk-very-secret"), "{generated}");
}
