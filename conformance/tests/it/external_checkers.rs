//! Checkers nobody on this team wrote, run against our spec and our mock: `redocly lint` on the
//! spec, and schemathesis against a started mock. Without a tool they are skipped with a
//! notice, except in CI (`CI` set), where `.ci/run` installs them and a missing tool fails.

use std::process::Command;

use novita_mock::Config;
use novita_proxy::spec::SPEC_PATH;

fn tool_missing(name: &str, install: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{name} is not installed; CI must install it ({install})");
    }
    eprintln!("SKIPPED: {name} is not installed ({install})");
}

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The mock's control API (`/_mock`, `/health`), linted like Novita's spec.
const CONTROL_SPEC_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/mock-control.yaml");

#[test]
fn redocly_lint_finds_nothing() {
    redocly_lint(SPEC_PATH);
}

/// The control spec is held to no warnings either.
#[test]
fn redocly_lint_finds_nothing_in_the_control_spec() {
    if let Some(report) = redocly_lint(CONTROL_SPEC_PATH) {
        let warned = report
            .lines()
            .any(|line| line.contains("You have") && line.contains("warning"));
        assert!(!warned, "warnings in {CONTROL_SPEC_PATH}:\n{report}");
    }
}

/// Runs `redocly lint` on `spec` and fails on an error; the report, when the tool ran.
fn redocly_lint(spec: &str) -> Option<String> {
    if !available("redocly") {
        tool_missing("redocly", "npm install -g @redocly/cli@2");
        return None;
    }
    let output = Command::new("redocly")
        .args(["lint", spec, "--format=stylish"])
        .output()
        .expect("redocly runs");
    let report = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "redocly lint failed on {spec}:\n{report}"
    );
    assert!(
        report.contains("Your API description is valid"),
        "redocly found errors in {spec}:\n{report}"
    );
    Some(report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure() {
    if !available("schemathesis") {
        return tool_missing("schemathesis", "pip install 'schemathesis>=4,<5'");
    }
    let mock = novita_mock::spawn(Config {
        speed: 50.0,
        ..Config::for_tests()
    })
    .await
    .unwrap();
    let url = mock.url().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("schemathesis")
            .args(schemathesis_args(&url))
            .env("NO_COLOR", "1")
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    let summary: Vec<&str> = report
        .lines()
        .rev()
        .take(14)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    eprintln!("schemathesis summary:\n{}", summary.join("\n"));
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("No issues found"), "{report}");
}

/// The schemathesis command line (also used by `.ci/run`, which prints its whole report).
fn schemathesis_args(url: &str) -> Vec<String> {
    [
        // What the settings file changes, and why, is written in it.
        "--config-file",
        concat!(env!("CARGO_MANIFEST_DIR"), "/schemathesis.toml"),
        "run",
        SPEC_PATH,
        "--url",
        url,
        "--checks",
        "all",
        // Both checks expect 401 for a request without credentials. Novita documents 400
        // MISSING_API_KEY for a missing key (403 INVALID_API_KEY for a wrong one), and the mock
        // follows the documentation.
        "--exclude-checks",
        "ignored_auth,missing_required_header",
        "--seed",
        "42",
        "--max-examples",
        "100",
        "--header",
        "Authorization: Bearer schemathesis",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
