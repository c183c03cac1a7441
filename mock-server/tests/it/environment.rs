//! The binary where QA engineers run it: set up by environment variables, in a bare
//! environment (no CA certificates, no home, nothing writable), and refusing a bad variable
//! with one line naming it before anything starts.

use crate::common;

use std::process::{Command, Output, Stdio};

use common::{listening_url, Running};

/// The mock binary with an empty environment but for `vars`.
fn mock(vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_novita-mock"));
    command.env_clear().envs(vars.iter().copied());
    command
}

/// Runs the mock with `vars` and expects a refusal: exit 2, one line on stderr, no banner.
fn refused(vars: &[(&str, &str)]) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = mock(vars)
        .env("NOVITA_MOCK_ADDR", "127.0.0.1:0")
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    assert_eq!(status.code(), Some(2), "{vars:?}: {stderr}");
    assert!(
        stdout.is_empty(),
        "{vars:?} started something: {}",
        String::from_utf8_lossy(&stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "{vars:?}: {stderr}");
    stderr.trim_end().to_string()
}

#[test]
fn a_malformed_variable_is_one_line_naming_it() {
    let line = refused(&[("NOVITA_MOCK_SPEED", "fast")]);
    assert!(
        line.starts_with("novita-mock: NOVITA_MOCK_SPEED: invalid value 'fast'"),
        "{line}"
    );
    let line = refused(&[("NOVITA_MOCK_PAUSED", "maybe")]);
    assert!(
        line.starts_with("novita-mock: NOVITA_MOCK_PAUSED: invalid value 'maybe'"),
        "{line}"
    );
    let line = refused(&[("NOVITA_MOCK_MAX_TASKS", "0")]);
    assert_eq!(
        line,
        "novita-mock: max_tasks (NOVITA_MOCK_MAX_TASKS) must be at least 1"
    );
}

#[test]
fn an_empty_variable_is_refused() {
    assert_eq!(
        refused(&[("NOVITA_MOCK_CONTROL_TOKEN", "")]),
        "novita-mock: NOVITA_MOCK_CONTROL_TOKEN is set but empty: give it a value or unset it"
    );
}

#[test]
fn an_unreadable_scenario_file_names_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where a file should be: unreadable as a file even for root.
    let path = dir.path().to_str().unwrap();
    let line = refused(&[("NOVITA_MOCK_SCENARIO", path)]);
    assert!(
        line.starts_with(&format!(
            "novita-mock: NOVITA_MOCK_SCENARIO: reading {path}: "
        )),
        "{line}"
    );
}

type Log = std::io::Lines<std::io::BufReader<std::process::ChildStdout>>;

/// Starts the mock from `command` and reads its banner; returns the log still to come.
fn started(command: &mut Command) -> (Running, String, Vec<String>, Log) {
    let mut child = Running(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the mock starts"),
    );
    let (url, mut lines) = listening_url(&mut child.0);
    let mut banner = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line.contains(" speed x");
        banner.push(line);
        if last {
            break;
        }
    }
    (child, url, banner, lines)
}

/// SIGTERM, then the exit status.
fn terminate(mut child: Running) -> std::process::ExitStatus {
    let pid = child.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    child.0.wait().unwrap()
}

#[tokio::test]
async fn the_mock_starts_without_system_certificates_home_or_writable_directory() {
    let empty = tempfile::tempdir().unwrap();
    let no_certificates = empty.path().join("no-certificates.pem");
    std::fs::write(&no_certificates, "").unwrap();
    let mut command = mock(&[
        ("NOVITA_MOCK_ADDR", "127.0.0.1:0"),
        ("NOVITA_MOCK_MAX_TASKS", "7"),
        ("NOVITA_MOCK_PAUSED", "true"),
        ("RUST_LOG", "info"),
        // The platform verifier reads only these when they are set: here, nothing at all.
        ("SSL_CERT_FILE", no_certificates.to_str().unwrap()),
        ("SSL_CERT_DIR", empty.path().to_str().unwrap()),
    ]);
    // No HOME, no PATH; the working directory is one the mock cannot write to.
    command.current_dir("/proc");
    let (child, url, banner, log) = started(&mut command);
    let settings = banner.last().unwrap();
    assert!(
        settings.contains("(clock paused)") && settings.contains("at most 7 tasks"),
        "the variables did not reach the settings: {banner:#?}"
    );
    let health = reqwest::get(format!("{url}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    let status = terminate(child);
    assert!(status.success(), "{status}");
    let log: Vec<String> = log.map_while(Result::ok).collect();
    assert!(
        log.iter()
            .any(|l| l.contains("verified against the Mozilla roots built into the mock")),
        "{log:#?}"
    );
}

#[tokio::test]
async fn health_asks_a_running_mock_and_fails_when_there_is_none() {
    let (child, url, _, _) = started(&mut mock(&[("NOVITA_MOCK_ADDR", "127.0.0.1:0")]));
    let addr = url.trim_start_matches("http://").to_string();
    let healthy = mock(&[("NOVITA_MOCK_ADDR", &addr)])
        .arg("health")
        .output()
        .unwrap();
    assert!(healthy.status.success(), "{healthy:?}");
    let status = terminate(child);
    assert!(status.success(), "{status}");
    // The same address, now closed.
    let unhealthy = mock(&[])
        .args(["health", "--addr", &addr])
        .output()
        .unwrap();
    assert_eq!(unhealthy.status.code(), Some(1), "{unhealthy:?}");
    let stderr = String::from_utf8_lossy(&unhealthy.stderr);
    assert!(stderr.contains("unhealthy: cannot connect"), "{stderr}");
}
