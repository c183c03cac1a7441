//! API requests end at the client's request timeout, typed and named, against an upstream that
//! sends its answer one byte at a time (a loopback server in the test). Only the kind of error is
//! asserted, never how long it took.

use crate::common;

use std::time::Duration;

use common::{drip_server, fast_retry, ok_head, KEY};
use novita_video::{types::Wan27T2vRequest, Error, NovitaClient};

/// A JSON answer of 10 000 bytes, one byte every 100 ms: it would take 16 minutes.
async fn dripping_upstream() -> String {
    let body = format!("{{\"task_id\": \"t-1\"{}}}", " ".repeat(10_000 - 18));
    drip_server(
        ok_head("application/json", body.len()),
        body.into_bytes(),
        1,
        Duration::from_millis(100),
    )
    .await
}

fn client_with_timeout(url: &str, attempts: u32) -> NovitaClient {
    NovitaClient::builder()
        .api_key(KEY)
        .base_url(url)
        .timeout(Duration::from_secs(1))
        .poll_retry(fast_retry(attempts))
        .submit_retry(fast_retry(attempts))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_task_result_that_drips_is_a_timeout_naming_the_request_and_the_task() {
    let url = dripping_upstream().await;
    let error = client_with_timeout(&url, 1)
        .task_result_once("t-1")
        .await
        .unwrap_err();
    match &error {
        Error::Timeout {
            what,
            limit,
            task_id,
        } => {
            assert_eq!(what, "the task-result request");
            assert_eq!(*limit, Duration::from_secs(1));
            assert_eq!(task_id.as_deref(), Some("t-1"));
        }
        other => panic!("expected a Timeout, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the task-result request timed out after 1s (task t-1)"
    );
    assert_eq!(error.task_id(), Some("t-1"));
}

#[tokio::test]
async fn retried_reads_that_keep_timing_out_end_in_a_timeout() {
    let url = dripping_upstream().await;
    let error = client_with_timeout(&url, 2)
        .task_result("t-1")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
}

#[tokio::test]
async fn a_submission_that_drips_may_have_made_a_task_and_says_it_timed_out() {
    let url = dripping_upstream().await;
    let request: Wan27T2vRequest = Wan27T2vRequest::builder()
        .prompt("a fox")
        .try_into()
        .unwrap();
    let error = client_with_timeout(&url, 3)
        .submit(&request)
        .await
        .unwrap_err();
    match &error {
        Error::SubmissionOutcomeUnknown {
            timed_out_after, ..
        } => assert_eq!(*timed_out_after, Some(Duration::from_secs(1))),
        other => panic!("expected SubmissionOutcomeUnknown, got {other:?}"),
    }
    assert!(error.to_string().contains("timed out after 1s"), "{error}");
}

#[test]
fn the_default_request_timeout_is_a_minute() {
    assert_eq!(novita_video::DEFAULT_TIMEOUT, Duration::from_secs(60));
    let client = NovitaClient::new("k").unwrap();
    assert!(format!("{client:?}").contains("timeout: 60s"), "{client:?}");
}
