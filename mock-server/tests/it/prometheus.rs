//! A real Prometheus scrapes the mock: it is started with a scrape config that sends the
//! control token as a bearer token, the test drives some traffic, then asks Prometheus's HTTP
//! API after each of its scrapes (the mock's event stream tells of them) until the counts it
//! expects are there. `promtool check metrics` reads a scrape
//! and must find nothing to complain about. Needs `prometheus` and `promtool` (Debian's
//! `prometheus` package; `.ci/install-prometheus`): with `CI` set their absence fails the test,
//! otherwise it prints `SKIPPED: ...` and passes.

use crate::common;

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use common::{paused, start, Running};
use serde_json::{json, Value};

const TOKEN: &str = "prom-s3cret";

/// The tool on the PATH, or `None` after saying why the test is skipped (a failure under CI).
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        let reason = format!("`{name}` is not installed (run .ci/install-prometheus)");
        assert!(std::env::var_os("CI").is_none(), "CI is set and {reason}");
        println!("SKIPPED: {reason}");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_config(dir: &Path, target: &str) -> PathBuf {
    let path = dir.join("prometheus.yml");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
         scrape_configs:\n  - job_name: novita-mock\n    metrics_path: /_mock/metrics\n\
         \x20   authorization:\n      type: Bearer\n      credentials: {TOKEN}\n\
         \x20   static_configs:\n      - targets: ['{target}']\n"
    );
    std::fs::write(&path, config).unwrap();
    path
}

/// The value Prometheus gives `query` now, if it has one.
async fn query(http: &reqwest::Client, prometheus: &str, query: &str) -> Option<f64> {
    let answer: Value = http
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[("query", query)])
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    answer["data"]["result"][0]["value"][1]
        .as_str()?
        .parse()
        .ok()
}

// Long, as one story: a real Prometheus starts once (seconds) and scrapes once the traffic
// is sent; splitting it would start it once per query.
#[tokio::test]
async fn prometheus_scrapes_the_counts_with_a_bearer_token() {
    let (Some(prometheus), Some(promtool)) = (tool("prometheus"), tool("promtool")) else {
        return;
    };
    let mock = start(novita_mock::Config {
        control_token: Some(TOKEN.into()),
        ..paused()
    })
    .await;
    // Prometheus's scrapes, as the mock's event stream tells of them.
    let scrapes = mock
        .http
        .get(mock.url("/_mock/events?kind=request"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let mut scrapes = crate::common::sse::EventReader::new(scrapes);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &mock.server.addr().to_string());
    let listen = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let _prometheus = Running(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={listen}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("prometheus starts"),
    );

    let mut ids = Vec::new();
    for prompt in ["a", "b", "c"] {
        ids.push(
            mock.submit_ok("/v3/async/wan-t2v", &json!({ "prompt": prompt }))
                .await,
        );
    }
    for id in &ids[..2] {
        assert_eq!(mock.result(id).await.0, 200);
    }
    let missing = mock
        .http
        .get(mock.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let api = format!("http://{listen}");
    let expected = [
        ("up{job=\"novita-mock\"}", 1.0),
        (
            "novita_mock_requests_total{route=\"/v3/async/wan-t2v\",status=\"200\"}",
            3.0,
        ),
        (
            "novita_mock_requests_total{route=\"/v3/async/task-result\",status=\"200\"}",
            2.0,
        ),
        (
            "novita_mock_requests_total{route=\"unmatched\",status=\"404\"}",
            1.0,
        ),
        (
            "novita_mock_submissions_total{endpoint=\"wan-t2v\",outcome=\"accepted\"}",
            3.0,
        ),
        ("novita_mock_tasks{status=\"TASK_STATUS_QUEUED\"}", 3.0),
        ("novita_mock_clock_paused", 1.0),
    ];
    // After each scrape (one a second) Prometheus is asked again, at most 60 times: the test
    // waits on Prometheus's own scrapes, never on a timer. The timeout only keeps a Prometheus
    // that never scrapes from hanging the test.
    let mut missing_now = Vec::new();
    let waited = tokio::time::timeout(Duration::from_secs(300), async {
        for _ in 0..60 {
            loop {
                let event = scrapes.next().await.expect("the stream goes on");
                if event.data["route"] == "/_mock/metrics" {
                    break;
                }
            }
            missing_now.clear();
            for (series, value) in expected {
                if query(&mock.http, &api, series).await != Some(value) {
                    missing_now.push(series);
                }
            }
            if missing_now.is_empty() {
                break;
            }
        }
    })
    .await;
    let log = std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
    assert!(
        waited.is_ok() && missing_now.is_empty(),
        "Prometheus never had {missing_now:?}\n{log}"
    );

    let scraped = mock
        .http
        .get(mock.url("/_mock/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut check = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(scraped.as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}\n{scraped}"
    );
}
