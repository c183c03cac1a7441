//! Tasks move QUEUED -> PROCESSING -> SUCCEED with Novita's result shape; auth and routing
//! answer like Novita.

use crate::common;

use common::{assert_novita_error, start, start_default, KEY};
use novita_mock::Config;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_task_is_queued_then_processes_then_succeeds() {
    let mock = start(common::paused_at_speed_1()).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "a fox", "seed": 42}))
        .await;
    let (status, first) = mock.result(&id).await;
    assert_eq!(status, 200);
    assert_eq!(first["task"]["status"], "TASK_STATUS_QUEUED");
    assert_eq!(first["task"]["task_type"], "WAN_TXT_TO_VIDEO");
    assert_eq!(first["task"]["progress_percent"], 0);
    assert_eq!(first["task"]["eta"], 7, "1 s queued plus 6 s of work");
    assert_eq!(first["extra"]["seed"], "42");
    assert!(first["extra"]["debug_info"]["submit_time_ms"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());
    assert_eq!(
        first["extra"]["debug_info"]["complete_time_ms"], "0",
        "a time that has not happened yet is \"0\""
    );
    assert_eq!(first["videos"], json!([]));

    // Half a second at a time through the whole 7 s: every phase, in order.
    let mut seen = vec![first];
    for _ in 0..15 {
        mock.advance(0.5).await;
        seen.push(mock.result(&id).await.1);
    }
    assert_eq!(
        seen[2]["task"]["status"], "TASK_STATUS_PROCESSING",
        "at 1 s"
    );
    assert_eq!(seen[8]["task"]["progress_percent"], 50, "at 4 s");
    assert_eq!(seen[8]["task"]["eta"], 3);
    assert_eq!(seen[14]["task"]["status"], "TASK_STATUS_SUCCEED", "at 7 s");
    let statuses: Vec<_> = seen
        .iter()
        .map(|b| b["task"]["status"].as_str().unwrap().to_string())
        .collect();
    assert!(
        statuses.contains(&"TASK_STATUS_PROCESSING".to_string()),
        "{statuses:?}"
    );
    let progress: Vec<u64> = seen
        .iter()
        .map(|b| b["task"]["progress_percent"].as_u64().unwrap())
        .collect();
    let eta: Vec<f64> = seen
        .iter()
        .map(|b| b["task"]["eta"].as_f64().unwrap())
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress must rise: {progress:?}"
    );
    assert!(
        eta.windows(2).all(|w| w[0] >= w[1]),
        "eta must fall: {eta:?}"
    );

    let done = seen.last().unwrap();
    assert_eq!(done["task"]["progress_percent"], 100);
    assert_eq!(done["task"]["eta"], 0);
    assert_eq!(done["task"]["reason"], "");
    let video = &done["videos"][0];
    assert_eq!(video["video_url_ttl"], "3600");
    assert_eq!(video["video_type"], "mp4");
    assert!(video["video_url"]
        .as_str()
        .unwrap()
        .starts_with(mock.server.url()));
    let debug = &done["extra"]["debug_info"];
    let submit: u64 = debug["submit_time_ms"].as_str().unwrap().parse().unwrap();
    let execute: u64 = debug["execute_time_ms"].as_str().unwrap().parse().unwrap();
    let complete: u64 = debug["complete_time_ms"].as_str().unwrap().parse().unwrap();
    assert!(submit <= execute && execute <= complete);
    assert_eq!(debug["request_info"], "{\"prompt\":\"a fox\",\"seed\":42}");
}

#[tokio::test]
async fn task_types_follow_the_endpoint() {
    let mock = start_default().await;
    for (path, body, task_type) in [
        (
            "/v3/async/wan-i2v",
            json!({"prompt": "p", "image_url": "http://127.0.0.1:9/x.png"}),
            "WAN_IMG_TO_VIDEO",
        ),
        (
            "/v3/async/wan2.6-i2v",
            json!({"input": {"img_url": "http://127.0.0.1:9/x.png"}}),
            "WAN_2_6_IMG_TO_VIDEO",
        ),
        (
            "/v3/async/wan2.7-i2v",
            json!({"image_url": "http://127.0.0.1:9/x.png"}),
            "WAN_2_7_IMG_TO_VIDEO",
        ),
    ] {
        let id = mock.submit_ok(path, &body).await;
        assert_eq!(mock.result(&id).await.1["task"]["task_type"], task_type);
    }
}

#[tokio::test]
async fn random_seed_for_minus_one_and_kept_seed_otherwise() {
    let mock = start_default().await;
    let a = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p", "seed": -1}))
        .await;
    let b = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    let seed = |body: serde_json::Value| {
        body["extra"]["seed"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    let (sa, sb) = (seed(mock.result(&a).await.1), seed(mock.result(&b).await.1));
    assert!(sa >= 0 && sb >= 0);
    let c = mock
        .submit_ok(
            "/v3/async/wan-t2v",
            &json!({"prompt": "p", "seed": 9_999_999_999i64}),
        )
        .await;
    assert_eq!(mock.result(&c).await.1["extra"]["seed"], "9999999999");
}

#[tokio::test]
async fn auth_missing_invalid_bare_and_bearer() {
    let mock = start(Config {
        api_keys: vec![KEY.into(), "second".into()],
        ..Config::for_tests()
    })
    .await;
    let url = mock.url("/v3/async/wan-t2v");
    let send = |auth: Option<&str>| {
        let mut request = mock
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body("{\"prompt\":\"p\"}");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        async { common::read(request.send().await.unwrap()).await }
    };
    assert_novita_error(&send(None).await, 400, "MISSING_API_KEY");
    assert_novita_error(&send(Some("")).await, 400, "MISSING_API_KEY");
    assert_novita_error(&send(Some("Bearer ")).await, 400, "MISSING_API_KEY");
    assert_novita_error(&send(Some("Bearer wrong")).await, 403, "INVALID_API_KEY");
    assert_eq!(send(Some("Bearer qa-key")).await.0, 200);
    assert_eq!(
        send(Some("qa-key")).await.0,
        200,
        "the JS SDK sends the bare key"
    );
    assert_eq!(send(Some("bearer second")).await.0, 200);
    let bad_result = mock
        .http
        .get(mock.url("/v3/async/task-result?task_id=x"))
        .header("authorization", "nope")
        .send()
        .await
        .unwrap();
    assert_novita_error(&common::read(bad_result).await, 403, "INVALID_API_KEY");
}

#[tokio::test]
async fn a_task_is_only_visible_to_its_key() {
    let mock = start_default().await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    let other = mock
        .http
        .get(mock.url(&format!("/v3/async/task-result?task_id={id}")))
        .header("authorization", "Bearer someone-else")
        .send()
        .await
        .unwrap();
    assert_novita_error(&common::read(other).await, 404, "TASK_NOT_FOUND");
}

#[tokio::test]
async fn unknown_task_path_and_method() {
    let mock = start_default().await;
    let message = assert_novita_error(&mock.result("no-such-task").await, 404, "TASK_NOT_FOUND");
    assert!(message.contains("no-such-task"));
    let unknown = mock.http.get(mock.url("/v3/async/wan-t3v")).send().await;
    let unknown = common::read(unknown.unwrap()).await;
    assert_novita_error(&unknown, 404, "API_NOT_FOUND");
    let missing = mock
        .http
        .get(mock.url("/v3/async/task-result"))
        .header("authorization", "Bearer k")
        .send()
        .await
        .unwrap();
    let message = assert_novita_error(&common::read(missing).await, 400, "INVALID_REQUEST_BODY");
    assert!(message.starts_with("task_id"));
    let wrong = mock
        .http
        .get(mock.url("/v3/async/wan-t2v"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["allow"], "POST");
    assert_novita_error(&common::read(wrong).await, 405, "METHOD_NOT_ALLOWED");
    let wrong = mock
        .http
        .delete(mock.url("/v3/async/task-result"))
        .send()
        .await
        .unwrap();
    assert!(wrong.headers()["allow"].to_str().unwrap().contains("GET"));
    // The control API answers a wrong method the same way (axum's own fallback, Allow kept).
    let wrong = mock
        .http
        .get(mock.url("/_mock/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.headers()["allow"], "POST");
    assert_novita_error(&common::read(wrong).await, 405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn health_answers() {
    let mock = start_default().await;
    let (status, body) = mock.control(Method::GET, "/health", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn rate_limit_applies_per_endpoint() {
    let mock = start(Config {
        rate_limit: Some(2),
        ..Config::for_tests()
    })
    .await;
    for _ in 0..2 {
        mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
            .await;
    }
    let refused = mock
        .submit("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    assert_novita_error(&refused, 429, "RATE_LIMIT_EXCEEDED");
    // The limiter knows when a place frees up and says so, in whole seconds.
    let response = mock
        .http
        .post(mock.url("/v3/async/wan-t2v"))
        .header("authorization", format!("Bearer {}", common::KEY))
        .json(&json!({"prompt": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let seconds: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    mock.submit_ok(
        "/v3/async/wan-i2v",
        &json!({"prompt": "p", "image_url": "u"}),
    )
    .await;
}

#[tokio::test]
async fn planned_lifecycles_scale_with_resolution_and_duration() {
    // The 480p job runs 6 s and the 720p one 12 s (plus 1 s queued); compare their ETAs.
    let mock = start(common::paused_at_speed_1()).await;
    let eta = |body: serde_json::Value| body["task"]["eta"].as_f64().unwrap();
    let small = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    let large = mock
        .submit_ok(
            "/v3/async/wan-t2v",
            &json!({"prompt": "p", "width": 1280, "height": 720}),
        )
        .await;
    let short = mock
        .submit_ok(
            "/v3/async/wan2.7-i2v",
            &json!({"image_url": "u", "duration": 2, "resolution": "720P"}),
        )
        .await;
    let long = mock
        .submit_ok(
            "/v3/async/wan2.7-i2v",
            &json!({"image_url": "u", "duration": 15, "resolution": "1080P"}),
        )
        .await;
    let (small, large) = (
        eta(mock.result(&small).await.1),
        eta(mock.result(&large).await.1),
    );
    assert!(large > small * 1.5, "{small} {large}");
    let (short, long) = (
        eta(mock.result(&short).await.1),
        eta(mock.result(&long).await.1),
    );
    assert!(long > short * 5.0, "{short} {long}");
}
