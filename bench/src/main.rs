//! The benchmark and reliability runner: `bash bench/run.sh` (which installs wrk and Prism and
//! builds the release binaries first). Prints a table and writes `target/bench/results.json`
//! and `target/bench/results.md`. Nothing here is a pass/fail test of speed: the goals are
//! reported next to the numbers.
//!
//! Environment: `BENCH_SECONDS` (each wrk run, default 10), `BENCH_TASKS` (memory test,
//! default 100000), `BENCH_LOAD_TASKS` (webhook load test, default 10000),
//! `BENCH_SOAK_SECONDS` (the soak at default settings, default 25).

mod container;
mod large;
mod load;
mod proxy_load;
mod reliability;
mod servers;
mod uhd_video;
mod waiting;

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    time::{Duration, Instant},
};

use futures_util::{stream, StreamExt};
use large::LargeLoad;
use load::{LoadResult, Workload};
use serde::Serialize;
use serde_json::{json, Value};
use servers::Kind;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Serialize)]
struct Goal {
    goal: String,
    measured: String,
    met: bool,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

/// Creates one task on `url` (so that GET polls find it) and returns its id.
async fn seed_task(http: &reqwest::Client, url: &str) -> String {
    let answer: Value = http
        .post(format!("{url}/v3/async/wan-t2v"))
        .header("authorization", "Bearer bench")
        .json(&json!({"prompt": "seed"}))
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .unwrap_or_default();
    // Prism answers with the documented placeholder, which is no valid URL part.
    answer["task_id"]
        .as_str()
        .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or("probe")
        .to_string()
}

/// The mock's default task bound (`--max-tasks`).
const STORE_BOUND: usize = 100_000;
/// The label of the POST row measured with the store full.
const AT_BOUND: &str = "POST wan-t2v at the store's bound";

/// Submits `count` small wan-t2v tasks to `url`, 64 at a time; returns how many were accepted.
async fn fill(http: &reqwest::Client, url: &str, count: usize) -> usize {
    let url = format!("{url}/v3/async/wan-t2v");
    stream::iter(0..count)
        .map(|i| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let response = http
                    .post(url)
                    .header("authorization", "Bearer bench")
                    .json(&json!({"prompt": format!("fill {i}"), "seed": i}))
                    .send()
                    .await;
                usize::from(response.is_ok_and(|r| r.status().is_success()))
            }
        })
        .buffer_unordered(64)
        .fold(0, |sum, ok| async move { sum + ok })
        .await
}

async fn health(http: &reqwest::Client, url: &str) -> Value {
    match http.get(format!("{url}/health")).send().await {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(_) => Value::Null,
    }
}

/// The mock at its default settings (real-time clock, default bounds): small submissions at
/// full speed (wrk) for the first half, which fills the store to its bound, then the same with
/// large inline images from several clients at once. Peak resident memory, how many tasks it
/// kept and evicted, and whether `/health` kept answering all along.
#[derive(Debug, Serialize)]
struct Soak {
    seconds: u64,
    /// Small submissions per second, alone (first half) and beside the large ones.
    submissions_per_second: f64,
    submissions_per_second_beside_large: f64,
    large: LargeLoad,
    peak_rss_mib: f64,
    tasks_stored: u64,
    tasks_evicted: u64,
    /// `/health` asked every 250 ms during the soak: the slowest answer and the failures.
    health_probes: u64,
    health_slowest_ms: f64,
    health_failures: u64,
}

async fn soak(duration: Duration, http: &reqwest::Client) -> Soak {
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

/// One line of the throughput table, as the run goes.
fn print_load(server: &str, workload: &str, result: &LoadResult) {
    println!(
        "{:<12} {:<16} {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}/{}",
        server,
        workload,
        result.requests_per_second,
        result.p50_ms,
        result.p99_ms,
        result.socket_errors,
        result.bad_statuses
    );
}

#[tokio::main]
async fn main() {
    // `BENCH_ONLY=kling-4k target/release/bench` runs just the 4K video row;
    // `BENCH_ONLY=container`, just the container image's row.
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("kling-4k") => {
            uhd_video::run(&reqwest::Client::new()).await.print();
            return;
        }
        Ok("container") => {
            if let Some(figures) = container::run(&reqwest::Client::new()).await {
                figures.print();
            }
            return;
        }
        _ => {}
    }
    let seconds = env_number("BENCH_SECONDS", 10);
    let memory_tasks = env_number("BENCH_TASKS", 100_000) as usize;
    let load_tasks = env_number("BENCH_LOAD_TASKS", 10_000) as usize;
    assert!(
        load::wrk_available(),
        "wrk is missing: run bench/run.sh, which installs it"
    );
    let http = reqwest::Client::new();
    let mut report = serde_json::Map::new();
    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l
                .strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string()))
            .unwrap_or_else(|| "unknown CPU".into())
    );
    report.insert("machine".into(), json!(machine));
    println!("machine: {machine}\n");

    // Throughput and latency, one server at a time, each on its own process.
    let mut loads: BTreeMap<(&str, &str), LoadResult> = BTreeMap::new();
    let mut startup: BTreeMap<&str, f64> = BTreeMap::new();
    for kind in [Kind::Bare, Kind::Mock, Kind::Prism] {
        let extra: &[&str] = if kind == Kind::Mock {
            &["--speed", "1000"]
        } else {
            &[]
        };
        let mut starts = Vec::new();
        for _ in 0..5 {
            match servers::start(kind, extra) {
                Some(server) => starts.push(server.startup.as_secs_f64() * 1000.0),
                None => break,
            }
        }
        let Some(server) = servers::start(kind, extra) else {
            println!("{}: not installed, skipped", kind.name());
            continue;
        };
        startup.insert(kind.name(), median(starts));
        let task_id = seed_task(&http, &server.url).await;
        for workload in Workload::ALL {
            let result = load::run(
                &server.url,
                workload,
                &task_id,
                Duration::from_secs(seconds),
            );
            print_load(kind.name(), workload.label(), &result);
            loads.insert((kind.name(), workload.label()), result);
        }
        if kind == Kind::Mock {
            drop(server);
            // The mock at its defaults (speed 1, so nothing finishes during the row), filled to
            // its task bound first, so that every submission evicts the oldest task.
            let mock = servers::start(Kind::Mock, &[]).expect("the mock starts");
            let filled = fill(&http, &mock.url, STORE_BOUND).await;
            let stored = health(&http, &mock.url).await["tasks"].as_u64();
            assert_eq!(
                (filled, stored),
                (STORE_BOUND, Some(STORE_BOUND as u64)),
                "the store is full before the row"
            );
            let result = load::run(
                &mock.url,
                Workload::Post,
                "unused",
                Duration::from_secs(seconds),
            );
            print_load(kind.name(), AT_BOUND, &result);
            loads.insert((kind.name(), AT_BOUND), result);
        }
    }

    // The contract proxy in front of the mock.
    let proxied = proxy_load::run(&http, seconds).await;
    for (workload, result) in &proxied.loads {
        print_load("proxy+mock", workload.label(), result);
        loads.insert(("novita-proxy + mock", workload.label()), result.clone());
    }
    println!(
        "novita-proxy: {} exchanges checked, {} drift findings, peak {:.1} MiB",
        proxied.exchanges, proxied.drift, proxied.peak_rss_mib
    );

    // Memory: idle, then after many tasks created and finished.
    let mock = servers::start(Kind::Mock, &["--speed", "1000"]).expect("the mock starts");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_mib = mock.rss_mib();
    let accepted = fill(&http, &mock.url, memory_tasks).await;
    // At speed 1000 every job ends within 10 ms of its submission.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded_mib = mock.rss_mib();
    let health = health(&http, &mock.url).await;
    drop(mock);
    let stored = health["tasks"].as_u64().unwrap_or(0).max(1);
    let per_task = (loaded_mib - idle_mib) * 1_048_576.0 / stored as f64;
    let accounted = health["task_bytes"].as_f64().unwrap_or(0.0) / stored as f64;
    println!(
        "\nmemory: idle {idle_mib:.1} MiB, after {accepted} tasks {loaded_mib:.1} MiB \
         ({stored} stored: {per_task:.0} bytes of resident memory each, journal included; \
         {accounted:.0} counted against the task budget)"
    );

    let soak = soak(
        Duration::from_secs(env_number("BENCH_SOAK_SECONDS", 25)),
        &http,
    )
    .await;
    println!("soak: {soak:?}");

    let uhd = uhd_video::run(&http).await;
    uhd.print();

    let image = container::run(&http).await;
    if let Some(figures) = &image {
        figures.print();
    }

    let waits = waiting::run().await;
    println!();
    for w in &waits {
        println!(
            "wait {:<18} job {:>5.1} s  polls {:>3}  late {:>6.0} ms",
            w.poller, w.job_seconds, w.polls, w.late_ms
        );
    }

    let load_check = reliability::load_with_webhooks(load_tasks).await;
    println!("\nload with webhooks: {load_check:?}");
    let outage = reliability::receiver_outage(100).await;
    println!("receiver outage: {outage:?}");

    // Goals.
    let mut goals = Vec::new();
    let rps = |server: &str, workload: Workload| {
        loads
            .get(&(server, workload.label()))
            .map(|r| r.requests_per_second)
    };
    let p99 =
        |server: &str, workload: Workload| loads.get(&(server, workload.label())).map(|r| r.p99_ms);
    if let (Some(ours), Some(bare)) = (
        loads.get(&("novita-mock", AT_BOUND)),
        rps("bare axum", Workload::Post),
    ) {
        goals.push(Goal {
            goal: format!("{AT_BOUND}: at least 65% of the bare handler's POST"),
            measured: format!("{:.0}%", 100.0 * ours.requests_per_second / bare),
            met: ours.requests_per_second >= 0.65 * bare,
        });
    }
    for workload in [Workload::Get, Workload::Post] {
        if let (Some(ours), Some(prism)) = (rps("novita-mock", workload), rps("prism", workload)) {
            goals.push(Goal {
                goal: format!("{}: at least 20x Prism's throughput", workload.label()),
                measured: format!("{:.1}x", ours / prism),
                met: ours >= 20.0 * prism,
            });
        }
        if let (Some(ours), Some(bare)) = (rps("novita-mock", workload), rps("bare axum", workload))
        {
            goals.push(Goal {
                goal: format!("{}: at least 65% of the bare handler", workload.label()),
                measured: format!("{:.0}%", 100.0 * ours / bare),
                met: ours >= 0.65 * bare,
            });
        }
        if let (Some(ours), Some(bare)) = (p99("novita-mock", workload), p99("bare axum", workload))
        {
            goals.push(Goal {
                goal: format!("{}: p99 at most 2x the bare handler's", workload.label()),
                measured: format!("{ours:.2} ms vs {bare:.2} ms"),
                met: ours <= 2.0 * bare,
            });
        }
    }
    if let Some(ms) = startup.get("novita-mock") {
        goals.push(Goal {
            goal: "start-up under 100 ms".into(),
            measured: format!("{ms:.1} ms"),
            met: *ms < 100.0,
        });
    }
    goals.push(Goal {
        goal: "idle memory under 25 MB".into(),
        measured: format!("{idle_mib:.1} MiB"),
        met: idle_mib * 1.048_576 < 25.0,
    });
    goals.push(Goal {
        goal: format!("under 200 MB after {memory_tasks} tasks"),
        measured: format!("{loaded_mib:.1} MiB ({per_task:.0} bytes per stored task)"),
        met: loaded_mib * 1.048_576 < 200.0 && accepted == memory_tasks,
    });
    let large_statuses = soak
        .large
        .statuses
        .iter()
        .map(|(status, n)| format!("{n} x {status}"))
        .collect::<Vec<_>>()
        .join(", ");
    goals.push(Goal {
        goal: format!(
            "soak, {} s at default settings of small submissions at full speed, {} clients \
             sending {:.0} MB wan2.7-i2v bodies in the second half: peak under 256 MiB, \
             /health answering",
            soak.seconds,
            soak.large.clients,
            soak.large.body_bytes as f64 / 1e6
        ),
        measured: format!(
            "{:.1} MiB peak; {:.0} small submissions/s alone, {:.0} beside the large; \
             {:.1} large submissions/s ({}); {} tasks stored, {} evicted; \
             /health slowest {:.0} ms, {} of {} failed",
            soak.peak_rss_mib,
            soak.submissions_per_second,
            soak.submissions_per_second_beside_large,
            soak.large.submissions_per_second,
            large_statuses,
            soak.tasks_stored,
            soak.tasks_evicted,
            soak.health_slowest_ms,
            soak.health_failures,
            soak.health_probes
        ),
        met: soak.peak_rss_mib < 256.0
            && soak.tasks_stored > 0
            && soak.health_failures == 0
            && soak.large.submissions > 0,
    });
    for job in waits.iter().filter(|w| w.poller == "novita-video wait") {
        let budget = (job.job_seconds * 100.0).max(250.0);
        let fixed = waits
            .iter()
            .find(|w| w.poller == "fixed 0.5 s" && (w.job_seconds - job.job_seconds).abs() < 0.5)
            .map_or(0, |w| w.polls);
        goals.push(Goal {
            goal: format!(
                "wait on a {:.0} s job: late by at most {budget:.0} ms",
                job.job_seconds
            ),
            measured: format!("{:.0} ms", job.late_ms),
            met: job.late_ms <= budget,
        });
        goals.push(Goal {
            goal: format!(
                "wait on a {:.0} s job: 3x fewer polls than a 0.5 s poller",
                job.job_seconds
            ),
            measured: format!("{} vs {fixed}", job.polls),
            met: job.polls * 3 <= fixed,
        });
    }
    goals.push(Goal {
        goal: format!("{load_tasks} tasks with webhooks: nothing lost, no 5xx"),
        measured: if load_check.passed {
            "all delivered"
        } else {
            "see results.json"
        }
        .to_string(),
        met: load_check.passed,
    });
    goals.push(Goal {
        goal: "receiver down then back: delivered; never back: gave_up logged".into(),
        measured: format!(
            "{}/{} delivered, {}/{} gave up",
            outage.delivered_after_recovery,
            outage.tasks / 2,
            outage.gave_up_when_never_back,
            outage.tasks / 2
        ),
        met: outage.passed,
    });

    goals.push(Goal {
        goal: "novita-proxy in front of the mock under load: no drift, every exchange counted"
            .into(),
        measured: format!(
            "{} drift findings in {} exchanges; peak {:.1} MiB",
            proxied.drift, proxied.exchanges, proxied.peak_rss_mib
        ),
        met: proxied.drift == 0
            && proxied.exchanges > 0
            && proxied.exchanges >= proxied.loads.iter().map(|(_, r)| r.requests).sum::<u64>(),
    });

    // The table, for the terminal and for README.md.
    let mut md = String::new();
    let _ = writeln!(md, "Measured on {machine}, wrk with 64 connections for {seconds} s per row, load generator on the same cores.\n");
    let _ = writeln!(md, "| server | workload | requests/s | p50 ms | p99 ms |");
    let _ = writeln!(md, "|---|---|---:|---:|---:|");
    for ((server, workload), r) in &loads {
        let _ = writeln!(
            md,
            "| {server} | {workload} | {:.0} | {:.2} | {:.2} |",
            r.requests_per_second, r.p50_ms, r.p99_ms
        );
    }
    let _ = writeln!(md, "\n| start-up (median of 5) | ms |\n|---|---:|");
    for (server, ms) in &startup {
        let _ = writeln!(md, "| {server} | {ms:.1} |");
    }
    let _ = writeln!(
        md,
        "\n| waiting | job s | polls | late ms |\n|---|---:|---:|---:|"
    );
    for w in &waits {
        let _ = writeln!(
            md,
            "| {} | {:.1} | {} | {:.0} |",
            w.poller, w.job_seconds, w.polls, w.late_ms
        );
    }
    let _ = writeln!(md, "\n| goal | measured | met |\n|---|---|---|");
    for g in &goals {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            g.goal,
            g.measured,
            if g.met { "yes" } else { "**no**" }
        );
    }
    println!("\n{md}");

    report.insert(
        "load".into(),
        json!(loads
            .iter()
            .map(|((s, w), r)| json!({"server": s, "workload": w, "result": r}))
            .collect::<Vec<_>>()),
    );
    report.insert("startup_ms".into(), json!(startup));
    report.insert(
        "memory_mib".into(),
        json!({"idle": idle_mib, "after_tasks": loaded_mib, "tasks": accepted,
               "stored": stored, "bytes_per_stored_task": per_task,
               "task_bytes_counted_per_task": accounted.round()}),
    );
    report.insert("soak".into(), json!(soak));
    report.insert("proxy".into(), json!(proxied));
    report.insert("waiting".into(), json!(waits));
    report.insert("kling_4k_video".into(), json!(uhd));
    report.insert("container_image".into(), json!(image));
    report.insert("load_with_webhooks".into(), json!(load_check));
    report.insert("receiver_outage".into(), json!(outage));
    report.insert("goals".into(), json!(goals));
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(&Value::Object(report)).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("results.md"), md).unwrap();
    println!("written: target/bench/results.json, target/bench/results.md");
}
