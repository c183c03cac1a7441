//! `--replay`: new tasks follow the tasks of a cassette recorded by novita-proxy, and a cassette
//! that cannot be read stops the mock at start, naming the file, the line and the reason.

use crate::common;

use common::{paused, start, Mock};
use novita_mock::Config;
use serde_json::{json, Value};

/// A cassette as novita-proxy writes it, cut to what matters here: one Wan 2.7 text-to-video
/// task that was refused by the safety checker after reaching 40 %.
const CASSETTE: &str = r#"# A cassette recorded by novita-proxy
version: 1
recorded_by: novita-proxy 0.1.0
tasks:
- endpoint: /v3/async/wan2.7-t2v
  task_id: 3f0c2d1e-recorded
  submit:
    request: {prompt: A lighthouse in a storm.}
    status: 200
    answer: {task_id: 3f0c2d1e-recorded}
  results:
  - after_ms: 300
    status: 200
    body: {task: {task_id: 3f0c2d1e-recorded, status: TASK_STATUS_QUEUED, progress_percent: 0, reason: "", eta: 30}, extra: {seed: "4242"}}
  - after_ms: 4000
    status: 200
    body: {task: {task_id: 3f0c2d1e-recorded, status: TASK_STATUS_PROCESSING, progress_percent: 40, reason: "", eta: 12}}
  - after_ms: 9000
    status: 200
    body: {task: {task_id: 3f0c2d1e-recorded, status: TASK_STATUS_FAILED, progress_percent: 40, reason: "the output was flagged by the safety checker"}}
"#;

fn state(result: &Value) -> Value {
    let task = &result["task"];
    json!([task["status"], task["progress_percent"], task["reason"]])
}

async fn replaying(dir: &tempfile::TempDir) -> Mock {
    // Named in a scenario file, relative to it.
    std::fs::write(dir.path().join("day.yaml"), CASSETTE).unwrap();
    let scenario = dir.path().join("scenario.yaml");
    std::fs::write(&scenario, "replay: day.yaml\npaused: true\n").unwrap();
    let config = Config::from_file(&scenario).expect("the scenario file reads");
    assert_eq!(config.replay, Some(dir.path().join("day.yaml")));
    start(Config {
        addr: paused().addr,
        ..config
    })
    .await
}

#[tokio::test]
async fn a_new_task_follows_the_recorded_one_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let mock = replaying(&dir).await;
    let id = mock
        .submit_ok("/v3/async/wan2.7-t2v", &json!({"prompt": "Anything."}))
        .await;
    let mut seen = Vec::new();
    for seconds in [0.0, 3.9, 0.1, 4.9, 0.1] {
        mock.advance(seconds).await;
        let (_, result) = mock.result(&id).await;
        seen.push(state(&result));
        let eta = &result["task"]["eta"];
        assert!(eta.is_u64(), "eta in whole seconds: {eta}");
        assert_eq!(result["extra"]["seed"], "4242", "the recorded seed");
        assert_eq!(
            result["task"]["task_id"],
            id.as_str(),
            "the task keeps its own id"
        );
    }
    let reason = "the output was flagged by the safety checker";
    assert_eq!(
        seen,
        [
            json!(["TASK_STATUS_QUEUED", 0, ""]),
            json!(["TASK_STATUS_QUEUED", 0, ""]),
            json!(["TASK_STATUS_PROCESSING", 40, ""]),
            json!(["TASK_STATUS_PROCESSING", 40, ""]),
            json!(["TASK_STATUS_FAILED", 40, reason]),
        ]
    );
}

#[tokio::test]
async fn endpoints_without_recordings_behave_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let mock = replaying(&dir).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "A cat."}))
        .await;
    let body = mock.run_to_end(&id, "TASK_STATUS_SUCCEED").await;
    assert!(body["videos"][0]["video_url"].is_string());
}

#[tokio::test]
async fn a_forced_outcome_wins_over_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let mock = replaying(&dir).await;
    let (status, _) = mock
        .control(
            reqwest::Method::POST,
            "/_mock/outcomes",
            Some(json!({"outcome": {"type": "fail", "reason": "FORCED_BY_QA"}})),
        )
        .await;
    assert!(status.is_success());
    let id = mock
        .submit_ok("/v3/async/wan2.7-t2v", &json!({"prompt": "Anything."}))
        .await;
    let body = mock.run_to_end(&id, "TASK_STATUS_FAILED").await;
    assert_eq!(body["task"]["reason"], "FORCED_BY_QA");
}

#[tokio::test]
async fn a_cassette_that_does_not_parse_stops_the_start_with_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(
        &file,
        CASSETTE.replace("  - after_ms: 4000", "  - after_ms: [4000"),
    )
    .unwrap();
    let error = novita_mock::spawn(Config {
        replay: Some(file.clone()),
        ..paused()
    })
    .await
    .err()
    .expect("the start fails")
    .to_string();
    assert!(error.contains(&file.display().to_string()), "{error}");
    assert!(error.contains("line 15 column 15"), "{error}");

    let unknown = dir.path().join("unknown.yaml");
    std::fs::write(
        &unknown,
        CASSETTE.replace("TASK_STATUS_PROCESSING", "TASK_STATUS_PONDERING"),
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_novita-mock"))
        .args(["--addr", "127.0.0.1:0", "--replay"])
        .arg(&unknown)
        .output()
        .expect("the mock runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "cassette {}: it holds no task the mock can replay (line 15: task status \"TASK_STATUS_PONDERING\" is not one the mock can replay)",
            unknown.display()
        )),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_replayed_task_calls_its_webhook_when_the_recording_ended() {
    let dir = tempfile::tempdir().unwrap();
    let mock = replaying(&dir).await;
    let receiver = common::receiver(0).await;
    let body = common::hooked(&receiver, "Anything.");
    let id = mock.submit_ok("/v3/async/wan2.7-t2v", &body).await;
    mock.advance(8.9).await;
    assert!(
        receiver.received_requests().await.unwrap().is_empty(),
        "not before its end"
    );
    mock.advance(0.1).await;
    let events = receiver.received_requests().await.unwrap();
    assert_eq!(events.len(), 1);
    let event: Value = events[0].body_json().unwrap();
    assert_eq!(event["payload"]["task"]["task_id"], id.as_str());
    assert_eq!(event["payload"]["task"]["status"], "TASK_STATUS_FAILED");
    assert_eq!(
        event["payload"]["task"]["reason"],
        "the output was flagged by the safety checker"
    );
}

#[tokio::test]
async fn a_task_the_mock_cannot_play_is_skipped_and_the_others_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("day.yaml");
    let bad = "- endpoint: /v3/async/wan2.7-t2v\n  results:\n  - after_ms: 10\n    body: {task: {status: TASK_STATUS_PONDERING}}\n";
    std::fs::write(&file, format!("{CASSETTE}{bad}")).unwrap();
    let mock = start(Config {
        replay: Some(file),
        ..paused()
    })
    .await;
    for _ in 0..2 {
        let id = mock
            .submit_ok("/v3/async/wan2.7-t2v", &json!({"prompt": "Anything."}))
            .await;
        let body = mock.run_to_end(&id, "TASK_STATUS_FAILED").await;
        assert_eq!(
            body["task"]["reason"],
            "the output was flagged by the safety checker"
        );
    }
}
