//! `novita-proxy`'s contract proxy, tested the two ways it is used: in front of the mock (no
//! drift; a whole task recorded, then replayed by a second mock to the same end), and in front
//! of an upstream that drifts from the spec in the ways a real service could (each finding
//! pinned with insta).

use novita_mock::Config;
use novita_proxy::{report::Report, ContractProxy, ProxyOptions};
use novita_video::{NovitaClient, SubmitOperation};
use serde_json::{json, Value};
use wiremock::{
    matchers::{header, method, path},
    Mock, MockServer, ResponseTemplate,
};

const KEY: &str = "proxy-test-key";

async fn proxy_in_front_of(upstream: &str, record: bool, relay_webhooks: bool) -> ContractProxy {
    let options = ProxyOptions {
        upstream: upstream.to_string(),
        record,
        ..ProxyOptions::default()
    };
    ContractProxy::start(options, relay_webhooks)
        .await
        .expect("the proxy starts")
}

fn client_of(url: &str) -> NovitaClient {
    NovitaClient::builder()
        .api_key(KEY)
        .base_url(url)
        .build()
        .expect("client builds")
}

/// Moves a mock's clock forward by `seconds` (returns once every event due has run).
async fn advance(mock_url: &str, seconds: f64) {
    let answer = reqwest::Client::new()
        .post(format!("{mock_url}/_mock/clock/advance"))
        .json(&json!({ "seconds": seconds }))
        .send()
        .await
        .expect("the control API answers");
    assert!(answer.status().is_success(), "{}", answer.status());
}

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
    let mock = novita_mock::spawn(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await
    .expect("the mock starts");
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

    // A second mock replays the cassette: a new task on the same endpoint goes through the
    // same states at the recorded offsets and ends the same way, with the mock's own video.
    // The recorder keeps wall-clock offsets (a recording of the real service has nothing
    // else), so those of results read a moment apart depend on the machine's speed and may
    // even coincide. The replay gets the mock times at which the results were read instead,
    // so that every recorded result is checked on any machine.
    let recorded = cassette["tasks"][0]["results"].as_array().unwrap().clone();
    let read_at_ms = [0, 1_500, 100_001_500];
    let replaying = replaying_mock(&on_mock_time(&cassette, &read_at_ms)).await;
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

/// Sends one request through a proxy in front of `upstream` (wiremock) and returns the
/// answer's status and body and the proxy's report.
async fn through_proxy(
    upstream: &MockServer,
    request: impl FnOnce(&reqwest::Client, &str) -> reqwest::RequestBuilder,
) -> (u16, String, Report) {
    let proxy = proxy_in_front_of(&upstream.uri(), false, false).await;
    let answer = request(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .expect("the proxy answers");
    let status = answer.status().as_u16();
    let body = answer.text().await.unwrap();
    (status, body, proxy.contract().report())
}

fn submit_t2v(http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/v3/async/wan2.7-t2v"))
        .bearer_auth(KEY)
        .json(&json!({"prompt": "A red fox."}))
}

fn read_result(http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
    http.get(format!("{base}/v3/async/task-result?task_id=t-1"))
        .bearer_auth(KEY)
}

async fn upstream_answering(route: &str, verb: &str, answer: ResponseTemplate) -> MockServer {
    let upstream = MockServer::start().await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(answer)
        .mount(&upstream)
        .await;
    upstream
}

#[tokio::test]
async fn a_number_where_the_spec_has_a_string_is_drift() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"task_id": 12345})),
    )
    .await;
    let (status, body, report) = through_proxy(&upstream, submit_t2v).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"task_id":12345}"#),
        "forwarded as it came"
    );
    insta::assert_json_snapshot!("drift_number_for_string", report.drift);
}

#[tokio::test]
async fn a_missing_required_field_is_drift() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"id": "t-1"})),
    )
    .await;
    let (_, _, report) = through_proxy(&upstream, submit_t2v).await;
    insta::assert_json_snapshot!("drift_missing_required_field", report.drift);
}

#[tokio::test]
async fn a_status_the_spec_does_not_list_is_drift() {
    let upstream = upstream_answering(
        "/v3/async/task-result",
        "GET",
        ResponseTemplate::new(418)
            .set_body_json(json!({"code": 418, "reason": "TEAPOT", "message": "short and stout"})),
    )
    .await;
    let (status, _, report) = through_proxy(&upstream, read_result).await;
    assert_eq!(status, 418);
    insta::assert_json_snapshot!("drift_undocumented_status", report.drift);
}

#[tokio::test]
async fn an_error_body_not_in_novitas_shape_is_drift() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(400).set_body_json(json!({"error": "prompt too long"})),
    )
    .await;
    let (status, _, report) = through_proxy(&upstream, submit_t2v).await;
    assert_eq!(status, 400);
    insta::assert_json_snapshot!("drift_undocumented_error_body", report.drift);
}

#[tokio::test]
async fn a_non_json_answer_is_forwarded_as_it_came_and_reported() {
    let page = "<html><body>502 Bad Gateway</body></html>";
    let upstream = upstream_answering(
        "/v3/async/task-result",
        "GET",
        ResponseTemplate::new(500).set_body_raw(page, "text/html"),
    )
    .await;
    let (status, body, report) = through_proxy(&upstream, read_result).await;
    assert_eq!((status, body.as_str()), (500, page));
    insta::assert_json_snapshot!("drift_not_json", report.drift);
}

#[tokio::test]
async fn a_request_that_breaks_the_rules_is_drift_too() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})),
    )
    .await;
    let (_, _, report) = through_proxy(&upstream, |http, base| {
        http.post(format!("{base}/v3/async/wan2.7-t2v"))
            .bearer_auth(KEY)
            .json(&json!({"prompt": "A fox.", "duration": 99}))
    })
    .await;
    insta::assert_json_snapshot!("drift_request_breaks_a_rule", report.drift);
}

#[tokio::test]
async fn requests_reach_the_upstream_unchanged_headers_included() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/async/wan2.7-t2v"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("x-mock-scenario", "slow-day"))
        .and(header("x-custom", "kept"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"task_id": "t-1"}))
                .insert_header("x-request-id", "r-9"),
        )
        .expect(1)
        .mount(&upstream)
        .await;
    let proxy = proxy_in_front_of(&upstream.uri(), false, false).await;
    let answer = submit_t2v(&reqwest::Client::new(), proxy.url())
        .header("accept-encoding", "gzip")
        .header("x-mock-scenario", "slow-day")
        .header("x-custom", "kept")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["x-request-id"], "r-9");
    assert_eq!(answer.text().await.unwrap(), r#"{"task_id":"t-1"}"#);
    upstream.verify().await;
    let sent = &upstream.received_requests().await.unwrap()[0];
    assert_eq!(
        serde_json::from_slice::<Value>(&sent.body).unwrap(),
        json!({"prompt": "A red fox."})
    );
    assert!(
        sent.headers.get("accept-encoding").is_none(),
        "the proxy asks for answers it can read"
    );
    assert_eq!(proxy.contract().report().drift, []);
}

#[tokio::test]
async fn a_compressed_answer_is_passed_on_unread_and_reported_unchecked() {
    let compressed = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    let upstream = upstream_answering(
        "/v3/async/task-result",
        "GET",
        ResponseTemplate::new(200)
            .set_body_raw(compressed.clone(), "application/json")
            .insert_header("content-encoding", "gzip"),
    )
    .await;
    let proxy = proxy_in_front_of(&upstream.uri(), false, false).await;
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["content-encoding"], "gzip");
    assert_eq!(answer.bytes().await.unwrap().to_vec(), compressed);
    let report = proxy.contract().report();
    assert_eq!(report.exchanges, 1);
    // Drift, so that --fail-on-drift notices an exchange that was never checked.
    assert_eq!(report.drift.len(), 1, "{report:?}");
    let finding = &report.drift[0];
    assert_eq!((finding.status, finding.pointer.as_str()), (200, ""));
    assert!(
        finding
            .message
            .contains("compressed (content-encoding: gzip)")
            && finding.message.contains("not checked"),
        "{}",
        finding.message
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_in_novitas_shape_and_no_drift() {
    // A port that was free a moment ago: nothing listens there.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let proxy = proxy_in_front_of(&upstream, false, false).await;
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["code"], 502);
    assert_eq!(body["reason"], "UPSTREAM_UNREACHABLE");
    assert!(
        body["message"].as_str().unwrap().contains(&upstream),
        "{body}"
    );
    let report = proxy.contract().report();
    assert_eq!(report.drift, []);
    assert_eq!(report.upstream_failures.len(), 1);
    assert_eq!(report.upstream_failures[0].path, "/v3/async/task-result");
}

#[tokio::test]
async fn a_large_video_streams_through_unchanged() {
    let video: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let upstream = upstream_answering(
        "/videos/v.mp4",
        "GET",
        ResponseTemplate::new(200).set_body_raw(video.clone(), "video/mp4"),
    )
    .await;
    let (status, _, report) = through_proxy(&upstream, |http, base| {
        http.get(format!("{base}/videos/v.mp4"))
    })
    .await;
    assert_eq!(status, 200);
    assert_eq!(report.exchanges, 1);
    assert_eq!(report.drift, []);
    let proxy = proxy_in_front_of(&upstream.uri(), false, false).await;
    let bytes = reqwest::get(format!("{}/videos/v.mp4", proxy.url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes == video, "the video changed on its way");
}

#[tokio::test]
async fn a_relayed_webhook_answers_the_upstream_with_the_receivers_status_so_retries_work() {
    let mock = novita_mock::spawn(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await
    .expect("the mock starts");
    let receiver = MockServer::start().await;
    // The receiver refuses the first delivery and takes the retry.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let proxy = proxy_in_front_of(mock.url(), true, true).await;
    let client = client_of(proxy.url());
    let t2v = SubmitOperation::find("wan2.7-t2v").expect("in the catalogue");
    let task_id = client
        .submit_value(
            t2v,
            json!({"prompt": "A fox.", "extra": {"webhook": {"url": receiver.uri()}}}),
        )
        .await
        .expect("accepted");
    advance(mock.url(), 100_000.0).await;

    let detail: Value = reqwest::get(format!("{}/_mock/tasks/{task_id}", mock.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuses: Vec<&Value> = detail["webhook"]["attempts"]
        .as_array()
        .expect("the mock's webhook log")
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(503), &json!(200)], "{detail}");
    assert_eq!(receiver.received_requests().await.unwrap().len(), 2);
    let cassette: Value =
        serde_saphyr::from_str(&proxy.contract().cassette_yaml().unwrap()).unwrap();
    let recorded: Vec<&Value> = cassette["tasks"][0]["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["receiver_status"])
        .collect();
    assert_eq!(recorded, [&json!(503), &json!(200)]);
    assert_eq!(proxy.contract().report().drift, []);
}

#[tokio::test]
async fn a_relayed_event_that_breaks_the_webhook_schema_is_drift_and_still_delivered() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})),
    )
    .await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&receiver)
        .await;
    let proxy = proxy_in_front_of(&upstream.uri(), false, true).await;
    let http = reqwest::Client::new();
    http.post(format!("{}/v3/async/wan2.7-t2v", proxy.url()))
        .bearer_auth(KEY)
        .json(&json!({"prompt": "A fox.", "extra": {"webhook": {"url": format!("{}/hook", receiver.uri())}}}))
        .send()
        .await
        .unwrap();
    // The upstream was given the proxy's relay address in place of the receiver's.
    let sent: Value = upstream.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    let relay_url = sent["extra"]["webhook"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        relay_url.starts_with(&format!("{}/_proxy/webhooks/", proxy.url())),
        "{relay_url}"
    );

    // The upstream (played here by the test) sends an event whose task id is a number.
    let event = json!({"event_type": "ASYNC_TASK_RESULT", "payload": {"task": {"task_id": 5}}});
    let answer = http.post(&relay_url).json(&event).send().await.unwrap();
    assert_eq!(
        answer.status(),
        202,
        "the receiver's status goes back upstream"
    );
    receiver.verify().await;
    let delivered: Value = receiver.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(delivered, event, "delivered as it came");
    insta::assert_json_snapshot!("drift_webhook_event", proxy.contract().report().drift);

    let unknown = http
        .post(format!("{}/_proxy/webhooks/not-a-token", proxy.url()))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

/// A loopback upstream that answers every connection with `head`, then `body` in pieces
/// framed as chunked transfer encoding when `chunked` (so no length is declared), then goes
/// silent without closing when `hang`, for at most 30 s.
async fn raw_upstream(head: &'static str, body: Vec<u8>, chunked: bool, hang: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(head.as_bytes()).await;
                for piece in body.chunks(64 * 1024) {
                    let framed = if chunked {
                        [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat()
                    } else {
                        piece.to_vec()
                    };
                    if socket.write_all(&framed).await.is_err() {
                        return;
                    }
                }
                if hang {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                } else if chunked {
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

/// A task result that is valid JSON and larger than the proxy's check cap.
fn huge_task_result() -> Vec<u8> {
    let padding = "x".repeat(novita_proxy::forward::MAX_CHECKED_ANSWER_BYTES + 1024);
    serde_json::to_vec(&json!({
        "task": {"task_id": "t-1", "status": "TASK_STATUS_SUCCEED"},
        "videos": [], "padding": padding,
    }))
    .unwrap()
}

fn assert_reported_unchecked(report: &Report) {
    assert_eq!(report.upstream_failures, []);
    assert_eq!(report.drift.len(), 1, "{report:?}");
    let drift = &report.drift[0];
    assert_eq!(
        (drift.path.as_str(), drift.status, drift.pointer.as_str()),
        ("/v3/async/task-result", 200, "")
    );
    assert!(
        drift.message.contains("forwarded unchecked"),
        "{}",
        drift.message
    );
}

#[tokio::test]
async fn a_json_answer_past_the_cap_arrives_whole_and_is_reported_unchecked() {
    let body = huge_task_result();
    let upstream = upstream_answering(
        "/v3/async/task-result",
        "GET",
        ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
    )
    .await;
    let proxy = proxy_in_front_of(&upstream.uri(), true, false).await;
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/json");
    assert!(answer.bytes().await.unwrap() == body, "the answer changed");
    assert_reported_unchecked(&proxy.contract().report());
}

#[tokio::test]
async fn a_chunked_json_answer_past_the_cap_arrives_whole_and_is_reported_unchecked() {
    // No length declared: the proxy finds out while reading.
    let body = huge_task_result();
    let upstream = raw_upstream(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        body.clone(),
        true,
        false,
    )
    .await;
    let proxy = proxy_in_front_of(&upstream, false, false).await;
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.bytes().await.unwrap() == body, "the answer changed");
    assert_reported_unchecked(&proxy.contract().report());
}

async fn proxy_with_timeout(upstream: &str) -> ContractProxy {
    let options = ProxyOptions {
        upstream: upstream.to_string(),
        upstream_timeout: std::time::Duration::from_secs(1),
        ..ProxyOptions::default()
    };
    ContractProxy::start(options, false).await.unwrap()
}

async fn assert_504(proxy: &ContractProxy, message: &str) {
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 504);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["code"], 504);
    assert_eq!(body["reason"], "UPSTREAM_TIMEOUT");
    assert!(
        body["message"].as_str().unwrap().contains(message),
        "{body}"
    );
    let report = proxy.contract().report();
    assert_eq!(report.drift, [], "a silent upstream is no drift");
    assert_eq!(report.upstream_failures.len(), 1, "{report:?}");
    assert_eq!(report.upstream_failures[0].path, "/v3/async/task-result");
    assert!(
        report.upstream_failures[0].message.contains(message),
        "{:?}",
        report.upstream_failures
    );
}

#[tokio::test]
async fn an_upstream_that_never_answers_is_a_504_in_novitas_shape() {
    // It takes the connection and the request, and says nothing.
    let upstream = raw_upstream("", Vec::new(), false, true).await;
    let proxy = proxy_with_timeout(&upstream).await;
    assert_504(&proxy, "gave no answer within 1s").await;
}

#[tokio::test]
async fn a_json_answer_that_stalls_before_its_end_is_a_504_too() {
    let upstream = raw_upstream(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n",
        br#"{"task": {"#.to_vec(),
        false,
        true,
    )
    .await;
    let proxy = proxy_with_timeout(&upstream).await;
    assert_504(&proxy, "no bytes for 1s").await;
}

#[tokio::test]
async fn a_zero_upstream_timeout_is_refused() {
    let options = ProxyOptions {
        upstream: "http://127.0.0.1:9".into(),
        upstream_timeout: std::time::Duration::ZERO,
        ..ProxyOptions::default()
    };
    assert!(ContractProxy::start(options, false).await.is_err());
}

#[tokio::test]
async fn a_kling_task_is_recorded_without_drift_and_replayed_to_the_same_end() {
    let mock = novita_mock::spawn(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await
    .expect("the mock starts");
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
