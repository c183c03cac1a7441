//! The goals the run is measured against, each with what was measured and whether it was met.

use serde::Serialize;

use crate::figures::{Figures, AT_BOUND};
use crate::load::Workload;

#[derive(Serialize)]
pub struct Goal {
    pub goal: String,
    pub measured: String,
    pub met: bool,
}

/// Every goal, in the order of the report.
pub fn all(f: &Figures) -> Vec<Goal> {
    let mut goals = Vec::new();
    throughput(f, &mut goals);
    memory(f, &mut goals);
    goals.push(soak(f));
    waiting(f, &mut goals);
    reliability(f, &mut goals);
    goals.push(build_weight(f));
    goals
}

/// A small program's clean debug build with the client, against reqwest + serde + tokio alone.
fn build_weight(f: &Figures) -> Goal {
    let limit = crate::build_weight::GOAL_RATIO;
    Goal {
        goal: format!(
            "clean debug build of a small program with novita-video: at most {limit}x reqwest + serde + tokio alone (median of {} rounds)",
            f.build.rounds.len()
        ),
        measured: format!("{:.2}x", f.build.ratio),
        met: f.build.ratio <= limit,
    }
}

/// The mock's throughput and latency against the bare handler and Prism.
fn throughput(f: &Figures, goals: &mut Vec<Goal>) {
    let loads = &f.loads;
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
}

/// Start-up and resident memory.
fn memory(f: &Figures, goals: &mut Vec<Goal>) {
    let startup = &f.startup;
    let memory_tasks = f.memory_tasks;
    let (idle_mib, loaded_mib, per_task) =
        (f.memory.idle_mib, f.memory.loaded_mib, f.memory.per_task);
    let accepted = f.memory.accepted;
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
}

/// The soak at default settings.
fn soak(f: &Figures) -> Goal {
    let soak = &f.soak;
    let large_statuses = soak
        .large
        .statuses
        .iter()
        .map(|(status, n)| format!("{n} x {status}"))
        .collect::<Vec<_>>()
        .join(", ");
    Goal {
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
    }
}

/// `NovitaClient::wait` against a fixed 0.5 s poller.
fn waiting(f: &Figures, goals: &mut Vec<Goal>) {
    let waits = &f.waits;
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
}

/// Webhooks under load, a receiver that goes down, and the proxy under load.
fn reliability(f: &Figures, goals: &mut Vec<Goal>) {
    let (load_tasks, load_check, outage, proxied) =
        (f.load_tasks, &f.load_check, &f.outage, &f.proxied);
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
}
