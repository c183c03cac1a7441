//! The error scenarios: bodies that break a rule refused by both sides, every error reason the
//! mock can give, and a wrong key; against the mock with the outcome pinned, and live. The
//! scenario machinery is in `scenarios`.

// The retired models' request types are deprecated.
#![allow(deprecated)]

use crate::scenarios::{assert_outline_as_pinned, pin, png_url, scenario, t2v_full};

use std::time::Duration;

use conformance::harness::Harness;
use novita_mock::Config;
use novita_video::{
    types::{
        Lora, RequestExtra, Wan26I2vInput, Wan26I2vParameters, Wan26I2vRequest, Wan27I2vRequest,
        WanT2vRequest, WebhookSettings,
    },
    Error, NovitaClient, WaitOptions,
};
use reqwest::Method;
use serde_json::{json, Value};

/// A typed client error as JSON, for pinning.
fn error_json(error: &Error) -> Value {
    match error {
        Error::Api(api) => json!({
            "kind": "Api", "status": api.status.as_u16(), "code": api.code,
            "reason": api.reason, "message": api.message,
        }),
        Error::UnexpectedBody {
            status, body_start, ..
        } => json!({
            "kind": "UnexpectedBody", "status": status.as_u16(),
            "body_starts_with": body_start.chars().take(24).collect::<String>(),
        }),
        Error::SubmissionOutcomeUnknown { operation, .. } => json!({
            "kind": "SubmissionOutcomeUnknown", "operation": operation,
        }),
        Error::TaskFailed { status, reason, .. } => json!({
            "kind": "TaskFailed", "status": status.as_str(), "reason": reason,
        }),
        other => json!({ "kind": "Other", "display": other.to_string() }),
    }
}

// Bodies that break one rule family each. The client refuses them before sending; sent raw
// through the generated builders, the mock refuses them too.
scenario!(invalid_bodies_are_refused_by_both_sides, control_api: false, |h| {
    let mut outcomes = Vec::new();
    let mut record = |family: &str, client_side: Result<(), Error>, server_side: Result<(), Error>| {
        let client_side = client_side.expect_err("the client must refuse it");
        assert!(matches!(client_side, Error::InvalidRequest { .. }), "{client_side:?}");
        outcomes.push(json!({
            "family": family,
            "client": client_side.to_string(),
            "server": error_json(&server_side.expect_err("the server must refuse it")),
        }));
    };
    macro_rules! both {
        ($family:expr, $request:expr) => {{
            let request = $request;
            let server = h.client.submit_unchecked(&request).await.map(|_| ());
            record($family, NovitaClient::check(&request), server);
        }};
    }
    let base = t2v_full();
    both!("length", WanT2vRequest { prompt: "x".repeat(2001), ..base.clone() });
    both!("enum", WanT2vRequest { width: Some(640), ..base.clone() });
    both!("pair", WanT2vRequest { width: Some(480), height: Some(480), ..base.clone() });
    both!("range", WanT2vRequest { steps: Some(41), ..base.clone() });
    both!("seed range", WanT2vRequest { seed: Some(-2), ..base.clone() });
    both!("lora count", WanT2vRequest { loras: vec![Lora { path: "a".into(), scale: 1.0 }; 4], ..base.clone() });
    both!("lora scale", WanT2vRequest { loras: vec![Lora { path: "a".into(), scale: 5.0 }], ..base.clone() });
    both!("webhook url", WanT2vRequest {
        extra: Some(RequestExtra { webhook: Some(WebhookSettings { url: "".into(), test_mode: None }) }),
        ..base.clone()
    });
    both!("exclusive inputs", Wan27I2vRequest::builder()
        .image_url(Some(png_url())).first_clip_url(Some(png_url())).try_into().map(|r: Wan27I2vRequest| r).unwrap());
    both!("missing input", Wan27I2vRequest::builder().prompt(Some("p".to_string())).try_into().map(|r: Wan27I2vRequest| r).unwrap());
    both!("duration enum", Wan26I2vRequest {
        input: Wan26I2vInput::builder().img_url(png_url()).try_into().unwrap(),
        parameters: Some(Wan26I2vParameters { duration: Some(7), ..Default::default() }),
        extra: None,
    });
    Value::Array(outcomes)
});

scenario!(error_reasons, control_api: true, |h| {
    let request = t2v_full();
    let mut errors = serde_json::Map::new();

    // No key at all: only the raw generated client can send that.
    let keyless = novita_video::generated::Client::new(&h.base_url, novita_video::AnswerLimits::default());
    match keyless.get_task_result().task_id("no-such-task").send().await {
        Err(novita_video::generated::Error::ErrorResponse(value)) => {
            errors.insert("missing_api_key".into(), json!({"status": value.status().as_u16(), "reason": value.into_inner().reason}));
        }
        other => panic!("{other:?}"),
    }
    let not_found = h.client.task_result("no-such-task").await.unwrap_err();
    assert_eq!(not_found.task_id(), Some("no-such-task"));
    errors.insert("task_not_found".into(), error_json(&not_found));

    for (name, outcome, count) in [
        ("rate_limited", json!({"type": "rate_limit"}), 2),
        ("server_error", json!({"type": "server_error"}), 1),
        ("html_503", json!({"type": "html_unavailable"}), 1),
        ("illegal_prompt", json!({"type": "reject", "reason": "ILLEGAL_PROMPT"}), 1),
        ("dropped_connection", json!({"type": "drop"}), 1),
    ] {
        h.queue(json!({"outcome": outcome, "count": count})).await;
        let error = h.client.submit(&request).await.unwrap_err();
        errors.insert(name.into(), error_json(&error));
    }
    h.queue(json!({"outcome": {"type": "html_unavailable"}, "count": 5, "match": "task-result"})).await;
    let error = h.client.task_result("any").await.unwrap_err();
    errors.insert("html_503_on_result_after_retries".into(), error_json(&error));
    h.control(Method::DELETE, "/_mock/outcomes", None).await;

    h.queue(json!({"outcome": {"type": "fail", "reason": "TASK_FAILED"}})).await;
    let doomed = h.client.submit(&request).await.unwrap();
    let failed = h.client.wait(&doomed, WaitOptions::default().interval(Duration::from_millis(5), Duration::from_millis(50))).await.unwrap_err();
    errors.insert("failed_task".into(), error_json(&failed));
    Value::Object(errors)
});

#[tokio::test]
async fn wrong_api_key_is_forbidden() {
    let h = Harness::mock_with(Config {
        api_keys: vec!["the-only-key".into()],
        ..Config::for_tests()
    })
    .await;
    let error = h.client.task_result("x").await.unwrap_err();
    pin("wrong_api_key_is_forbidden", &error_json(&error));
    assert_eq!(h.assert_answers_match_spec(), 1, "one 403, not retried");
}
