//! Everything one run measured, gathered for the goals and the report.

use std::collections::BTreeMap;

use crate::build_weight::BuildWeight;
use crate::container::ContainerFigures;
use crate::load::LoadResult;
use crate::proxy_load::ProxyRun;
use crate::reliability::{LoadCheck, OutageCheck};
use crate::soak::Soak;
use crate::uhd_video::UhdVideo;
use crate::waiting::WaitResult;

/// The label of the POST row measured with the store full.
pub const AT_BOUND: &str = "POST wan-t2v at the store's bound";

/// Resident memory of the mock idle, then after `accepted` tasks created and finished.
pub struct Memory {
    pub idle_mib: f64,
    pub loaded_mib: f64,
    pub accepted: usize,
    /// Tasks the mock said it kept (at least 1, to divide by).
    pub stored: u64,
    /// Bytes of resident memory each stored task costs, journal included.
    pub per_task: f64,
    /// Bytes each stored task counts against the task budget (`task_bytes`).
    pub accounted: f64,
}

/// The figures of a whole run, with the settings it ran at.
pub struct Figures {
    pub machine: String,
    /// Each wrk row's length (`BENCH_SECONDS`).
    pub seconds: u64,
    /// `BENCH_TASKS`.
    pub memory_tasks: usize,
    /// `BENCH_LOAD_TASKS`.
    pub load_tasks: usize,
    /// Throughput and latency by (server, workload).
    pub loads: BTreeMap<(&'static str, &'static str), LoadResult>,
    /// Median start-up in ms by server.
    pub startup: BTreeMap<&'static str, f64>,
    pub proxied: ProxyRun,
    pub memory: Memory,
    pub soak: Soak,
    pub uhd: UhdVideo,
    pub image: Option<ContainerFigures>,
    pub waits: Vec<WaitResult>,
    pub load_check: LoadCheck,
    pub outage: OutageCheck,
    /// A small program's clean debug build with the client against without.
    pub build: BuildWeight,
}
