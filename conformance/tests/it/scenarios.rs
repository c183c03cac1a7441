//! One scenario per documented behaviour. Each runs against the mock in-process (its answers
//! pinned with insta and checked against the spec), and again against a live server when
//! `NOVITA_BASE_URL` and `NOVITA_API_KEY` are set (skipped with a notice otherwise).

// These tests also cover the endpoints Novita has retired, whose request types are deprecated.
#![allow(deprecated)]

use std::time::Duration;

use conformance::harness::{spec, Harness};
use novita_mock::Config;
use novita_video::{
    parse_webhook,
    types::{
        Kling4kI2vRequest, Kling4kT2vRequest, KlingMotionControlRequest, KlingProI2vRequest,
        KlingProT2vRequest, KlingStdI2vRequest, KlingStdT2vRequest, Lora, RequestExtra,
        Wan26I2vInput, Wan26I2vParameters, Wan26I2vParametersResolution, Wan26I2vRequest,
        Wan27I2vRequest, Wan27R2vRequest, Wan27T2vRequest, Wan27VideoeditRequest, WanI2vRequest,
        WanT2vRequest, WebhookSettings,
    },
    Error, NovitaClient, SubmitRequest, WaitOptions,
};
use reqwest::Method;
use serde_json::{json, Value};

/// Pins `value` with everything that varies between runs redacted, and nothing else: every
/// scenario that pins a task's progress runs on a paused mock clock, where `eta` and
/// `progress_percent` are exact, and a seed the request asked for is the seed it got. Only
/// the seed the mock draws for a request without one is redacted, as `[random_seed]`.
fn pin(name: &str, value: &Value) {
    let mut value = value.clone();
    redact_random_seeds(&mut value);
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    for (selector, replacement) in [
        (".**.task_id", "[task_id]"),
        (".**.submit_time_ms", "[unix_ms]"),
        (".**.video_url", "[video_url]"),
        (".**.webhook.url", "[webhook_url]"),
    ] {
        settings.add_redaction(selector, replacement);
    }
    // Request echoes may hold a receiver's URL, whose port changes every run.
    settings.add_dynamic_redaction(".**.request_info", |value, _| match value.as_str() {
        Some(text) => without_ports(text).into(),
        None => value,
    });
    // A time that has not happened yet is "0" and stays visible; real times vary.
    for time in [".**.execute_time_ms", ".**.complete_time_ms"] {
        settings.add_dynamic_redaction(time, |value, _| match value.as_str() {
            Some("0") => value,
            _ => "[unix_ms]".into(),
        });
    }
    settings.bind(|| insta::assert_json_snapshot!(name, value));
}

/// Replaces `extra.seed` by `[random_seed]` wherever the request (echoed in
/// `extra.debug_info.request_info`) asked for none, or for -1 (a random one).
fn redact_random_seeds(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(extra) = map.get_mut("extra").and_then(Value::as_object_mut) {
                let request: Value = extra
                    .get("debug_info")
                    .and_then(|d| d["request_info"].as_str())
                    .and_then(|text| serde_json::from_str(text).ok())
                    .unwrap_or_default();
                let asked = request
                    .get("seed")
                    .or_else(|| request["parameters"].get("seed"))
                    .and_then(Value::as_i64)
                    .filter(|seed| *seed != -1);
                if let (Some(seed), None) = (extra.get_mut("seed"), asked) {
                    *seed = json!("[random_seed]");
                }
            }
            map.values_mut().for_each(redact_random_seeds);
        }
        Value::Array(items) => items.iter_mut().for_each(redact_random_seeds),
        _ => {}
    }
}

/// A value's outline: its objects' keys and its lists of objects' lengths, two levels down,
/// with every other value reduced to its kind (a list of statuses is a list, however long).
fn outline(value: &Value, depth: usize) -> Value {
    match value {
        Value::Object(map) if depth > 0 => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), outline(v, depth - 1)))
                .collect(),
        ),
        Value::Array(items) if depth > 0 && items.iter().all(Value::is_object) => {
            Value::Array(items.iter().map(|v| outline(v, depth - 1)).collect())
        }
        Value::Object(_) => json!("object"),
        Value::Array(_) => json!("array"),
        Value::Null => json!("null"),
        _ => json!("value"),
    }
}

/// A live run's outcome has the outline of what the mock's run pinned: the same keys, lists as
/// long, results shaped alike.
fn assert_outline_as_pinned(name: &str, live: &Value) {
    let file = format!(
        "{}/tests/it/snapshots/{name}.snap",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let body = text.splitn(3, "---").nth(2).expect("an insta header");
    let pinned: Value = serde_json::from_str(body.trim()).expect("a JSON snapshot");
    assert_eq!(
        outline(live, 2),
        outline(&pinned, 2),
        "the live service's outcome of {name} is not shaped as the mock's: {live:#}"
    );
}

/// `http://127.0.0.1:PORT` becomes `http://127.0.0.1:[port]`.
fn without_ports(text: &str) -> String {
    const HOST: &str = "127.0.0.1:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(HOST) {
        out.push_str(&rest[..at + HOST.len()]);
        out.push_str("[port]");
        rest = rest[at + HOST.len()..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// Runs a scenario against the mock (pinning its outcome) and against a live server.
macro_rules! scenario {
    ($name:ident, control_api: $control:expr, |$h:ident| $body:expr) => {
        scenario!($name, control_api: $control, mock: Harness::mock().await, |$h| $body);
    };
    ($name:ident, control_api: $control:expr, mock: $mock:expr, |$h:ident| $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn against_mock() {
                let $h = $mock;
                let outcome: Value = $body;
                pin(stringify!($name), &outcome);
                assert!($h.assert_answers_match_spec() > 0, "no answer was checked against the spec");
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn against_live() {
                let Some($h) = Harness::live(stringify!($name), $control).await else {
                    return;
                };
                let outcome: Value = $body;
                assert_outline_as_pinned(stringify!($name), &outcome);
                assert!($h.assert_answers_match_spec() > 0, "no live answer was checked against the spec");
            }
        }
    };
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serializes")
}

/// Submits, reads the first result, and returns both.
/// The mock with its clock paused: a task stays where the scenario put it however long the
/// machine takes between two requests (a running clock at speed 50 moves a queued task on
/// after 20 ms, which a loaded machine can take).
async fn paused_mock() -> Harness {
    Harness::mock_with(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await
}

async fn submit_and_read<R: SubmitRequest>(h: &Harness, request: &R) -> Value {
    let task_id = h.client.submit(request).await.expect("accepted");
    let first = h.client.task_result(&task_id).await.expect("result");
    json!({ "first_result": to_json(&first) })
}

/// The spec's example `name` of the operation at `path`, as its generated request type.
fn spec_example<R: serde::de::DeserializeOwned>(path: &str, name: &str) -> R {
    let spec = spec();
    let example = &spec.document()["paths"][path]["post"]["requestBody"]["content"]
        ["application/json"]["examples"][name]["value"];
    serde_json::from_value(example.clone()).unwrap_or_else(|e| panic!("{path} {name}: {e}"))
}

/// Submits, reads the queued task, ends it through the control API and reads the result.
async fn submit_and_finish<R: SubmitRequest>(h: &Harness, request: &R) -> Value {
    let task_id = h.client.submit(request).await.expect("accepted");
    let first = h.client.task_result(&task_id).await.expect("result");
    h.control(
        Method::POST,
        &format!("/_mock/tasks/{task_id}/finish"),
        None,
    )
    .await;
    let last = h.client.task_result(&task_id).await.expect("result");
    json!({ "first_result": to_json(&first), "finished_result": to_json(&last) })
}

fn png_url() -> String {
    "https://pub-f964a1c641c04024bce400ad128c8cd6.r2.dev/wan-i2v-input-image.jpg".to_string()
}

fn t2v_full() -> WanT2vRequest {
    WanT2vRequest {
        model_name: Some("wan2.1-t2v".into()),
        prompt: "A red fox trotting through fresh snow at dawn.".into(),
        negative_prompt: Some("blurry".into()),
        width: Some(1280),
        height: Some(720),
        loras: vec![Lora {
            path: "Remade-AI/Painting".into(),
            scale: 1.0,
        }],
        seed: Some(1234),
        steps: Some(20),
        guidance_scale: Some(5.0),
        flow_shift: Some(5.0),
        enable_safety_checker: None,
        fast_mode: None,
        extra: None,
    }
}

scenario!(submit_wan27_t2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27T2vRequest = spec_example("/v3/async/wan2.7-t2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_t2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27T2vRequest = spec_example("/v3/async/wan2.7-t2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_std_t2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingStdT2vRequest = spec_example("/v3/async/kling-v3.0-std-t2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_std_t2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingStdT2vRequest = spec_example("/v3/async/kling-v3.0-std-t2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_pro_t2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingProT2vRequest = spec_example("/v3/async/kling-v3.0-pro-t2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_pro_t2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingProT2vRequest = spec_example("/v3/async/kling-v3.0-pro-t2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_4k_t2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Kling4kT2vRequest = spec_example("/v3/async/kling-v3.0-4k-t2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_4k_t2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Kling4kT2vRequest = spec_example("/v3/async/kling-v3.0-4k-t2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_std_i2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingStdI2vRequest = spec_example("/v3/async/kling-v3.0-std-i2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_std_i2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingStdI2vRequest = spec_example("/v3/async/kling-v3.0-std-i2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_pro_i2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingProI2vRequest = spec_example("/v3/async/kling-v3.0-pro-i2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_pro_i2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingProI2vRequest = spec_example("/v3/async/kling-v3.0-pro-i2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_4k_i2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Kling4kI2vRequest = spec_example("/v3/async/kling-v3.0-4k-i2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_4k_i2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Kling4kI2vRequest = spec_example("/v3/async/kling-v3.0-4k-i2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_motion_control_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingMotionControlRequest = spec_example("/v3/async/kling-v3.0-motion-control", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_motion_control_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingMotionControlRequest = spec_example("/v3/async/kling-v3.0-motion-control", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_r2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27R2vRequest = spec_example("/v3/async/wan2.7-r2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_r2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27R2vRequest = spec_example("/v3/async/wan2.7-r2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_videoedit_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27VideoeditRequest = spec_example("/v3/async/wan2.7-videoedit", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_videoedit_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27VideoeditRequest = spec_example("/v3/async/wan2.7-videoedit", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_t2v_minimal, control_api: false, mock: paused_mock().await, |h| {
    let request: WanT2vRequest = WanT2vRequest::builder().prompt("A red fox in snow").try_into().unwrap();
    submit_and_read(&h, &request).await
});

scenario!(submit_t2v_full, control_api: false, mock: paused_mock().await, |h| submit_and_read(&h, &t2v_full()).await);

scenario!(submit_i2v_minimal, control_api: false, mock: paused_mock().await, |h| {
    let request: WanI2vRequest =
        WanI2vRequest::builder().prompt("A cute panda walks").image_url(png_url()).try_into().unwrap();
    submit_and_read(&h, &request).await
});

scenario!(submit_i2v_full, control_api: false, mock: paused_mock().await, |h| {
    let request = WanI2vRequest {
        model_name: None,
        prompt: "A cute panda is walking in the grassland slowly.".into(),
        image_url: png_url(),
        negative_prompt: Some("".into()),
        width: Some(720),
        height: Some(1280),
        loras: vec![],
        seed: Some(99),
        steps: Some(25),
        guidance_scale: Some(4.5),
        flow_shift: Some(2.0),
        enable_safety_checker: Some(true),
        fast_mode: Some(true),
        extra: None,
    };
    submit_and_read(&h, &request).await
});

scenario!(submit_wan26_minimal, control_api: false, mock: paused_mock().await, |h| {
    let request = Wan26I2vRequest {
        input: Wan26I2vInput::builder().img_url(png_url()).try_into().unwrap(),
        parameters: None,
        extra: None,
    };
    submit_and_read(&h, &request).await
});

scenario!(submit_wan26_full, control_api: false, mock: paused_mock().await, |h| {
    let request = Wan26I2vRequest {
        input: Wan26I2vInput {
            prompt: Some("The kite rises slowly".into()),
            img_url: png_url(),
            template: None,
            audio_url: None,
            negative_prompt: Some("rain".into()),
        },
        parameters: Some(Wan26I2vParameters {
            seed: Some(7),
            audio: Some(false),
            duration: Some(10),
            resolution: Some(Wan26I2vParametersResolution::X720p),
            ..Default::default()
        }),
        extra: None,
    };
    submit_and_read(&h, &request).await
});

scenario!(submit_wan27_i2v_minimal, control_api: false, mock: paused_mock().await, |h| {
    let request: Wan27I2vRequest = Wan27I2vRequest::builder().image_url(Some(png_url())).try_into().unwrap();
    submit_and_read(&h, &request).await
});

scenario!(submit_wan27_i2v_full, control_api: false, mock: paused_mock().await, |h| {
    let request: Wan27I2vRequest = Wan27I2vRequest::builder()
        .image_url(Some(png_url()))
        .last_frame_url(Some(png_url()))
        .prompt(Some("The panda turns its head".to_string()))
        .negative_prompt(Some("noise".to_string()))
        .duration(Some(3))
        .seed(Some(2_147_483_647))
        .watermark(Some(true))
        .prompt_extend(Some(false))
        .try_into()
        .unwrap();
    submit_and_read(&h, &request).await
});

// With the mock clock paused, so that each task is read in the state the scenario put it in,
// however slow the machine.
scenario!(task_result_states, control_api: true, mock: paused_mock().await, |h| {
    let request = t2v_full();
    let queued = h.client.submit(&request).await.unwrap();
    let processing = h.client.submit(&request).await.unwrap();
    let succeeded = h.client.submit(&request).await.unwrap();
    let failed = h.client.submit(&request).await.unwrap();
    // Read the first at once (still queued); advance the second past its 1 s queue; end the
    // last two before they start.
    let at_queue = h.client.task_result(&queued).await.unwrap();
    h.control(Method::POST, &format!("/_mock/tasks/{processing}/advance"), Some(json!({"seconds": 1.5}))).await;
    let at_processing = h.client.task_result(&processing).await.unwrap();
    h.control(Method::POST, &format!("/_mock/tasks/{succeeded}/finish"), None).await;
    h.control(Method::POST, &format!("/_mock/tasks/{failed}/fail"), Some(json!({"reason": "ILLEGAL_IMAGE_CONTENT"}))).await;
    let at_success = h.client.task_result(&succeeded).await.unwrap();
    let at_failure = h.client.task_result(&failed).await.unwrap();
    json!({
        "queued": to_json(&at_queue),
        "processing": to_json(&at_processing),
        "succeeded": to_json(&at_success),
        "failed": to_json(&at_failure),
    })
});

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

/// A webhook receiver that records what it gets.
async fn receiver() -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

/// Moves the mock clock past the task's end (the advance returns once every event due by then
/// was delivered) and returns what `server` received.
async fn events(h: &Harness, server: &wiremock::MockServer) -> Vec<Value> {
    h.control(
        Method::POST,
        "/_mock/clock/advance",
        Some(json!({"seconds": 600})),
    )
    .await;
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn webhook_events_real_and_test_mode() {
    // Paused: each event is sent when the clock is advanced past the task's end, and shows the
    // task's progress exactly.
    let h = paused_mock().await;
    let mut pinned = serde_json::Map::new();
    for (name, test_mode) in [
        ("real", None),
        ("test_mode_succeed", Some("TASK_STATUS_SUCCEED")),
        ("test_mode_failed", Some("TASK_STATUS_FAILED")),
    ] {
        let hook = receiver().await;
        let mut settings = json!({"url": format!("{}/hook", hook.uri())});
        if let Some(status) = test_mode {
            settings["test_mode"] = json!({"enabled": true, "return_task_status": status});
        }
        let request = WanT2vRequest {
            extra: Some(serde_json::from_value(json!({"webhook": settings})).unwrap()),
            ..t2v_full()
        };
        let task_id = h.client.submit(&request).await.unwrap();
        let event = events(&h, &hook).await.remove(0);
        let errors = spec().errors("WebhookEvent", &event);
        assert!(errors.is_empty(), "{errors:?}");
        let parsed = parse_webhook(event.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.task_id(), Some(task_id.as_str()));
        pinned.insert(name.into(), event);
    }
    pin("webhook_events_real_and_test_mode", &Value::Object(pinned));
    assert_eq!(h.assert_answers_match_spec(), 3, "the three submissions");
}

// On a paused clock that moves one second after each poll `wait` makes (on the mock; a live
// service moves on its own): every status the task passes through is seen, in order.
scenario!(wait_then_download_the_mp4, control_api: false, mock: paused_mock().await, |h| {
    let request: WanT2vRequest = WanT2vRequest::builder().prompt("A red fox in snow").seed(Some(5)).try_into().unwrap();
    let task_id = h.client.submit(&request).await.unwrap();
    let mut statuses: Vec<String> = Vec::new();
    let runtime = tokio::runtime::Handle::current();
    let options = WaitOptions::default()
        .timeout(Duration::from_secs(900))
        .interval(Duration::from_millis(5), Duration::from_millis(50))
        .on_progress(|p| {
            let status = p.status.as_ref().map(|s| s.to_string()).unwrap_or_default();
            if statuses.last() != Some(&status) {
                statuses.push(status);
            }
            if h.is_mock() {
                let advance = h.control(Method::POST, "/_mock/clock/advance", Some(json!({"seconds": 1})));
                tokio::task::block_in_place(|| runtime.block_on(advance));
            }
        });
    let result = h.client.wait(&task_id, options).await.unwrap();
    let dir = std::env::temp_dir().join(format!("conformance-{task_id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("video.mp4");
    let mut last = (0, None);
    let written = h.client.download_video(&result, &file, |done, total| last = (done, total)).await.unwrap();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(written as usize, bytes.len());
    assert_eq!(last, (written, Some(written)));
    let reader = mp4::Mp4Reader::read_header(std::io::Cursor::new(&bytes), bytes.len() as u64).unwrap();
    let track = reader.tracks().values().next().unwrap();
    json!({
        "statuses_seen": statuses,
        "video": {
            "codec": format!("{:?}", track.media_type().unwrap()),
            "width": track.width(), "height": track.height(),
            "fps": track.frame_rate(), "frames": track.sample_count(),
        },
    })
});

#[tokio::test]
async fn documented_examples_on_both_sides() {
    // The mock's documentation replay serves the vendor pages' bodies; the client decodes them
    // and they validate against the spec.
    let h = Harness::mock_with(Config {
        docs_replay: true,
        ..Config::for_tests()
    })
    .await;
    let task_id = h.client.submit(&t2v_full()).await.unwrap();
    assert_eq!(task_id, "{Returned Task ID}");
    let result = h.client.task_result(&task_id).await.unwrap();
    assert_eq!(
        result.videos[0].video_url.as_deref(),
        Some("{The URL of the generated video}")
    );
    assert_eq!(
        h.assert_answers_match_spec(),
        2,
        "the submission and the result"
    );

    // Every example in the spec validates against its own schema.
    let spec = spec();
    let document = spec.document().clone();
    let mut checked = 0;
    let mut visit = vec![(String::new(), &document)];
    while let Some((path, node)) = visit.pop() {
        if let Some(map) = node.as_object() {
            if let (Some(schema), Some(examples)) = (
                map.get("schema"),
                map.get("examples").and_then(Value::as_object),
            ) {
                if let Some(name) = schema
                    .get("$ref")
                    .and_then(Value::as_str)
                    .map(|r| r.rsplit('/').next().unwrap())
                {
                    for (example, value) in examples {
                        let errors = spec.errors(name, &value["value"]);
                        assert!(errors.is_empty(), "{path} example {example}: {errors:?}");
                        checked += 1;
                    }
                }
            }
            for (key, child) in map {
                visit.push((format!("{path}/{key}"), child));
            }
        } else if let Some(items) = node.as_array() {
            for child in items {
                visit.push((path.clone(), child));
            }
        }
    }
    assert!(checked >= 12, "only {checked} examples found");
}
