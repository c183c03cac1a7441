//! `GET /_mock/metrics` in the Prometheus text format: counted by route template and status
//! (never by the raw path), submissions by endpoint and outcome, gauges read at the scrape,
//! behind the control API's guard. `tests/prometheus.rs` has a real Prometheus scrape it.

use crate::common;

use common::{paused, start, Mock};
use serde_json::json;

async fn scrape(mock: &Mock, token: Option<&str>) -> (u16, String) {
    let mut request = mock.http.get(mock.url("/_mock/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status == 200 {
        let kind = response.headers()["content-type"].to_str().unwrap();
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    }
    (status, response.text().await.unwrap())
}

/// The value of the sample written exactly `series` (name and labels as the text has them).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status() {
    let mock = start(paused()).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": "q"}))
        .await;
    let (status, _) = mock
        .submit("/v3/async/wan-t2v", &json!({"prompt": 5}))
        .await;
    assert_eq!(status, 400);
    mock.result(&id).await;
    mock.control(reqwest::Method::GET, &format!("/_mock/tasks/{id}"), None)
        .await;
    for n in 0..50 {
        let url = mock.url(&format!("/nothing/here/{n}"));
        assert_eq!(mock.http.get(url).send().await.unwrap().status(), 404);
    }
    let (status, text) = scrape(&mock, None).await;
    assert_eq!(status, 200, "{text}");
    let requests = |route: &str, status: &str| {
        sample(
            &text,
            &format!("novita_mock_requests_total{{route=\"{route}\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(requests("/v3/async/wan-t2v", "200"), Some(2.0), "{text}");
    assert_eq!(requests("/v3/async/wan-t2v", "400"), Some(1.0));
    assert_eq!(requests("/v3/async/task-result", "200"), Some(1.0));
    assert_eq!(requests("/_mock/tasks/{id}", "200"), Some(1.0));
    // Fifty paths of no route are one series: the raw path is never a label.
    assert_eq!(requests("unmatched", "404"), Some(50.0));
    assert!(!text.contains("/nothing/here"));
    assert!(!text.contains(&id));
    let submissions = |outcome: &str| {
        sample(
            &text,
            &format!("novita_mock_submissions_total{{endpoint=\"wan-t2v\",outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(submissions("accepted"), Some(2.0));
    assert_eq!(submissions("rejected"), Some(1.0));
    assert_eq!(
        sample(&text, "novita_mock_tasks{status=\"TASK_STATUS_QUEUED\"}"),
        Some(2.0)
    );
    assert_eq!(sample(&text, "novita_mock_clock_paused"), Some(1.0));
    assert_eq!(sample(&text, "novita_mock_store_tasks"), Some(2.0));
    assert_eq!(
        sample(&text, "novita_mock_store_tasks_limit"),
        Some(100_000.0)
    );
    assert!(text.contains("novita_mock_build_info{version=\""));
    // The scrape itself is counted (by the next scrape).
    let (_, again) = scrape(&mock, None).await;
    assert_eq!(
        sample(
            &again,
            "novita_mock_requests_total{route=\"/_mock/metrics\",status=\"200\"}"
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn tasks_move_between_status_gauges_with_the_clock() {
    let mock = start(paused()).await;
    mock.submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    mock.advance(2.0).await;
    let (_, text) = scrape(&mock, None).await;
    assert_eq!(
        sample(
            &text,
            "novita_mock_tasks{status=\"TASK_STATUS_PROCESSING\"}"
        ),
        Some(1.0)
    );
    mock.advance(600.0).await;
    let (_, text) = scrape(&mock, None).await;
    assert_eq!(
        sample(&text, "novita_mock_tasks{status=\"TASK_STATUS_SUCCEED\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "novita_mock_tasks{status=\"TASK_STATUS_PROCESSING\"}"
        ),
        Some(0.0)
    );
}

#[tokio::test]
async fn webhook_attempts_are_counted_by_result() {
    let mock = start(paused()).await;
    let failing = common::receiver(1).await;
    mock.submit_ok("/v3/async/wan-t2v", &common::hooked(&failing, "p"))
        .await;
    mock.advance(600.0).await;
    let (_, text) = scrape(&mock, None).await;
    let attempts = |result: &str| {
        sample(
            &text,
            &format!("novita_mock_webhook_attempts_total{{result=\"{result}\"}}"),
        )
    };
    assert_eq!(attempts("rejected"), Some(1.0), "{text}");
    assert_eq!(attempts("delivered"), Some(1.0));
    assert_eq!(attempts("no_answer"), Some(0.0));
    assert_eq!(sample(&text, "novita_mock_webhooks_pending"), Some(0.0));
}

#[tokio::test]
async fn the_metrics_need_the_token_and_take_it_as_a_bearer() {
    let mock = start(novita_mock::Config {
        control_token: Some("s3cret".into()),
        ..paused()
    })
    .await;
    assert_eq!(scrape(&mock, None).await.0, 401);
    assert_eq!(scrape(&mock, Some("wrong")).await.0, 401);
    let (status, text) = scrape(&mock, Some("s3cret")).await;
    assert_eq!(status, 200);
    assert_eq!(
        sample(&text, "novita_mock_clock_speed"),
        Some(100.0),
        "{text}"
    );
    let with_header = mock
        .http
        .get(mock.url("/_mock/metrics"))
        .header(novita_mock::TOKEN_HEADER, "s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(with_header.status(), 200);
}

#[tokio::test]
async fn without_a_token_a_page_of_another_site_is_refused() {
    let mock = start(paused()).await;
    let response = mock
        .http
        .get(mock.url("/_mock/metrics"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}
