//! The largest video the mock makes: Kling 3.0 4K text to video, 15 seconds at 30 fps with a
//! sound track (3840x2160, 450 frames). The task is ended through the control API on a paused
//! clock, then its video is downloaded twice: the first download renders it, the second comes
//! from the video cache. Reports both times, the size, and the mock's resident memory.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::servers::{self, Kind};

#[derive(Debug, Serialize)]
pub struct UhdVideo {
    pub width: u32,
    pub height: u32,
    pub seconds: u32,
    pub bytes: usize,
    pub first_download_ms: f64,
    pub cached_download_ms: f64,
    pub peak_rss_mib: f64,
}

impl UhdVideo {
    pub fn print(&self) {
        println!(
            "\nKling 4K video ({}x{}, {} s, sound): {:.1} MB, first download (render) {:.0} ms, \
             cached {:.0} ms, mock peak resident {:.1} MiB",
            self.width,
            self.height,
            self.seconds,
            self.bytes as f64 / 1_000_000.0,
            self.first_download_ms,
            self.cached_download_ms,
            self.peak_rss_mib
        );
    }
}

pub async fn run(http: &reqwest::Client) -> UhdVideo {
    let mock = servers::start(Kind::Mock, &["--paused"]).expect("the mock starts");
    let submitted: Value = http
        .post(format!("{}/v3/async/kling-v3.0-4k-t2v", mock.url))
        .bearer_auth("bench")
        .json(&json!({"prompt": "Waves on black sand", "duration": 15, "sound": true}))
        .send()
        .await
        .expect("submitted")
        .json()
        .await
        .expect("a task id");
    let task_id = submitted["task_id"]
        .as_str()
        .expect("a task id")
        .to_string();
    let finish = format!("{}/_mock/tasks/{task_id}/finish", mock.url);
    let finished = http.post(finish).send().await.expect("finished");
    assert!(
        finished.status().is_success(),
        "finish: {}",
        finished.status()
    );
    let result: Value = http
        .get(format!("{}/v3/async/task-result", mock.url))
        .query(&[("task_id", &task_id)])
        .bearer_auth("bench")
        .send()
        .await
        .expect("a result")
        .json()
        .await
        .expect("a result body");
    let url = result["videos"][0]["video_url"]
        .as_str()
        .expect("a video link")
        .to_string();
    let download = || async {
        let started = Instant::now();
        let bytes = http
            .get(&url)
            .timeout(Duration::from_secs(600))
            .send()
            .await
            .expect("the video")
            .bytes()
            .await
            .expect("its bytes");
        (bytes.len(), started.elapsed().as_secs_f64() * 1000.0)
    };
    let (bytes, first_download_ms) = download().await;
    let (_, cached_download_ms) = download().await;
    UhdVideo {
        width: 3840,
        height: 2160,
        seconds: 15,
        bytes,
        first_download_ms,
        cached_download_ms,
        peak_rss_mib: mock.peak_rss_mib(),
    }
}
