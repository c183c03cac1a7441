//! Everything that grows with traffic has a bound: tasks (by count, by memory, by age), the
//! journal, and the webhooks of evicted tasks. An evicted task answers exactly like an unknown
//! one.

use crate::common;

use common::{assert_novita_error, paused, start};
use novita_mock::Config;
use reqwest::Method;
use serde_json::{json, Value};
use wiremock::{matchers::method, Mock as Expect, MockServer, ResponseTemplate};

const T2V: &str = "/v3/async/wan-t2v";

async fn health(mock: &common::Mock) -> Value {
    let response = mock.http.get(mock.url("/health")).send().await.unwrap();
    response.json().await.unwrap()
}

#[tokio::test]
async fn past_max_tasks_the_oldest_go_and_answer_like_unknown_ids() {
    let mock = start(Config {
        max_tasks: 3,
        ..paused()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            mock.submit_ok(T2V, &json!({"prompt": format!("p{i}")}))
                .await,
        );
    }
    let health = health(&mock).await;
    assert_eq!(
        (health["tasks"].as_u64(), health["evicted"].as_u64()),
        (Some(3), Some(2))
    );

    let evicted = mock.result(&ids[0]).await;
    let message = assert_novita_error(&evicted, 404, "TASK_NOT_FOUND");
    let unknown_id = "00000000-0000-4000-8000-000000000000";
    let unknown = mock.result(unknown_id).await;
    assert_novita_error(&unknown, 404, "TASK_NOT_FOUND");
    assert_eq!(
        message.replace(&ids[0], "ID"),
        unknown.1["message"]
            .as_str()
            .unwrap()
            .replace(unknown_id, "ID")
    );
    let video = mock
        .http
        .get(mock.url(&format!("/_mock/videos/{}.mp4", ids[1])))
        .send()
        .await
        .unwrap();
    assert_eq!(video.status(), 404);
    assert_eq!(mock.result(&ids[4]).await.0, 200);

    let (_, list) = mock.control(Method::GET, "/_mock/tasks", None).await;
    assert_eq!(
        (list["stored"].as_u64(), list["evicted"].as_u64()),
        (Some(3), Some(2))
    );
    let listed: Vec<&str> = list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ids[2..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let (_, newest) = mock
        .control(Method::GET, "/_mock/tasks?limit=1", None)
        .await;
    assert_eq!(newest["tasks"][0]["task_id"], ids[4].as_str());
}

#[tokio::test]
async fn finished_tasks_are_evicted_before_running_ones() {
    let mock = start(Config {
        max_tasks: 2,
        ..paused()
    })
    .await;
    let running = mock
        .submit_ok(T2V, &json!({"prompt": "still running"}))
        .await;
    let done = mock.submit_ok(T2V, &json!({"prompt": "done"})).await;
    mock.control(Method::POST, &format!("/_mock/tasks/{done}/finish"), None)
        .await;
    mock.submit_ok(T2V, &json!({"prompt": "new"})).await;
    assert_eq!(
        mock.result(&running).await.0,
        200,
        "the older task still runs: it stays"
    );
    assert_eq!(mock.result(&done).await.0, 404);
}

#[tokio::test]
async fn retention_drops_finished_tasks_after_their_time() {
    let mock = start(Config {
        task_retention_seconds: Some(60),
        ..paused()
    })
    .await;
    let old = mock.submit_ok(T2V, &json!({"prompt": "old"})).await;
    mock.advance(60.0).await; // it ended at 7 s
    mock.submit_ok(T2V, &json!({"prompt": "new"})).await;
    assert_eq!(mock.result(&old).await.0, 200, "53 s after its end: kept");
    mock.advance(10.0).await;
    mock.submit_ok(T2V, &json!({"prompt": "newer"})).await;
    assert_eq!(
        mock.result(&old).await.0,
        404,
        "63 s after its end: dropped"
    );
}

#[tokio::test]
async fn the_memory_budget_bounds_big_bodies() {
    // 1 MiB for tasks; each body carries 250 000 bytes of padding in strings short enough to
    // be kept whole (a task keeps strings up to 16 KiB, and bodies up to 256 KiB).
    let mock = start(Config {
        max_task_memory_mb: 1,
        ..paused()
    })
    .await;
    let padding = vec!["x".repeat(10_000); 25];
    for _ in 0..10 {
        mock.submit_ok(T2V, &json!({"prompt": "p", "padding": padding}))
            .await;
    }
    let health = health(&mock).await;
    assert_eq!(health["tasks"], 4, "{health}");
    assert_eq!(health["evicted"], 6);
    assert!(health["task_bytes"].as_u64().unwrap() <= 1024 * 1024);
}

#[tokio::test]
async fn the_webhook_of_an_evicted_task_is_dropped_and_counted() {
    let receiver = MockServer::start().await;
    Expect::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&receiver)
        .await;
    let mock = start(Config {
        max_tasks: 1,
        ..paused()
    })
    .await;
    let hook = json!({"url": format!("{}/hook", receiver.uri())});
    mock.submit_ok(
        T2V,
        &json!({"prompt": "evicted", "extra": {"webhook": hook}}),
    )
    .await;
    let kept = mock
        .submit_ok(T2V, &json!({"prompt": "kept", "extra": {"webhook": hook}}))
        .await;
    mock.advance(600.0).await;
    assert_eq!(mock.webhook_log(&kept).await["delivery"], "delivered");
    let health = health(&mock).await;
    assert_eq!(health["webhooks_dropped"], 1, "{health}");
}

#[tokio::test]
async fn the_journal_keeps_its_limit() {
    let mock = start(Config {
        journal_limit: 2,
        ..paused()
    })
    .await;
    for _ in 0..5 {
        mock.submit_ok(T2V, &json!({"prompt": "p"})).await;
    }
    let (_, page) = mock.control(Method::GET, "/_mock/journal", None).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(
        (page["total_recorded"].as_u64(), page["dropped"].as_u64()),
        (Some(5), Some(3))
    );
}

#[tokio::test]
async fn bounds_of_zero_and_bad_tokens_are_refused_at_start() {
    for (config, field) in [
        (
            Config {
                max_tasks: 0,
                ..Config::for_tests()
            },
            "max_tasks",
        ),
        (
            Config {
                max_task_memory_mb: 0,
                ..Config::for_tests()
            },
            "max_task_memory_mb",
        ),
        (
            Config {
                journal_limit: 0,
                ..Config::for_tests()
            },
            "journal_limit",
        ),
        (
            Config {
                video_cache_mb: 0,
                ..Config::for_tests()
            },
            "video_cache_mb",
        ),
        (
            Config {
                task_retention_seconds: Some(0),
                ..Config::for_tests()
            },
            "task_retention",
        ),
        (
            Config {
                control_token: Some("  ".into()),
                ..Config::for_tests()
            },
            "control_token",
        ),
        (
            Config {
                webhook_retries: 50,
                ..Config::for_tests()
            },
            "webhook_retries",
        ),
        (
            Config {
                video_ttl_seconds: 0,
                ..Config::for_tests()
            },
            "video_ttl_seconds (--video-ttl) must be between 1 and 31536000",
        ),
        (
            Config {
                public_url: Some("ftp://x".into()),
                ..Config::for_tests()
            },
            "must be an http or https URL with a host",
        ),
        (
            Config {
                webhook_timeout_ms: u64::MAX,
                ..Config::for_tests()
            },
            "webhook_timeout_ms must be between 1 and 600000",
        ),
        (
            Config {
                webhook_backoff_ms: u64::MAX,
                ..Config::for_tests()
            },
            "webhook_backoff_ms must be between 0 and 3600000",
        ),
        (
            Config {
                task_retention_seconds: Some(u64::MAX),
                ..Config::for_tests()
            },
            "task_retention_seconds (--task-retention) must be between 1 and 31536000",
        ),
    ] {
        let error = novita_mock::spawn(config).await.err().expect("refused");
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
}

#[test]
fn the_binary_names_the_bad_flag_and_exits_2() {
    for (args, field) in [
        (&["--max-tasks", "0"][..], "max_tasks"),
        (&["--control-token", ""][..], "control_token"),
        (&["--max-tasks", "many"][..], "--max-tasks"),
        (&["--video-ttl", "0"][..], "video_ttl_seconds (--video-ttl)"),
        (&["--video-ttl", "18446744073709551615"][..], "--video-ttl"),
        (&["--public-url", "ftp://x"][..], "http or https"),
        (
            &["--public-url", "mailto:qa@example.com"][..],
            "http or https",
        ),
        (
            &["--retired", "bogus"][..],
            "possible values: serve, reject",
        ),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_novita-mock"))
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(field), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("novita-mock: "), "{stderr}");
    }
}

#[test]
fn the_readme_scenario_file_parses_with_every_key_it_shows() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("# qa.yaml")
        .expect("the mock's README shows a scenario file");
    let yaml = &readme[start..start + readme[start..].find("```").unwrap()];
    let dir = std::env::temp_dir().join(format!("novita-mock-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("qa.yaml");
    std::fs::write(&file, yaml).unwrap();
    let config = Config::from_file(&file);
    std::fs::remove_dir_all(&dir).unwrap();
    let config = config.unwrap();
    assert_eq!(
        (config.max_tasks, config.control_token.as_deref()),
        (50_000, Some("change-me"))
    );
    assert_eq!(config.outcomes.len(), 3);
    config.validate().unwrap();
}
