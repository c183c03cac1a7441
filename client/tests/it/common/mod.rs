//! Shared helpers of the client's integration tests.
#![allow(dead_code)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use novita_video::{types::Wan27T2vRequest, Error, NovitaClient, RetryNotice, RetryPolicy};
use serde_json::Value;
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

#[cfg(feature = "cli")]
pub mod cli;

pub const KEY: &str = "test-key";

/// Longer than any test runs: an answer delayed this long can never beat a test's timeout, so
/// a timeout raced against it fires on any machine.
pub const AN_HOUR: Duration = Duration::from_secs(3600);

/// Retries with millisecond backoffs, so that retry tests run fast.
pub fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::new(
        max_attempts,
        Duration::from_millis(2),
        Duration::from_millis(10),
    )
}

pub fn client_for(server: &MockServer) -> NovitaClient {
    client_with_key(server, KEY)
}

/// [`client_for`] with another key.
pub fn client_with_key(server: &MockServer, key: &str) -> NovitaClient {
    NovitaClient::builder()
        .api_key(key)
        .base_url(server.uri())
        .poll_retry(fast_retry(4))
        .submit_retry(fast_retry(3))
        .build()
        .expect("client builds")
}

/// The spec, parsed, for its documented examples.
pub fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/novita.yaml"))
        .unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// The `examples` map at a JSON pointer of the spec.
pub fn examples_at(pointer: &str) -> Vec<(String, Value)> {
    let spec = spec();
    let examples = spec
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no examples at {pointer}"))
        .as_object()
        .unwrap()
        .clone();
    examples
        .into_iter()
        .map(|(name, example)| (name, example["value"].clone()))
        .collect()
}

pub fn task_body(status: &str, progress: f64, eta: f64) -> Value {
    serde_json::json!({
        "task": {"task_id": "t-1", "task_type": "WAN_TXT_TO_VIDEO", "status": status,
                 "reason": "", "eta": eta, "progress_percent": progress},
        "images": [], "videos": []
    })
}

/// The start of an MP4 file (an `ftyp` box), then filler up to `len` bytes: what the client's
/// download check takes for a video.
pub fn mp4_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0, 24];
    bytes.extend_from_slice(b"ftypisom\0\0\x02\0isommp41");
    bytes.extend((bytes.len()..len).map(|i| (i % 251) as u8));
    bytes.truncate(len.max(8));
    bytes
}

/// A loopback HTTP server that hands every connection it accepts to `answer`, each on its own
/// task, and returns its base URL.
pub async fn loopback<F, Fut>(answer: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket));
        }
    });
    url
}

/// A loopback HTTP server that answers every connection with `head` (status line and headers,
/// sent at once), then `body` in pieces of `piece` bytes, one piece every `gap`. It stops
/// writing when the client hangs up, at the end of the body, or after 30 s.
pub async fn drip_server(head: String, body: Vec<u8>, piece: usize, gap: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loopback(move |mut socket| {
        let (head, body) = (head.clone(), body.clone());
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            let mut request = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut request).await;
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for part in body.chunks(piece.max(1)) {
                if tokio::time::Instant::now() > deadline
                    || socket.write_all(part).await.is_err()
                    || socket.flush().await.is_err()
                {
                    return;
                }
                tokio::time::sleep(gap).await;
            }
            let _ = socket.shutdown().await;
        }
    })
    .await
}

/// A loopback HTTP server that answers every request with `head`, then `start`, then `filler`
/// bytes without end, until the client hangs up: a body that no client can read whole.
pub async fn endless_server(head: String, start: Vec<u8>, filler: u8) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loopback(move |mut socket| {
        let (head, start) = (head.clone(), start.clone());
        async move {
            let mut request = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut request).await;
            if socket.write_all(head.as_bytes()).await.is_err()
                || socket.write_all(&start).await.is_err()
            {
                return;
            }
            let filler = vec![filler; 64 * 1024];
            while socket.write_all(&filler).await.is_ok() {}
        }
    })
    .await
}

/// Novita's error body, with this status.
pub fn novita_error(status: u16, reason: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        serde_json::json!({"code": status, "reason": reason, "message": message, "metadata": {}}),
    )
}

/// Novita's 429, with this `Retry-After`.
pub fn rate_limited(retry_after: &str) -> ResponseTemplate {
    novita_error(429, "RATE_LIMIT_EXCEEDED", "slow down").insert_header("retry-after", retry_after)
}

/// Notices a client gave before each wait for a retry.
pub type Notices = Arc<Mutex<Vec<RetryNotice>>>;

/// A client of `server`, retrying fast, that waits for a `Retry-After` of `max_retry_after` at
/// most, and the notices it gives before each wait.
pub fn noting_client(server: &MockServer, max_retry_after: Duration) -> (NovitaClient, Notices) {
    let notices = Notices::default();
    let seen = notices.clone();
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .poll_retry(fast_retry(4))
        .max_retry_after(max_retry_after)
        .on_retry(move |n: &RetryNotice| seen.lock().unwrap().push(n.clone()))
        .build()
        .expect("client builds");
    (client, notices)
}

/// A Wan 2.7 text-to-video request with a prompt only.
pub fn wan27_t2v() -> Wan27T2vRequest {
    Wan27T2vRequest::builder()
        .prompt("a fox")
        .try_into()
        .unwrap()
}

/// The head of a 200 answer with this content type and length.
pub fn ok_head(content_type: &str, length: usize) -> String {
    format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {length}\r\n\r\n")
}

/// A Wan 2.1 text-to-video request (a retired endpoint) with a prompt only.
#[allow(deprecated)]
pub fn wan_t2v() -> novita_video::types::WanT2vRequest {
    novita_video::types::WanT2vRequest::builder()
        .prompt("a fox")
        .try_into()
        .unwrap()
}

/// The error of a submission to a server that answers it with `template`, once: it is
/// checked that nothing was sent again. The server is returned for more checks.
pub async fn submit_error(template: ResponseTemplate) -> (Error, MockServer) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .expect(1)
        .mount(&server)
        .await;
    let error = client_for(&server).submit(&wan_t2v()).await.unwrap_err();
    server.verify().await;
    (error, server)
}
