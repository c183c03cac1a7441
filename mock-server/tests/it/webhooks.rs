//! Webhook delivery: the event body, retries with backoff, giving up, and test mode.

use crate::common;

use std::time::Duration;

use common::{paused, receiver_answering, receiver_expecting, start, Mock};
use novita_mock::Config;
use reqwest::Method;
use serde_json::{json, Value};
use wiremock::{
    matchers::{header, method, path},
    Mock as Expect, MockServer, ResponseTemplate,
};

/// A paused clock: deliveries and retries happen when the test moves it. The receivers here
/// answer at once; the timeout is generous so that no answer, however slow the machine, is
/// taken for a timeout.
fn fast_hooks() -> Config {
    Config {
        webhook_timeout_ms: 60_000,
        ..paused()
    }
}

/// Longer than any test runs: a receiver that answers this late never beats a webhook timeout.
const AN_HOUR: Duration = Duration::from_secs(3600);

fn with_hook(receiver: &MockServer, test_mode: Option<&str>) -> Value {
    let mut hook = json!({"url": format!("{}/hook", receiver.uri())});
    if let Some(status) = test_mode {
        hook["test_mode"] = json!({"enabled": true, "return_task_status": status});
    }
    json!({"prompt": "p", "extra": {"webhook": hook}})
}

/// Runs the clock past every retry and returns the task's settled webhook log.
/// Starts a mock with `config`, submits a task whose webhook is `receiver`, finishes it and
/// returns the mock, the task id and the settled delivery log.
async fn finished_with_hook(config: Config, receiver: &MockServer) -> (Mock, String, Value) {
    let mock = start(config).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &with_hook(receiver, None))
        .await;
    mock.control(Method::POST, &format!("/_mock/tasks/{id}/finish"), None)
        .await;
    let log = final_log(&mock, &id).await;
    (mock, id, log)
}

async fn final_log(mock: &Mock, id: &str) -> Value {
    mock.advance(600.0).await;
    let log = mock.webhook_log(id).await;
    assert!(
        log["delivery"] == "delivered" || log["delivery"] == "gave_up",
        "settled: {log}"
    );
    log
}

async fn received_events(receiver: &MockServer) -> Vec<Value> {
    receiver
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn the_event_is_posted_when_the_task_ends() {
    let receiver = MockServer::start().await;
    Expect::given(method("POST"))
        .and(path("/hook"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&receiver)
        .await;
    let mock = start(fast_hooks()).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &with_hook(&receiver, None))
        .await;
    let log = final_log(&mock, &id).await;
    assert_eq!(log["delivery"], "delivered");
    assert_eq!(log["attempts"].as_array().unwrap().len(), 1);
    let events = received_events(&receiver).await;
    let event = &events[0];
    assert_eq!(event["event_type"], "ASYNC_TASK_RESULT");
    assert_eq!(event["payload"]["task"]["task_id"], id.as_str());
    assert_eq!(event["payload"]["task"]["status"], "TASK_STATUS_SUCCEED");
    assert_eq!(event["payload"]["videos"][0]["video_type"], "mp4");
    assert_eq!(
        event["payload"]["extra"]["webhook"]["url"],
        format!("{}/hook", receiver.uri())
    );
    // The result endpoint says the same as the event.
    let (_, result) = mock.result(&id).await;
    assert_eq!(result["task"]["status"], event["payload"]["task"]["status"]);
}

#[tokio::test]
async fn failing_receivers_get_retries_until_they_answer() {
    let receiver = receiver_answering(&[(500, 2), (429, 1)], 204).await;
    let (_mock, _, log) = finished_with_hook(fast_hooks(), &receiver).await;
    assert_eq!(log["delivery"], "delivered");
    let attempts = log["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4, "{log}");
    assert_eq!(attempts[0]["status"], 500);
    assert_eq!(attempts[1]["status"], 500);
    assert_eq!(attempts[2]["status"], 429);
    assert_eq!(attempts[3]["status"], 204);
    assert_eq!(attempts[3]["delivered"], true);
    // Backoff doubles: 1 s, 2 s, 4 s of mock time, exactly, since the clock only moves when
    // the test moves it.
    let at: Vec<u64> = attempts
        .iter()
        .map(|a| a["at_unix_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(
        [at[1] - at[0], at[2] - at[1], at[3] - at[2]],
        [1000, 2000, 4000]
    );
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_time_gets_retries_then_is_given_up() {
    // The receiver answers an hour late: every attempt ends at the mock's webhook timeout,
    // whatever the machine's speed.
    let receiver = receiver_expecting(ResponseTemplate::new(200).set_delay(AN_HOUR), 2).await;
    let (_mock, _, log) = finished_with_hook(
        Config {
            webhook_timeout_ms: 200,
            webhook_retries: 1,
            ..paused()
        },
        &receiver,
    )
    .await;
    assert_eq!(log["delivery"], "gave_up");
    let attempts = log["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{log}");
    for attempt in attempts {
        assert_eq!(attempt["status"], Value::Null, "{attempt}");
        assert_eq!(attempt["delivered"], false, "{attempt}");
        assert!(
            attempt["error"]
                .as_str()
                .unwrap()
                .contains("no answer within 200 ms"),
            "{attempt}"
        );
    }
    assert_eq!(
        attempts[1]["at_unix_ms"].as_u64().unwrap() - attempts[0]["at_unix_ms"].as_u64().unwrap(),
        1000
    );
}

#[tokio::test]
async fn delivery_gives_up_after_five_retries_and_says_so() {
    let receiver = receiver_expecting(ResponseTemplate::new(503), 6).await;
    let (mock, id, log) = finished_with_hook(fast_hooks(), &receiver).await;
    assert_eq!(log["delivery"], "gave_up");
    assert_eq!(log["attempts"].as_array().unwrap().len(), 6);
    let (_, all) = mock.control(Method::GET, "/_mock/webhooks", None).await;
    assert_eq!(all[0]["task_id"], id.as_str());
    assert_eq!(all[0]["log"]["delivery"], "gave_up");
}

#[tokio::test]
async fn an_unreachable_receiver_is_recorded() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mock = start(Config {
        webhook_retries: 1,
        ..fast_hooks()
    })
    .await;
    let body = json!({"prompt": "p", "extra": {"webhook": {"url": format!("http://127.0.0.1:{port}/hook")}}});
    let id = mock.submit_ok("/v3/async/wan-t2v", &body).await;
    let log = final_log(&mock, &id).await;
    assert_eq!(log["delivery"], "gave_up");
    assert!(
        log["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("refused"),
        "{log}"
    );
}

#[tokio::test]
async fn test_mode_sends_the_simulated_event_at_once() {
    for (status, reason_empty) in [("TASK_STATUS_SUCCEED", true), ("TASK_STATUS_FAILED", false)] {
        let receiver = receiver_expecting(ResponseTemplate::new(200), 1).await;
        // The clock is paused: test mode must not wait for the job.
        let mock = start(fast_hooks()).await;
        let id = mock
            .submit_ok("/v3/async/wan-t2v", &with_hook(&receiver, Some(status)))
            .await;
        let log = mock.webhook_log(&id).await;
        assert_eq!(log["delivery"], "delivered");
        assert_eq!(log["test_mode"], status);
        let event = &received_events(&receiver).await[0];
        assert_eq!(event["payload"]["task"]["status"], status);
        assert_eq!(
            event["payload"]["task"]["reason"]
                .as_str()
                .unwrap()
                .is_empty(),
            reason_empty
        );
        let (_, result) = mock.result(&id).await;
        assert_eq!(result["task"]["status"], status);
        assert_eq!(
            result["videos"].as_array().unwrap().is_empty(),
            !reason_empty
        );
    }
}

#[tokio::test]
async fn reset_cancels_pending_deliveries() {
    let receiver = receiver_expecting(ResponseTemplate::new(200), 0).await;
    let mock = start(fast_hooks()).await;
    mock.submit_ok("/v3/async/wan-t2v", &with_hook(&receiver, None))
        .await;
    mock.control(Method::POST, "/_mock/reset", None).await;
    // Well past the job's end: nothing is sent (the receiver checks `expect(0)` on drop).
    mock.advance(600.0).await;
}

#[tokio::test]
async fn send_webhook_fires_a_test_event_with_retries() {
    let receiver = receiver_answering(&[(502, 1)], 200).await;
    // The receiver answers at once: the timeout is generous, so no answer is taken for one.
    let config = Config {
        speed: 100.0,
        webhook_timeout_ms: 60_000,
        ..Config::default()
    };
    let url = format!("{}/hook", receiver.uri());
    let (delivery, attempts) = novita_mock::send_test_event(&url, true, config)
        .await
        .unwrap();
    assert_eq!(delivery, novita_mock::Delivery::Delivered);
    assert_eq!(attempts.len(), 2);
    let events = received_events(&receiver).await;
    assert_eq!(events[1]["event_type"], "ASYNC_TASK_RESULT");
    assert_eq!(events[1]["payload"]["task"]["status"], "TASK_STATUS_FAILED");
    assert_eq!(
        events[1]["payload"]["extra"]["webhook"]["test_mode"]["return_task_status"],
        "TASK_STATUS_FAILED"
    );
}
