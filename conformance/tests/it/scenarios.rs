//! One scenario per documented behaviour. Each runs against the mock in-process (its answers
//! pinned with insta and checked against the spec), and again against a live server when
//! `NOVITA_BASE_URL` and `NOVITA_API_KEY` are set (skipped with a notice otherwise). The
//! submission scenarios are in `scenarios_submit`, the error scenarios in `scenarios_errors`.

// These tests also cover the endpoints Novita has retired, whose request types are deprecated.
#![allow(deprecated)]

use std::time::Duration;

use conformance::harness::{spec, Harness};
use novita_mock::Config;
use novita_video::{
    parse_webhook,
    types::{Lora, WanT2vRequest},
    WaitOptions,
};
use reqwest::Method;
use serde_json::{json, Value};

/// Pins `value` with everything that varies between runs redacted, and nothing else: every
/// scenario that pins a task's progress runs on a paused mock clock, where `eta` and
/// `progress_percent` are exact, and a seed the request asked for is the seed it got. Only
/// the seed the mock draws for a request without one is redacted, as `[random_seed]`.
pub(crate) fn pin(name: &str, value: &Value) {
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
pub(crate) fn assert_outline_as_pinned(name: &str, live: &Value) {
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
pub(crate) use scenario;

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serializes")
}

pub(crate) fn png_url() -> String {
    "https://pub-f964a1c641c04024bce400ad128c8cd6.r2.dev/wan-i2v-input-image.jpg".to_string()
}

pub(crate) fn t2v_full() -> WanT2vRequest {
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

/// The mock with its clock paused: a task stays where the scenario put it however long the
/// machine takes between two requests (a running clock at speed 50 moves a queued task on
/// after 20 ms, which a loaded machine can take).
pub(crate) async fn paused_mock() -> Harness {
    Harness::mock_with(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await
}
