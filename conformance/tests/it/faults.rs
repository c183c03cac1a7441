//! The client against the mock's injected faults: `wait` and downloads survive each one, or
//! fail with the typed error that says what happened.

// These tests also cover the endpoints Novita has retired, whose request types are deprecated.
#![allow(deprecated)]

use std::time::Duration;

use conformance::harness::Harness;
use novita_mock::Config;
use novita_video::{
    parse_webhook, types::WanT2vRequest, Error, TaskStatus, WaitOptions, WebhookNotification,
};
use reqwest::Method;
use serde_json::{json, Value};

fn request() -> WanT2vRequest {
    WanT2vRequest::builder()
        .prompt("A red fox in fresh snow")
        .try_into()
        .unwrap()
}

fn hooked(url: &str) -> WanT2vRequest {
    WanT2vRequest {
        extra: Some(serde_json::from_value(json!({"webhook": {"url": url}})).unwrap()),
        ..request()
    }
}

async fn inject(h: &Harness, outcome: Value) {
    h.queue(json!({ "outcome": outcome })).await;
}

/// Polls quickly: these jobs take well under a second of real time at the mock's speed.
fn quick() -> WaitOptions<'static> {
    WaitOptions::default()
        .interval(Duration::from_millis(5), Duration::from_millis(50))
        .timeout(Duration::from_secs(600))
}

#[tokio::test]
async fn a_stuck_task_ends_the_wait_with_a_timeout_that_names_its_last_status() {
    // A paused clock, so the task is where the fault holds it whatever the timing.
    let h = Harness::mock_with(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await;
    let mut stuck = Vec::new();
    for (fault, status) in [
        ("stuck_queued", TaskStatus::Queued),
        ("stuck_processing", TaskStatus::Processing),
    ] {
        inject(&h, json!({ "type": fault })).await;
        let id = h.client.submit(&request()).await.unwrap();
        stuck.push((fault, status, id));
    }
    h.control(
        Method::POST,
        "/_mock/clock/advance",
        Some(json!({"seconds": 3600})),
    )
    .await;
    // The deadline must not pass before the first answer, whose status the timeout names: it
    // is generous, and both waits run at once so that the test takes it once.
    let timed_out = |fault: &'static str, status: TaskStatus, id: String| {
        let h = &h;
        async move {
            let options = WaitOptions::default()
                .interval(Duration::from_millis(50), Duration::from_millis(500))
                .timeout(Duration::from_secs(20));
            match h.client.wait(&id, options).await {
                Err(Error::WaitTimeout {
                    task_id,
                    last_status,
                    waited,
                }) => {
                    assert_eq!(task_id, id);
                    assert_eq!(last_status, Some(status), "{fault}");
                    assert!(waited >= Duration::from_secs(20), "{fault}: {waited:?}");
                }
                other => panic!("{fault}: expected WaitTimeout, got {other:?}"),
            }
            id
        }
    };
    let [a, b]: [_; 2] = stuck.try_into().unwrap();
    let ids = tokio::join!(timed_out(a.0, a.1, a.2), timed_out(b.0, b.1, b.2));
    for id in [ids.0, ids.1] {
        // Once told otherwise, the same wait ends.
        h.control(Method::POST, &format!("/_mock/tasks/{id}/finish"), None)
            .await;
        let done = h.client.wait(&id, quick()).await.unwrap();
        assert_eq!(done.task.unwrap().status, Some(TaskStatus::Succeed));
    }
}

#[tokio::test]
async fn a_lying_eta_and_backward_progress_do_not_end_the_wait_early() {
    let h = Harness::mock().await;
    for fault in ["eta_lies", "progress_regress"] {
        inject(&h, json!({ "type": fault })).await;
        let id = h.client.submit(&request()).await.unwrap();
        let result = h.client.wait(&id, quick()).await.unwrap();
        let task = result.task.unwrap();
        assert_eq!(task.status, Some(TaskStatus::Succeed), "{fault}");
        assert_eq!(
            task.progress_percent.and_then(|p| p.as_f64()),
            Some(100.0),
            "{fault}"
        );
    }
}

#[tokio::test]
async fn a_cut_download_fails_typed_leaves_no_file_and_can_be_retried() {
    let h = Harness::mock().await;
    inject(&h, json!({"type": "cut_download", "bytes": 4096})).await;
    let id = h.client.submit(&request()).await.unwrap();
    let result = h.client.wait(&id, quick()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fox.mp4");
    let mut seen = 0;
    let error = h
        .client
        .download_video(&result, &file, |done, _| seen = done)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                timed_out: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(seen, 4096, "it got the bytes that were sent");
    assert!(!file.exists(), "no truncated video under the final name");
    assert!(
        !dir.path().join("fox.mp4.part").exists(),
        "nor a partial file"
    );
    let written = h
        .client
        .download_video(&result, &file, |_, _| {})
        .await
        .unwrap();
    assert_eq!(written, std::fs::metadata(&file).unwrap().len());
    assert!(written > 4096);
}

#[tokio::test]
async fn an_expired_link_is_a_download_error_with_its_status() {
    let h = Harness::mock().await;
    inject(&h, json!({"type": "expired_link"})).await;
    let id = h.client.submit(&request()).await.unwrap();
    let result = h.client.wait(&id, quick()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    match h
        .client
        .download_video(&result, dir.path().join("v.mp4"), |_, _| {})
        .await
    {
        Err(Error::Download { status, url }) => {
            assert_eq!(status.as_u16(), 403);
            assert!(url.contains(&id));
        }
        other => panic!("expected a Download error, got {other:?}"),
    }
}

async fn receiver() -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

/// The task ids of the events `server` received, in order, each parsed by the client.
async fn event_task_ids(server: &wiremock::MockServer) -> Vec<String> {
    let mut ids = Vec::new();
    for request in server.received_requests().await.unwrap() {
        let event = parse_webhook(&request.body).unwrap();
        assert!(
            matches!(event, WebhookNotification::TaskResult(_)),
            "{event:?}"
        );
        ids.push(event.task_id().unwrap().to_string());
    }
    ids
}

#[tokio::test]
async fn duplicate_early_and_out_of_order_webhooks_all_parse() {
    let h = Harness::mock_with(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await;
    let hooks = receiver().await;
    let url = format!("{}/hook", hooks.uri());

    inject(&h, json!({"type": "webhook_early"})).await;
    let early = h.client.submit(&hooked(&url)).await.unwrap();
    assert_eq!(
        event_task_ids(&hooks).await,
        std::slice::from_ref(&early),
        "the event came before the submit answer"
    );

    inject(&h, json!({"type": "webhook_late", "seconds": 60})).await;
    let late = h.client.submit(&hooked(&url)).await.unwrap();
    inject(&h, json!({"type": "webhook_twice"})).await;
    let twice = h.client.submit(&hooked(&url)).await.unwrap();
    h.control(
        Method::POST,
        "/_mock/clock/advance",
        Some(json!({"seconds": 600})),
    )
    .await;
    assert_eq!(
        event_task_ids(&hooks).await,
        [early, twice.clone(), twice, late],
        "a duplicate, and the late task's event after a later one's"
    );
    assert_eq!(h.assert_answers_match_spec(), 3, "the three submissions");
}
