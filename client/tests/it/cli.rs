//! The `novita` command line against a wiremock stand-in: output, exit codes, what it sends.

use crate::common;

use std::time::Duration;

use common::{
    cli::{novita, novita_at, CLI_KEY},
    drip_server, mp4_bytes, ok_head, rate_limited,
};
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

async fn accepts_submissions(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-42"})))
        .mount(server)
        .await;
}

/// Mounts the result of task `t-42` on `server`: `status` with `reason` (see [`result_body`]).
async fn serves_result(server: &MockServer, status: &str, reason: &str) {
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(result_body(server, status, reason)))
        .mount(server)
        .await;
}

/// Task `t-42` as Novita gives it: `status` with `reason`, and the video at `/v.mp4` of
/// `server` when it succeeded.
fn result_body(server: &MockServer, status: &str, reason: &str) -> Value {
    json!({
        "task": {"task_id": "t-42", "status": status, "reason": reason, "eta": 0, "progress_percent": 100},
        "videos": if status == "TASK_STATUS_SUCCEED" {
            json!([{"video_url": format!("{}/v.mp4", server.uri()), "video_url_ttl": "3600", "video_type": "mp4"}])
        } else { json!([]) }
    })
}

#[tokio::test]
async fn submit_prints_the_task_id_and_sends_only_the_flags_given() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let run = novita(
        &server,
        &[
            "t2v",
            "--prompt",
            "a fox",
            "--aspect_ratio",
            "9:16",
            "--duration",
            "3",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "t-42");
    assert!(run.stderr.is_empty(), "Kling 3.0 is live: {}", run.stderr);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/v3/async/kling-v3.0-pro-t2v");
    let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"prompt": "a fox", "aspect_ratio": "9:16", "duration": 3})
    );
    let run = novita(&server, &["--json", "t2v", "--prompt", "a fox"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&run.stdout).unwrap(),
        json!({"task_id": "t-42"})
    );
    let run = novita(
        &server,
        &["i2v", "--image", "https://e.x/a.png", "--prompt", "a fox"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[2].url.path(), "/v3/async/kling-v3.0-pro-i2v");
    let run = novita(&server, &["--help"]).await;
    for shorthand in ["submit kling-v3.0-pro-t2v", "submit kling-v3.0-pro-i2v"] {
        assert!(
            run.stdout.contains(shorthand),
            "{shorthand}: {}",
            run.stdout
        );
    }
}

#[tokio::test]
async fn broken_rules_exit_2_before_anything_is_sent() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let run = novita(
        &server,
        &[
            "submit", "wan-t2v", "--prompt", "a fox", "--width", "480", "--height", "480",
        ],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("width/height"), "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "one clear line: {}",
        run.stderr
    );
    let run = novita(
        &server,
        &[
            "submit",
            "wan-i2v",
            "--image_url",
            "Cargo.toml",
            "--prompt",
            "x",
        ],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("image_url takes URLs only"),
        "{}",
        run.stderr
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

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
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
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
async fn a_local_image_goes_inline_where_the_spec_takes_inline_media() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("kite.png");
    // The header of a 1280x720 PNG: a file the client can measure.
    let header = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x05\0\0\0\x02\xd0\x08\x02\0\0\0\0\0\0\0";
    std::fs::write(&image, header).unwrap();
    let run = novita(
        &server,
        &[
            "submit",
            "wan2.6-i2v",
            "--img_url",
            image.to_str().unwrap(),
            "--duration",
            "10",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sent: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(
        sent["input"]["img_url"],
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAABQAAAALQCAIAAAAAAAAA"
    );
    assert_eq!(sent["parameters"], json!({"duration": 10}));

    // Past the field's byte limit (10 MB for Wan 2.6), the file is refused before it is read.
    let large = dir.path().join("large.png");
    std::fs::File::create(&large)
        .unwrap()
        .set_len(10 * 1024 * 1024 + 1)
        .unwrap();
    let run = novita(
        &server,
        &["submit", "wan2.6-i2v", "--img_url", large.to_str().unwrap()],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("takes at most 10485760"),
        "{}",
        run.stderr
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

fn sent_bodies(requests: &[wiremock::Request]) -> Vec<Value> {
    requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn submit_takes_the_fields_of_any_operation_as_flags() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let run = novita(
        &server,
        &[
            "submit",
            "wan2.6-i2v",
            "--input.img_url",
            "https://example.com/kite.png",
            "--prompt",
            "a kite",
            "--parameters.duration",
            "10",
            "--seed",
            "7",
            "--audio",
            "false",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "t-42");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/v3/async/wan2.6-i2v");
    assert_eq!(
        sent_bodies(&requests)[0],
        json!({
            "input": {"img_url": "https://example.com/kite.png", "prompt": "a kite"},
            "parameters": {"duration": 10, "seed": 7, "audio": false}
        })
    );
}

#[tokio::test]
async fn submit_starts_from_a_body_file_and_flags_override_it() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(
        &body,
        r#"{"prompt": "from the file", "loras": [{"path": "a/b", "scale": 1.0}]}"#,
    )
    .unwrap();
    let run = novita(
        &server,
        &[
            "--json",
            "submit",
            "wan-t2v",
            "--body",
            body.to_str().unwrap(),
            "--prompt",
            "from the flag",
            "--extra.webhook.url",
            "https://example.com/hook",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(&run.stdout).unwrap(),
        json!({"task_id": "t-42"})
    );
    assert_eq!(
        sent_bodies(&server.received_requests().await.unwrap())[0],
        json!({
            "prompt": "from the flag",
            "loras": [{"path": "a/b", "scale": 1.0}],
            "extra": {"webhook": {"url": "https://example.com/hook"}}
        })
    );
}

#[tokio::test]
async fn submit_refuses_broken_rules_and_unknown_operations_with_nothing_sent() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let run = novita(
        &server,
        &[
            "submit",
            "wan2.6-i2v",
            "--img_url",
            "https://example.com/kite.png",
            "--duration",
            "7",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`parameters.duration` must be one of"),
        "{}",
        run.stderr
    );
    let run = novita(
        &server,
        &[
            "submit",
            "wan2.6-i2v",
            "--img_url",
            "u",
            "--webhook",
            "ftp://example.com/h",
        ],
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`extra.webhook.url`"), "{}", run.stderr);
    let run = novita(&server, &["submit", "wan-nothing"]).await;
    assert_eq!(run.code, 2);
    let run = novita(&server, &["submit", "wan-t2v", "--steps", "many"]).await;
    assert_eq!(run.code, 2, "a value of the wrong type is a usage error");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn submit_help_comes_from_the_spec() {
    let server = MockServer::start().await;
    let run = novita(&server, &["submit", "--help"]).await;
    assert_eq!(run.code, 0);
    for operation in novita_video::SubmitOperation::all() {
        let line = run
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(operation.command()))
            .unwrap_or_else(|| panic!("{} is listed: {}", operation.command(), run.stdout));
        let status = if operation.deprecated() {
            "[retired 20".to_string()
        } else if let Some(since) = operation.unverified_since() {
            format!("[unverified since {since}]")
        } else {
            "[live]".to_string()
        };
        assert!(
            line.contains(operation.summary()) && line.contains(&status),
            "{line}"
        );
    }
    let run = novita(&server, &["submit", "wan-t2v", "--help"]).await;
    let prompt = &novita_video::SubmitOperation::find("wan-t2v")
        .unwrap()
        .request_schema()["properties"]["prompt"];
    let limit = format!("{}-{} characters", prompt["minLength"], prompt["maxLength"]);
    assert!(run.stdout.contains("--prompt <TEXT>"), "{}", run.stdout);
    assert!(run.stdout.contains(&limit), "{limit} in {}", run.stdout);
    assert!(
        run.stdout.contains("Only in --body"),
        "loras is named: {}",
        run.stdout
    );
}

#[tokio::test]
async fn wan27_t2v_from_the_spec_with_its_status_and_a_warning_for_retired_models() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let run = novita(
        &server,
        &[
            "submit",
            "wan2.7-t2v",
            "--prompt",
            "a fox",
            "--size",
            "1280*720",
            "--duration",
            "3",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "novita: note: whether Novita still serves wan2.7-t2v is unverified since 2026-09-30 \
             ({}); `novita endpoints --probe` asks the service",
            novita_video::SubmitOperation::find("wan2.7-t2v")
                .unwrap()
                .status_source()
                .unwrap()
        ),
        "an unverified model is sent, with its status and where it comes from"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/v3/async/wan2.7-t2v");
    assert_eq!(
        sent_bodies(&requests)[0],
        json!({"prompt": "a fox", "size": "1280*720", "duration": 3})
    );
    let run = novita(&server, &["submit", "wan-t2v", "--prompt", "a fox"]).await;
    assert_eq!(run.code, 0, "a retired model is still sent: {}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "novita: warning: wan-t2v was retired by Novita on 2026-08-19; its named replacement is Wan 2.7 Text-to-Video (wan2.7-t2v)"
    );
    let run = novita(&server, &["submit", "wan2.7-t2v", "--help"]).await;
    assert!(
        run.stdout.contains("2-15"),
        "the duration range: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1920*1080"),
        "the sizes: {}",
        run.stdout
    );
}

#[tokio::test]
async fn kling_bodies_that_break_a_rule_exit_2_naming_the_field_with_nothing_sent() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let shots = dir.path().join("shots.json");
    std::fs::write(&shots, r#"{"multi_prompt": [{"prompt": "a kite"}]}"#).unwrap();
    let shots = shots.to_str().unwrap();
    let long_prompt = "x".repeat(2501);
    let cases: [(&[&str], &str); 5] = [
        (
            &["kling-v3.0-std-t2v", "--prompt", "p", "--duration", "16"],
            "duration",
        ),
        (
            &[
                "kling-v3.0-pro-t2v",
                "--prompt",
                "p",
                "--aspect_ratio",
                "4:3",
            ],
            "aspect_ratio",
        ),
        (&["kling-v3.0-4k-t2v", "--prompt", &long_prompt], "prompt"),
        (
            &[
                "kling-v3.0-std-i2v",
                "--body",
                shots,
                "--image",
                "https://e.x/a.png",
                "--prompt",
                "p",
                "--end_image",
                "https://e.x/b.png",
            ],
            "end_image/multi_prompt",
        ),
        (
            &[
                "kling-v3.0-motion-control",
                "--image",
                "https://e.x/a.png",
                "--video",
                "https://e.x/v.mp4",
                "--model_name",
                "kling-v3-0-std",
            ],
            "character_orientation",
        ),
    ];
    for (args, field) in cases {
        let mut all = vec!["submit"];
        all.extend_from_slice(args);
        let run = novita(&server, &all).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(field), "{field} in {}", run.stderr);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_misspelled_body_field_is_refused_with_the_field_it_was_meant_to_be() {
    let server = MockServer::start().await;
    accepts_submissions(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    for (text, named) in [
        (
            r#"{"prompt":"fox","durration":10}"#,
            "`durration` is not a field of wan2.7-t2v (did you mean `duration`?)",
        ),
        (
            r#"{"prompt":"fox","extra":{"webhok":{"url":"https://e.x/h"}}}"#,
            "`extra.webhok` is not a field of wan2.7-t2v (did you mean `webhook`?)",
        ),
        (
            r#"{"prompt":"fox","colour":"red"}"#,
            "refused before sending: `colour` is not a field of wan2.7-t2v",
        ),
    ] {
        std::fs::write(&body, text).unwrap();
        let run = novita(
            &server,
            &["submit", "wan2.7-t2v", "--body", body.to_str().unwrap()],
        )
        .await;
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(named), "{named} in {}", run.stderr);
    }
    // Open objects (the pro shots, whose members the page does not give) are not judged.
    std::fs::write(&body, r#"{"multi_prompt":[{"anything":1}]}"#).unwrap();
    let run = novita(
        &server,
        &[
            "submit",
            "kling-v3.0-pro-t2v",
            "--body",
            body.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
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
