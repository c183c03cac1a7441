//! The official SDKs as peers: Novita's Python SDK (`novita-client` 0.7.1) and JS SDK
//! (`novita-sdk` 3.1.3), run unchanged against the in-process mock (scripts in
//! `conformance/peers/`). Each submits a Wan 2.1 job its own way, polls with its own code and
//! decodes every result. `.ci/run` installs both under `.ci/tools/sdk-peers/`; without them
//! the tests print `SKIPPED`, except in CI, where a missing SDK fails.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use novita_mock::Config;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn peers_dir() -> PathBuf {
    std::env::var_os("NOVITA_SDK_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".ci/tools/sdk-peers"))
}

fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is not installed; CI must install it (.ci/run)");
    }
    eprintln!("SKIPPED: {what} is not installed (bash .ci/run installs it)");
}

/// Runs `command` against a fresh mock and returns its standard output, failing the test with
/// the SDK's own error when it exits non-zero.
///
/// The mock's clock is paused, so the SDK's job stays queued until the test ends it: once the
/// mock has answered one of the SDK's polls (queued, since no time passes), the test finishes
/// the task, and the SDK's next poll sees it succeeded. The SDK sees `TASK_STATUS_QUEUED`
/// whatever the machine's speed.
async fn run_peer(mut command: Command) -> String {
    let mock = novita_mock::spawn(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await
    .expect("the mock starts");
    command
        .arg(mock.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("the peer runs");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output());
    tokio::pin!(output);
    let http = reqwest::Client::new();
    let mut finished = None;
    let output = loop {
        tokio::select! {
            // The peer ends by itself only once the task has ended, or when it failed.
            output = &mut output => break output.unwrap().expect("the peer's output"),
            // How often the test looks is no part of what it checks.
            () = tokio::time::sleep(Duration::from_millis(20)), if finished.is_none() => {
                if let Some(id) = answered_poll(&http, mock.url()).await {
                    let answer = http
                        .post(format!("{}/_mock/tasks/{id}/finish", mock.url()))
                        .send()
                        .await
                        .expect("the control API answers");
                    assert!(answer.status().is_success(), "{}", answer.status());
                    finished = Some(id);
                }
            }
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the SDK failed against the mock:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        finished.is_some(),
        "the SDK ended before the test finished its task:\n{stdout}"
    );
    stdout
}

/// The JSON at `url`, or `None` while the mock cannot answer it.
async fn get_json(http: &reqwest::Client, url: &str) -> Option<Value> {
    http.get(url).send().await.ok()?.json().await.ok()
}

/// The task of the one submission, once the mock has answered a poll of its result.
async fn answered_poll(http: &reqwest::Client, mock_url: &str) -> Option<String> {
    let journal = get_json(
        http,
        &format!("{mock_url}/_mock/journal?path=/v3/async/task-result"),
    )
    .await?;
    let answered = journal["entries"]
        .as_array()?
        .iter()
        .any(|entry| entry["status"] == 200);
    if !answered {
        return None;
    }
    let tasks = get_json(http, &format!("{mock_url}/_mock/tasks")).await?;
    let listed = tasks["tasks"].as_array()?;
    assert_eq!(listed.len(), 1, "one submission: {tasks}");
    let task = &listed[0];
    assert_eq!(task["status"], "TASK_STATUS_QUEUED", "{task}");
    task["task_id"].as_str().map(str::to_string)
}

fn assert_finished(stdout: &str) {
    let statuses = stdout
        .lines()
        .find_map(|l| l.strip_prefix("statuses "))
        .unwrap_or_else(|| panic!("statuses printed: {stdout}"));
    assert!(statuses.contains("TASK_STATUS_QUEUED"), "{stdout}");
    let last = stdout
        .lines()
        .find_map(|l| l.strip_prefix("final "))
        .unwrap_or_else(|| panic!("a final result: {stdout}"));
    assert!(
        last.starts_with("TASK_STATUS_SUCCEED http://127.0.0.1:") && last.ends_with(".mp4"),
        "{last}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_submits_polls_and_decodes_every_result() {
    let installed = peers_dir().join("python");
    if !installed.join("novita_client").is_dir() {
        return missing("the Python SDK novita-client 0.7.1");
    }
    let mut command = Command::new("python3");
    command
        .arg(root().join("conformance/peers/python_peer.py"))
        .env("PYTHONPATH", &installed);
    let stdout = run_peer(command).await;
    assert_finished(&stdout);
    // The SDK types `video_url_ttl` and `seed` as integers; the mock's strings decode into them.
    assert!(
        stdout.lines().any(|l| l.starts_with("ttl 3600 seed ")),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_js_sdk_submits_with_a_bare_key_and_polls_to_the_end() {
    let installed = peers_dir().join("node_modules");
    if !installed.join("novita-sdk").is_dir() {
        return missing("the JS SDK novita-sdk 3.1.3");
    }
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        return missing("Node.js");
    }
    let mut command = Command::new("node");
    command
        .arg(root().join("conformance/peers/js_peer.js"))
        .env("NODE_PATH", &installed);
    assert_finished(&run_peer(command).await);
}
