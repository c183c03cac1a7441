//! The report: the tables for the terminal and README.md, and `target/bench/results.json`.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::figures::Figures;
use crate::goals::Goal;

/// The tables, for the terminal and for README.md.
pub fn markdown(f: &Figures, goals: &[Goal]) -> String {
    let (machine, seconds, loads, startup, waits) =
        (&f.machine, f.seconds, &f.loads, &f.startup, &f.waits);
    let mut md = String::new();
    let _ = writeln!(md, "Measured on {machine}, wrk with 64 connections for {seconds} s per row, load generator on the same cores.\n");
    let _ = writeln!(md, "| server | workload | requests/s | p50 ms | p99 ms |");
    let _ = writeln!(md, "|---|---|---:|---:|---:|");
    for ((server, workload), r) in loads {
        let _ = writeln!(
            md,
            "| {server} | {workload} | {:.0} | {:.2} | {:.2} |",
            r.requests_per_second, r.p50_ms, r.p99_ms
        );
    }
    let _ = writeln!(md, "\n| start-up (median of 5) | ms |\n|---|---:|");
    for (server, ms) in startup {
        let _ = writeln!(md, "| {server} | {ms:.1} |");
    }
    let _ = writeln!(
        md,
        "\n| waiting | job s | polls | late ms |\n|---|---:|---:|---:|"
    );
    for w in waits {
        let _ = writeln!(
            md,
            "| {} | {:.1} | {} | {:.0} |",
            w.poller, w.job_seconds, w.polls, w.late_ms
        );
    }
    let _ = writeln!(
        md,
        "\n| clean debug build | reqwest + serde + tokio s | with novita-video s | ratio |\n|---|---:|---:|---:|"
    );
    for (i, r) in f.build.rounds.iter().enumerate() {
        let _ = writeln!(
            md,
            "| round {} | {:.1} | {:.1} | {:.2}x |",
            i + 1,
            r.alone_s,
            r.with_client_s,
            r.ratio
        );
    }
    let _ = writeln!(md, "\n| goal | measured | met |\n|---|---|---|");
    for g in goals {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            g.goal,
            g.measured,
            if g.met { "yes" } else { "**no**" }
        );
    }
    md
}

/// Writes `target/bench/results.json` (every figure and goal) and `target/bench/results.md`.
pub fn write(f: Figures, goals: Vec<Goal>, md: String) {
    let memory = &f.memory;
    let (idle_mib, loaded_mib, accepted, stored, per_task, accounted) = (
        memory.idle_mib,
        memory.loaded_mib,
        memory.accepted,
        memory.stored,
        memory.per_task,
        memory.accounted,
    );
    let mut report = serde_json::Map::new();
    report.insert("machine".into(), json!(f.machine));
    report.insert(
        "load".into(),
        json!(f
            .loads
            .iter()
            .map(|((s, w), r)| json!({"server": s, "workload": w, "result": r}))
            .collect::<Vec<_>>()),
    );
    report.insert("startup_ms".into(), json!(f.startup));
    report.insert(
        "memory_mib".into(),
        json!({"idle": idle_mib, "after_tasks": loaded_mib, "tasks": accepted,
               "stored": stored, "bytes_per_stored_task": per_task,
               "task_bytes_counted_per_task": accounted.round()}),
    );
    report.insert("soak".into(), json!(f.soak));
    report.insert("proxy".into(), json!(f.proxied));
    report.insert("waiting".into(), json!(f.waits));
    report.insert("kling_4k_video".into(), json!(f.uhd));
    report.insert("container_image".into(), json!(f.image));
    report.insert("load_with_webhooks".into(), json!(f.load_check));
    report.insert("receiver_outage".into(), json!(f.outage));
    report.insert("downstream_build".into(), json!(f.build));
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
