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
