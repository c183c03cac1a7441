//! The dashboard at `/_mock/ui`, opened in a real headless Chromium against a mock with tasks in
//! every state. Skipped with a notice where Chromium is absent, except in CI (`CI` set), where
//! `.ci/run` installs Debian's `chromium`. A screenshot is kept at `target/dashboard.png`.

use crate::common;

use std::{path::PathBuf, process::Command};

use common::{paused, start};
use novita_mock::Config;
use serde_json::json;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(PathBuf::from)
}

/// Runs headless Chromium on `url` with the flags that work on a machine without a network.
fn headless(browser: &PathBuf, url: &str, extra: &[&str]) -> String {
    // One profile per run: tests in this file may run Chromium at the same time.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile =
        std::env::temp_dir().join(format!("novita-mock-chromium-{}-{run}", std::process::id()));
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
            // Lets the page's fetches and timers run before the DOM is read.
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Chromium, or `None` with a notice (a failure in CI, where `.ci/run` installs it).
fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let browser = chromium();
    if browser.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed; CI must install it (apt-get install chromium)");
        }
        eprintln!("SKIPPED {test}: chromium is not installed (apt-get install chromium)");
    }
    browser
}

/// A page that loads `video` and writes what Chromium's demuxer found into `#out` (the audio
/// track list needs the AudioVideoTracks feature).
const PLAYER: &str = r#"<!doctype html><video id="v" muted autoplay src="VIDEO"></video><pre id="out">pending</pre>
<script>
const v = document.getElementById("v"), out = document.getElementById("out");
v.addEventListener("error", () => out.textContent = "error " + v.error.code);
v.addEventListener("loadedmetadata", () => out.textContent = "loaded " + v.videoWidth + "x" + v.videoHeight + " " + v.duration.toFixed(1) + " tracks=" + (v.audioTracks ? v.audioTracks.length : "?"));
</script>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_loads_a_wan27_video_with_its_sound_track() {
    let Some(browser) = chromium_or_skip("video playback test") else {
        return;
    };
    let mock = start(paused()).await;
    let id = mock
        .submit_ok(
            "/v3/async/wan2.7-t2v",
            &json!({"prompt": "p", "size": "1280*720", "duration": 2}),
        )
        .await;
    let finished = mock
        .http
        .post(mock.url(&format!("/_mock/tasks/{id}/finish")))
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), 200);
    let page_server = wiremock::MockServer::start().await;
    let page = PLAYER.replace("VIDEO", &mock.url(&format!("/_mock/videos/{id}.mp4")));
    wiremock::Mock::given(wiremock::matchers::path("/player.html"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(&page_server)
        .await;
    let url = format!("{}/player.html", page_server.uri());
    let flags = [
        "--dump-dom",
        "--autoplay-policy=no-user-gesture-required",
        "--enable-blink-features=AudioVideoTracks",
    ];
    let dom = tokio::task::spawn_blocking(move || headless(&browser, &url, &flags))
        .await
        .unwrap();
    assert!(
        dom.contains("loaded 1280x720 2.0 tracks=1"),
        "Chromium loads the video and finds its sound track:\n{dom}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_tasks_journal_and_player() {
    let Some(browser) = chromium_or_skip("dashboard browser test") else {
        return;
    };
    // The clock is paused: each task stays in the state the test puts it in, however long
    // Chromium takes to start.
    let mock = start(Config {
        control_token: Some("dash-token".into()),
        ..paused()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            mock.submit_ok(
                "/v3/async/wan-t2v",
                &json!({"prompt": format!("fox {i}"), "seed": i}),
            )
            .await,
        );
    }
    let control = |path: String, body: Option<serde_json::Value>| {
        let mut request = mock
            .http
            .post(mock.url(&path))
            .header("x-mock-token", "dash-token");
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move { assert_eq!(request.send().await.unwrap().status(), 200) }
    };
    control(format!("/_mock/tasks/{}/finish", ids[0]), None).await;
    control(
        format!("/_mock/tasks/{}/fail", ids[1]),
        Some(json!({"reason": "ILLEGAL_PROMPT"})),
    )
    .await;
    control(
        format!("/_mock/tasks/{}/advance", ids[2]),
        Some(json!({"seconds": 3})),
    )
    .await;
    // The page takes the token once, in its address, and sends it on its own calls. It polls
    // (`poll=1`): Chromium's virtual time stands still while the event stream is open.
    let page = mock.url(&format!(
        "/_mock/ui?token=dash-token&task={}&poll=1",
        ids[0]
    ));
    let refused = mock.http.get(mock.url("/_mock/ui")).send().await.unwrap();
    assert_eq!(refused.status(), 401, "no token, no dashboard");

    let dom = {
        let (browser, page) = (browser.clone(), page.clone());
        tokio::task::spawn_blocking(move || headless(&browser, &page, &["--dump-dom"]))
            .await
            .unwrap()
    };
    for status in ["QUEUED", "PROCESSING", "FAILED", "SUCCEED"] {
        assert!(
            dom.contains(&format!(">{status}<")),
            "the task list shows {status}:\n{dom}"
        );
    }
    for id in &ids {
        assert!(
            dom.contains(&format!("data-task=\"{id}\"")),
            "task {id} listed"
        );
    }
    assert!(
        dom.contains("4 tasks, 0 evicted, 4 requests received"),
        "header counts"
    );
    assert!(dom.contains("clock paused at 0.0 s"), "the clock's state");
    assert!(dom.contains("POST /v3/async/wan-t2v"), "journal rows");
    assert!(
        dom.contains(&format!("/_mock/videos/{}.mp4", ids[0])),
        "player of the finished task"
    );
    assert!(
        dom.contains("&quot;fox 0&quot;") || dom.contains("\"fox 0\""),
        "its request"
    );

    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target");
    std::fs::create_dir_all(&target).unwrap();
    let shot = target.join("dashboard.png");
    let arg = format!("--screenshot={}", shot.display());
    tokio::task::spawn_blocking(move || headless(&browser, &page, &[&arg]))
        .await
        .unwrap();
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
}
