//! `novita endpoints` and `novita endpoints --probe` against wiremock stand-ins: the listing from
//! the spec, how each kind of answer is read, the exit codes, and that a probe only ever sends
//! `{}`, once per operation. The same probe against the real mock is in
//! `conformance/tests/it/probe.rs`.

use crate::common;

use common::{
    cli::{novita, novita_at, novita_with, Run, CLI_KEY},
    novita_error,
};
use novita_video::SubmitOperation;
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// A server that answers every submission 400 `INVALID_REQUEST_BODY`, as Novita does to `{}`,
/// after the answers mounted for particular paths.
async fn server_with(answers: Vec<(&str, ResponseTemplate)>) -> MockServer {
    let server = MockServer::start().await;
    for (command, answer) in answers {
        Mock::given(method("POST"))
            .and(path(format!("/v3/async/{command}")))
            .respond_with(answer)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(novita_error(
            400,
            "INVALID_REQUEST_BODY",
            "a required field is missing",
        ))
        .mount(&server)
        .await;
    server
}

/// The text line of `command`.
fn line_of<'a>(run: &'a Run, command: &str) -> &'a str {
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(command))
        .collect();
    assert_eq!(lines.len(), 1, "{command} once in:\n{}", run.stdout);
    lines[0]
}

fn json_of(run: &Run) -> Vec<Value> {
    let value: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("one JSON document ({e}): {}", run.stdout));
    value.as_array().expect("an array").clone()
}

fn entry<'a>(entries: &'a [Value], command: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["command"] == command)
        .unwrap_or_else(|| panic!("{command} in {entries:?}"))
}

#[tokio::test]
async fn the_listing_has_every_operation_once_with_its_documented_status_and_needs_no_key() {
    let run = novita_with(None, None, &["endpoints"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (table, sources) = run
        .stdout
        .split_once("\nWhere the retired and unverified statuses come from:\n")
        .unwrap_or_else(|| panic!("the sources follow the table:\n{}", run.stdout));
    assert_eq!(
        table.lines().count(),
        SubmitOperation::all().len() + 1,
        "a header and one line per operation:\n{}",
        run.stdout
    );
    let sources: Vec<&str> = sources.lines().collect();
    for operation in SubmitOperation::all() {
        let line = line_of(&run, operation.command());
        assert!(line.contains(operation.path()), "{line}");
        let status = if operation.deprecated() {
            format!("retired {}", operation.retired_on().unwrap())
        } else if let Some(since) = operation.unverified_since() {
            format!("unverified since {since}")
        } else {
            "live".to_string()
        };
        assert!(line.contains(&status), "{status} in {line}");
        // A retired or unverified status ends in the mark of its source, listed below.
        match operation.status_source() {
            Some(source) => {
                let mark = line.rsplit_once(' ').unwrap().1;
                assert!(mark.starts_with('[') && mark.ends_with(']'), "{line}");
                assert!(
                    sources.contains(&format!("{mark} {source}").as_str()),
                    "{line}"
                );
            }
            None => {
                assert_eq!(status, "live");
                assert!(line.ends_with("live"), "{line}");
            }
        }
    }
    assert_eq!(sources.len(), 3, "three notices: {sources:?}");
    assert!(line_of(&run, "wan-t2v").ends_with("retired 2026-08-19 (replacement: wan2.7-t2v) [1]"));
    assert!(line_of(&run, "wan2.6-i2v")
        .ends_with("retired 2026-09-30 (replacement: kling-v3.0-pro-i2v) [2]"));
    assert!(line_of(&run, "wan2.7-t2v").ends_with("unverified since 2026-09-30 [3]"));
    assert!(sources[0].contains("https://novita.ai/docs/changelog/03-08-26"));
    assert!(sources[1].contains("https://novita.ai/docs/changelog/01-09-26"));
    assert!(
        sources[2].contains("third-party gateway") && sources[2].contains("01-09-26"),
        "{}",
        sources[2]
    );

    let run = novita_with(None, None, &["--json", "endpoints"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let entries = json_of(&run);
    let commands: Vec<&str> = entries
        .iter()
        .map(|e| e["command"].as_str().unwrap())
        .collect();
    let spec: Vec<&str> = SubmitOperation::all().iter().map(|o| o.command()).collect();
    assert_eq!(commands, spec, "every operation once, in the spec's order");
    assert_eq!(
        entry(&entries, "wan-t2v"),
        &json!({"command": "wan-t2v", "path": "/v3/async/wan-t2v", "status": "retired",
                "retired_on": "2026-08-19", "replacement": "wan2.7-t2v", "unverified_since": null,
                "status_source": SubmitOperation::find("wan-t2v").unwrap().status_source()})
    );
    assert_eq!(
        entry(&entries, "wan2.7-t2v"),
        &json!({"command": "wan2.7-t2v", "path": "/v3/async/wan2.7-t2v", "status": "unverified",
                "retired_on": null, "replacement": null, "unverified_since": "2026-09-30",
                "status_source": SubmitOperation::find("wan2.7-t2v").unwrap().status_source()})
    );
    assert_eq!(
        entry(&entries, "kling-v3.0-pro-t2v")["status_source"],
        Value::Null
    );
    assert!(entries
        .iter()
        .all(|e| (e["status"] == "live") == e["status_source"].is_null()));
}

#[tokio::test]
async fn a_400_with_novitas_body_is_served_and_each_probe_sends_only_an_empty_object_once() {
    let server = server_with(vec![]).await;
    let run = novita(&server, &["endpoints", "--probe"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for operation in SubmitOperation::all() {
        let line = line_of(&run, operation.command());
        assert!(
            line.contains("served (400 INVALID_REQUEST_BODY: a required field is missing)"),
            "{line}"
        );
    }
    let total = SubmitOperation::all().len();
    assert!(
        run.stdout.trim_end().ends_with(&format!(
            "probed {total} of {total} operations: {total} answered as documented"
        )),
        "{}",
        run.stdout
    );
    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    let spec: Vec<&str> = SubmitOperation::all().iter().map(|o| o.path()).collect();
    assert_eq!(paths, spec, "one POST per operation, none retried");
    for request in &requests {
        assert_eq!(request.body, b"{}", "only ever an empty object");
        assert_eq!(
            request.headers["authorization"],
            format!("Bearer {CLI_KEY}").as_str()
        );
    }
    assert!(!run.stdout.contains(CLI_KEY) && !run.stderr.contains(CLI_KEY));
}

#[tokio::test]
async fn a_404_is_not_found_which_a_retired_operation_may_be_and_a_live_one_may_not() {
    let server = server_with(vec![
        (
            "wan-t2v",
            novita_error(404, "MODEL_RETIRED", "wan-t2v was retired on 2026-08-19"),
        ),
        (
            "wan2.7-t2v",
            novita_error(404, "API_NOT_FOUND", "no such API"),
        ),
    ])
    .await;
    let run = novita(&server, &["endpoints", "--probe"]).await;
    assert_eq!(run.code, 8, "{}\n{}", run.stdout, run.stderr);
    let retired = line_of(&run, "wan-t2v");
    assert!(
        retired.ends_with("not found (404 MODEL_RETIRED: wan-t2v was retired on 2026-08-19)"),
        "as documented: {retired}"
    );
    let live = line_of(&run, "wan2.7-t2v");
    assert!(
        live.ends_with(
            "not found (404 API_NOT_FOUND: no such API)  <- not as documented: expected served"
        ),
        "{live}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("1 did not (wan2.7-t2v)"),
        "{}",
        run.stderr
    );

    let run = novita(&server, &["--json", "endpoints", "--probe"]).await;
    assert_eq!(run.code, 8, "{}", run.stderr);
    let entries = json_of(&run);
    let retired = &entry(&entries, "wan-t2v")["probe"];
    assert_eq!(retired["verdict"], "not_found");
    assert_eq!(retired["reason"], "MODEL_RETIRED");
    assert_eq!(retired["http_status"], 404);
    assert_eq!(retired["as_documented"], true);
    let live = &entry(&entries, "wan2.7-t2v")["probe"];
    assert_eq!(live["verdict"], "not_found");
    assert_eq!(live["as_documented"], false);
    assert_eq!(live["expected"], "served");
}

#[tokio::test]
async fn a_2xx_is_flagged_loudly_and_fails_the_probe() {
    let server = server_with(vec![(
        "wan2.7-i2v",
        ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-oops"})),
    )])
    .await;
    let run = novita(&server, &["endpoints", "--probe"]).await;
    assert_eq!(run.code, 8, "{}\n{}", run.stdout, run.stderr);
    let line = line_of(&run, "wan2.7-i2v");
    assert!(
        line.contains(
            r#"ANSWERED 2xx: a task may have been created (HTTP 200: {"task_id":"t-oops"})"#
        ),
        "{line}"
    );
    assert!(
        run.stderr
            .contains("WARNING: wan2.7-i2v ANSWERED 2xx to {}: a task may have been created"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn any_other_answer_is_reported_as_it_came_sanitised_and_cut() {
    let page = format!("<html>\u{1b}[31mBad gateway\r\n{}</html>", "x".repeat(1000));
    let server = server_with(vec![(
        "wan2.7-r2v",
        ResponseTemplate::new(502).set_body_raw(page, "text/html"),
    )])
    .await;
    let run = novita(&server, &["endpoints", "--probe"]).await;
    assert_eq!(run.code, 8, "{}\n{}", run.stdout, run.stderr);
    let line = line_of(&run, "wan2.7-r2v");
    let shown = format!("HTTP 502: <html> [31mBad gateway  {}...", "x".repeat(176));
    assert!(line.contains(&shown), "{shown} in {line}");
    assert!(!run.stdout.contains('\u{1b}'), "no terminal escapes");
    assert!(
        line.ends_with("<- not as documented: expected served"),
        "{line}"
    );
}

#[tokio::test]
async fn a_refused_key_is_inconclusive_and_the_key_is_never_shown() {
    let server = server_with(vec![(
        "wan2.7-videoedit",
        novita_error(401, "INVALID_API_KEY", &format!("unknown key {CLI_KEY}")),
    )])
    .await;
    let run = novita(&server, &["endpoints", "--probe"]).await;
    assert_eq!(run.code, 8, "{}\n{}", run.stdout, run.stderr);
    let line = line_of(&run, "wan2.7-videoedit");
    assert!(
        line.contains(
            "key refused (401 INVALID_API_KEY: unknown key <redacted>): probe inconclusive"
        ),
        "{line}"
    );
    assert!(!run.stdout.contains(CLI_KEY) && !run.stderr.contains(CLI_KEY));
}

#[tokio::test]
async fn a_probe_without_an_answer_is_not_retried() {
    // The answer comes an hour late: `--timeout 1` ends the wait, whatever the machine's speed.
    let server = server_with(vec![(
        "wan-i2v",
        ResponseTemplate::new(400).set_delay(std::time::Duration::from_secs(3600)),
    )])
    .await;
    let run = novita(&server, &["endpoints", "--probe", "--timeout", "1"]).await;
    assert_eq!(run.code, 8, "{}\n{}", run.stdout, run.stderr);
    let line = line_of(&run, "wan-i2v");
    assert!(line.contains("no answer: nothing within 1s"), "{line}");
    let requests = server.received_requests().await.unwrap();
    let to_i2v = requests
        .iter()
        .filter(|r| r.url.path() == "/v3/async/wan-i2v")
        .count();
    assert_eq!(to_i2v, 1, "sent once");
}

#[tokio::test]
async fn an_unreachable_host_is_one_clean_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let run = novita_at(&url, &["endpoints", "--probe"]).await;
    assert_eq!(run.code, 6, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let first = SubmitOperation::all()[0].command();
    assert!(
        run.stderr
            .starts_with(&format!("novita: probing {first} at {url}: ")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);

    let run = novita_at(&url, &["--json", "endpoints", "--probe"]).await;
    let error: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(error["exit_code"], 6);
}

#[tokio::test]
async fn probing_needs_a_key_and_the_help_says_what_each_verdict_means() {
    let run = novita_with(Some("http://127.0.0.1:9"), None, &["endpoints", "--probe"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no API key"), "{}", run.stderr);
    let run = novita_with(None, None, &["endpoints", "--help"]).await;
    assert_eq!(run.code, 0);
    for verdict in [
        "served",
        "not found",
        "key refused",
        "ANSWERED 2xx",
        "HTTP N",
        "no answer",
        "not probed",
        "otherwise 8",
    ] {
        assert!(run.stdout.contains(verdict), "{verdict} in {}", run.stdout);
    }
}
