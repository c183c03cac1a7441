//! The `novita` command line against a wiremock stand-in: what each outcome prints and its exit
//! code, waits and downloads, and server text kept off the terminal raw.

use crate::common;

use std::time::Duration;

use common::{
    cli::{accepting_server, novita, novita_at, serves_result, CLI_KEY},
    drip_server, mp4_bytes, ok_head, rate_limited,
};
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

#[tokio::test]
async fn api_errors_exit_3_and_failed_tasks_exit_4() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"code": 403, "reason": "INVALID_API_KEY", "message": "invalid api key", "metadata": {}})))
        .mount(&server)
        .await;
    let run = novita(&server, &["t2v", "--prompt", "a fox"]).await;
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("INVALID_API_KEY"));

    let server = MockServer::start().await;
    serves_result(&server, "TASK_STATUS_FAILED", "ILLEGAL_PROMPT").await;
    let run = novita(&server, &["--json", "wait", "t-42"]).await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("ILLEGAL_PROMPT"));
    // One document: the error, with the failed task's result (there were two, result first).
    let document = one_json_document(&run.stdout);
    assert_eq!(document["exit_code"], 4);
    assert_eq!(document["task_id"], "t-42");
    assert!(
        document["error"]
            .as_str()
            .unwrap()
            .contains("ILLEGAL_PROMPT"),
        "{document}"
    );
    assert_eq!(document["result"]["task"]["status"], "TASK_STATUS_FAILED");
}

/// Stdout as exactly one JSON document (serde_json refuses anything after the first).
fn one_json_document(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not one JSON document ({e}): {stdout}"))
}

#[tokio::test]
async fn json_gives_one_document_for_every_outcome_command_line_errors_included() {
    // A command line clap refused printed no JSON at all.
    let server = accepting_server().await;
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"prompt\": ").unwrap();
    let broken = broken.to_str().unwrap();
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &["--json", "submit", "wan-t2v", "--steps", "many"],
            2,
            "--steps",
        ),
        (&["--json", "no-such-command"], 2, "no-such-command"),
        (&["--json", "submit"], 2, "requires a subcommand"),
        (&["result", "--json"], 2, "not provided: <TASK_ID>"),
        (
            &["--json", "submit", "wan2.7-t2v", "--body", broken],
            2,
            "not JSON",
        ),
        (
            &["--json", "t2v", "--prompt", "a fox", "--duration", "99"],
            2,
            "duration",
        ),
    ];
    for (args, code, named) in cases {
        let run = novita(&server, args).await;
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
        let document = one_json_document(&run.stdout);
        assert_eq!(document["exit_code"], code, "{args:?}");
        let error = document["error"].as_str().unwrap_or_default();
        assert!(error.contains(named), "{args:?}: {named} in {document}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    // Help and the version are one document too, their text in a member.
    for (args, member, shown) in [
        (&["--json", "--help"][..], "help", "Usage"),
        (
            &["submit", "wan-t2v", "--help", "--json"][..],
            "help",
            "--prompt",
        ),
        (
            &["--json", "--version"][..],
            "version",
            env!("CARGO_PKG_VERSION"),
        ),
    ] {
        let run = novita(&server, args).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let document = one_json_document(&run.stdout);
        let text = document[member].as_str().unwrap_or_default();
        assert!(text.contains(shown), "{args:?}: {shown} in {document}");
    }
    // Without --json, help is clap's text.
    let run = novita(&server, &["--help"]).await;
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("Usage") || run.stdout.contains("\nUsage"),
        "{}",
        run.stdout
    );
}

/// A server whose task `t-42` has succeeded with `video` at `/v.mp4`.
async fn finished_task_with_video(video: Vec<u8>) -> MockServer {
    finished_task_answering(ResponseTemplate::new(200).set_body_raw(video, "video/mp4")).await
}

/// A server whose task `t-42` has succeeded, and whose `/v.mp4` gives `answer`.
async fn finished_task_answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    serves_result(&server, "TASK_STATUS_SUCCEED", "").await;
    Mock::given(method("GET"))
        .and(path("/v.mp4"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn wait_and_download_write_the_video() {
    let server = finished_task_with_video(mp4_bytes(1000)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.mp4");
    let run = novita(&server, &["wait", "t-42", "--out", file.to_str().unwrap()]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("TASK_STATUS_SUCCEED 100%"),
        "plain progress lines without a terminal: {}",
        run.stderr
    );
    assert_eq!(std::fs::read(&file).unwrap(), mp4_bytes(1000));
    let run = novita(
        &server,
        &[
            "--json",
            "download",
            "t-42",
            "--out",
            file.to_str().unwrap(),
        ],
    )
    .await;
    let value: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["downloaded"]["bytes"], 1000);
}

#[tokio::test]
async fn download_refuses_a_json_body_exits_7_and_leaves_nothing_at_out() {
    let server = finished_task_answering(
        ResponseTemplate::new(200).set_body_raw(r#"{"code":404,"x"}"#, "application/json"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fox.mp4");
    let run = novita(
        &server,
        &["download", "t-42", "--out", file.to_str().unwrap()],
    )
    .await;
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(run.stderr.contains("not a video"), "{}", run.stderr);
    assert!(run.stderr.contains("application/json"), "{}", run.stderr);
    assert!(run.stderr.contains(r#"{\"code\":404"#), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn result_gives_up_at_its_timeout_against_an_upstream_that_drips() {
    let body = " ".repeat(10_000);
    let url = drip_server(
        ok_head("application/json", body.len()),
        body.into_bytes(),
        1,
        Duration::from_millis(100),
    )
    .await;
    let run = novita_at(&url, &["result", "t-42", "--timeout", "1"]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("timed out after 1s"), "{}", run.stderr);
    assert!(run.stderr.contains("task t-42"), "{}", run.stderr);
    let run = novita_at(
        &url,
        &[
            "download",
            "t-42",
            "--out",
            "/nonexistent/x.mp4",
            "--timeout",
            "1",
        ],
    )
    .await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    let run = novita_at(&url, &["result", "t-42", "--timeout", "0"]).await;
    assert_eq!(
        run.code, 2,
        "a zero timeout is a usage error: {}",
        run.stderr
    );
}

#[tokio::test]
async fn server_text_reaches_the_terminal_escaped_never_raw() {
    let server = MockServer::start().await;
    let hostile = "t-1\u{1b}]0;pwned\u{7}\nnovita: forged line";
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "task": {"task_id": "t-42", "status": "TASK_STATUS_FAILED",
                     "reason": format!("bad\u{1b}[2J{hostile}"), "eta": 0, "progress_percent": 5},
            "videos": []
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": hostile})))
        .mount(&server)
        .await;
    for args in [
        &["result", "t-42"][..],
        &["wait", "t-42"][..],
        &["submit", "wan2.7-t2v", "--prompt", "a fox"][..],
    ] {
        let run = novita(&server, args).await;
        let printed = format!("{}{}", run.stdout, run.stderr);
        assert!(!printed.contains('\u{1b}'), "{args:?}: {printed:?}");
        assert!(!printed.contains('\u{7}'), "{args:?}: {printed:?}");
        assert!(
            !printed.lines().any(|l| l.starts_with("novita: forged")),
            "{args:?}: {printed:?}"
        );
    }
}

#[tokio::test]
async fn out_dash_writes_the_video_itself_to_stdout_and_nothing_else() {
    let server = finished_task_with_video(mp4_bytes(5000)).await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_novita"))
        .args(["download", "t-42", "--out", "-"])
        .env("NOVITA_BASE_URL", server.uri())
        .env("NOVITA_API_KEY", CLI_KEY)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, mp4_bytes(5000));
}

#[tokio::test]
async fn a_long_retry_after_is_told_on_one_line_and_past_max_retry_after_ends_the_command() {
    // A 429 with `Retry-After: 99999` was waited for (cut to a minute) without a word.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(rate_limited("0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(rate_limited("99999"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let run = novita(&server, &["--max-retry-after", "600", "result", "t-42"]).await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "novita: Novita asked to retry after 0 s; waiting 0 s",
            "novita: Novita asked to retry after 99999s, longer than the 600s the client waits (max_retry_after), so it gave up: Novita answered HTTP 429: RATE_LIMIT_EXCEEDED: slow down (task t-42)",
        ],
        "{}",
        run.stderr
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
