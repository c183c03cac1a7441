//! What the client refuses to read or wait for: answers past its size limit, and a
//! `Retry-After` past its patience. Each against a loopback server that misbehaves so.

use crate::common;

use std::time::Duration;

use common::{client_for, endless_server, noting_client, rate_limited, task_body, wan27_t2v, KEY};
use novita_video::{Error, NovitaClient};
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

/// A client whose answers may be 64 KiB at most. The request timeout only bounds the test: a
/// client that read on would run into it instead of the limit.
fn small_answers(url: &str) -> NovitaClient {
    NovitaClient::builder()
        .api_key(KEY)
        .base_url(url)
        .timeout(Duration::from_secs(30))
        .max_answer_bytes(64 * 1024)
        .poll_retry(common::fast_retry(3))
        .build()
        .unwrap()
}

const JSON_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n";

#[tokio::test]
async fn a_task_result_without_end_is_refused_at_the_limit_naming_it() {
    // The client read answers whole, however long: a 200 MB answer took 222 MB of memory, and
    // one without end ran into the request timeout.
    let url = endless_server(
        JSON_HEAD.into(),
        br#"{"task": {"task_id": "t-1", "reason": ""#.to_vec(),
        b'x',
    )
    .await;
    let error = small_answers(&url).task_result("t-1").await.unwrap_err();
    match &error {
        Error::AnswerTooLarge {
            status,
            limit,
            body_start,
            task_id,
        } => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(*limit, 64 * 1024);
            assert!(
                body_start.starts_with(r#"{"task": {"task_id""#),
                "{body_start}"
            );
            assert_eq!(task_id.as_deref(), Some("t-1"));
        }
        other => panic!("expected AnswerTooLarge, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("larger than the limit of 65536 bytes"),
        "{error}"
    );
}

#[tokio::test]
async fn an_error_answer_without_end_is_refused_too() {
    let head = "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n\r\n";
    let url = endless_server(head.into(), br#"{"code": 500, "message": ""#.to_vec(), b' ').await;
    let error = small_answers(&url).task_result("t-1").await.unwrap_err();
    assert!(
        matches!(&error, Error::AnswerTooLarge { status, .. } if status.as_u16() == 500),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_submission_answer_without_end_says_a_task_may_exist_and_names_it() {
    let url = endless_server(
        JSON_HEAD.into(),
        br#"{"task_id": "t-big", "note": ""#.to_vec(),
        b'x',
    )
    .await;
    let error = small_answers(&url).submit(&wan27_t2v()).await.unwrap_err();
    match &error {
        Error::SubmissionAnswerUnreadable {
            operation,
            status,
            task_id,
            ..
        } => {
            assert_eq!(*operation, "submit_wan27_t2v");
            assert_eq!(status.as_u16(), 200);
            assert_eq!(task_id.as_deref(), Some("t-big"));
        }
        other => panic!("expected SubmissionAnswerUnreadable, got {other:?}"),
    }
    let text = error.to_string();
    assert!(text.contains("a task may exist"), "{text}");
    assert!(text.contains("limit of 65536 bytes"), "{text}");
    assert_eq!(error.task_id(), Some("t-big"));
}

#[tokio::test]
async fn an_answer_within_the_limit_is_read_as_before() {
    assert_eq!(novita_video::DEFAULT_MAX_ANSWER_BYTES, 4 * 1024 * 1024);
    let server = MockServer::start().await;
    let mut body = task_body("TASK_STATUS_PROCESSING", 10.0, 1.0);
    body["task"]["reason"] = "y".repeat(60 * 1024).into();
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let result = small_answers(&server.uri()).task_result("t-1").await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn a_retry_after_past_the_limit_ends_the_retries_with_a_typed_error() {
    // `Retry-After: 99999` was cut down to a minute, silently, and waited for.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(rate_limited("99999"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, notices) = noting_client(&server, Duration::from_secs(300));
    let error = client.task_result("t-1").await.unwrap_err();
    match &error {
        Error::RetryAfterTooLong {
            retry_after,
            limit,
            source,
        } => {
            assert_eq!(*retry_after, Duration::from_secs(99_999));
            assert_eq!(*limit, Duration::from_secs(300));
            assert_eq!(source.reason(), Some("RATE_LIMIT_EXCEEDED"));
        }
        other => panic!("expected RetryAfterTooLong, got {other:?}"),
    }
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(error.task_id(), Some("t-1"));
    assert!(
        error
            .to_string()
            .starts_with("Novita asked to retry after 99999s, longer than the 300s"),
        "{error}"
    );
    assert!(notices.lock().unwrap().is_empty(), "no wait, so no notice");
    server.verify().await;

    // A submission's 429 proves no task was created: the same error, and nothing sent again.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(rate_limited("3600"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client_for(&server).submit(&wan27_t2v()).await.unwrap_err();
    assert!(
        matches!(error, Error::RetryAfterTooLong { retry_after, .. } if retry_after.as_secs() == 3600),
        "{error:?}"
    );
}
