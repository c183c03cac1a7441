//! Faults an asynchronous client must survive, injected per task; each one is named in an
//! `X-Mock-Fault` header and in the journal.

use crate::common;

use common::{hooked, paused, receiver, start};
use reqwest::Method;
use serde_json::{json, Value};
use wiremock::MockServer;

const T2V: &str = "/v3/async/wan-t2v";

/// Submits with `X-Mock-Scenario: <fault>`; returns the task id after checking the answer
/// names the fault.
async fn submit_with(mock: &common::Mock, fault: &str, body: &Value) -> String {
    let response = mock
        .http
        .post(mock.url(T2V))
        .header("authorization", format!("Bearer {}", common::KEY))
        .header("content-type", "application/json")
        .header("x-mock-scenario", fault)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-mock-fault"], fault);
    let body: Value = response.json().await.unwrap();
    body["task_id"].as_str().unwrap().to_string()
}

async fn status_and_progress(mock: &common::Mock, id: &str) -> (String, u64, f64) {
    let body = mock.result(id).await.1;
    (
        body["task"]["status"].as_str().unwrap().to_string(),
        body["task"]["progress_percent"].as_u64().unwrap(),
        body["task"]["eta"].as_f64().unwrap(),
    )
}

#[tokio::test]
async fn stuck_tasks_stay_until_the_control_api_ends_them() {
    let mock = start(paused()).await;
    let queued = submit_with(&mock, "stuck-queued", &json!({"prompt": "p"})).await;
    let processing = submit_with(&mock, "stuck-processing", &json!({"prompt": "p"})).await;
    mock.advance(3600.0).await;
    assert_eq!(
        status_and_progress(&mock, &queued).await.0,
        "TASK_STATUS_QUEUED"
    );
    let (status, progress, _) = status_and_progress(&mock, &processing).await;
    assert_eq!((status.as_str(), progress), ("TASK_STATUS_PROCESSING", 50));
    // The task-result answer names the fault too.
    let response = mock
        .http
        .get(mock.url(&format!("/v3/async/task-result?task_id={queued}")))
        .header("authorization", format!("Bearer {}", common::KEY))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-mock-fault"], "stuck-queued");
    mock.control(Method::POST, &format!("/_mock/tasks/{queued}/finish"), None)
        .await;
    assert_eq!(
        status_and_progress(&mock, &queued).await.0,
        "TASK_STATUS_SUCCEED"
    );
}

#[tokio::test]
async fn a_lying_eta_and_a_backward_step_of_progress() {
    let mock = start(paused()).await;
    let liar = submit_with(&mock, "eta-lies", &json!({"prompt": "p"})).await;
    let regress = submit_with(&mock, "progress-regress", &json!({"prompt": "p"})).await;
    mock.advance(3.0).await; // 2 s into a 6 s job: a third done, eta claims 0
    let (status, _, eta) = status_and_progress(&mock, &liar).await;
    assert_eq!((status.as_str(), eta), ("TASK_STATUS_PROCESSING", 0.0));
    let mut progress = Vec::new();
    for _ in 0..12 {
        progress.push(status_and_progress(&mock, &regress).await.1);
        mock.advance(0.4).await;
    }
    let drops = progress.windows(2).filter(|w| w[1] < w[0]).count();
    assert_eq!(drops, 1, "{progress:?}");
    mock.advance(10.0).await;
    assert_eq!(
        status_and_progress(&mock, &liar).await.0,
        "TASK_STATUS_SUCCEED"
    );
}

async fn events(server: &MockServer) -> Vec<(Value, Option<String>)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let fault = r
                .headers
                .get("x-mock-fault")
                .map(|v| v.to_str().unwrap().to_string());
            (serde_json::from_slice(&r.body).unwrap(), fault)
        })
        .collect()
}

#[tokio::test]
async fn webhook_delivered_twice() {
    let hooks = receiver(0).await;
    let mock = start(paused()).await;
    let id = submit_with(&mock, "webhook-twice", &hooked(&hooks, "p")).await;
    mock.advance(600.0).await;
    let received = events(&hooks).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].0, received[1].0, "the same event twice");
    assert_eq!(received[0].1.as_deref(), Some("webhook-twice"));
    let log = mock.webhook_log(&id).await;
    assert_eq!(log["attempts"][1]["duplicate"], true, "{log}");
}

#[tokio::test]
async fn webhook_before_the_submit_answer() {
    let hooks = receiver(0).await;
    let mock = start(paused()).await;
    let id = submit_with(&mock, "webhook-early", &hooked(&hooks, "p")).await;
    // Nothing else ran in between: the event was there when the answer came.
    let received = events(&hooks).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].0["payload"]["task"]["task_id"], id.as_str());
    assert_eq!(
        received[0].0["payload"]["task"]["status"],
        "TASK_STATUS_SUCCEED"
    );
}

#[tokio::test]
async fn a_late_webhook_arrives_after_a_later_task_s() {
    let hooks = receiver(0).await;
    let mock = start(paused()).await;
    let first = submit_with(&mock, "webhook-late:30", &hooked(&hooks, "first")).await;
    let second = mock.submit_ok(T2V, &hooked(&hooks, "second")).await;
    mock.advance(600.0).await;
    let order: Vec<Value> = events(&hooks)
        .await
        .into_iter()
        .map(|(event, _)| event["payload"]["task"]["task_id"].clone())
        .collect();
    assert_eq!(order, [json!(second), json!(first)]);
}

#[tokio::test]
async fn a_cut_download_and_an_expired_link() {
    let mock = start(paused()).await;
    let cut = submit_with(&mock, "cut-download:1000", &json!({"prompt": "p"})).await;
    let expired = submit_with(&mock, "expired-link", &json!({"prompt": "p"})).await;
    mock.advance(10.0).await;

    let url = mock.url(&format!("/_mock/videos/{cut}.mp4"));
    let response = mock.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-mock-fault"], "cut-download:1000");
    let announced: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 1000);
    assert!(
        response.bytes().await.is_err(),
        "the body ends short of its length"
    );
    let again = mock
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(again.len(), announced, "the fault strikes once");

    let gone = mock
        .http
        .get(mock.url(&format!("/_mock/videos/{expired}.mp4")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 403);
    assert!(gone.text().await.unwrap().contains("Request has expired"));
}

#[tokio::test]
async fn faults_come_from_the_queue_and_are_journaled() {
    let mock = start(paused()).await;
    let (status, _) = mock
        .control(
            Method::POST,
            "/_mock/outcomes",
            Some(json!({"outcome": {"type": "webhook_late", "seconds": 5}})),
        )
        .await;
    assert_eq!(status, 200);
    let id = mock.submit_ok(T2V, &json!({"prompt": "p"})).await;
    let (_, list) = mock.control(Method::GET, "/_mock/tasks", None).await;
    assert_eq!(list["tasks"][0]["fault"], "webhook-late:5");
    let (_, page) = mock.control(Method::GET, "/_mock/journal", None).await;
    assert_eq!(page["entries"][0]["fault"], "webhook-late:5");
    assert_eq!(mock.result(&id).await.0, 200);
    let (_, page) = mock.control(Method::GET, "/_mock/journal", None).await;
    assert_eq!(
        page["entries"][1]["fault"], "webhook-late:5",
        "the poll's answer too"
    );

    let (status, error) = mock
        .control(
            Method::POST,
            "/_mock/outcomes",
            Some(json!({"outcome": {"type": "webhook_late", "seconds": -5}})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error["error"].as_str().unwrap().contains("seconds"),
        "{error}"
    );
    let bad_header = mock
        .post_raw(
            T2V,
            "{\"prompt\":\"p\"}",
            &[("x-mock-scenario", "cut-download:half")],
        )
        .await;
    common::assert_novita_error(&bad_header, 400, "INVALID_MOCK_SCENARIO");
}
