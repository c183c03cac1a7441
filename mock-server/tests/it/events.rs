//! The event stream (`GET /_mock/events`): tasks, webhook attempts and requests as
//! Server-Sent Events, filters, `Last-Event-ID`, and the bound on subscribers. Every event is
//! made to happen by the test (submissions, the paused clock moved forward) before it is read.

use crate::common;

use crate::common::sse::{EventReader, Received};
use common::{hooked, paused, receiver, start, Mock};
use serde_json::{json, Value};

async fn subscribe(mock: &Mock, query: &str, last_id: Option<u64>) -> reqwest::Response {
    let mut request = mock.http.get(mock.url(&format!("/_mock/events{query}")));
    if let Some(id) = last_id {
        request = request.header("last-event-id", id.to_string());
    }
    request.send().await.expect("mock answers")
}

async fn stream(mock: &Mock, query: &str, last_id: Option<u64>) -> EventReader {
    EventReader::new(subscribe(mock, query, last_id).await)
}

fn kinds(events: &[Received]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            let what = e.data["status"]
                .as_str()
                .or(e.data["result"].as_str())
                .unwrap_or_default();
            (
                e.data["kind"].as_str().unwrap().to_string(),
                what.to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_task_is_followed_from_creation_through_its_webhook() {
    let mock = start(paused()).await;
    let hook = receiver(0).await;
    let mut events = stream(&mock, "", None).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &hooked(&hook, "a fox"))
        .await;
    mock.advance(600.0).await;
    let got = events.take(4).await;
    assert_eq!(
        kinds(&got),
        [
            ("task.created".into(), String::new()),
            ("task.status".into(), "TASK_STATUS_PROCESSING".into()),
            ("task.finished".into(), "TASK_STATUS_SUCCEED".into()),
            ("webhook.attempt".into(), "delivered".into()),
        ]
    );
    for event in &got {
        assert_eq!(event.data["task_id"], id.as_str());
        assert_eq!(event.data["id"], json!(event.id.unwrap()));
    }
    assert_eq!(got[0].data["endpoint"], "wan-t2v");
    assert_eq!(got[3].data["attempt"], 1);
    assert_eq!(got[3].data["http_status"], 200);
    assert_eq!(got[3].data["delivery"], "delivered");
    let ids: Vec<u64> = got.iter().map(|e| e.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[tokio::test]
async fn control_routes_that_end_a_task_are_told_at_once() {
    let mock = start(paused()).await;
    let mut events = stream(&mock, "?kind=task.finished", None).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    let (status, _) = mock
        .control(
            reqwest::Method::POST,
            &format!("/_mock/tasks/{id}/fail"),
            Some(json!({"reason": "boom"})),
        )
        .await;
    assert_eq!(status, 200);
    let got = events.take(1).await;
    assert_eq!(got[0].data["status"], "TASK_STATUS_FAILED");
    assert_eq!(got[0].data["task_id"], id.as_str());
}

#[tokio::test]
async fn status_watches_are_not_counted_as_pending_webhooks() {
    let mock = start(paused()).await;
    let mut events = stream(&mock, "", None).await;
    mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    events.take(1).await;
    let (_, health) = mock.control(reqwest::Method::GET, "/health", None).await;
    assert_eq!(health["webhooks_pending"], 0, "{health}");
}

#[tokio::test]
async fn last_event_id_resumes_after_the_event_it_names() {
    let mock = start(paused()).await;
    let mut first = stream(&mock, "", None).await;
    for prompt in ["a", "b", "c"] {
        mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": prompt}))
            .await;
    }
    let seen = first.take(3).await;
    drop(first);
    mock.advance(1.5).await; // the three start work while nobody listens
    let mut again = stream(&mock, "", seen[0].id).await;
    let resumed = again.take(5).await;
    let resumed_ids: Vec<u64> = resumed.iter().map(|e| e.id.unwrap()).collect();
    let first_id = seen[0].id.unwrap();
    assert_eq!(
        resumed_ids,
        (first_id + 1..=first_id + 5).collect::<Vec<_>>()
    );
    assert_eq!(resumed[0].data, seen[1].data);
    assert_eq!(resumed[1].data, seen[2].data);
    assert!(resumed[2..]
        .iter()
        .all(|e| e.data["status"] == "TASK_STATUS_PROCESSING"));
}

#[tokio::test]
async fn filters_keep_one_task_and_some_kinds() {
    let mock = start(paused()).await;
    let _all = stream(&mock, "", None).await;
    let a = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "a"}))
        .await;
    let b = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "b"}))
        .await;
    mock.advance(600.0).await;
    let mut only_b = stream(
        &mock,
        &format!("?task={b}&kind=task.created,task.finished"),
        Some(0),
    )
    .await;
    let got = only_b.take(2).await;
    assert_eq!(
        kinds(&got),
        [
            ("task.created".into(), String::new()),
            ("task.finished".into(), "TASK_STATUS_SUCCEED".into())
        ]
    );
    assert!(got.iter().all(|e| e.data["task_id"] == b.as_str()));
    // Requests are told only to a subscriber that asks for them by name.
    let mut requests = stream(&mock, "?kind=request", None).await;
    let (status, _) = mock.result(&a).await;
    assert_eq!(status, 200);
    let missing = mock
        .http
        .get(mock.url("/no/such/path/123"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // The subscription's own request comes first: it is answered once the stream is open.
    let got = requests.take(3).await;
    assert_eq!(got[0].data["route"], "/_mock/events");
    assert_eq!(got[1].data["route"], "/v3/async/task-result");
    assert_eq!(got[1].data["status"], 200);
    assert_eq!(got[2].data["route"], "unmatched");
    assert_eq!(got[2].data["status"], 404);
    assert_eq!(got[2].data["method"], "GET");
}

#[tokio::test]
async fn a_bad_filter_is_a_json_400_naming_it() {
    let mock = start(paused()).await;
    for (query, names) in [
        ("?kind=task.exploded", "kind"),
        ("?kind=", "kind"),
        ("?task=not-a-task", "task"),
        ("?colour=blue", "colour"),
    ] {
        let response = subscribe(&mock, query, None).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(names), "{query}: {error}");
    }
    let response = mock
        .http
        .get(mock.url("/_mock/events"))
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Last-Event-ID"));
}

#[tokio::test]
async fn subscribers_past_the_bound_get_a_json_503() {
    let mock = start(paused()).await;
    let mut open = Vec::new();
    for _ in 0..16 {
        open.push(stream(&mock, "", None).await);
    }
    let refused = subscribe(&mock, "", None).await;
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("16 subscribers"));
    // The refusal took nothing: the subscribers still get what happens.
    mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    for reader in &mut open {
        assert_eq!(reader.take(1).await[0].data["kind"], "task.created");
    }
}

#[tokio::test]
async fn the_stream_takes_the_token_as_a_query_or_a_bearer() {
    let mock = start(novita_mock::Config {
        control_token: Some("s3cret".into()),
        ..paused()
    })
    .await;
    let refused = subscribe(&mock, "", None).await;
    assert_eq!(refused.status(), 401);
    stream(&mock, "?token=s3cret", None).await;
    let response = mock
        .http
        .get(mock.url("/_mock/events"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let wrong = mock
        .http
        .get(mock.url("/_mock/events"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}
