//! The control API and the forced outcomes, by queue and by header.

use crate::common;

use std::time::{Duration, Instant};

use common::{assert_novita_error, paused, start, start_default, Mock};
use novita_mock::{Config, Outcome, QueuedOutcome};
use reqwest::Method;
use serde_json::json;

const T2V: &str = "/v3/async/wan-t2v";

async fn queue(mock: &Mock, outcome: serde_json::Value) {
    let (status, body) = mock
        .control(Method::POST, "/_mock/outcomes", Some(outcome))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn list_inspect_finish_fail_and_advance_tasks() {
    let mock = start(paused()).await;
    let a = mock.submit_ok(T2V, &json!({"prompt": "a"})).await;
    let b = mock.submit_ok(T2V, &json!({"prompt": "b"})).await;
    let c = mock.submit_ok(T2V, &json!({"prompt": "c"})).await;

    let (_, list) = mock.control(Method::GET, "/_mock/tasks", None).await;
    assert_eq!(
        (list["stored"].as_u64(), list["evicted"].as_u64()),
        (Some(3), Some(0))
    );
    let list = &list["tasks"];
    let ids: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str(), b.as_str(), c.as_str()]);
    assert_eq!(list[0]["status"], "TASK_STATUS_QUEUED");
    assert_eq!(list[0]["endpoint"], "wan-t2v");

    let (status, finished) = mock
        .control(Method::POST, &format!("/_mock/tasks/{a}/finish"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(finished["status"], "TASK_STATUS_SUCCEED");
    let (status, _) = mock
        .control(Method::POST, &format!("/_mock/tasks/{a}/finish"), None)
        .await;
    assert_eq!(status, 409, "an ended task cannot end again");

    let (_, failed) = mock
        .control(
            Method::POST,
            &format!("/_mock/tasks/{b}/fail"),
            Some(json!({"reason": "ILLEGAL_IMAGE_CONTENT"})),
        )
        .await;
    assert_eq!(failed["status"], "TASK_STATUS_FAILED");
    let (_, result) = mock.result(&b).await;
    assert_eq!(result["task"]["status"], "TASK_STATUS_FAILED");
    assert_eq!(result["task"]["reason"], "ILLEGAL_IMAGE_CONTENT");
    assert_eq!(result["videos"], json!([]));

    // Advancing by 1 s (the queue) plus half of the 6 s job lands mid-way.
    let (_, advanced) = mock
        .control(
            Method::POST,
            &format!("/_mock/tasks/{c}/advance"),
            Some(json!({"seconds": 4.0})),
        )
        .await;
    assert_eq!(advanced["status"], "TASK_STATUS_PROCESSING");
    assert_eq!(
        advanced["progress_percent"], 50,
        "the clock is paused: exactly mid-way"
    );

    let (_, detail) = mock
        .control(Method::GET, &format!("/_mock/tasks/{c}"), None)
        .await;
    assert_eq!(detail["request"], json!({"prompt": "c"}));
    assert_eq!(detail["result"]["task"]["task_id"], c.as_str());
    assert_eq!(detail["webhook"], json!(null));

    let (status, error) = mock
        .control(Method::POST, "/_mock/tasks/nope/finish", None)
        .await;
    assert_eq!(status, 404);
    assert!(error["error"].as_str().unwrap().contains("nope"));
    let (status, _) = mock
        .control(
            Method::POST,
            &format!("/_mock/tasks/{c}/advance"),
            Some(json!({"seconds": -1})),
        )
        .await;
    assert_eq!(status, 400);
    let bad_json = mock
        .http
        .post(mock.url(&format!("/_mock/tasks/{c}/advance")))
        .body("{")
        .send()
        .await
        .unwrap();
    let (status, error) = common::checked(&Method::POST, bad_json).await;
    assert_eq!(status, 400);
    assert!(error["error"].as_str().unwrap().contains("invalid JSON"));
}

#[tokio::test]
async fn queued_outcomes_apply_to_the_next_matching_submissions() {
    let mock = start_default().await;
    queue(
        &mock,
        json!([
            {"outcome": {"type": "rate_limit"}, "count": 2},
            {"outcome": {"type": "reject", "reason": "ILLEGAL_PROMPT"}},
            {"outcome": {"type": "server_error"}},
            {"outcome": {"type": "fail", "reason": "TASK_FAILED"}}
        ]),
    )
    .await;
    let body = json!({"prompt": "p"});
    assert_novita_error(&mock.submit(T2V, &body).await, 429, "RATE_LIMIT_EXCEEDED");
    assert_novita_error(&mock.submit(T2V, &body).await, 429, "RATE_LIMIT_EXCEEDED");
    assert_novita_error(&mock.submit(T2V, &body).await, 400, "ILLEGAL_PROMPT");
    assert_novita_error(&mock.submit(T2V, &body).await, 500, "CREATE_TASK_FAILED");
    let doomed = mock.submit_ok(T2V, &body).await;
    let failed = mock.run_to_end(&doomed, "TASK_STATUS_FAILED").await;
    assert_eq!(failed["task"]["reason"], "TASK_FAILED");
    let fine = mock.submit_ok(T2V, &body).await;
    mock.run_to_end(&fine, "TASK_STATUS_SUCCEED").await;
    let (_, left) = mock.control(Method::GET, "/_mock/outcomes", None).await;
    assert_eq!(left, json!([]));
}

#[tokio::test]
async fn outcomes_can_target_the_result_endpoint() {
    let mock = start_default().await;
    let id = mock.submit_ok(T2V, &json!({"prompt": "p"})).await;
    queue(
        &mock,
        json!({"outcome": {"type": "html_unavailable"}, "match": "/v3/async/task-result"}),
    )
    .await;
    let (status, body) = mock.result(&id).await;
    assert_eq!(status, 503);
    assert!(body.as_str().unwrap().starts_with("<html>"));
    queue(
        &mock,
        json!({"outcome": {"type": "server_error"}, "match": "task-result"}),
    )
    .await;
    assert_novita_error(&mock.result(&id).await, 500, "GET_RESULT_FAILED");
    assert_eq!(mock.result(&id).await.0, 200);
    let (status, _) = mock.control(Method::DELETE, "/_mock/outcomes", None).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn delay_drop_and_stall() {
    let mock = start_default().await;
    let body = r#"{"prompt": "p"}"#;
    let started = Instant::now();
    let (status, _) = mock
        .post_raw(T2V, body, &[("x-mock-scenario", "delay:300")])
        .await;
    assert_eq!(status, 200);
    // The mock sleeps before it answers: a lower bound, whatever the machine's speed.
    assert!(started.elapsed() >= Duration::from_millis(300));

    let dropped = mock
        .http
        .post(mock.url(T2V))
        .header("authorization", "Bearer k")
        .header("content-type", "application/json")
        .header("x-mock-scenario", "drop")
        .body(body)
        .send()
        .await;
    assert!(dropped.is_err(), "no answer expected: {dropped:?}");

    // A stall holds the answer for ten minutes: the 300 ms timeout fires first on any machine.
    let stalled = mock
        .http
        .post(mock.url(T2V))
        .header("authorization", "Bearer k")
        .header("content-type", "application/json")
        .header("x-mock-scenario", "stall")
        .timeout(Duration::from_millis(300))
        .body(body)
        .send()
        .await;
    assert!(stalled.unwrap_err().is_timeout());
    // The mock itself keeps answering others meanwhile.
    assert_eq!(mock.post_raw(T2V, body, &[]).await.0, 200);
}

#[tokio::test]
async fn scenario_header_per_request() {
    let mock = start_default().await;
    let body = r#"{"prompt": "p"}"#;
    assert_novita_error(
        &mock
            .post_raw(T2V, body, &[("x-mock-scenario", "rate-limit")])
            .await,
        429,
        "RATE_LIMIT_EXCEEDED",
    );
    assert_novita_error(
        &mock
            .post_raw(T2V, body, &[("x-mock-scenario", "reject:ILLEGAL_PROMPT")])
            .await,
        400,
        "ILLEGAL_PROMPT",
    );
    assert_novita_error(
        &mock
            .post_raw(T2V, body, &[("x-mock-scenario", "server-error")])
            .await,
        500,
        "CREATE_TASK_FAILED",
    );
    let (status, page) = mock
        .post_raw(T2V, body, &[("x-mock-scenario", "html-503")])
        .await;
    assert_eq!(status, 503);
    assert!(page
        .as_str()
        .unwrap()
        .contains("503 Service Temporarily Unavailable"));
    let (_, accepted) = mock
        .post_raw(
            T2V,
            body,
            &[("x-mock-scenario", "fail:ILLEGAL_IMAGE_CONTENT")],
        )
        .await;
    let failed = mock
        .run_to_end(accepted["task_id"].as_str().unwrap(), "TASK_STATUS_FAILED")
        .await;
    assert_eq!(failed["task"]["reason"], "ILLEGAL_IMAGE_CONTENT");
    assert_novita_error(
        &mock
            .post_raw(T2V, body, &[("x-mock-scenario", "explode")])
            .await,
        400,
        "INVALID_MOCK_SCENARIO",
    );
}

#[tokio::test]
async fn docs_replay_answers_with_the_vendor_examples_byte_for_byte() {
    let mock = start(Config {
        docs_replay: true,
        ..Config::for_tests()
    })
    .await;
    let submit = mock
        .http
        .post(mock.url(T2V))
        .header("authorization", "Bearer k")
        .header("content-type", "application/json")
        .body(r#"{"model_name": "wan2.1-t2v", "height": 1280, "width": 720, "seed": -1, "prompt": "3D animation"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        submit.text().await.unwrap(),
        "{\n    \"task_id\": \"{Returned Task ID}\"\n}"
    );
    let result = mock
        .http
        .get(mock.url("/v3/async/task-result?task_id={Returned Task ID}"))
        .header("authorization", "Bearer k")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let expected = r#"{
    "task": {
        "task_id": "{Returned Task ID}",
        "task_type": "WAN_TXT_TO_VIDEO",
        "status": "TASK_STATUS_SUCCEED",
        "reason": "",
        "eta": 0,
        "progress_percent": 100
    },
    "images": [],
    "videos": [
        {
            "video_url": "{The URL of the generated video}",
            "video_url_ttl": "3600",
            "video_type": "mp4"
        }
    ]
}"#;
    assert_eq!(result, expected);
    // Validation still applies in the replay.
    assert_novita_error(
        &mock.submit(T2V, &json!({})).await,
        400,
        "INVALID_REQUEST_BODY",
    );
    // Per request, by header, on a normal mock.
    let normal = start_default().await;
    let (_, body) = normal
        .post_raw(
            "/v3/async/wan-i2v",
            r#"{"prompt":"p","image_url":"u"}"#,
            &[("x-mock-scenario", "docs")],
        )
        .await;
    assert_eq!(body, json!({"task_id": "{Returned Task ID}"}));
}

#[tokio::test]
async fn journal_records_requests_and_reset_clears_everything() {
    let mock = start_default().await;
    let id = mock.submit_ok(T2V, &json!({"prompt": "journal me"})).await;
    mock.result(&id).await;
    mock.post_raw(T2V, "{", &[("x-mock-scenario", "succeed")])
        .await;
    let (_, page) = mock.control(Method::GET, "/_mock/journal", None).await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["path"], T2V);
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[0]["body"], "{\"prompt\":\"journal me\"}");
    assert_eq!(entries[1]["query"], format!("task_id={id}"));
    assert_eq!(entries[2]["status"], 400);
    assert_eq!(entries[2]["scenario"], "succeed");
    let (_, filtered) = mock
        .control(Method::GET, "/_mock/journal?path=task-result&limit=5", None)
        .await;
    assert_eq!(filtered["entries"].as_array().unwrap().len(), 1);

    let (status, _) = mock.control(Method::POST, "/_mock/reset", None).await;
    assert_eq!(status, 204);
    assert_eq!(
        mock.control(Method::GET, "/_mock/tasks", None).await.1,
        json!({"stored": 0, "evicted": 0, "tasks": []})
    );
    assert_eq!(
        mock.control(Method::GET, "/_mock/journal", None).await.1["entries"],
        json!([])
    );
    assert_eq!(mock.result(&id).await.0, 404);
}

#[tokio::test]
async fn a_scenario_file_preloads_settings_and_outcomes() {
    let dir = std::env::temp_dir().join(format!("novita-mock-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("qa.yaml");
    std::fs::write(
        &file,
        "addr: 127.0.0.1:0\nspeed: 50\napi_keys: [qa-key]\noutcomes:\n  - outcome: {type: reject, reason: BILLING_BALANCE_NOT_ENOUGH}\n    match: wan-t2v\n",
    )
    .unwrap();
    let config = Config::from_file(&file).unwrap();
    assert_eq!(config.speed, 50.0);
    assert_eq!(
        config.outcomes,
        [QueuedOutcome {
            outcome: Outcome::Reject {
                reason: "BILLING_BALANCE_NOT_ENOUGH".into(),
                status: 400,
                message: None
            },
            count: 1,
            path: Some("wan-t2v".into()),
        }]
    );
    let mock = start(config).await;
    assert_novita_error(
        &mock.submit(T2V, &json!({"prompt": "p"})).await,
        400,
        "BILLING_BALANCE_NOT_ENOUGH",
    );
    mock.submit_ok(T2V, &json!({"prompt": "p"})).await;
    // A reset queues the scenario's outcomes again.
    mock.control(Method::POST, "/_mock/reset", None).await;
    assert_novita_error(
        &mock.submit(T2V, &json!({"prompt": "p"})).await,
        400,
        "BILLING_BALANCE_NOT_ENOUGH",
    );

    std::fs::write(&file, "speed: fast\n").unwrap();
    assert!(Config::from_file(&file).unwrap_err().contains("speed"));
    std::fs::write(&file, "sped: 3\n").unwrap();
    assert!(
        Config::from_file(&file).is_err(),
        "unknown keys are refused"
    );
    // A broken file is named, with the line and the reason.
    std::fs::write(&file, "speed: 10\nmax_tasks: [1, 2\n").unwrap();
    let error = Config::from_file(&file).unwrap_err();
    assert!(
        error.contains(&file.display().to_string()) && error.contains("line 2"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_bad_list_limit_gets_the_control_apis_json_error() {
    let mock = start(common::paused()).await;
    for query in ["limit=abc", "limit=-1", "limit=1.5"] {
        let (status, body) = mock
            .control(Method::GET, &format!("/_mock/tasks?{query}"), None)
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("invalid query string: limit"), "{body}");
    }
}
