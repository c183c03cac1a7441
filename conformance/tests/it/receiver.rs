//! The client's ready webhook receiver (`novita_video::receiver`) against the mock's real
//! deliveries: each genuine event handed on exactly once, under the mock's duplicate, early
//! and late deliveries; forged and malformed events refused and never handed on.
//!
//! The clock is paused, and the receiver hands a result on before it answers: once the mock's
//! clock advance (which runs every delivery that falls due) or the test's own post has been
//! answered, what the channel holds is final. Nothing here waits on real time.

use conformance::harness::{Harness, MOCK_KEY};
use novita_mock::Config;
use novita_video::{
    receiver::WebhookReceiver, types::TaskResultResponse, NovitaClient, TaskStatus,
    WEBHOOK_BODY_LIMIT,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::mpsc::{error::TryRecvError, Receiver};

struct Setup {
    h: Harness,
    /// Where the receiver listens.
    hook: String,
    confirmed: Receiver<TaskResultResponse>,
}

async fn setup() -> Setup {
    setup_with_client(|h| h.client.clone()).await
}

async fn setup_with_client(client: impl FnOnce(&Harness) -> NovitaClient) -> Setup {
    let h = Harness::mock_with(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await;
    let (receiver, confirmed) = WebhookReceiver::new(client(&h)).build();
    let app = axum::Router::new().route("/novita", receiver.route());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/novita", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Setup { h, hook, confirmed }
}

impl Setup {
    /// Submits a Wan 2.7 task whose webhook is the receiver, with a mock fault if given.
    async fn submit(&self, fault: Option<&str>) -> String {
        let mut request = self
            .h
            .http
            .post(format!("{}/v3/async/wan2.7-t2v", self.h.base_url))
            .bearer_auth(&self.h.api_key)
            .json(&json!({"prompt": "a fox", "extra": {"webhook": {"url": self.hook}}}));
        if let Some(fault) = fault {
            request = request.header("x-mock-scenario", fault);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        answer["task_id"].as_str().unwrap().to_string()
    }

    /// Moves the mock clock; every delivery that falls due has run when this returns.
    async fn advance(&self, seconds: u64) {
        self.h
            .control(
                Method::POST,
                "/_mock/clock/advance",
                Some(json!({ "seconds": seconds })),
            )
            .await;
    }

    /// Every result handed on so far, in order.
    fn handed_on(&mut self) -> Vec<TaskResultResponse> {
        let mut all = Vec::new();
        loop {
            match self.confirmed.try_recv() {
                Ok(result) => all.push(result),
                Err(TryRecvError::Empty) => return all,
                Err(TryRecvError::Disconnected) => panic!("the receiver is gone"),
            }
        }
    }

    /// The mock's record of the task's webhook attempts: the receiver's answers.
    async fn attempt_statuses(&self, task_id: &str) -> Vec<Value> {
        let task = self
            .h
            .control(Method::GET, &format!("/_mock/tasks/{task_id}"), None)
            .await;
        task["webhook"]["attempts"]
            .as_array()
            .unwrap_or_else(|| panic!("no attempts in {task}"))
            .iter()
            .map(|a| a["status"].clone())
            .collect()
    }

    /// Posts an event as the test writes it; returns the receiver's answer.
    async fn post(&self, body: impl Into<reqwest::Body>) -> StatusCode {
        self.h
            .http
            .post(&self.hook)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    }
}

fn task_of(result: &TaskResultResponse) -> (String, Option<TaskStatus>) {
    let task = result.task.clone().unwrap_or_default();
    (task.task_id.unwrap_or_default(), task.status)
}

fn event(task_id: &str, status: &str) -> String {
    json!({
        "event_type": "ASYNC_TASK_RESULT",
        "payload": {
            "task": {"task_id": task_id, "status": status},
            "videos": [{"video_url": "https://attacker.example/evil.mp4", "video_url_ttl": "3600", "video_type": "mp4"}]
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_genuine_event_is_handed_on_once_with_novitas_answer() {
    let mut s = setup().await;
    let task_id = s.submit(None).await;
    assert!(s.handed_on().is_empty(), "handed on before the task ended");
    s.advance(3600).await;
    let handed = s.handed_on();
    assert_eq!(handed.len(), 1, "{handed:?}");
    assert_eq!(
        task_of(&handed[0]),
        (task_id.clone(), Some(TaskStatus::Succeed))
    );
    assert!(
        handed[0].videos[0]
            .video_url
            .as_deref()
            .is_some_and(|url| url.starts_with(s.h.mock_url())),
        "the video URL is Novita's (the mock's): {:?}",
        handed[0].videos
    );
    assert_eq!(s.attempt_statuses(&task_id).await, [json!(200)]);
}

#[tokio::test]
async fn a_duplicate_delivery_is_acknowledged_and_not_handed_on_again() {
    let mut s = setup().await;
    let task_id = s.submit(Some("webhook-twice")).await;
    s.advance(3600).await;
    let handed = s.handed_on();
    assert_eq!(handed.len(), 1, "{handed:?}");
    assert_eq!(task_of(&handed[0]).0, task_id);
    assert_eq!(
        s.attempt_statuses(&task_id).await,
        [json!(200), json!(200)],
        "both deliveries were acknowledged"
    );
}

#[tokio::test]
async fn an_event_sent_before_the_submit_answer_is_handed_on_once() {
    let mut s = setup().await;
    let task_id = s.submit(Some("webhook-early")).await;
    let handed = s.handed_on();
    assert_eq!(handed.len(), 1, "{handed:?}");
    assert_eq!(task_of(&handed[0]).0, task_id);
    s.advance(3600).await;
    assert!(s.handed_on().is_empty(), "handed on twice");
}

#[tokio::test]
async fn late_events_arrive_out_of_order_and_each_is_handed_on_once() {
    let mut s = setup().await;
    let late = s.submit(Some("webhook-late:600")).await;
    let on_time = s.submit(None).await;
    s.advance(300).await;
    let first: Vec<_> = s.handed_on().iter().map(task_of).collect();
    assert_eq!(first, [(on_time, Some(TaskStatus::Succeed))]);
    s.advance(3600).await;
    let then: Vec<_> = s.handed_on().iter().map(task_of).collect();
    assert_eq!(then, [(late, Some(TaskStatus::Succeed))]);
}

#[tokio::test]
async fn forged_events_are_refused_and_never_handed_on() {
    let mut s = setup().await;
    // A task nobody created.
    assert_eq!(
        s.post(event("forged-task", "TASK_STATUS_SUCCEED")).await,
        StatusCode::NOT_FOUND
    );
    // A real task, still running on the paused clock, claimed finished.
    let running = s.submit(None).await;
    assert_eq!(
        s.post(event(&running, "TASK_STATUS_SUCCEED")).await,
        StatusCode::CONFLICT
    );
    assert!(s.handed_on().is_empty());
    // Its genuine event, once it ends, is handed on, with the mock's URL and not the forger's.
    s.advance(3600).await;
    let handed = s.handed_on();
    assert_eq!(handed.len(), 1);
    assert!(
        !format!("{:?}", handed[0].videos).contains("attacker.example"),
        "{:?}",
        handed[0].videos
    );
    // Replaying the forged body now that the task has succeeded: confirmed, but already handled.
    assert_eq!(
        s.post(event(&running, "TASK_STATUS_SUCCEED")).await,
        StatusCode::OK
    );
    assert!(s.handed_on().is_empty());
}

#[tokio::test]
async fn a_task_of_another_key_is_unknown_to_this_receiver() {
    let mut s = setup_with_client(|h| {
        NovitaClient::builder()
            .api_key("another-key")
            .base_url(&h.base_url)
            .build()
            .unwrap()
    })
    .await;
    assert_ne!(s.h.api_key, "another-key");
    assert_eq!(s.h.api_key, MOCK_KEY);
    let task_id = s.submit(None).await;
    s.advance(3600).await;
    assert!(s.handed_on().is_empty());
    assert_eq!(s.attempt_statuses(&task_id).await[0], json!(404));
}

#[tokio::test]
async fn malformed_bodies_get_a_4xx_and_other_events_are_acknowledged() {
    let mut s = setup().await;
    let cases: Vec<(Vec<u8>, StatusCode)> = vec![
        (b"<html>not json</html>".to_vec(), StatusCode::BAD_REQUEST),
        (
            vec![b' '; WEBHOOK_BODY_LIMIT + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            json!({"event_type": "ASYNC_TASK_RESULT", "payload": {"task": {"status": "TASK_STATUS_SUCCEED"}}})
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            event("t-1", "TASK_STATUS_EXPLODED").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            event("t-1", "TASK_STATUS_PROCESSING").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"event_type": "SOMETHING_NEW", "payload": {}})
                .to_string()
                .into_bytes(),
            StatusCode::OK,
        ),
    ];
    for (body, expected) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        assert_eq!(s.post(body).await, expected, "{shown}");
    }
    assert!(s.handed_on().is_empty());
}
