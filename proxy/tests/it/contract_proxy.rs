//! `novita-proxy`'s contract proxy in front of the mock: no drift, and a whole task recorded,
//! then replayed by a second mock to the same end. Drift is in `drift`, what it forwards as it
//! came in `forwarding`.

use crate::common;

use common::{advance, client_of, paused_mock, proxy_in_front_of, KEY};
use novita_mock::Config;
use novita_video::SubmitOperation;
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// The cassette of one recorded task with its results' offsets (`after_ms`, wall-clock time
/// since the submission) replaced by `read_at_ms`, the mock times at which they were read: the
/// offsets a replay on a paused clock can be checked at, whatever the machine's speed.
fn on_mock_time(cassette: &Value, read_at_ms: &[u64]) -> String {
    let mut cassette = cassette.clone();
    let results = cassette["tasks"][0]["results"].as_array_mut().unwrap();
    assert_eq!(results.len(), read_at_ms.len(), "one result per state seen");
    let offsets: Vec<u64> = results
        .iter()
        .map(|r| r["after_ms"].as_u64().unwrap())
        .collect();
    assert!(
        offsets.windows(2).all(|w| w[0] <= w[1]),
        "recorded offsets run forward: {offsets:?}"
    );
    for (result, at) in results.iter_mut().zip(read_at_ms) {
        result["after_ms"] = json!(at);
    }
    serde_saphyr::to_string(&cassette).unwrap()
}

/// A paused mock that replays the cassette `yaml`.
async fn replaying_mock(yaml: &str) -> novita_mock::RunningMock {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recorded.cassette.yaml");
    std::fs::write(&file, yaml).unwrap();
    // The mock reads the cassette once, at start: the folder may go afterwards.
    novita_mock::spawn(Config {
        paused: true,
        replay: Some(file),
        ..Config::for_tests()
    })
    .await
    .expect("the replaying mock starts")
}

/// Status, progress and reason of a task result: what a replay must give back.
fn state_of(result: &Value) -> Value {
    let task = &result["task"];
    // The client's types read progress as a float, the cassette keeps the integer it was sent.
    json!([
        task["status"],
        task["progress_percent"].as_f64(),
        task["reason"]
    ])
}

#[tokio::test]
async fn in_front_of_the_mock_a_whole_task_is_recorded_without_drift_and_replays_the_same() {
    let mock = paused_mock().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&receiver)
        .await;
    let proxy = proxy_in_front_of(mock.url(), true, true).await;
    let client = client_of(proxy.url());
    let t2v = SubmitOperation::find("wan2.7-t2v").expect("in the catalogue");
    let body = json!({
        "prompt": "A red fox trotting through fresh snow at dawn.",
        "extra": {"webhook": {"url": format!("{}/hook", receiver.uri())}},
    });
    let task_id = client
        .submit_value(t2v, body.clone())
        .await
        .expect("accepted");
    let mut seen = vec![serde_json::to_value(client.task_result(&task_id).await.unwrap()).unwrap()];
    advance(mock.url(), 1.5).await;
    seen.push(serde_json::to_value(client.task_result(&task_id).await.unwrap()).unwrap());
    advance(mock.url(), 100_000.0).await;
    seen.push(serde_json::to_value(client.task_result(&task_id).await.unwrap()).unwrap());
    let states: Vec<Value> = seen.iter().map(state_of).collect();
    assert_eq!(
        states,
        [
            json!(["TASK_STATUS_QUEUED", 0.0, ""]),
            json!(["TASK_STATUS_PROCESSING", 8.0, ""]),
            json!(["TASK_STATUS_SUCCEED", 100.0, ""]),
        ]
    );

    let report = proxy.contract().report();
    assert_eq!(report.drift, [], "the mock drifted: {}", report.summary());
    assert_eq!(report.upstream_failures, []);
    // Submit, three results, and the relayed webhook event.
    assert_eq!(report.exchanges, 5);
    receiver.verify().await;
    let event: Value = receiver.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(event["payload"]["task"]["task_id"], task_id);

    let yaml = proxy.contract().cassette_yaml().expect("recording");
    let cassette: Value = serde_saphyr::from_str(&yaml).expect("the cassette is YAML");
    assert!(!yaml.contains(KEY), "the API key was recorded:\n{yaml}");
    let video_path = &cassette["tasks"][0]["results"][2]["body"]["videos"][0]["video_url"];
    assert!(
        video_path.as_str().is_some_and(|p| p.starts_with('/')),
        "video links are kept as their path: {video_path}"
    );
    insta::assert_json_snapshot!("recorded_cassette", cassette, {
        ".tasks[].task_id" => "[task_id]",
        ".tasks[].submit.answer.task_id" => "[task_id]",
        ".tasks[].submit.request.extra.webhook.url" => "[receiver]",
        ".tasks[].results[].after_ms" => "[ms]",
        ".tasks[].results[].body.task.task_id" => "[task_id]",
        ".tasks[].results[].body.extra.seed" => "[seed]",
        ".tasks[].results[].body.extra.debug_info" => "[debug_info]",
        ".tasks[].results[].body.extra.webhook.url" => "[relay path]",
        ".tasks[].results[].body.videos[].video_url" => "[video path]",
        ".tasks[].webhooks[].after_ms" => "[ms]",
        ".tasks[].webhooks[].body.payload.task.task_id" => "[task_id]",
        ".tasks[].webhooks[].body.payload.extra.seed" => "[seed]",
        ".tasks[].webhooks[].body.payload.extra.debug_info" => "[debug_info]",
        ".tasks[].webhooks[].body.payload.extra.webhook.url" => "[relay path]",
        ".tasks[].webhooks[].body.payload.videos[].video_url" => "[video path]",
    });

    assert_replayed_as_recorded(&cassette, &seen, &states).await;
}

/// A second mock replays the cassette: a new task on the same endpoint goes through the
/// same states at the recorded offsets and ends the same way, with the mock's own video.
/// The recorder keeps wall-clock offsets (a recording of the real service has nothing
/// else), so those of results read a moment apart depend on the machine's speed and may
/// even coincide. The replay gets the mock times at which the results were read instead,
/// so that every recorded result is checked on any machine.
async fn assert_replayed_as_recorded(cassette: &Value, seen: &[Value], states: &[Value]) {
    let t2v = SubmitOperation::find("wan2.7-t2v").expect("in the catalogue");
    let recorded = cassette["tasks"][0]["results"].as_array().unwrap().clone();
    let read_at_ms = [0, 1_500, 100_001_500];
    let replaying = replaying_mock(&on_mock_time(cassette, &read_at_ms)).await;
    let replay_client = client_of(replaying.url());
    let replayed_id = replay_client
        .submit_value(t2v, json!({"prompt": "Anything at all."}))
        .await
        .expect("accepted");
    let mut now_ms = 0;
    let mut checked = Vec::new();
    for (step, at) in recorded.iter().zip(read_at_ms) {
        advance(replaying.url(), (at - now_ms) as f64 / 1000.0).await;
        now_ms = at;
        let result =
            serde_json::to_value(replay_client.task_result(&replayed_id).await.unwrap()).unwrap();
        assert_eq!(state_of(&result), state_of(&step["body"]), "at {at} ms");
        assert_eq!(
            result["extra"]["seed"], seen[0]["extra"]["seed"],
            "the recorded seed"
        );
        checked.push(state_of(&result));
    }
    assert_eq!(checked, states, "every recorded state replayed");
    let last =
        serde_json::to_value(replay_client.task_result(&replayed_id).await.unwrap()).unwrap();
    assert_eq!(state_of(&last), state_of(&seen[2]));
    let video_url = last["videos"][0]["video_url"].as_str().unwrap();
    assert!(video_url.starts_with(replaying.url()), "{video_url}");
    let video = reqwest::get(video_url).await.unwrap();
    assert_eq!(video.status(), 200);
    assert_eq!(video.headers()["content-type"], "video/mp4");
}

#[tokio::test]
async fn a_kling_task_is_recorded_without_drift_and_replayed_to_the_same_end() {
    let mock = paused_mock().await;
    let proxy = proxy_in_front_of(mock.url(), true, false).await;
    let client = client_of(proxy.url());
    let kling = SubmitOperation::find("kling-v3.0-pro-t2v").expect("in the catalogue");
    let body = json!({"prompt": "A heron lifts off a misty lake.", "duration": 4, "sound": true});
    let task_id = client.submit_value(kling, body).await.expect("accepted");
    let first = serde_json::to_value(client.task_result(&task_id).await.unwrap()).unwrap();
    advance(mock.url(), 100_000.0).await;
    let last = serde_json::to_value(client.task_result(&task_id).await.unwrap()).unwrap();
    assert_eq!(state_of(&first), json!(["TASK_STATUS_QUEUED", 0.0, ""]));
    assert_eq!(state_of(&last), json!(["TASK_STATUS_SUCCEED", 100.0, ""]));
    let report = proxy.contract().report();
    assert_eq!(report.drift, [], "the mock drifted: {}", report.summary());
    assert_eq!(report.exchanges, 3);

    let yaml = proxy.contract().cassette_yaml().expect("recording");
    let cassette: Value = serde_saphyr::from_str(&yaml).expect("the cassette is YAML");
    assert_eq!(
        cassette["tasks"][0]["endpoint"],
        "/v3/async/kling-v3.0-pro-t2v"
    );
    // Read at mock times 0 and 100 000 s (the recorded wall-clock offsets may coincide).
    let replaying = replaying_mock(&on_mock_time(&cassette, &[0, 100_000_000])).await;
    let replay_client = client_of(replaying.url());
    let replayed_id = replay_client
        .submit_value(kling, json!({"prompt": "Anything at all."}))
        .await
        .expect("accepted");
    let replayed = serde_json::to_value(replay_client.task_result(&replayed_id).await.unwrap());
    assert_eq!(state_of(&replayed.unwrap()), state_of(&first));
    advance(replaying.url(), 100_000.0).await;
    let end = serde_json::to_value(replay_client.task_result(&replayed_id).await.unwrap()).unwrap();
    assert_eq!(state_of(&end), state_of(&last));
    assert_eq!(end["task"]["task_type"], last["task"]["task_type"]);
    // Kling takes no seed: the mock draws one, and only a replay gives back the recorded one.
    assert_eq!(
        end["extra"]["seed"], last["extra"]["seed"],
        "followed the recording"
    );
    let video_url = end["videos"][0]["video_url"].as_str().unwrap();
    assert!(video_url.starts_with(replaying.url()), "{video_url}");
}
