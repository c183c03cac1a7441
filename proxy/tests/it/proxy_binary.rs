//! The `novita-proxy` binary as CI runs it: a report and a cassette written on SIGTERM, a human
//! summary on exit, and `--fail-on-drift` turning drift into a failing exit status.

use std::process::Stdio;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// Starts the binary with `args` and returns it with the URL it listens on (read from its
/// first line of output, so nothing waits on time).
async fn start_proxy(args: &[&str]) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_novita-proxy"))
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the proxy runs");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await.unwrap();
    let url = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches(',')
        .to_string();
    (child, url)
}

#[cfg(unix)]
#[tokio::test]
async fn on_sigterm_it_writes_report_and_cassette_and_fails_on_drift() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/async/wan2.7-t2v"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-7"})))
        .mount(&upstream)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("drift.json");
    let cassette = dir.path().join("day.yaml");
    let (child, url) = start_proxy(&[
        "--upstream",
        &upstream.uri(),
        "--report",
        report.to_str().unwrap(),
        "--record",
        cassette.to_str().unwrap(),
        "--fail-on-drift",
    ])
    .await;
    // A request that breaks a documented rule, accepted by the upstream all the same.
    let answer = reqwest::Client::new()
        .post(format!("{url}/v3/async/wan2.7-t2v"))
        .header("authorization", "Bearer sk-live-secret")
        .json(&json!({"prompt": "A fox.", "duration": 99}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("1 exchanges, 1 drift findings, 0 upstream failures"),
        "{stderr}"
    );
    assert!(
        stderr.contains("drift was seen (--fail-on-drift)"),
        "{stderr}"
    );

    let written: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(written["exchanges"], 1);
    assert_eq!(
        written["drift"],
        json!([{
            "method": "POST",
            "path": "/v3/async/wan2.7-t2v",
            "status": 200,
            "pointer": "/duration",
            "message": "request: `duration` must be between 2 and 15 (got 99)",
        }])
    );
    let yaml = std::fs::read_to_string(&cassette).unwrap();
    assert!(!yaml.contains("sk-live-secret"), "{yaml}");
    for file in [&report, &cassette] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}: {mode:o}", file.display());
    }
    let recorded: Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(recorded["tasks"][0]["task_id"], "t-7");
    assert_eq!(recorded["tasks"][0]["submit"]["request"]["duration"], 99);
}

#[tokio::test]
async fn a_bad_upstream_url_stops_it_at_start() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_novita-proxy"))
        .args(["--upstream", "not a url", "--addr", "127.0.0.1:0"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("upstream URL \"not a url\""), "{stderr}");
}

#[tokio::test]
async fn upstream_timeout_gives_the_caller_a_504_when_the_upstream_stays_silent() {
    // An upstream that takes connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let (_child, url) = start_proxy(&["--upstream", &upstream, "--upstream-timeout", "1"]).await;
    let answer = reqwest::get(format!("{url}/v3/async/task-result?task_id=t-1"))
        .await
        .unwrap();
    assert_eq!(answer.status(), 504);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["reason"], "UPSTREAM_TIMEOUT");
    held.abort();
    let refused = tokio::process::Command::new(env!("CARGO_BIN_EXE_novita-proxy"))
        .args(["--upstream", &upstream, "--upstream-timeout", "0"])
        .output()
        .await
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "a zero timeout is refused");
}

/// An upstream that answers with headers and then one byte of a video every 200 ms, for as
/// long as anyone listens; `started` hears of each request it took.
async fn dripping_upstream(started: tokio::sync::mpsc::Sender<()>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let started = started.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ntransfer-encoding: chunked\r\n\r\n";
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = started.send(()).await;
                while socket.write_all(b"1\r\nx\r\n").await.is_ok() {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            });
        }
    });
    url
}

#[cfg(unix)]
#[tokio::test]
async fn on_sigterm_a_dripping_answer_is_cut_after_the_grace_and_the_files_written() {
    let (started, mut heard) = tokio::sync::mpsc::channel(1);
    let upstream = dripping_upstream(started).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("drift.json");
    let (child, url) = start_proxy(&[
        "--upstream",
        &upstream,
        "--report",
        report.to_str().unwrap(),
        "--shutdown-grace",
        "1",
    ])
    .await;
    // The download runs on: the upstream drips for ever, each byte within the upstream timeout.
    let download = tokio::spawn(async move {
        let answer = reqwest::get(format!("{url}/_mock/videos/t.mp4"))
            .await
            .unwrap();
        let _ = answer.bytes().await;
    });
    heard.recv().await.expect("the upstream got the request");
    let pid = child.id().expect("running").to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // A guard against a hang, far beyond the 1 s grace: without the grace the proxy waited
    // for the answer's end, which never comes.
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        child.wait_with_output(),
    )
    .await
    .expect("the proxy stopped after its grace")
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("requests still in flight after the 1s grace (--shutdown-grace) were cut"),
        "{stderr}"
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(written["exchanges"], 1);
    download.abort();
}

#[tokio::test]
async fn a_duration_past_its_bound_is_refused_in_one_line() {
    for (flag, value, bound) in [
        ("--upstream-timeout", "9223372036854775807", "1..=86400"),
        ("--upstream-timeout", "86401", "1..=86400"),
        ("--write-every", "18446744073709551615", "1..=86400"),
        ("--shutdown-grace", "601", "0..=600"),
    ] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_novita-proxy"))
            .args(["--upstream", "http://127.0.0.1:9", "--addr", "127.0.0.1:0"])
            .args([flag, value])
            .kill_on_drop(true)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("novita-proxy: invalid value")
                && stderr.contains(flag)
                && stderr.contains(bound),
            "{stderr}"
        );
    }
}
