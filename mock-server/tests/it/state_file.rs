//! The state file (`--state`): a stopped mock's tasks, clock, pending webhook attempts and
//! counters come back in the next one. Files that cannot be used are in `state_file_refusals`.

use crate::common;

use common::{start, with_state, Mock};
use novita_mock::Config;
use reqwest::Method;
use serde_json::{json, Value};
use wiremock::{matchers::method, MockServer, ResponseTemplate};

/// Every stored task's result, its webhook log and the mock's counters, with the mock's own
/// address (which changes at each start) taken out.
async fn everything(mock: &Mock, ids: &[String]) -> Value {
    let base = mock.server.url().to_string();
    let mut seen = Vec::new();
    for id in ids {
        let (status, result) = mock.result(id).await;
        let (_, detail) = mock
            .control(Method::GET, &format!("/_mock/tasks/{id}"), None)
            .await;
        seen.push(
            json!({"status": status.as_u16(), "result": result, "webhook": detail["webhook"]}),
        );
    }
    let (_, mut health) = mock.control(Method::GET, "/health", None).await;
    // The schedule's raw length counts stale checks, which a restart leaves behind.
    health["webhooks_pending"].take();
    let text = json!({"tasks": seen, "health": health}).to_string();
    serde_json::from_str(&text.replace(&base, "http://MOCK")).unwrap()
}

#[tokio::test]
async fn a_restart_keeps_tasks_clock_webhooks_and_counters() {
    let dir = tempfile::tempdir().unwrap();
    // The directory does not exist yet: the first mock starts empty and makes it.
    let path = dir.path().join("state").join("mock.json");
    let receiver = MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&receiver)
        .await;
    let hook = json!({"webhook": {"url": format!("{}/hook", receiver.uri())}});

    let mock = start(with_state(&path)).await;
    let evicted = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "evicted soon"}))
        .await;
    let queued = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "queued"}))
        .await;
    let hooked = mock
        .submit_ok(
            "/v3/async/wan-t2v",
            &json!({"prompt": "hooked", "extra": hook}),
        )
        .await;
    let failed = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "failed"}))
        .await;
    let (status, _) = mock
        .post_raw(
            "/v3/async/wan-t2v",
            r#"{"prompt": "stuck"}"#,
            &[("x-mock-scenario", "stuck-processing")],
        )
        .await;
    assert_eq!(status, 200);
    mock.advance(3.0).await;
    // Ended by the control API at the paused instant: the first attempt runs and fails, the
    // retry waits for a clock that does not move.
    mock.control(Method::POST, &format!("/_mock/tasks/{hooked}/finish"), None)
        .await;
    mock.control(
        Method::POST,
        &format!("/_mock/tasks/{failed}/fail"),
        Some(json!({"reason": "ILLEGAL_PROMPT"})),
    )
    .await;
    let log = mock.webhook_log(&hooked).await;
    assert_eq!(log["attempts"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log["delivery"], "pending");

    let (_, list) = mock.control(Method::GET, "/_mock/tasks", None).await;
    let ids: Vec<String> = list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4, "max_tasks 4: the first task was evicted");
    assert!(!ids.contains(&evicted));
    assert!(ids.contains(&queued));
    let before = everything(&mock, &ids).await;
    assert_eq!(before["health"]["evicted"], 1, "{before:#}");
    mock.server.shutdown().await.unwrap();
    assert!(path.exists(), "saved on shutdown");

    let mock = start(with_state(&path)).await;
    let after = everything(&mock, &ids).await;
    assert_eq!(
        after, before,
        "the same tasks answer the same, on the same clock"
    );
    assert_eq!(
        mock.result(&evicted).await.0,
        404,
        "evicted before: still gone"
    );
    let (_, health) = mock.control(Method::GET, "/health", None).await;
    assert_eq!(
        health["webhooks_pending"], 1,
        "the retry is scheduled again"
    );

    // The pending retry is delivered once the clock reaches it.
    receiver.reset().await;
    wiremock::Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    mock.advance(5.0).await;
    let log = mock.webhook_log(&hooked).await;
    assert_eq!(log["delivery"], "delivered", "{log}");
    assert_eq!(log["attempts"].as_array().unwrap().len(), 2, "{log}");
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_state_file_with_more_tasks_than_the_bound_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    let mock = start(with_state(&path)).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": format!("task {i}")}))
                .await,
        );
    }
    mock.server.shutdown().await.unwrap();
    let mock = start(Config {
        max_tasks: 2,
        ..with_state(&path)
    })
    .await;
    assert_eq!(mock.result(&ids[0]).await.0, 404, "the oldest is left out");
    assert_eq!(mock.result(&ids[1]).await.0, 200);
    assert_eq!(mock.result(&ids[2]).await.0, 200);
    let (_, health) = mock.control(Method::GET, "/health", None).await;
    assert_eq!(
        health["evicted"], 1,
        "the task left out is counted: {health}"
    );
    mock.server.shutdown().await.unwrap();
    let mock = start(Config {
        max_tasks: 2,
        ..with_state(&path)
    })
    .await;
    let (_, health) = mock.control(Method::GET, "/health", None).await;
    assert_eq!(health["evicted"], 1, "and saved as evicted: {health}");
}

#[tokio::test]
async fn a_running_clock_resumes_from_the_saved_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    let mock = start(with_state(&path)).await;
    mock.advance(1000.0).await;
    mock.control(Method::POST, "/_mock/clock/resume", None)
        .await;
    mock.server.shutdown().await.unwrap();
    let mock = start(Config {
        paused: false,
        ..with_state(&path)
    })
    .await;
    let (_, clock) = mock.control(Method::GET, "/_mock/clock", None).await;
    assert_eq!(clock["paused"], false);
    assert!(clock["now_seconds"].as_f64().unwrap() >= 1000.0, "{clock}");
}

#[tokio::test]
async fn an_attempt_in_flight_at_shutdown_runs_again_after_the_restart() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // The receiver holds its first connection without answering, and answers 200 after.
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", receiver.local_addr().unwrap());
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (_held, _) = receiver.accept().await.unwrap();
        let _ = first_tx.send(());
        loop {
            let (mut stream, _) = receiver.accept().await.unwrap();
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await;
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    let config = Config {
        shutdown_grace_seconds: 0,
        ..with_state(&path)
    };
    let mock = start(config.clone()).await;
    let id = mock
        .submit_ok(
            "/v3/async/wan-t2v",
            &json!({"prompt": "cut off", "extra": {"webhook": {"url": hook}}}),
        )
        .await;
    mock.control(Method::POST, &format!("/_mock/tasks/{id}/finish"), None)
        .await;
    first_rx
        .await
        .expect("the first attempt reached the receiver");
    mock.server.shutdown().await.unwrap();

    let mock = start(config).await;
    let log = mock.webhook_log(&id).await;
    assert_eq!(log["delivery"], "delivered", "{log}");
    assert_eq!(log["attempts"][0]["attempt"], 1, "{log}");
}

#[tokio::test]
async fn what_a_mock_makes_at_its_extremes_it_restores() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    // A recorded task that ends after 463 days, then one that ends at once.
    let cassette = dir.path().join("day.yaml");
    std::fs::write(
        &cassette,
        "version: 1\ntasks:\n\
         - endpoint: /v3/async/wan-t2v\n  results:\n  - after_ms: 40000000000\n    body: {task: {status: TASK_STATUS_SUCCEED}}\n\
         - endpoint: /v3/async/wan-t2v\n  results:\n  - after_ms: 5\n    body: {task: {status: TASK_STATUS_SUCCEED}}\n",
    )
    .unwrap();
    let config = Config {
        replay: Some(cassette),
        ..with_state(&path)
    };
    let mock = start(config.clone()).await;
    let replayed = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "replayed"}))
        .await;
    let advanced = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "advanced"}))
        .await;
    let far = json!({"seconds": 999_999_999});
    for _ in 0..4 {
        let route = format!("/_mock/tasks/{advanced}/advance");
        let (status, _) = mock.control(Method::POST, &route, Some(far.clone())).await;
        assert_eq!(status, 200);
        mock.advance(999_999_999.0).await;
    }
    let late = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "late"}))
        .await;
    mock.server.shutdown().await.unwrap();

    let mock = start(config).await;
    for id in [&replayed, &advanced] {
        let (status, body) = mock.result(id).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["task"]["status"], "TASK_STATUS_SUCCEED", "{body}");
    }
    mock.run_to_end(&late, "TASK_STATUS_SUCCEED").await;
}
