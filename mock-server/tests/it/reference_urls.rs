//! A motion-control reference `video` given as a URL: Novita accepts the task, then the mock
//! fetches the video once while the task runs (never on the submit path), measures it as an
//! inline video is measured, and fails the task with a reason naming the limit when it is out
//! of them or cannot be fetched; a good one gives a result of its length. The measurement
//! survives a restart with `--state`. The servers here are local; the clock is driven.

use crate::common;

use std::{io::Cursor, path::Path, time::Duration};

use base64::{engine::general_purpose::STANDARD, Engine};
use common::{mp4, paused, png_header, receiver, start, Mock};
use novita_mock::Config;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::{mpsc, watch},
};
use wiremock::{matchers::path, MockServer, ResponseTemplate};

const MOTION_CONTROL: &str = "/v3/async/kling-v3.0-motion-control";

/// A motion-control body whose reference is `video`, with a webhook to `hook` if given.
fn body(video: &str, hook: Option<&str>) -> Value {
    let image = format!(
        "data:image/png;base64,{}",
        STANDARD.encode(png_header(1000, 1000))
    );
    let mut body = json!({
        "image": image,
        "video": video,
        "model_name": "kling-v3-0-std",
        "character_orientation": "video",
    });
    if let Some(url) = hook {
        body["extra"] = json!({"webhook": {"url": url}});
    }
    body
}

fn served(bytes: Vec<u8>, media_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(bytes, media_type)
}

/// The finished task's video: its width, height and length in seconds.
async fn result_video(mock: &Mock, id: &str) -> (u16, u16, f64) {
    let (_, result) = mock.result(id).await;
    assert_eq!(result["task"]["status"], "TASK_STATUS_SUCCEED", "{result}");
    let url = result["videos"][0]["video_url"].as_str().unwrap();
    let bytes = mock.http.get(url).send().await.unwrap().bytes().await;
    let bytes = bytes.unwrap();
    let reader = mp4::Mp4Reader::read_header(Cursor::new(&bytes), bytes.len() as u64).unwrap();
    let track = reader
        .tracks()
        .values()
        .find(|t| matches!(t.track_type(), Ok(mp4::TrackType::Video)))
        .expect("a video track");
    (
        track.width(),
        track.height(),
        track.duration().as_secs_f64(),
    )
}

// Long, as one table: each reference video is a row (what is served, what the task ends
// as) on one media server and one mock, so that the rows read side by side.
#[tokio::test]
async fn reference_urls_are_measured_while_the_task_runs_and_held_to_the_limits() {
    let media = MockServer::start().await;
    let head = mp4(1280, 720, 5000, 0).len();
    let webm = [0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01].to_vec();
    let refused = [
        (
            "/short.mp4",
            served(mp4(1280, 720, 2000, 64), "video/mp4"),
            "video: the video lasts 2.00 seconds; it must last 3 to 30 seconds",
        ),
        (
            "/long.mp4",
            served(mp4(1280, 720, 31_000, 64), "video/mp4"),
            "video: the video lasts 31.00 seconds; it must last 3 to 30 seconds",
        ),
        (
            "/small.mp4",
            served(mp4(200, 200, 5000, 64), "video/mp4"),
            "video: the video is 200x200 pixels; width and height must be at least 300",
        ),
        (
            "/clip.webm",
            served(webm, "video/webm"),
            "video: it holds \"video/webm\" data; use MP4 or MOV",
        ),
        (
            "/still.png",
            served(png_header(1000, 1000), "image/png"),
            "video: it holds \"image/png\" data; use MP4 or MOV",
        ),
        (
            "/big.mp4",
            served(mp4(1280, 720, 5000, 11 * 1024 * 1024 - head), "video/mp4"),
            "video: the video is 11534336 bytes; at most 10485760 are allowed",
        ),
        (
            "/garbage.mp4",
            served(b"not a video at all".to_vec(), "video/mp4"),
            "video: the size and length of this video cannot be read; use MP4 or MOV",
        ),
        (
            "/empty.mp4",
            served(Vec::new(), "video/mp4"),
            "video: the reference video holds no data",
        ),
        (
            "/missing.mp4",
            ResponseTemplate::new(404),
            "video: the reference video could not be fetched (the server answered HTTP 404)",
        ),
    ];
    let good = [
        ("/good.mp4", served(mp4(1280, 720, 7000, 64), "video/mp4")),
        (
            "/tall.mov",
            served(mp4(720, 1280, 12_000, 64), "video/quicktime"),
        ),
        (
            "/unlabelled.mp4",
            served(mp4(1280, 720, 3000, 64), "application/octet-stream"),
        ),
    ];
    for (route, answer) in refused
        .iter()
        .map(|(route, answer, _)| (route, answer))
        .chain(good.iter().map(|(route, answer)| (route, answer)))
    {
        wiremock::Mock::given(path(*route))
            .respond_with(answer.clone())
            .mount(&media)
            .await;
    }
    let hooks = receiver(0).await;
    let hook = format!("{}/hook", hooks.uri());
    let mock = start(paused()).await;
    let mut ids = Vec::new();
    for route in refused.iter().map(|c| c.0).chain(good.iter().map(|c| c.0)) {
        let url = format!("{}{route}", media.uri());
        let id = mock
            .submit_ok(MOTION_CONTROL, &body(&url, Some(&hook)))
            .await;
        // Accepted and queued: nothing is known of the video on the submit path.
        let (_, result) = mock.result(&id).await;
        assert_eq!(result["task"]["status"], "TASK_STATUS_QUEUED", "{route}");
        ids.push(id);
    }

    // The work starts a second after submission: the refused ones fail then, and say why.
    mock.advance(1.0).await;
    for (id, (route, _, reason)) in ids.iter().zip(&refused) {
        let (_, result) = mock.result(id).await;
        assert_eq!(result["task"]["status"], "TASK_STATUS_FAILED", "{route}");
        assert_eq!(result["task"]["reason"], *reason, "{route}");
        assert!(result["videos"].as_array().is_none_or(Vec::is_empty));
    }
    for id in &ids[refused.len()..] {
        let (_, result) = mock.result(id).await;
        assert_eq!(
            result["task"]["status"], "TASK_STATUS_PROCESSING",
            "{result}"
        );
    }
    let events: Vec<Value> = hooks
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(events.len(), refused.len(), "one event per failed task");
    for (id, (route, _, reason)) in ids.iter().zip(&refused) {
        let event = events
            .iter()
            .find(|e| e["payload"]["task"]["task_id"] == **id)
            .unwrap_or_else(|| panic!("{route}: no event"));
        assert_eq!(event["payload"]["task"]["status"], "TASK_STATUS_FAILED");
        assert_eq!(event["payload"]["task"]["reason"], *reason, "{route}");
    }

    // The good ones last as long as their reference, in its ratio.
    mock.advance(600.0).await;
    let good_ids = &ids[refused.len()..];
    let mut shapes = Vec::new();
    for id in good_ids {
        let (width, height, seconds) = result_video(&mock, id).await;
        shapes.push((width, height, (seconds * 10.0).round() / 10.0));
    }
    assert_eq!(
        shapes,
        [(1280, 720, 7.0), (720, 1280, 12.0), (1280, 720, 3.0)]
    );
    // Downloaded again: the reference is not fetched again; each URL was fetched once.
    result_video(&mock, &good_ids[0]).await;
    let fetches = media.received_requests().await.unwrap();
    assert_eq!(
        fetches.len(),
        refused.len() + good.len(),
        "each fetched once"
    );
    assert_eq!(hooks.received_requests().await.unwrap().len(), ids.len());
}

/// A server of one good reference video (7 s, 1280x720) that tells the test of each request
/// and answers only once the test opens the gate.
struct HeldServer {
    url: String,
    requests: mpsc::UnboundedReceiver<()>,
    gate: watch::Sender<bool>,
}

impl HeldServer {
    /// Waits for the next request; a guard against hanging when none comes (a minute is far
    /// past any fetch's start), not a measure of time.
    async fn next_request(&mut self, what: &str) {
        let request = tokio::time::timeout(Duration::from_secs(60), self.requests.recv()).await;
        assert!(matches!(request, Ok(Some(()))), "{what}: no request came");
    }
}

async fn held_server() -> HeldServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/dance.mp4", listener.local_addr().unwrap());
    let (told, requests) = mpsc::unbounded_channel();
    let (gate, opened) = watch::channel(false);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (told, mut opened) = (told.clone(), opened.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = told.send(());
                if opened.wait_for(|open| *open).await.is_err() {
                    return;
                }
                let video = mp4(1280, 720, 7000, 64);
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    video.len()
                );
                let _ = socket.write_all(&[head.as_bytes(), &video].concat()).await;
            });
        }
    });
    HeldServer {
        url,
        requests,
        gate,
    }
}

#[tokio::test]
async fn the_fetch_runs_off_the_submit_path_while_other_tasks_go_on() {
    let mut server = held_server().await;
    let mock = start(paused()).await;
    // Were the video fetched on the submit path, this answer would wait for a server that
    // answers only after it, and the fetch would time out: the task would fail.
    let id = mock
        .submit_ok(MOTION_CONTROL, &body(&server.url, None))
        .await;
    server.next_request("the task fetches its reference").await;
    let other = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "meanwhile"}))
        .await;
    let (_, finished) = mock
        .control(Method::POST, &format!("/_mock/tasks/{other}/finish"), None)
        .await;
    assert_eq!(finished["status"], "TASK_STATUS_SUCCEED");
    server.gate.send(true).unwrap();
    mock.advance(600.0).await;
    let (width, height, seconds) = result_video(&mock, &id).await;
    assert_eq!((width, height), (1280, 720));
    assert!((seconds - 7.0).abs() < 0.05, "{seconds}");
}

fn with_state(path: &Path) -> Config {
    Config {
        state: Some(path.to_path_buf()),
        ..paused()
    }
}

#[tokio::test]
async fn a_measurement_survives_a_restart_and_is_never_fetched_again() {
    let media = MockServer::start().await;
    wiremock::Mock::given(path("/dance.mp4"))
        .respond_with(served(mp4(1280, 720, 9000, 64), "video/mp4"))
        .mount(&media)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mock.json");
    let mock = start(with_state(&state)).await;
    let url = format!("{}/dance.mp4", media.uri());
    let id = mock.submit_ok(MOTION_CONTROL, &body(&url, None)).await;
    mock.advance(0.0).await;
    mock.server.shutdown().await.unwrap();
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(saved.contains("\"fits\""), "the measurement is saved");

    let mock = start(with_state(&state)).await;
    mock.advance(600.0).await;
    let (_, _, seconds) = result_video(&mock, &id).await;
    assert!((seconds - 9.0).abs() < 0.05, "{seconds}");
    assert_eq!(media.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_check_cut_short_by_a_restart_runs_again_in_the_next_mock() {
    let mut server = held_server().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mock.json");
    let mock = start(with_state(&state)).await;
    let id = mock
        .submit_ok(MOTION_CONTROL, &body(&server.url, None))
        .await;
    server.next_request("the first mock fetches").await;
    mock.server.shutdown().await.unwrap();
    let saved = std::fs::read_to_string(&state).unwrap();
    assert!(saved.contains("\"pending\""), "saved while measured");

    let mock = start(with_state(&state)).await;
    server.next_request("the next mock fetches again").await;
    let (_, result) = mock.result(&id).await;
    assert_eq!(result["task"]["status"], "TASK_STATUS_QUEUED");
    server.gate.send(true).unwrap();
    mock.advance(600.0).await;
    let (_, _, seconds) = result_video(&mock, &id).await;
    assert!((seconds - 7.0).abs() < 0.05, "{seconds}");
}
