//! Every failure becomes the right typed error; retries happen where allowed and never where not.

// These tests also cover the endpoints Novita has retired, whose request types are deprecated.
#![allow(deprecated)]

use crate::common;

use std::time::Duration;

use common::{client_for, noting_client, novita_error, rate_limited, submit_error, task_body};
use novita_video::{Error, NovitaClient};
use serde_json::json;
use wiremock::{
    matchers::{method, path, query_param},
    Mock, MockServer, ResponseTemplate,
};

async fn result_error(template: ResponseTemplate) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .and(query_param("task_id", "t-9"))
        .respond_with(template)
        .mount(&server)
        .await;
    client_for(&server).task_result("t-9").await.unwrap_err()
}

#[tokio::test]
async fn novita_error_bodies_map_to_api_errors_with_the_task_id() {
    let error = result_error(ResponseTemplate::new(404).set_body_json(json!({
        "code": 404, "reason": "TASK_NOT_FOUND", "message": "task not found",
        "metadata": {"field": "prompt"}
    })))
    .await;
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status.as_u16(), 404);
    assert_eq!(api.code, Some(404));
    assert_eq!(api.reason, "TASK_NOT_FOUND");
    assert_eq!(api.message, "task not found");
    assert_eq!(api.metadata["field"], "prompt");
    assert_eq!(error.task_id(), Some("t-9"));
    assert_eq!(
        error.to_string(),
        "Novita answered HTTP 404: TASK_NOT_FOUND: task not found (task t-9)"
    );
}

#[tokio::test]
async fn submission_errors_keep_status_reason_and_message() {
    for (status, reason) in [
        (400, "INVALID_REQUEST_BODY"),
        (400, "MISSING_API_KEY"),
        (400, "ILLEGAL_PROMPT"),
        (403, "INVALID_API_KEY"),
        (404, "API_NOT_FOUND"),
        (500, "CREATE_TASK_FAILED"),
    ] {
        let (error, _) = submit_error(novita_error(status, reason, "detail")).await;
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{error}");
        assert_eq!(error.reason(), Some(reason));
    }
}

#[tokio::test]
async fn html_from_a_proxy_keeps_its_status() {
    let page = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    let (error, _) = submit_error(ResponseTemplate::new(503).set_body_raw(page, "text/html")).await;
    match &error {
        Error::UnexpectedBody {
            status, body_start, ..
        } => {
            assert_eq!(status.as_u16(), 503);
            assert!(body_start.starts_with("<html>"));
        }
        other => panic!("{other:?}"),
    }
    // 500 is a documented status: its HTML body goes through the payload path.
    let error = result_error(ResponseTemplate::new(500).set_body_raw(page, "text/html")).await;
    assert!(
        matches!(error, Error::UnexpectedBody { status, .. } if status.as_u16() == 500),
        "{error:?}"
    );
    let error = result_error(ResponseTemplate::new(404)).await;
    assert!(
        matches!(error, Error::UnexpectedBody { status, ref body_start, .. } if status.as_u16() == 404 && body_start.is_empty())
    );
}

#[tokio::test]
async fn a_success_status_with_a_broken_body_is_a_decode_error() {
    let error =
        result_error(ResponseTemplate::new(200).set_body_raw("{\"task\": 5", "application/json"))
            .await;
    assert!(
        matches!(&error, Error::Decode { status: Some(s), .. } if s.as_u16() == 200),
        "{error:?}"
    );
    assert_eq!(error.task_id(), Some("t-9"));
}

#[tokio::test]
async fn result_reads_retry_429_and_5xx_then_succeed_and_tell_each_wait() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(rate_limited("0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_raw("<html>busy</html>", "text/html"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body(
            "TASK_STATUS_PROCESSING",
            10.0,
            5.0,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (client, notices) = noting_client(&server, novita_video::DEFAULT_MAX_RETRY_AFTER);
    let result = client.task_result("t-1").await.unwrap();
    let progress = result.task.unwrap().progress_percent.unwrap();
    assert_eq!(progress.as_f64(), Some(10.0));
    // Each wait is told first: the 429's `Retry-After` as asked, then the policy's backoffs.
    let notices = notices.lock().unwrap();
    let told: Vec<_> = notices
        .iter()
        .map(|n| (n.attempt, n.status.map(|s| s.as_u16()), n.retry_after))
        .collect();
    assert_eq!(
        told,
        [
            (1, Some(429), Some(Duration::ZERO)),
            (2, Some(503), None),
            (3, Some(503), None)
        ]
    );
    assert_eq!(notices[0].wait, Duration::ZERO, "waited as asked");
}

#[tokio::test]
async fn result_reads_give_up_after_the_attempt_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(novita_error(500, "GET_RESULT_FAILED", "boom"))
        .expect(4)
        .mount(&server)
        .await;
    let error = client_for(&server).task_result("t-1").await.unwrap_err();
    assert_eq!(error.reason(), Some("GET_RESULT_FAILED"));
}

#[tokio::test]
async fn result_reads_do_not_retry_client_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(novita_error(403, "INVALID_API_KEY", "bad key"))
        .expect(1)
        .mount(&server)
        .await;
    client_for(&server).task_result("t-1").await.unwrap_err();
}

#[tokio::test]
async fn configuration_errors_are_reported() {
    assert!(matches!(
        NovitaClient::builder().build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        NovitaClient::builder().api_key(" ").build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        NovitaClient::builder()
            .api_key("k")
            .base_url("ftp://x")
            .build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        NovitaClient::builder().api_key("a\nb").build(),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn novitas_error_body_is_read_on_statuses_the_spec_does_not_list() {
    // 401, 402, 502 and 503 are in no operation's responses; their Novita bodies were reported
    // as "not a Novita error" (the CLI's exit 6) instead of Novita's reason and message.
    for (status, reason) in [
        (401, "UNAUTHORIZED"),
        (402, "BILLING_BALANCE_NOT_ENOUGH"),
        (502, "BAD_GATEWAY"),
        (503, "SERVICE_UNAVAILABLE"),
    ] {
        // Never retried (`submit_error` checks): a submission that answered an error created
        // no second task.
        let (error, _) = submit_error(novita_error(status, reason, "said Novita")).await;
        assert!(matches!(error, Error::Api(_)), "{status}: {error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.reason(), Some(reason));
        assert!(error.to_string().contains("said Novita"), "{error}");
    }
    // A body that is not Novita's stays an unexpected body.
    let error =
        result_error(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>")).await;
    assert!(matches!(error, Error::UnexpectedBody { .. }), "{error:?}");
}

#[tokio::test]
async fn a_redirected_task_result_is_an_error_naming_the_task() {
    let error = result_error(
        ResponseTemplate::new(302).insert_header("location", "https://elsewhere.test/x"),
    )
    .await;
    assert!(
        matches!(&error, Error::Redirected { operation: None, location: Some(l), .. } if l == "https://elsewhere.test/x"),
        "{error:?}"
    );
    assert_eq!(error.task_id(), Some("t-9"));
    assert!(!error.to_string().contains("created a task"), "{error}");
}
