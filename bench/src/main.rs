//! The benchmark and reliability runner: `bash bench/run.sh` (which installs wrk and Prism and
//! builds the release binaries first). Prints a table and writes `target/bench/results.json`
//! and `target/bench/results.md`. Nothing here is a pass/fail test of speed: the goals are
//! reported next to the numbers.
//!
//! Environment: `BENCH_SECONDS` (each wrk run, default 10), `BENCH_TASKS` (memory test,
//! default 100000), `BENCH_LOAD_TASKS` (webhook load test, default 10000),
//! `BENCH_SOAK_SECONDS` (the soak at default settings, default 25), `BENCH_BUILD_ROUNDS` (clean
//! builds of the downstream programs, default 2).

mod build_weight;
mod container;
mod figures;
mod goals;
mod large;
mod load;
mod proxy_load;
mod reliability;
mod report;
mod requests;
mod servers;
mod soak;
mod uhd_video;
mod waiting;

use std::{collections::BTreeMap, time::Duration};

use figures::{Figures, Memory, AT_BOUND};
use load::{LoadResult, Workload};
use proxy_load::ProxyRun;
use requests::{fill, health, seed_task};
use servers::Kind;
use waiting::WaitResult;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

/// The mock's default task bound (`--max-tasks`).
const STORE_BOUND: usize = 100_000;

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

/// Throughput and latency by (server, workload).
type Loads = BTreeMap<(&'static str, &'static str), LoadResult>;

#[tokio::main]
async fn main() {
    if run_only().await {
        return;
    }
    let seconds = env_number("BENCH_SECONDS", 10);
    let memory_tasks = env_number("BENCH_TASKS", 100_000) as usize;
    let load_tasks = env_number("BENCH_LOAD_TASKS", 10_000) as usize;
    assert!(
        load::wrk_available(),
        "wrk is missing: run bench/run.sh, which installs it"
    );
    let http = reqwest::Client::new();
    let machine = machine();
    println!("machine: {machine}\n");

    let (mut loads, startup) = throughput(&http, seconds).await;
    let proxied = proxied(&http, seconds, &mut loads).await;
    let memory = memory(&http, memory_tasks).await;

    let soak = soak::soak(
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
    print_waits(&waits);

    let build = build_weight::run();
    build.print();

    let load_check = reliability::load_with_webhooks(load_tasks).await;
    println!("\nload with webhooks: {load_check:?}");
    let outage = reliability::receiver_outage(100).await;
    println!("receiver outage: {outage:?}");

    let figures = Figures {
        machine,
        seconds,
        memory_tasks,
        load_tasks,
        loads,
        startup,
        proxied,
        memory,
        soak,
        uhd,
        image,
        waits,
        load_check,
        outage,
        build,
    };
    let goals = goals::all(&figures);
    let md = report::markdown(&figures, &goals);
    println!("\n{md}");
    report::write(figures, goals, md);
}

/// `BENCH_ONLY=kling-4k target/release/bench` runs just the 4K video row;
/// `BENCH_ONLY=container`, just the container image's row; `BENCH_ONLY=build-weight`, just the
/// downstream build's row; `BENCH_ONLY=throughput`, just the wrk rows of the bare handler, the
/// mock and Prism, and their start-up; `BENCH_ONLY=memory` and `BENCH_ONLY=soak`, those rows.
/// Whether it ran one of them.
async fn run_only() -> bool {
    match std::env::var("BENCH_ONLY").as_deref() {
        Ok("throughput") => {
            assert!(
                load::wrk_available(),
                "wrk is missing: bench/run.sh installs it"
            );
            let seconds = env_number("BENCH_SECONDS", 10);
            let (_, startup) = throughput(&reqwest::Client::new(), seconds).await;
            for (server, ms) in startup {
                println!("start-up {server}: {ms:.1} ms (median of 5)");
            }
            true
        }
        Ok("memory") => {
            let tasks = env_number("BENCH_TASKS", 100_000) as usize;
            memory(&reqwest::Client::new(), tasks).await;
            true
        }
        Ok("soak") => {
            let seconds = Duration::from_secs(env_number("BENCH_SOAK_SECONDS", 25));
            let soak = soak::soak(seconds, &reqwest::Client::new()).await;
            println!("soak: {soak:?}");
            true
        }
        Ok("kling-4k") => {
            uhd_video::run(&reqwest::Client::new()).await.print();
            true
        }
        Ok("build-weight") => {
            build_weight::run().print();
            true
        }
        Ok("container") => {
            if let Some(figures) = container::run(&reqwest::Client::new()).await {
                figures.print();
            }
            true
        }
        _ => false,
    }
}

/// The machine's cores and CPU model.
fn machine() -> String {
    format!(
        "{} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l
                .strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string()))
            .unwrap_or_else(|| "unknown CPU".into())
    )
}

/// Throughput and latency, one server at a time, each on its own process; and each server's
/// start-up, the median of 5.
async fn throughput(http: &reqwest::Client, seconds: u64) -> (Loads, BTreeMap<&'static str, f64>) {
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
        for workload in Workload::ALL {
            // Seeded for each row: the submissions of the row before may have evicted the
            // last one, and the mixed row's first polls (sent before any submission answers)
            // would be 404s.
            let task_id = seed_task(http, &server.url).await;
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
            let result = at_bound(http, seconds).await;
            print_load(kind.name(), AT_BOUND, &result);
            loads.insert((kind.name(), AT_BOUND), result);
        }
    }
    (loads, startup)
}

/// The POST row of the mock at its defaults (speed 1, so nothing finishes during the row),
/// filled to its task bound first, so that every submission evicts the oldest task.
async fn at_bound(http: &reqwest::Client, seconds: u64) -> LoadResult {
    let mock = servers::start(Kind::Mock, &[]).expect("the mock starts");
    let filled = fill(http, &mock.url, STORE_BOUND).await;
    let stored = health(http, &mock.url).await["tasks"].as_u64();
    assert_eq!(
        (filled, stored),
        (STORE_BOUND, Some(STORE_BOUND as u64)),
        "the store is full before the row"
    );
    load::run(
        &mock.url,
        Workload::Post,
        "unused",
        Duration::from_secs(seconds),
    )
}

/// The contract proxy in front of the mock; its rows join `loads`.
async fn proxied(http: &reqwest::Client, seconds: u64, loads: &mut Loads) -> ProxyRun {
    let proxied = proxy_load::run(http, seconds).await;
    for (workload, result) in &proxied.loads {
        print_load("proxy+mock", workload.label(), result);
        loads.insert(("novita-proxy + mock", workload.label()), result.clone());
    }
    println!(
        "novita-proxy: {} exchanges checked, {} drift findings, peak {:.1} MiB",
        proxied.exchanges, proxied.drift, proxied.peak_rss_mib
    );
    proxied
}

/// Memory: idle, then after many tasks created and finished.
async fn memory(http: &reqwest::Client, memory_tasks: usize) -> Memory {
    let mock = servers::start(Kind::Mock, &["--speed", "1000"]).expect("the mock starts");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_mib = mock.rss_mib();
    let accepted = fill(http, &mock.url, memory_tasks).await;
    // At speed 1000 every job ends within 10 ms of its submission.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded_mib = mock.rss_mib();
    let health = health(http, &mock.url).await;
    drop(mock);
    let stored = health["tasks"].as_u64().unwrap_or(0).max(1);
    let per_task = (loaded_mib - idle_mib) * 1_048_576.0 / stored as f64;
    let accounted = health["task_bytes"].as_f64().unwrap_or(0.0) / stored as f64;
    println!(
        "\nmemory: idle {idle_mib:.1} MiB, after {accepted} tasks {loaded_mib:.1} MiB \
         ({stored} stored: {per_task:.0} bytes of resident memory each, journal included; \
         {accounted:.0} counted against the task budget)"
    );
    Memory {
        idle_mib,
        loaded_mib,
        accepted,
        stored,
        per_task,
        accounted,
    }
}

/// The waiting rows, as the run goes.
fn print_waits(waits: &[WaitResult]) {
    println!();
    for w in waits {
        println!(
            "wait {:<18} job {:>5.1} s  polls {:>3}  late {:>6.0} ms",
            w.poller, w.job_seconds, w.polls, w.late_ms
        );
    }
}
