//! The mock under hostile but fair input: settings that would break its clock, content types
//! that only look like JSON, web pages of other sites driving the control API, and inline
//! images large enough to fill the task store.

use crate::common;

use base64::Engine;
use common::{paused, start, KEY};
use novita_mock::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[test]
fn speeds_the_clock_cannot_hold_stop_the_start() {
    for speed in ["1e300", "1e-300", "0", "-1", "NaN", "inf"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_novita-mock"))
            .args(["--addr", "127.0.0.1:0", &format!("--speed={speed}")])
            .output()
            .expect("the binary runs");
        assert_eq!(output.status.code(), Some(2), "--speed {speed}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("speed (--speed) must be a number from 0.001 to 1000000"),
            "--speed {speed}: {stderr}"
        );
    }
    assert!(Config {
        speed: 1_000_000.0,
        ..Config::for_tests()
    }
    .validate()
    .is_ok());
    assert!(Config {
        speed: 0.001,
        ..Config::for_tests()
    }
    .validate()
    .is_ok());
}

#[tokio::test]
async fn a_content_type_that_only_starts_like_json_is_refused() {
    let mock = start(paused()).await;
    let body = json!({"prompt": "a fox"}).to_string();
    for content_type in ["application/jsonfoo", "application/json-seq", "text/plain"] {
        let response = mock
            .http
            .post(mock.url("/v3/async/wan-t2v"))
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (status, error) = common::read(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{content_type}");
        assert_eq!(error["reason"], "INVALID_REQUEST_BODY");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("Content-Type"),
            "{error}"
        );
    }
    let (status, _) = mock
        .post_raw(
            "/v3/async/wan-t2v",
            &body,
            &[("content-type", "application/json; charset=utf-8")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// A GET of `path` with one header set, as a browser would send it for a page.
async fn get_with(mock: &common::Mock, path: &str, name: &str, value: String) -> reqwest::Response {
    mock.http
        .get(mock.url(path))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

/// What `/health` says now.
async fn health(mock: &common::Mock) -> Value {
    mock.http
        .get(mock.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn task_count(mock: &common::Mock) -> u64 {
    health(mock).await["tasks"].as_u64().unwrap()
}

#[tokio::test]
async fn a_page_of_another_site_cannot_reset_or_read_the_mock() {
    let mock = start(paused()).await;
    mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": "a fox"}))
        .await;
    let port = mock.server.addr().port();
    // What a browser sends for a form-like cross-origin POST: no preflight is needed.
    let cross_site = mock
        .http
        .post(mock.url("/_mock/reset"))
        .header("origin", "https://ads.example")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    let (status, error) = common::read(cross_site).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert_eq!(error["reason"], "FOREIGN_ORIGIN");
    assert_eq!(task_count(&mock).await, 1, "nothing was reset");

    // DNS rebinding: the page's own name now points at 127.0.0.1.
    let rebound = get_with(
        &mock,
        "/_mock/journal",
        "host",
        format!("rebind.example:{port}"),
    )
    .await;
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);

    // The mock's own dashboard (same origin) and programs (no Origin) still drive it.
    let own = get_with(
        &mock,
        "/_mock/tasks",
        "origin",
        format!("http://127.0.0.1:{port}"),
    )
    .await;
    assert_eq!(own.status(), StatusCode::OK);
    let localhost = get_with(&mock, "/_mock/clock", "host", format!("localhost:{port}")).await;
    assert_eq!(localhost.status(), StatusCode::OK);
    // Novita's own routes follow the same rule without a token: a rebound page could fill the
    // store and send webhooks into the network (guards.rs tests them in full).
    let rebound = mock
        .post_raw(
            "/v3/async/wan-t2v",
            r#"{"prompt":"x"}"#,
            &[("host", "api.novita.ai")],
        )
        .await;
    common::assert_novita_error(&rebound, 403, "FOREIGN_ORIGIN");
}

#[tokio::test]
async fn with_the_token_a_request_may_come_from_anywhere() {
    let mock = start(Config {
        control_token: Some("s3cret".into()),
        ..paused()
    })
    .await;
    let answer = mock
        .http
        .get(mock.url("/_mock/tasks"))
        .header("origin", "https://qa-dashboard.example")
        .header("host", "novita-mock.qa.example")
        .header(novita_mock::TOKEN_HEADER, "s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

/// A PNG header of `width` x `height` followed by `padding` bytes, as a data URI.
fn inline_png(width: u32, height: u32, padding: usize) -> String {
    let mut png = common::png_header(width, height);
    png.resize(png.len() + padding, 0);
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

#[tokio::test]
async fn large_inline_images_do_not_push_other_tasks_out() {
    let mock = start(Config {
        max_task_memory_mb: 16,
        ..paused()
    })
    .await;
    let first = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "a fox"}))
        .await;
    // Five 9 MB images (12 MB as base64): kept whole, they would need 60 MB of a 16 MB store.
    let image = inline_png(1280, 720, 9 * 1024 * 1024);
    let mut ids = Vec::new();
    for _ in 0..5 {
        let body = json!({"input": {"prompt": "a fox", "img_url": image}, "parameters": {"resolution": "720P"}});
        ids.push(mock.submit_ok("/v3/async/wan2.6-i2v", &body).await);
    }
    let health = health(&mock).await;
    assert_eq!(health["evicted"], 0, "{health}");
    assert!(
        health["task_bytes"].as_u64().unwrap() < 1024 * 1024,
        "{health}"
    );
    let (status, _) = mock.result(&first).await;
    assert_eq!(status, StatusCode::OK, "the first task is still there");
    let (_, result) = mock.result(&ids[0]).await;
    let request: Value = serde_json::from_str(
        result["extra"]["debug_info"]["request_info"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let kept = request["input"]["img_url"].as_str().unwrap();
    assert!(
        kept.starts_with("data:image/png;base64,[") && kept.ends_with(" characters not kept]"),
        "{kept}"
    );
}

#[tokio::test]
async fn large_uploads_that_stall_do_not_hold_up_small_requests() {
    use tokio::io::AsyncWriteExt;
    let mock = start(paused()).await;
    // Two clients announce the largest body and send one byte of it.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(mock.server.addr())
            .await
            .unwrap();
        let head = format!(
            "POST /v3/async/wan2.6-i2v HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n\
             Content-Type: application/json\r\nContent-Length: 33554432\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stalled.push(stream);
    }
    let ceiling = std::time::Duration::from_secs(30);
    let small = tokio::time::timeout(
        ceiling,
        mock.submit("/v3/async/wan-t2v", &json!({"prompt": "a fox"})),
    )
    .await
    .expect("a small submission is not held up by the stalled uploads");
    assert_eq!(small.0, StatusCode::OK, "{}", small.1);
    let reset = tokio::time::timeout(
        ceiling,
        mock.control(reqwest::Method::POST, "/_mock/reset", None),
    )
    .await
    .expect("the control API is not held up either");
    assert!(reset.0.is_success(), "{}", reset.0);
    drop(stalled);
}
