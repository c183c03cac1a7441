//! The `novita submit` command line against a wiremock stand-in: help, model statuses and
//! rules, all read from the spec.

use crate::common;

use common::cli::{accepting_server, novita, sent_bodies};
use serde_json::json;
use wiremock::MockServer;

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
    let server = accepting_server().await;
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
    let server = accepting_server().await;
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
