//! A failed submission: retried only where no task can have been made twice, and where one may
//! exist, the error says so (and names any task id it could read).

// These tests use Wan 2.1, a retired endpoint whose request type is deprecated.
#![allow(deprecated)]

use crate::common;

use std::time::Duration;

use common::{client_for, fast_retry, novita_error, submit_error, wan_t2v, AN_HOUR, KEY};
use novita_video::{ClientBuilder, Error, NovitaClient};
use serde_json::json;
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

/// A server that takes one submission and answers it only after an hour, and a builder of a
/// client of it that waits 200 ms for an answer.
async fn unanswered_submission() -> (MockServer, ClientBuilder) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"task_id": "late"}))
                .set_delay(AN_HOUR),
        )
        .expect(1)
        .mount(&server)
        .await;
    let builder = NovitaClient::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .timeout(Duration::from_millis(200));
    (server, builder)
}

/// Asserts that `error` says the Wan 2.1 submission's outcome is unknown.
fn assert_outcome_unknown(error: &Error) {
    assert!(
        matches!(
            error,
            Error::SubmissionOutcomeUnknown {
                operation: "submit_wan_t2v",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn submission_retries_429_only() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(novita_error(429, "RATE_LIMIT_EXCEEDED", "slow down"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-ok"})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client_for(&server).submit(&wan_t2v()).await.unwrap(),
        "t-ok"
    );
}

#[tokio::test]
async fn submission_is_never_retried_after_5xx() {
    for template in [
        novita_error(500, "CREATE_TASK_FAILED", "boom"),
        ResponseTemplate::new(502).set_body_raw("<html>bad gateway</html>", "text/html"),
        ResponseTemplate::new(503).set_body_raw("<html>busy</html>", "text/html"),
    ] {
        submit_error(template).await;
    }
}

#[tokio::test]
async fn submission_timeout_says_a_task_may_exist_and_is_not_retried() {
    // Kept to the end: dropping it checks that one submission came.
    let (_server, builder) = unanswered_submission().await;
    let client = builder.submit_retry(fast_retry(5)).build().unwrap();
    let error = client.submit(&wan_t2v()).await.unwrap_err();
    assert_outcome_unknown(&error);
    assert!(error.to_string().contains("a task may exist"), "{error}");
}

#[tokio::test]
async fn submission_is_retried_when_the_connection_is_refused() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(format!("http://127.0.0.1:{port}"))
        .submit_retry(fast_retry(3))
        .build()
        .unwrap();
    let error = client.submit(&wan_t2v()).await.unwrap_err();
    match error {
        Error::Transport { source, .. } => assert!(source.is_connect()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unchecked_submission_without_an_answer_also_says_a_task_may_exist() {
    // Kept to the end: dropping it checks that one submission came.
    let (_server, builder) = unanswered_submission().await;
    let client = builder.build().unwrap();
    let error = client.submit_unchecked(&wan_t2v()).await.unwrap_err();
    assert_outcome_unknown(&error);
}

#[tokio::test]
async fn a_redirected_submission_is_refused_never_followed_and_may_have_made_a_task() {
    // 301, 302 and 303 turned the POST into a GET on the other origin and took its answer as
    // the new task's; 307 and 308 sent the body there again.
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "elsewhere"})))
        .expect(0)
        .mount(&elsewhere)
        .await;
    for status in [301, 302, 303, 307, 308] {
        let location = format!("{}/v3/async/wan-t2v?signature=secret", elsewhere.uri());
        let (error, server) = submit_error(
            ResponseTemplate::new(status).insert_header("location", location.as_str()),
        )
        .await;
        match &error {
            Error::Redirected {
                status: got,
                location,
                operation,
                ..
            } => {
                assert_eq!(got.as_u16(), status);
                assert_eq!(
                    location.as_deref(),
                    Some(format!("{}/v3/async/wan-t2v?…", elsewhere.uri()).as_str())
                );
                assert_eq!(*operation, Some("submit_wan_t2v"));
            }
            other => panic!("{status}: expected Redirected, got {other:?}"),
        }
        let text = error.to_string();
        assert!(
            text.contains("may or may not have created a task"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
        let received = server.received_requests().await.unwrap();
        assert!(
            received.iter().all(|r| r.method.as_str() == "POST"),
            "{status}: no GET"
        );
    }
    elsewhere.verify().await;
}

#[tokio::test]
async fn a_submission_answer_that_does_not_decode_says_a_task_may_exist_with_any_id_it_names() {
    // A 200 with junk was a decode error that said nothing of the task it may have created.
    for (body, salvaged) in [
        (r#"{"task_id": 12345}"#, Some("12345")),
        (r#"{"task_id": "t-7", "extra": {"#, Some("t-7")),
        (r#"{"id": "t-8"}"#, None),
        ("<html>welcome</html>", None),
        (r#"{"task_id": ""}x"#, None),
    ] {
        let (error, _) =
            submit_error(ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
        assert!(
            matches!(&error, Error::SubmissionAnswerUnreadable { status, operation: "submit_wan_t2v", .. } if status.as_u16() == 200),
            "{body}: {error:?}"
        );
        assert_eq!(error.task_id(), salvaged, "{body}");
        let text = error.to_string();
        assert!(text.contains("a task may exist"), "{body}: {text}");
        match salvaged {
            Some(id) => assert!(text.contains(&format!("it names task_id {id}")), "{text}"),
            None => assert!(text.contains("no task id could be read"), "{text}"),
        }
    }
    // A 2xx the spec does not give, such as 202 with the documented body, may be a task too.
    let (error, _) =
        submit_error(ResponseTemplate::new(202).set_body_json(json!({"task_id": "t-9"}))).await;
    assert!(
        matches!(&error, Error::SubmissionAnswerUnreadable { status, .. } if status.as_u16() == 202),
        "{error:?}"
    );
    assert_eq!(error.task_id(), Some("t-9"));
}
