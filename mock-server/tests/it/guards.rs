//! The control API's token, and webhook targets the mock refuses to call.

use crate::common;

use common::{paused, start};
use novita_mock::Config;
use reqwest::StatusCode;
use serde_json::{json, Value};

const T2V: &str = "/v3/async/wan-t2v";

fn guarded() -> Config {
    Config {
        control_token: Some("s3cret".into()),
        ..paused()
    }
}

async fn get(mock: &common::Mock, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = mock.http.get(mock.url(path));
    if let Some(token) = token {
        request = request.header("x-mock-token", token);
    }
    common::checked(&reqwest::Method::GET, request.send().await.unwrap()).await
}

#[tokio::test]
async fn with_a_token_every_control_route_needs_it() {
    let mock = start(guarded()).await;
    for path in [
        "/_mock/tasks",
        "/_mock/journal",
        "/_mock/clock",
        "/_mock/config",
        "/_mock/webhooks",
        "/_mock/ui",
    ] {
        let missing = get(&mock, path, None).await;
        common::assert_novita_error(&missing, 401, "MISSING_MOCK_TOKEN");
        let wrong = get(&mock, path, Some("guess")).await;
        common::assert_novita_error(&wrong, 401, "INVALID_MOCK_TOKEN");
        assert_eq!(get(&mock, path, Some("s3cret")).await.0, 200, "{path}");
    }
    // Actions too, and nothing happens without the token.
    let reset = mock
        .http
        .post(mock.url("/_mock/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 401);
    let advance = mock
        .http
        .post(mock.url("/_mock/clock/advance"))
        .json(&json!({"seconds": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(advance.status(), 401);
    assert_eq!(
        get(&mock, "/_mock/clock", Some("s3cret")).await.1["now_seconds"],
        0.0
    );
    // The dashboard takes it once in its address (percent-encoded like any query value).
    assert_eq!(get(&mock, "/_mock/ui?token=s3cret", None).await.0, 200);
    assert_eq!(
        get(&mock, "/_mock/ui?task=x&token=s%33cret", None).await.0,
        200
    );
    assert_eq!(
        get(&mock, "/_mock/tasks?token=s3cret", None).await.0,
        401,
        "only the page takes ?token="
    );
}

#[tokio::test]
async fn novita_routes_health_and_videos_stay_open() {
    let mock = start(guarded()).await;
    let id = mock.submit_ok(T2V, &json!({"prompt": "p"})).await;
    assert_eq!(mock.result(&id).await.0, 200);
    assert_eq!(get(&mock, "/health", None).await.0, 200);
    let finish = mock
        .http
        .post(mock.url(&format!("/_mock/tasks/{id}/finish")))
        .header("x-mock-token", "s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(finish.status(), 200);
    let video = mock
        .http
        .get(mock.url(&format!("/_mock/videos/{id}.mp4")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        video.status(),
        200,
        "result links stand for pre-signed URLs"
    );
}

#[tokio::test]
async fn the_scenario_header_needs_the_token_when_one_is_set() {
    let mock = start(guarded()).await;
    let body = r#"{"prompt": "p"}"#;
    let refused = mock
        .post_raw(T2V, body, &[("x-mock-scenario", "rate-limit")])
        .await;
    common::assert_novita_error(&refused, 401, "MISSING_MOCK_TOKEN");
    let steered = mock
        .post_raw(
            T2V,
            body,
            &[
                ("x-mock-scenario", "rate-limit"),
                ("x-mock-token", "s3cret"),
            ],
        )
        .await;
    common::assert_novita_error(&steered, 429, "RATE_LIMIT_EXCEEDED");
    assert_eq!(
        mock.post_raw(T2V, body, &[]).await.0,
        200,
        "plain requests need no token"
    );
}

#[tokio::test]
async fn listening_beyond_loopback_makes_up_a_token() {
    let mut config = Config::for_tests();
    assert_eq!(config.secure_for("127.0.0.1:8080".parse().unwrap()), None);
    assert_eq!(config.secure_for("[::1]:8080".parse().unwrap()), None);
    let made = config
        .secure_for("0.0.0.0:8080".parse().unwrap())
        .expect("a token");
    assert_eq!(config.control_token.as_deref(), Some(made.as_str()));
    assert_eq!(
        config.secure_for("0.0.0.0:8080".parse().unwrap()),
        None,
        "kept, not replaced"
    );

    // Bound to every interface (reached here through loopback only), the control API is shut.
    let mock = start(Config {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..Config::for_tests()
    })
    .await;
    let url = format!("http://127.0.0.1:{}", mock.server.addr().port());
    let response = mock
        .http
        .get(format!("{url}/_mock/tasks"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let token = mock.server.control_token().expect("made up at start");
    let allowed = mock
        .http
        .get(format!("{url}/_mock/tasks"))
        .header("x-mock-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    let health = mock.http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_webhook_to_an_unspecified_address_is_refused_and_logged() {
    // 0.0.0.0 is refused before any connection; even if it were not, it would reach loopback.
    let mock = start(paused()).await;
    let body = json!({"prompt": "p", "extra": {"webhook": {"url": "http://0.0.0.0:9/hook"}}});
    let id = mock.submit_ok(T2V, &body).await;
    mock.advance(600.0).await;
    let log = mock.webhook_log(&id).await;
    assert_eq!(log["delivery"], "refused", "{log}");
    let attempts = log["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "no retries of a refused target");
    let error = attempts[0]["error"].as_str().unwrap();
    assert!(
        error.contains("unspecified") && error.contains("--allow-link-local-webhooks"),
        "{error}"
    );
}

/// Sends `request` with `Host: host` (and the test key), and reads the answer.
async fn with_host(request: reqwest::RequestBuilder, host: &str) -> (StatusCode, Value) {
    let request = request
        .header("host", host)
        .header("authorization", format!("Bearer {}", common::KEY));
    common::read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn without_a_token_novita_routes_refuse_a_rebound_host() {
    let mock = start(Config {
        public_url: Some("http://mock.qa.internal:9000".into()),
        ..paused()
    })
    .await;
    let base = format!("http://{}", mock.server.addr());
    let submit = |host: &'static str, scenario: bool| {
        let mut request = mock
            .http
            .post(format!("{base}{T2V}"))
            .json(&json!({"prompt": "p"}));
        if scenario {
            request = request.header("x-mock-scenario", "rate-limit");
        }
        with_host(request, host)
    };
    for scenario in [false, true] {
        let refused = submit("evil.example", scenario).await;
        common::assert_novita_error(&refused, 403, "FOREIGN_ORIGIN");
    }
    let page = mock
        .http
        .post(format!("{base}{T2V}"))
        .header("origin", "https://evil.example")
        .json(&json!({"prompt": "p"}));
    common::assert_novita_error(&with_host(page, "127.0.0.1").await, 403, "FOREIGN_ORIGIN");
    let tasks = mock.http.get(format!("{base}/_mock/tasks"));
    let (status, detail) = common::read(tasks.send().await.unwrap()).await;
    assert_eq!((status.as_u16(), &detail["stored"]), (200, &json!(0)));

    // The mock's own names still work: loopback, localhost and the host of --public-url.
    let mut ids = Vec::new();
    for host in ["127.0.0.1", "localhost:8080", "mock.qa.internal:9000"] {
        let (status, answer) = submit(host, false).await;
        assert_eq!(status, 200, "{host}: {answer}");
        ids.push(answer["task_id"].as_str().unwrap().to_string());
    }
    let result = |host| {
        let request = mock
            .http
            .get(format!("{base}/v3/async/task-result"))
            .query(&[("task_id", ids[0].as_str())]);
        with_host(request, host)
    };
    common::assert_novita_error(&result("evil.example").await, 403, "FOREIGN_ORIGIN");
    assert_eq!(result("localhost").await.0, 200);
    let finish = mock
        .http
        .post(format!("{base}/_mock/tasks/{}/finish", ids[0]));
    assert_eq!(finish.send().await.unwrap().status(), 200);
    let video = |host| {
        let request = mock.http.get(format!("{base}/_mock/videos/{}.mp4", ids[0]));
        with_host(request, host)
    };
    common::assert_novita_error(&video("evil.example").await, 403, "FOREIGN_ORIGIN");
    assert_eq!(video("mock.qa.internal:9000").await.0, 200);
}

#[tokio::test]
async fn with_a_token_novita_routes_answer_any_host() {
    let mock = start(guarded()).await;
    let request = mock.http.post(mock.url(T2V)).json(&json!({"prompt": "p"}));
    let (status, answer) = with_host(request, "mock.example.com:8080").await;
    assert_eq!(status, 200, "{answer}");
}
