//! The soak: the mock at its default settings under small and large submissions at once.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::large::{self, LargeLoad};
use crate::load::{self, Workload};
use crate::requests::health;
use crate::servers::{self, Kind};

/// The mock at its default settings (real-time clock, default bounds): small submissions at
/// full speed (wrk) for the first half, which fills the store to its bound, then the same with
/// large inline images from several clients at once. Peak resident memory, how many tasks it
/// kept and evicted, and whether `/health` kept answering all along.
#[derive(Debug, Serialize)]
pub struct Soak {
    pub seconds: u64,
    /// Small submissions per second, alone (first half) and beside the large ones.
    pub submissions_per_second: f64,
    pub submissions_per_second_beside_large: f64,
    pub large: LargeLoad,
    pub peak_rss_mib: f64,
    pub tasks_stored: u64,
    pub tasks_evicted: u64,
    /// `/health` asked every 250 ms during the soak: the slowest answer and the failures.
    pub health_probes: u64,
    pub health_slowest_ms: f64,
    pub health_failures: u64,
}

pub async fn soak(duration: Duration, http: &reqwest::Client) -> Soak {
    let mock = servers::start(Kind::Mock, &[]).expect("the mock starts");
    let half = (duration / 2).max(Duration::from_secs(1));
    let url = mock.url.clone();
    let small = tokio::task::spawn_blocking(move || {
        let alone = load::run(&url, Workload::Post, "unused", half);
        let beside = load::run(&url, Workload::Post, "unused", half);
        (alone, beside)
    });
    let large = tokio::spawn({
        let url = mock.url.clone();
        async move {
            tokio::time::sleep(half).await;
            large::run(&url, half).await
        }
    });
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let (mut probes, mut slowest, mut failures) = (0, Duration::ZERO, 0);
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let asked = Instant::now();
        let answered = probe
            .get(format!("{}/health", mock.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        probes += 1;
        slowest = slowest.max(asked.elapsed());
        failures += u64::from(!answered);
    }
    let (small, beside) = small.await.expect("wrk ran");
    let large = large.await.expect("the large clients ran");
    let health = health(http, &mock.url).await;
    Soak {
        seconds: duration.as_secs(),
        submissions_per_second: small.requests_per_second,
        submissions_per_second_beside_large: beside.requests_per_second,
        large,
        peak_rss_mib: mock.peak_rss_mib(),
        tasks_stored: health["tasks"].as_u64().unwrap_or(0),
        tasks_evicted: health["evicted"].as_u64().unwrap_or(0),
        health_probes: probes,
        health_slowest_ms: slowest.as_secs_f64() * 1000.0,
        health_failures: failures,
    }
}
