//! The server loop: connections that never finish their headers or sit idle are closed after
//! their timeout, while a request whose handler works for long is not cut; a stopping mock
//! lets running requests finish and gives due webhook attempts their grace; SIGTERM to the
//! binary logs what it dropped.

use crate::common;

use std::{
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{listening_url, start, Running, KEY};
use novita_mock::Config;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

/// Ceiling for waiting on the server to close a connection; the normal path takes a second.
const CLOSE_CEILING: Duration = Duration::from_secs(30);

fn timeouts(header_read: u64, idle: u64) -> Config {
    Config {
        header_read_timeout_seconds: header_read,
        idle_timeout_seconds: idle,
        ..Config::for_tests()
    }
}

/// Reads until the server closes the connection; fails the test past the ceiling.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let closed = tokio::time::timeout(CLOSE_CEILING, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept the connection open");
    seen
}

/// Sends one GET on `stream` and reads its whole answer (headers and `Content-Length` body).
async fn get(stream: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: mock\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(n > 0, "closed before the answer ended");
        answer.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return text.into_owned();
            }
        }
    }
}

#[tokio::test]
async fn half_sent_headers_are_closed_after_the_header_timeout() {
    let mock = start(timeouts(1, 60)).await;
    let mut stream = TcpStream::connect(mock.server.addr()).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: mock\r\nX-Half: ")
        .await
        .unwrap();
    let seen = read_to_close(&mut stream).await;
    assert!(
        !String::from_utf8_lossy(&seen).contains("\"status\":\"ok\""),
        "no answer to an unfinished request"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let mock = start(timeouts(10, 1)).await;
    let mut stream = TcpStream::connect(mock.server.addr()).await.unwrap();
    assert!(get(&mut stream, "/health")
        .await
        .starts_with("HTTP/1.1 200"));
    assert!(read_to_close(&mut stream).await.is_empty());
}

#[tokio::test]
async fn an_idle_wait_longer_than_the_header_timeout_is_allowed() {
    // hyper's own header timeout would close this connection after a second of idling.
    let mock = start(timeouts(1, 60)).await;
    let mut stream = TcpStream::connect(mock.server.addr()).await.unwrap();
    assert!(get(&mut stream, "/health")
        .await
        .starts_with("HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        get(&mut stream, "/health")
            .await
            .starts_with("HTTP/1.1 200"),
        "the same connection serves a second request"
    );
}

#[tokio::test]
async fn a_request_whose_handler_works_long_is_not_cut_by_the_timeouts() {
    let mock = start(timeouts(1, 1)).await;
    let (status, body) = mock
        .post_raw(
            "/v3/async/wan-t2v",
            r#"{"prompt": "slow"}"#,
            &[("x-mock-scenario", "delay:3000")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["task_id"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_unfinished_connections_are_closed_and_health_answers() {
    let mock = start(timeouts(1, 60)).await;
    let addr = mock.server.addr();
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /v3/async/wan-t2v HTTP/1.1\r\nHost: mock\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    for stream in &mut stalled {
        read_to_close(stream).await;
    }
    let (status, health) = common::read(
        reqwest::get(mock.url("/health"))
            .await
            .expect("health answers"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
}

/// The binary under an open-file limit of 128: before the timeouts, 300 unfinished
/// connections held every descriptor and `/health` never answered.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_small_file_limit_unfinished_connections_do_not_lock_health_out() {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_novita-mock"));
    command
        .args(["--addr", "127.0.0.1:0", "--header-read-timeout", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| rlimit::setrlimit(rlimit::Resource::NOFILE, 128, 128));
    }
    let mut child = Running(command.spawn().expect("the mock starts"));
    let (url, _lines) = listening_url(&mut child.0);
    let addr = url.trim_start_matches("http://").to_string();
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: mock\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    let client = reqwest::Client::builder()
        .timeout(CLOSE_CEILING)
        .build()
        .unwrap();
    let health = client
        .get(format!("{url}/health"))
        .send()
        .await
        .expect("health answers once the unfinished connections are closed");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn shutdown_lets_a_running_request_finish() {
    // The receiver holds the webhook of a `webhook-early` task, which the submit handler
    // awaits: while it holds it, the request is certainly in flight.
    let receiver = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", receiver.local_addr().unwrap());
    let (reached, reached_rx) = oneshot::channel();
    let (release, release_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let (mut stream, _) = receiver.accept().await.unwrap();
        let mut buffer = [0u8; 4096];
        let _ = stream.read(&mut buffer).await;
        let _ = reached.send(());
        let _ = release_rx.await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
    });
    let mock = start(Config::for_tests()).await;
    let url = mock.url("/v3/async/wan-t2v");
    let submit = tokio::spawn(async move {
        reqwest::Client::new()
            .post(url)
            .header("authorization", format!("Bearer {KEY}"))
            .header("x-mock-scenario", "webhook-early")
            .json(&json!({"prompt": "in flight", "extra": {"webhook": {"url": hook}}}))
            .send()
            .await
    });
    reached_rx.await.expect("the webhook reached the receiver");
    let addr = mock.server.addr();
    let stopping = tokio::spawn(mock.server.shutdown());
    // Release the handler only once the mock has stopped accepting: the request is then
    // certainly running during the shutdown.
    let stopped_accepting = tokio::time::timeout(CLOSE_CEILING, async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(stopped_accepting.is_ok(), "the mock kept accepting");
    release.send(()).unwrap();
    let answer = submit
        .await
        .unwrap()
        .expect("the running request is answered");
    assert_eq!(answer.status(), 200);
    stopping.await.unwrap().expect("the mock stops cleanly");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "a stopped mock accepts nothing"
    );
}

#[tokio::test]
async fn shutdown_gives_a_retry_due_within_the_grace_its_attempt() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    // Speed 1: the retry falls due a second after the first attempt, well within the grace.
    let mock = start(Config {
        speed: 1.0,
        shutdown_grace_seconds: 30,
        ..Config::for_tests()
    })
    .await;
    let hook = format!("{}/hook", receiver.uri());
    let (status, _) = mock
        .post_raw(
            "/v3/async/wan-t2v",
            &json!({"prompt": "retried", "extra": {"webhook": {"url": hook}}}).to_string(),
            &[("x-mock-scenario", "webhook-early")],
        )
        .await;
    assert_eq!(status, 200);
    mock.server.shutdown().await.unwrap();
    let received = receiver.received_requests().await.unwrap();
    assert_eq!(received.len(), 2, "the first attempt and its retry");
}

#[tokio::test]
async fn shutdown_cuts_what_still_runs_after_the_grace() {
    let mock = start(Config {
        shutdown_grace_seconds: 1,
        ..timeouts(1, 1)
    })
    .await;
    // A client announces a body and trickles it, one byte at a time, for ever.
    let mut stream = TcpStream::connect(mock.server.addr()).await.unwrap();
    let head = format!(
        "POST /v3/async/wan-t2v HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let trickle = tokio::spawn(async move {
        while stream.write_all(b" ").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let stopped = tokio::time::timeout(CLOSE_CEILING, mock.server.shutdown()).await;
    assert!(
        stopped.is_ok(),
        "the shutdown waited on the trickling request"
    );
    let _ = tokio::time::timeout(CLOSE_CEILING, trickle).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_runs_due_webhooks_and_logs_what_it_drops() {
    let receiver = MockServer::start().await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let counted = attempts.clone();
    Mock::given(method("POST"))
        .respond_with(move |_: &wiremock::Request| {
            // The first attempt fails; its retry, due a second later, is delivered.
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                ResponseTemplate::new(500)
            } else {
                ResponseTemplate::new(200)
            }
        })
        .mount(&receiver)
        .await;
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_novita-mock"))
            .args([
                "--addr",
                "127.0.0.1:0",
                "--speed",
                "1",
                "--shutdown-grace",
                "30",
            ])
            // No NO_COLOR: a log that is not a terminal must come without colour codes anyway.
            .env_remove("NO_COLOR")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the mock starts"),
    );
    let (url, lines) = listening_url(&mut child.0);
    let http = reqwest::Client::new();
    let hook = format!("{}/hook", receiver.uri());
    let submit = |scenario: &'static str| {
        http.post(format!("{url}/v3/async/wan-t2v"))
            .header("authorization", format!("Bearer {KEY}"))
            .header("x-mock-scenario", scenario)
            .json(&json!({"prompt": "at shutdown", "extra": {"webhook": {"url": hook}}}))
            .send()
    };
    assert_eq!(submit("webhook-early").await.unwrap().status(), 200);
    // Its event goes out a day after the task ends: still pending at exit, so dropped.
    assert_eq!(submit("webhook-late:86400").await.unwrap().status(), 200);
    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "{status}");
    let log: Vec<String> = lines.map_while(Result::ok).collect();
    let summary = log
        .iter()
        .find(|l| l.contains("shut down:"))
        .unwrap_or_else(|| panic!("no summary line in {log:#?}"));
    assert!(summary.contains("shut down: 2 tasks stored ("), "{summary}");
    assert!(
        log.iter().all(|line| !line.contains('\x1b')),
        "colour codes in a piped log: {log:#?}"
    );
    assert!(
        summary.contains(") and 1 pending webhook attempts dropped"),
        "{summary}"
    );
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "the retry due within the grace reached the receiver before exit"
    );
}
