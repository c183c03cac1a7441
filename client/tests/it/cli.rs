//! The `novita submit` command line and its shorthands against a wiremock stand-in: what it
//! sends, and what it refuses before sending. Outcomes are in `cli_outcomes`, the spec's help,
//! statuses and rules in `cli_rules`.

use crate::common;

use common::cli::{accepting_server, novita, sent_bodies};
use serde_json::{json, Value};

#[tokio::test]
async fn submit_prints_the_task_id_and_sends_only_the_flags_given() {
    let server = accepting_server().await;
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
    let server = accepting_server().await;
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
async fn a_local_image_goes_inline_where_the_spec_takes_inline_media() {
    let server = accepting_server().await;
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

#[tokio::test]
async fn submit_takes_the_fields_of_any_operation_as_flags() {
    let server = accepting_server().await;
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
    let server = accepting_server().await;
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
    let server = accepting_server().await;
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
async fn a_misspelled_body_field_is_refused_with_the_field_it_was_meant_to_be() {
    let server = accepting_server().await;
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
