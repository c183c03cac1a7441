//! `novita-proxy` in front of the mock under wrk's load: what checking every exchange costs,
//! the proxy's memory, and that it finds no drift in the mock's answers.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::{
    load::{self, LoadResult, Workload},
    servers::{self, Kind},
};

#[derive(Debug, Serialize)]
pub struct ProxyRun {
    pub loads: Vec<(Workload, LoadResult)>,
    pub peak_rss_mib: f64,
    pub exchanges: u64,
    pub drift: u64,
}

pub async fn run(http: &reqwest::Client, seconds: u64) -> ProxyRun {
    let mock = servers::start(Kind::Mock, &["--speed", "1000"]).expect("the mock starts");
    let report =
        std::env::temp_dir().join(format!("novita-proxy-bench-{}.json", std::process::id()));
    let report_arg = report.to_string_lossy().to_string();
    let proxy = servers::start(
        Kind::Proxy,
        &[
            "--upstream",
            &mock.url,
            "--report",
            &report_arg,
            "--write-every",
            "1",
        ],
    )
    .expect("the proxy starts");
    let task_id = crate::seed_task(http, &proxy.url).await;
    let mut loads = Vec::new();
    for workload in [Workload::Get, Workload::Post] {
        let result = load::run(&proxy.url, workload, &task_id, Duration::from_secs(seconds));
        loads.push((workload, result));
    }
    // The report is written every second; wait for the one that counts the last request.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let peak_rss_mib = proxy.peak_rss_mib();
    let written: Value = std::fs::read(&report)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    ProxyRun {
        loads,
        peak_rss_mib,
        exchanges: written["exchanges"].as_u64().unwrap_or(0),
        drift: written["drift"]
            .as_array()
            .map_or(u64::MAX, |d| d.len() as u64)
            + written["drift_not_listed"].as_u64().unwrap_or(0),
    }
}
