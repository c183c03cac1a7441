//! Throughput and latency with wrk: 64 keep-alive connections, a fixed duration, and a Lua
//! script that sends task-result polls, valid submissions, or both alternately.

use std::{process::Command, time::Duration};

use serde::Serialize;

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    Get,
    Post,
    Mixed,
}

impl Workload {
    pub const ALL: [Workload; 3] = [Workload::Get, Workload::Post, Workload::Mixed];

    pub fn label(self) -> &'static str {
        match self {
            Workload::Get => "GET task-result",
            Workload::Post => "POST wan-t2v",
            Workload::Mixed => "mixed 50/50",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LoadResult {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
    /// Answers outside 2xx/3xx.
    pub bad_statuses: u64,
}

const SCRIPT: &str = r#"
local mode = os.getenv("BENCH_MODE")
local task = os.getenv("BENCH_TASK_ID")
wrk.headers["Authorization"] = "Bearer bench"
wrk.headers["Content-Type"] = "application/json"
local body = '{"prompt":"A red fox trotting through fresh snow","seed":7}'
local poll = "/v3/async/task-result?task_id=" .. task
local n = 0
-- In the mixed workload each poll asks for the task the last submission created, as a client
-- does: the seeded task may be evicted by the mock's bounds while submissions pile up.
request = function()
  n = n + 1
  if mode == "get" or (mode == "mixed" and n % 2 == 0) then
    return wrk.format("GET", poll, nil, nil)
  end
  return wrk.format("POST", "/v3/async/wan-t2v", nil, body)
end
if mode == "mixed" then
  response = function(status, headers, answer)
    local id = answer and answer:match('"task_id":"([%w%-]+)"')
    if id then poll = "/v3/async/task-result?task_id=" .. id end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"socket_errors":%d,"bad_statuses":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"#;

pub fn wrk_available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Runs wrk against `url` and reads the numbers its script prints.
pub fn run(url: &str, workload: Workload, task_id: &str, duration: Duration) -> LoadResult {
    let script = std::env::temp_dir().join(format!("novita-bench-{}.lua", std::process::id()));
    std::fs::write(&script, SCRIPT).expect("write the wrk script");
    let mode = match workload {
        Workload::Get => "get",
        Workload::Post => "post",
        Workload::Mixed => "mixed",
    };
    let output = Command::new("wrk")
        .args([
            "-t",
            "2",
            "-c",
            "64",
            "-d",
            &format!("{}s", duration.as_secs()),
            "--timeout",
            "10s",
            "-s",
        ])
        .arg(&script)
        .arg(url)
        .env("BENCH_MODE", mode)
        .env("BENCH_TASK_ID", task_id)
        .output()
        .expect("wrk runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH "))
        .unwrap_or_else(|| {
            panic!(
                "wrk printed no result:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let raw: serde_json::Value = serde_json::from_str(line).expect("wrk result is JSON");
    let field = |name: &str| raw[name].as_f64().unwrap_or(0.0);
    LoadResult {
        requests_per_second: field("requests") / (field("duration_us") / 1e6),
        p50_ms: field("p50_us") / 1000.0,
        p99_ms: field("p99_us") / 1000.0,
        requests: field("requests") as u64,
        socket_errors: field("socket_errors") as u64,
        bad_statuses: field("bad_statuses") as u64,
    }
}
