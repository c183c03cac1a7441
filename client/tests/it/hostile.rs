//! No answer a server can send makes the client panic. Generated answers (any status, any
//! bytes, JSON-ish values of the wrong types, numbers no float holds, odd framing and headers)
//! are served by a loopback server to a submission, a task-result read, a wait with a progress
//! callback, a probe and the downloads; each call must end in `Ok` or a typed `Error`, and keep
//! the client's promises (no second submission, no POST turned into a GET, nothing left on
//! disk after a failed download).

use crate::common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use crate::hostile_answers::{answer, Answer};
use common::KEY;
use novita_video::{
    types::TaskResultResponse, Error, NovitaClient, SubmitOperation, WaitOptions, MAX_ETA,
};
use proptest::prelude::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Requests the server has read, by method.
#[derive(Default)]
struct Seen {
    posts: AtomicUsize,
    gets: AtomicUsize,
}

impl Seen {
    fn take(&self) -> (usize, usize) {
        (
            self.posts.swap(0, Ordering::SeqCst),
            self.gets.swap(0, Ordering::SeqCst),
        )
    }
}

/// Reads one request (its head, and its body by `Content-Length`) and returns its method.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = read.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = socket.read(&mut buffer).await.ok().filter(|n| *n > 0)?;
        read.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8_lossy(&read[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while read.len() < head_end + length {
        let n = socket.read(&mut buffer).await.ok().filter(|n| *n > 0)?;
        read.extend_from_slice(&buffer[..n]);
    }
    head.split_whitespace().next().map(str::to_uppercase)
}

/// A loopback server that answers every request with `answer` and closes the connection.
async fn serve(answer: Vec<u8>) -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let counts = seen.clone();
    let answer = Arc::new(answer);
    let url = common::loopback(move |mut socket| {
        let (answer, counts) = (answer.clone(), counts.clone());
        async move {
            match read_request(&mut socket).await.as_deref() {
                Some("POST") => counts.posts.fetch_add(1, Ordering::SeqCst),
                Some("GET") => counts.gets.fetch_add(1, Ordering::SeqCst),
                _ => return,
            };
            let _ = socket.write_all(&answer).await;
            let _ = socket.shutdown().await;
        }
    })
    .await;
    (url, seen)
}

fn client(url: &str) -> NovitaClient {
    NovitaClient::builder()
        .api_key(KEY)
        .base_url(url)
        .max_answer_bytes(8 * 1024)
        .poll_retry(common::fast_retry(2))
        .submit_retry(common::fast_retry(3))
        // Only `Retry-After: 0` is waited for: the others end the retries at once.
        .max_retry_after(Duration::ZERO)
        .on_retry(|notice| assert!(notice.wait <= Duration::from_millis(10), "{notice:?}"))
        // Guards only: the server always answers at once and closes.
        .timeout(Duration::from_secs(10))
        .download_idle_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The value of a call that succeeded; of one that failed, `None` once its error is read
/// (its text, its fields): an error is typed.
fn typed<T>(outcome: Result<T, Error>) -> Option<T> {
    match outcome {
        Ok(value) => Some(value),
        Err(error) => {
            assert!(!error.to_string().is_empty());
            let _ = (
                format!("{error:?}"),
                error.status(),
                error.reason(),
                error.task_id(),
            );
            None
        }
    }
}

/// A finished task whose video is at `url`.
fn finished_with_video(url: &str) -> TaskResultResponse {
    serde_json::from_value(json!({
        "task": {"task_id": "t-1", "status": "TASK_STATUS_SUCCEED"},
        "videos": [{"video_url": url}]
    }))
    .unwrap()
}

async fn every_call_ends_typed(answer: Answer) {
    let (url, seen) = serve(answer.bytes()).await;
    let client = client(&url);

    if let Some(task_id) = typed(client.submit(&common::wan27_t2v()).await) {
        assert_eq!(
            answer.status, 200,
            "only the documented status creates a task"
        );
        assert!(!task_id.trim().is_empty());
    }
    let (posts, gets) = seen.take();
    assert_eq!(gets, 0, "a submission is never turned into a GET");
    if answer.status == 429 {
        assert!(posts <= 3, "{posts} submissions");
    } else {
        assert!(
            posts <= 1,
            "a second submission after HTTP {}",
            answer.status
        );
    }

    if let Some(result) = typed(client.task_result("t-1").await) {
        assert_eq!(answer.status, 200);
        let answered = result.task.and_then(|t| t.task_id);
        assert!(
            answered.is_none_or(|id| id == "t-1"),
            "another task's result taken"
        );
    }

    let options = WaitOptions::default()
        .timeout(Duration::from_millis(100))
        .interval(Duration::from_millis(1), Duration::from_millis(5))
        .on_progress(|p| {
            assert!(p.progress_percent.is_none_or(f64::is_finite), "{p:?}");
            assert!(p.eta.is_none_or(|eta| eta <= MAX_ETA), "{p:?}");
        });
    typed(client.wait("t-1", options).await);
    assert_eq!(seen.take().0, 0, "waiting submits nothing");

    let t2v = SubmitOperation::find("wan2.7-t2v").unwrap();
    if let Some(probed) = typed(client.probe(t2v, &json!({})).await) {
        assert!(probed.body().len() <= novita_video::PROBE_BODY_LIMIT);
    }

    let video_url = format!("{url}/v.mp4");
    let mut buffer = Vec::new();
    if let Some(written) = typed(client.download(&video_url, &mut buffer, |_, _| {}).await) {
        assert_eq!(written as usize, buffer.len());
        assert!(buffer.len() >= 8, "a video starts with a box");
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.mp4");
    let downloaded = client
        .download_video(&finished_with_video(&video_url), &target, |_, _| {})
        .await;
    match typed(downloaded) {
        Some(written) => assert_eq!(std::fs::metadata(&target).unwrap().len(), written),
        None => {
            let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
            assert!(left.is_empty(), "a failed download leaves {left:?}");
        }
    }
}

proptest! {
    // A failing case is printed shrunk; no seed file is written into the tree.
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_answer_makes_the_client_panic_or_break_a_promise(answer in answer()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(every_call_ends_typed(answer));
    }
}
