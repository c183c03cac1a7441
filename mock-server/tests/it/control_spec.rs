//! `openapi/mock-control.yaml` describes exactly the routes the mock serves for QA: every
//! control route of the router is in it, and it has no route the router lacks.

use crate::common;

use std::collections::BTreeSet;

use common::{checked, control_spec::spec, paused, start, Mock};
use novita_mock::Config;
use reqwest::Method;
use serde_json::{json, Value};

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const DELETE: Method = Method::DELETE;

#[test]
fn the_spec_and_the_router_have_the_same_control_routes() {
    let served: BTreeSet<(String, String)> = novita_mock::control_routes().into_iter().collect();
    let described: BTreeSet<(String, String)> = spec().operations().into_iter().collect();
    let missing: Vec<_> = served.difference(&described).collect();
    let extra: Vec<_> = described.difference(&served).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "routes of the router missing from openapi/mock-control.yaml: {missing:?}\n\
         routes of the spec the router does not serve: {extra:?}"
    );
    assert!(
        served.len() >= 19,
        "the table lists every route: {served:?}"
    );
}

/// The spec's version is the mock's: a client generated from it names the mock it was made for.
#[test]
fn the_spec_version_is_the_crate_version() {
    assert_eq!(
        spec().document()["info"]["version"],
        env!("CARGO_PKG_VERSION"),
        "info.version of openapi/mock-control.yaml"
    );
}

/// `operationId` is the method name a generated client gives the route: one each, unique, in
/// snake_case, so that the Python client's names can follow it.
#[test]
fn every_operation_has_a_unique_snake_case_id() {
    let mut seen = BTreeSet::new();
    for (method, path) in spec().operations() {
        let operation = &spec().document()["paths"][&path][method.to_ascii_lowercase()];
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        let snake = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        assert!(snake, "{method} {path}: {id} is not snake_case");
        assert!(seen.insert(id.to_string()), "{id} is used twice");
    }
}

/// Every JSON answer the spec lists has a schema, and every operation says how a token refusal
/// and the body reader's refusals look (or, for the open routes, that it needs no token).
#[test]
fn every_answer_is_described() {
    for (method, path) in spec().operations() {
        let operation = &spec().document()["paths"][&path][method.to_ascii_lowercase()];
        let responses = operation["responses"].as_object().expect("responses");
        let open = operation.get("security") == Some(&Value::Array(Vec::new()));
        let expected: &[&str] = if open {
            &["413", "429"]
        } else {
            &["401", "403", "413", "429"]
        };
        for status in expected {
            assert!(
                responses.contains_key(*status),
                "{method} {path} does not list {status}"
            );
        }
        for (status, response) in responses {
            let response = match response.get("$ref").and_then(Value::as_str) {
                Some(reference) => spec()
                    .document()
                    .pointer(reference.trim_start_matches('#'))
                    .expect("the reference names a response"),
                None => response,
            };
            if let Some(json) = response.pointer("/content/application~1json") {
                assert!(
                    json.get("schema").is_some(),
                    "{method} {path} {status}: a JSON answer without a schema"
                );
            }
        }
    }
}

const T2V: &str = "/v3/async/wan-t2v";

/// Every route once, with its usual answers and its own refusals, each answer checked against
/// the spec by `Mock::control` and `common::checked`.
#[tokio::test]
async fn every_route_answers_as_the_spec_says() {
    let receiver = common::receiver(1).await;
    let mock = start(paused()).await;
    assert_eq!(mock.control(GET, "/health", None).await.0, 200);
    let hooked = mock
        .submit_ok(T2V, &common::hooked(&receiver, "a fox"))
        .await;
    let plain = mock.submit_ok(T2V, &json!({"prompt": "b"})).await;

    let (_, list) = mock.control(GET, "/_mock/tasks?limit=1", None).await;
    assert_eq!(list["tasks"][0]["task_id"], plain.as_str());
    let (_, detail) = mock.control(GET, &task(&hooked, ""), None).await;
    assert_eq!(detail["webhook"]["delivery"], "pending");
    let advanced = mock
        .control(
            POST,
            &task(&hooked, "/advance"),
            Some(json!({"seconds": 2})),
        )
        .await;
    assert_eq!(advanced.1["status"], "TASK_STATUS_PROCESSING");
    assert_eq!(
        mock.control(POST, &task(&hooked, "/finish"), None).await.0,
        200
    );
    assert_eq!(
        mock.control(POST, &task(&hooked, "/finish"), None).await.0,
        409
    );
    let (_, failed) = mock
        .control(POST, &task(&plain, "/fail"), Some(json!({})))
        .await;
    assert_eq!(failed["status"], "TASK_STATUS_FAILED");
    let wrong_reason = Some(json!({"reason": 1}));
    assert_eq!(
        mock.control(POST, &task("nope", "/fail"), wrong_reason)
            .await
            .0,
        400
    );
    assert_eq!(mock.control(GET, &task("nope", ""), None).await.0, 404);

    let (_, paused) = mock.control(POST, "/_mock/clock/pause", None).await;
    assert_eq!(paused["paused"], true);
    let extra_field = Some(json!({"now": 1}));
    assert_eq!(
        mock.control(POST, "/_mock/clock/pause", extra_field)
            .await
            .0,
        400
    );
    // The first attempt gets a 500, the retry a second later is delivered.
    mock.advance(60.0).await;
    let (_, logs) = mock.control(GET, "/_mock/webhooks", None).await;
    assert_eq!(logs[0]["log"]["delivery"], "delivered", "{logs}");
    assert_eq!(logs[0]["log"]["attempts"].as_array().map(Vec::len), Some(2));
    assert_eq!(mock.control(GET, "/_mock/clock", None).await.0, 200);

    every_outcome_queued(&mock).await;
    let (_, page) = mock
        .control(GET, "/_mock/journal?path=wan-t2v&limit=5", None)
        .await;
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(2));
    let (_, config) = mock.control(GET, "/_mock/config", None).await;
    assert_eq!(config["config"]["paused"], true);
    let (_, page) = mock.control(GET, "/_mock/ui", None).await;
    assert!(page.as_str().is_some_and(|html| html.contains("<html")));
    videos(&mock, &hooked).await;
    let (_, resumed) = mock.control(POST, "/_mock/clock/resume", None).await;
    assert_eq!(resumed["paused"], false);
    assert_eq!(mock.control(POST, "/_mock/reset", None).await.0, 204);
}

fn task(id: &str, action: &str) -> String {
    format!("/_mock/tasks/{id}{action}")
}

/// Queues one outcome of each shape, reads the queue, refuses an unknown type, clears it.
async fn every_outcome_queued(mock: &Mock) {
    let outcomes = json!([
        {"outcome": {"type": "rate_limit"}, "count": 2},
        {"outcome": {"type": "fail", "reason": "TASK_FAILED"}, "match": "wan-t2v"},
        {"outcome": {"type": "reject", "reason": "ILLEGAL_PROMPT", "status": 400}},
        {"outcome": {"type": "server_error"}, "match": "task-result"},
        {"outcome": {"type": "delay", "ms": 10}},
        {"outcome": {"type": "stall"}},
        {"outcome": {"type": "webhook_late", "seconds": 5}},
        {"outcome": {"type": "cut_download"}},
        {"outcome": {"type": "expired_link"}}
    ]);
    let (status, queued) = mock.control(POST, "/_mock/outcomes", Some(outcomes)).await;
    assert_eq!(status, 200, "{queued}");
    assert_eq!(queued.as_array().map(Vec::len), Some(9));
    assert_eq!(mock.control(GET, "/_mock/outcomes", None).await.0, 200);
    let unknown = Some(json!({"outcome": {"type": "explode"}}));
    assert_eq!(mock.control(POST, "/_mock/outcomes", unknown).await.0, 400);
    assert_eq!(mock.control(DELETE, "/_mock/outcomes", None).await.0, 204);
}

/// The video link: whole, one range, a range past the end, an unknown file.
async fn videos(mock: &Mock, id: &str) {
    let link = format!("/_mock/videos/{id}.mp4");
    assert_eq!(mock.control(GET, &link, None).await.0, 200);
    for (range, status) in [("bytes=0-99", 206), ("bytes=999999999-", 416)] {
        let answer = mock
            .http
            .get(mock.url(&link))
            .header("range", range)
            .send()
            .await
            .unwrap();
        assert_eq!(checked(&GET, answer).await.0, status, "{range}");
    }
    let unknown = mock.control(GET, "/_mock/videos/nope.mp4", None).await;
    assert_eq!(unknown.0, 404);
}

/// The guard's refusals and the body reader's, in Novita's error body.
#[tokio::test]
async fn refusals_answer_as_the_spec_says() {
    let guarded = start(Config {
        control_token: Some("s3cret".into()),
        ..paused()
    })
    .await;
    let missing = guarded.control(GET, "/_mock/tasks", None).await;
    common::assert_novita_error(&missing, 401, "MISSING_MOCK_TOKEN");
    let wrong = guarded
        .http
        .post(guarded.url("/_mock/reset"))
        .header(novita_mock::TOKEN_HEADER, "guess")
        .send()
        .await
        .unwrap();
    let wrong = checked(&POST, wrong).await;
    common::assert_novita_error(&wrong, 401, "INVALID_MOCK_TOKEN");

    let open = start(paused()).await;
    let cross_site = open
        .http
        .get(open.url("/_mock/journal"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    let refused = checked(&GET, cross_site).await;
    common::assert_novita_error(&refused, 403, "FOREIGN_ORIGIN");
    let too_large = open
        .http
        .post(open.url("/_mock/clock/advance"))
        .body(vec![b' '; 33 << 20])
        .send()
        .await
        .unwrap();
    let too_large = checked(&POST, too_large).await;
    common::assert_novita_error(&too_large, 413, "INVALID_REQUEST_BODY");
}

/// A query parameter of the wrong type answers the control API's JSON error, as the spec says.
#[tokio::test]
async fn a_bad_query_is_a_json_error() {
    let mock = start(paused()).await;
    for path in ["/_mock/tasks?limit=abc", "/_mock/journal?limit=-1"] {
        let (status, error) = mock.control(GET, path, None).await;
        assert_eq!(status, 400, "{path}");
        assert!(error["error"].as_str().is_some_and(|e| e.contains("limit")));
    }
}
