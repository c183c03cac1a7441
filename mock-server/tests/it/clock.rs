//! The mock-wide clock: read, pause, resume and advance it; while paused nothing moves, and an
//! advance runs everything that falls due on the way, in order.

use crate::common;

use common::{hooked, paused, receiver, start, start_default};
use reqwest::Method;
use serde_json::{json, Value};
use wiremock::MockServer;

const T2V: &str = "/v3/async/wan-t2v";

async fn clock(mock: &common::Mock) -> Value {
    let (status, body) = mock.control(Method::GET, "/_mock/clock", None).await;
    assert_eq!(status, 200);
    body
}

#[tokio::test]
async fn a_paused_clock_holds_every_task_where_it_is() {
    let mock = start(common::paused_at_speed_1()).await;
    assert_eq!(clock(&mock).await["paused"], true);
    assert_eq!(clock(&mock).await["now_seconds"], 0.0);
    let id = mock.submit_ok(T2V, &json!({"prompt": "p"})).await;
    let first = mock.result(&id).await.1;
    // However long this machine takes between the two reads, the task has not moved.
    let second = mock.result(&id).await.1;
    assert_eq!(first["task"], second["task"]);
    assert_eq!(second["task"]["status"], "TASK_STATUS_QUEUED");
    assert_eq!(second["task"]["eta"], 7);

    let after = mock.advance(2.5).await;
    assert_eq!(after["now_seconds"], 2.5);
    let moved = mock.result(&id).await.1;
    assert_eq!(moved["task"]["status"], "TASK_STATUS_PROCESSING");
    assert_eq!(moved["task"]["progress_percent"], 25);
    assert_eq!(
        moved["task"]["eta"], 5,
        "4.5 s left, in whole seconds rounded up"
    );
    // Times in the result follow the mock clock: work started 1 s after submission.
    let debug = &moved["extra"]["debug_info"];
    let submit: u64 = debug["submit_time_ms"].as_str().unwrap().parse().unwrap();
    let execute: u64 = debug["execute_time_ms"].as_str().unwrap().parse().unwrap();
    assert_eq!(execute - submit, 1000);
}

#[tokio::test]
async fn pause_and_resume_answer_the_clock_state() {
    let mock = start_default().await;
    assert_eq!(clock(&mock).await["paused"], false);
    assert_eq!(clock(&mock).await["speed"], 100.0);
    let (status, paused) = mock.control(Method::POST, "/_mock/clock/pause", None).await;
    assert_eq!(status, 200);
    assert_eq!(paused["paused"], true);
    let frozen = paused["now_seconds"].as_f64().unwrap();
    assert_eq!(clock(&mock).await["now_seconds"].as_f64().unwrap(), frozen);
    let (_, resumed) = mock
        .control(Method::POST, "/_mock/clock/resume", None)
        .await;
    assert_eq!(resumed["paused"], false);
    assert!(resumed["now_seconds"].as_f64().unwrap() >= frozen);
}

#[tokio::test]
async fn bad_clock_calls_are_refused_and_change_nothing() {
    let mock = start(paused()).await;
    for (body, names) in [
        (json!({"seconds": -1}), "seconds"),
        (json!({"seconds": "ten"}), "seconds"),
        (json!({}), "seconds"),
        (json!({"seconds": 1, "minutes": 2}), "minutes"),
        (json!([1]), "object"),
    ] {
        let (status, error) = mock
            .control(Method::POST, "/_mock/clock/advance", Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}");
        let message = error["error"].as_str().unwrap();
        assert!(message.contains(names), "{body}: {message}");
    }
    for path in [
        "/_mock/clock/advance",
        "/_mock/clock/pause",
        "/_mock/clock/resume",
    ] {
        let not_json = mock
            .http
            .post(mock.url(path))
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(not_json.status(), 400, "{path}");
    }
    let (status, _) = mock
        .control(Method::POST, "/_mock/clock/pause", Some(json!({"x": 1})))
        .await;
    assert_eq!(status, 400);
    let now = clock(&mock).await;
    assert_eq!(
        (now["paused"].as_bool(), now["now_seconds"].as_f64()),
        (Some(true), Some(0.0))
    );
}

async fn prompts_received(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .map(|r| {
            let event: Value = serde_json::from_slice(&r.body).unwrap();
            let request: Value = serde_json::from_str(
                event["payload"]["extra"]["debug_info"]["request_info"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
            request["prompt"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test]
async fn while_paused_no_retry_fires_and_an_advance_runs_them_in_order() {
    let hooks = receiver(2).await;
    let mock = start(paused()).await;
    // "early" is a 6 s job; "late" a 12 s one: their events fall due at 7 s and 13 s.
    let early = mock.submit_ok(T2V, &hooked(&hooks, "early")).await;
    let late = mock
        .submit_ok(
            T2V,
            &json!({"prompt": "late", "width": 1280, "height": 720,
                    "extra": {"webhook": {"url": format!("{}/hook", hooks.uri())}}}),
        )
        .await;

    mock.advance(7.0).await;
    // The first attempt fell due and failed; its retry is due at 8 s and the clock stays at 7.
    assert_eq!(prompts_received(&hooks).await, ["early"]);
    let log = mock.webhook_log(&early).await;
    assert_eq!(log["delivery"], "pending");
    assert_eq!(log["attempts"].as_array().unwrap().len(), 1);

    // 8 s: early's retry fails again; 10 s: its third try is delivered; 13 s: late's event.
    mock.advance(60.0).await;
    assert_eq!(
        prompts_received(&hooks).await,
        ["early", "early", "early", "late"]
    );
    assert_eq!(mock.webhook_log(&early).await["delivery"], "delivered");
    assert_eq!(mock.webhook_log(&late).await["delivery"], "delivered");
}

#[tokio::test]
async fn the_per_task_advance_moves_its_webhook_too() {
    let hooks = receiver(0).await;
    let mock = start(paused()).await;
    let id = mock.submit_ok(T2V, &hooked(&hooks, "p")).await;
    let (_, summary) = mock
        .control(
            Method::POST,
            &format!("/_mock/tasks/{id}/advance"),
            Some(json!({"seconds": 10})),
        )
        .await;
    assert_eq!(summary["status"], "TASK_STATUS_SUCCEED");
    assert_eq!(mock.webhook_log(&id).await["delivery"], "delivered");
    assert_eq!(
        clock(&mock).await["now_seconds"],
        0.0,
        "the mock clock did not move"
    );
}

#[tokio::test]
async fn start_paused_from_a_scenario_file() {
    let dir = std::env::temp_dir().join(format!("novita-mock-clock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("paused.yaml");
    std::fs::write(&file, "addr: 127.0.0.1:0\npaused: true\nmax_tasks: 10\n").unwrap();
    let config = novita_mock::Config::from_file(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(config.paused);
    assert_eq!(config.max_tasks, 10);
    let mock = start(config).await;
    assert_eq!(clock(&mock).await["paused"], true);
}

#[tokio::test]
async fn eta_is_in_wall_seconds_at_the_mocks_speed() {
    // A 6 s run after 1 s in the queue: 7 mock seconds, read on a paused clock moved by hand.
    for (speed, etas) in [(1.0, [7, 5, 1]), (10.0, [1, 1, 1])] {
        let mock = start(novita_mock::Config { speed, ..paused() }).await;
        let id = mock.submit_ok(T2V, &json!({"prompt": "p"})).await;
        let mut seen = Vec::new();
        for advance in [0.0, 2.5, 4.0] {
            mock.advance(advance).await;
            let eta = mock.result(&id).await.1["task"]["eta"].clone();
            assert!(eta.is_u64(), "whole seconds as the spec shows them: {eta}");
            seen.push(eta.as_u64().unwrap());
        }
        assert_eq!(seen, etas, "at speed {speed}");
    }
}
