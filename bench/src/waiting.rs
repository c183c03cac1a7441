//! The cost of waiting: polls made and lateness (time from the task's end to the waiter
//! noticing) for jobs of known length, `NovitaClient::wait` against fixed-interval pollers
//! (the official Python SDK polls every 0.5 s, its CLI every 3 s).

// The waiting benchmark keeps the Wan 2.1 jobs its recorded figures were measured on.
#![allow(deprecated)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use novita_mock::Config;
use novita_video::{types::WanT2vRequest, NovitaClient, TaskStatus, WaitOptions};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct WaitResult {
    pub poller: String,
    pub job_seconds: f64,
    pub polls: u32,
    pub late_ms: f64,
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

/// (label, steps, width, height): at speed 1 these run 1 s queued plus 2 s, 6 s and 12 s.
const JOBS: [(u32, i32, i32); 3] = [(10, 832, 480), (30, 832, 480), (30, 1280, 720)];

pub async fn run() -> Vec<WaitResult> {
    let mock = novita_mock::spawn(Config {
        speed: 1.0,
        ..Config::for_tests()
    })
    .await
    .expect("mock");
    let client = NovitaClient::builder()
        .api_key("bench")
        .base_url(mock.url())
        .build()
        .unwrap();
    let mut runs = Vec::new();
    for (steps, width, height) in JOBS {
        for poller in ["novita-video wait", "fixed 0.5 s", "fixed 3 s"] {
            let client = client.clone();
            runs.push(tokio::spawn(async move {
                let request: WanT2vRequest = WanT2vRequest::builder()
                    .prompt("bench")
                    .steps(Some(steps as i32))
                    .width(Some(width))
                    .height(Some(height))
                    .try_into()
                    .unwrap();
                let task_id = client.submit(&request).await.unwrap();
                let (polls, result) = match poller {
                    "novita-video wait" => {
                        let mut polls = 0;
                        let result = client
                            .wait(
                                &task_id,
                                WaitOptions::default().on_progress(|p| polls = p.polls),
                            )
                            .await
                            .unwrap();
                        (polls, result)
                    }
                    fixed => {
                        let every = if fixed == "fixed 0.5 s" { 500 } else { 3000 };
                        let mut polls = 0;
                        loop {
                            let result = client.task_result_once(&task_id).await.unwrap();
                            polls += 1;
                            let status = result.task.as_ref().and_then(|t| t.status.clone());
                            if status == Some(TaskStatus::Succeed) {
                                break (polls, result);
                            }
                            tokio::time::sleep(Duration::from_millis(every)).await;
                        }
                    }
                };
                let noticed = now_ms();
                let debug = result.extra.and_then(|e| e.debug_info).expect("debug info");
                let completed = debug.complete_time_ms.and_then(|t| t.as_i64()).unwrap() as f64;
                let submitted = debug.submit_time_ms.and_then(|t| t.as_i64()).unwrap() as f64;
                WaitResult {
                    poller: poller.to_string(),
                    job_seconds: (completed - submitted) / 1000.0,
                    polls,
                    late_ms: (noticed - completed).max(0.0),
                }
            }));
        }
    }
    let mut results = Vec::new();
    for run in runs {
        results.push(run.await.expect("a waiter"));
    }
    results
}
