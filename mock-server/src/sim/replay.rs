//! Replay of a cassette recorded by `novita-proxy` (`--replay FILE`, `replay:` in a scenario
//! file). A submission to an endpoint with recorded tasks gets a task that follows one of them,
//! in turn: the same statuses, progress and failure reasons at the same offsets from
//! submission (divided by `--speed`, like every simulated time), ending as the recording did,
//! with the mock's own video in place of the recorded link.
//!
//! The cassette is read with `novita-cassette`'s playback types, the format the proxy writes,
//! cut to what the mock uses: `endpoint` and, per task result, `after_ms`, `status` and the
//! body's `task.status`, `task.progress_percent`, `task.reason` and `extra.seed`; the rest is
//! skipped as it is parsed, so that memory follows what is replayed, not the file.

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use novita_cassette::{Playback, PlaybackTask, MAX_CASSETTE_BYTES, VERSION};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    catalogue::Endpoint,
    sim::clock::MockTime,
    sim::phase::{Phase, FAILED, PROCESSING, QUEUED, SUCCEED},
    sim::time_bounds,
};

/// Steps of one replayed task at most: as many results as the proxy records per task.
pub const MAX_STEPS: usize = novita_cassette::MAX_RESULTS_PER_TASK;

/// One recorded task, as the mock plays it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Script {
    /// What the task reported before it ended, in order.
    steps: Vec<Step>,
    /// When it ended, from submission.
    end: Duration,
    failure: Option<(String, u32)>,
    seed: Option<i64>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Step {
    at: Duration,
    queued: bool,
    progress: u32,
}

impl Script {
    /// Where the task stands `elapsed` after submission; it ends at `end_at` on the mock clock.
    pub fn phase(&self, elapsed: Duration, end_at: MockTime) -> Phase {
        if elapsed >= self.end {
            return match &self.failure {
                Some((reason, progress)) => Phase::Failed {
                    reason: reason.clone(),
                    progress: *progress,
                    at: end_at,
                },
                None => Phase::Succeeded { at: end_at },
            };
        }
        let eta = self.end - elapsed;
        let step = self.steps.iter().rev().find(|s| s.at <= elapsed);
        match step.or(self.steps.first()) {
            Some(step) if !step.queued => Phase::Processing {
                progress: step.progress,
                eta,
            },
            _ => Phase::Queued { eta },
        }
    }

    /// When the task ended, from submission.
    /// Steps before the end.
    pub fn steps(&self) -> usize {
        self.steps.len()
    }

    pub fn end(&self) -> Duration {
        self.end
    }

    /// When work started, from submission: the first step past the queue.
    pub fn started(&self) -> Duration {
        self.steps
            .iter()
            .find(|s| !s.queued)
            .map_or(self.end, |s| s.at)
    }

    /// The seed the recorded task reported.
    pub fn seed(&self) -> Option<i64> {
        self.seed
    }
}

struct Recorded {
    scripts: Vec<Arc<Script>>,
    next: AtomicUsize,
}

/// The recorded tasks of a cassette by endpoint; empty when no cassette is replayed.
#[derive(Default)]
pub struct Replays {
    by_endpoint: HashMap<Endpoint, Recorded>,
    skipped: Skipped,
}

/// Recorded tasks left out because the mock cannot play them (an endpoint it does not serve,
/// a status it does not know, a run past `time_bounds::MAX_RUN`), with the first reasons.
#[derive(Default)]
pub struct Skipped {
    pub count: usize,
    /// The first [`MAX_REASONS`] reasons, each naming its line.
    pub reasons: Vec<String>,
}

/// Reasons kept for the log; past it tasks are only counted.
const MAX_REASONS: usize = 20;

impl Skipped {
    fn add(&mut self, reason: String) {
        self.count += 1;
        if self.reasons.len() < MAX_REASONS {
            self.reasons.push(reason);
        }
    }
}

impl Replays {
    /// Reads a cassette; the error names the file, the line and the reason.
    pub fn load(path: &Path) -> Result<Replays, String> {
        let fail = |reason: String| format!("cassette {}: {reason}", path.display());
        let bytes = novita_files::read_regular(path, MAX_CASSETTE_BYTES)
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| fail("there is no such file".into()))?;
        let text = String::from_utf8(bytes).map_err(|e| fail(format!("it is not UTF-8 ({e})")))?;
        Replays::parse(&text).map_err(fail)
    }

    /// Reads a cassette's text.
    pub fn parse(text: &str) -> Result<Replays, String> {
        let file = Playback::from_yaml(text).map_err(|e| e.to_string())?;
        if file.version.value != VERSION {
            return Err(format!(
                "line {}: version {} is not one this mock reads (it reads {VERSION})",
                file.version.referenced.line(),
                file.version.value
            ));
        }
        let mut by_endpoint: HashMap<Endpoint, Vec<Arc<Script>>> = HashMap::new();
        let mut skipped = Skipped::default();
        for task in &file.tasks {
            match endpoint_of(task).and_then(|endpoint| Ok((endpoint, script_of(task)?))) {
                Ok((endpoint, Some(script))) => by_endpoint
                    .entry(endpoint)
                    .or_default()
                    .push(Arc::new(script)),
                Ok((_, None)) => {}
                Err(reason) => skipped.add(reason),
            }
        }
        if by_endpoint.is_empty() {
            let first = skipped.reasons.first();
            return Err(first.map_or_else(
                || "it holds no finished task to replay".into(),
                |reason| format!("it holds no task the mock can replay ({reason})"),
            ));
        }
        Ok(Replays {
            by_endpoint: by_endpoint
                .into_iter()
                .map(|(endpoint, scripts)| {
                    let recorded = Recorded {
                        scripts,
                        next: AtomicUsize::new(0),
                    };
                    (endpoint, recorded)
                })
                .collect(),
            skipped,
        })
    }

    /// The recorded task the next submission to `endpoint` follows (each in turn).
    pub fn next(&self, endpoint: Endpoint) -> Option<Arc<Script>> {
        let recorded = self.by_endpoint.get(&endpoint)?;
        let turn = recorded.next.fetch_add(1, Ordering::Relaxed);
        Some(recorded.scripts[turn % recorded.scripts.len()].clone())
    }

    /// The recorded tasks left out, to be said at start.
    pub fn skipped(&self) -> &Skipped {
        &self.skipped
    }

    /// Recorded tasks per endpoint, for the start banner.
    pub fn counts(&self) -> Vec<(Endpoint, usize)> {
        let mut counts: Vec<_> = self
            .by_endpoint
            .iter()
            .map(|(endpoint, recorded)| (*endpoint, recorded.scripts.len()))
            .collect();
        counts.sort_by_key(|(endpoint, _)| endpoint.path());
        counts
    }
}

fn endpoint_of(task: &PlaybackTask) -> Result<Endpoint, String> {
    let path = task.endpoint.value.as_str();
    Endpoint::ALL
        .into_iter()
        .find(|e| e.path() == path)
        .ok_or_else(|| {
            format!(
                "line {}: endpoint {path:?} is not one the mock serves",
                task.endpoint.referenced.line()
            )
        })
}

/// The script of one recorded task; `None` when the recording stops before the task ended.
fn script_of(task: &PlaybackTask) -> Result<Option<Script>, String> {
    let mut steps = Vec::new();
    let mut seed = None;
    for result in task.results.iter().filter(|r| r.value.status == 200) {
        let line = result.referenced.line();
        let body = &result.value.body;
        let at = Duration::from_millis(result.value.after_ms);
        // Offsets never run backwards, whatever the file says.
        let at = steps.last().map_or(at, |last: &Step| at.max(last.at));
        let progress = body
            .task
            .progress_percent
            .as_u64()
            .map_or(0, |p| p.min(100) as u32);
        seed = seed_of(&body.extra.seed).or(seed);
        match body.task.status.as_str() {
            Some(QUEUED | PROCESSING) if steps.len() >= MAX_STEPS => {
                return Err(format!(
                    "line {line}: the task has more than {MAX_STEPS} results before its end; the mock replays at most {MAX_STEPS}"
                ))
            }
            Some(QUEUED) => steps.push(Step {
                at,
                queued: true,
                progress: 0,
            }),
            Some(PROCESSING) => steps.push(Step {
                at,
                queued: false,
                progress,
            }),
            Some(status @ (SUCCEED | FAILED)) => {
                time_bounds::check_run(&format!("line {line}: the task"), at)?;
                let reason = body.task.reason.as_str().unwrap_or_default();
                let failure = (status == FAILED).then(|| (reason.to_string(), progress));
                return Ok(Some(Script {
                    steps,
                    end: at,
                    failure,
                    seed,
                }));
            }
            other => {
                return Err(format!(
                    "line {line}: task status {} is not one the mock can replay",
                    other.map_or_else(|| "(missing)".to_string(), |s| format!("{s:?}"))
                ))
            }
        }
    }
    tracing::warn!(
        endpoint = task.endpoint.value,
        line = task.endpoint.referenced.line(),
        "a recorded task never ended in the cassette; it is not replayed"
    );
    Ok(None)
}

/// Novita sends the seed as text; a number is read too.
fn seed_of(value: &Value) -> Option<i64> {
    match value {
        Value::String(text) => text.parse().ok(),
        other => other.as_i64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASSETTE: &str = r#"
version: 1
tasks:
- endpoint: /v3/async/wan-t2v
  results:
  - after_ms: 100
    body: {task: {status: TASK_STATUS_QUEUED, progress_percent: 0}}
  - after_ms: 2000
    body: {task: {status: TASK_STATUS_PROCESSING, progress_percent: 40}, extra: {seed: "77"}}
  - after_ms: 5000
    body: {task: {status: TASK_STATUS_FAILED, progress_percent: 40, reason: "NSFW"}}
- endpoint: /v3/async/wan-t2v
  results:
  - after_ms: 10
    body: {task: {status: TASK_STATUS_QUEUED}}
"#;

    #[test]
    fn a_recorded_task_plays_in_order() {
        let replays = Replays::parse(CASSETTE).unwrap();
        assert_eq!(replays.counts(), [(Endpoint::WanT2v, 1)]);
        let script = replays.next(Endpoint::WanT2v).unwrap();
        let end = MockTime::ZERO + Duration::from_secs(5);
        let at = |ms| script.phase(Duration::from_millis(ms), end);
        assert_eq!(
            at(0),
            Phase::Queued {
                eta: Duration::from_secs(5)
            }
        );
        assert_eq!(
            at(2500),
            Phase::Processing {
                progress: 40,
                eta: Duration::from_millis(2500)
            }
        );
        assert_eq!(
            at(5000),
            Phase::Failed {
                reason: "NSFW".into(),
                progress: 40,
                at: end
            }
        );
        assert_eq!(script.started(), Duration::from_secs(2));
        assert_eq!(script.seed(), Some(77));
        assert!(replays.next(Endpoint::Wan27T2v).is_none());
    }

    #[test]
    fn a_cassette_of_thousands_of_tasks_is_read() {
        // What the proxy writes for a busy day: whole task results, five changes a task.
        let mut text = String::from("version: 1\ntasks:\n");
        let tasks = 5000;
        for task in 0..tasks {
            text.push_str("- endpoint: /v3/async/wan2.7-t2v\n  request: {prompt: a fox, duration: 5}\n  results:\n");
            for (step, status) in [
                "QUEUED",
                "PROCESSING",
                "PROCESSING",
                "PROCESSING",
                "SUCCEED",
            ]
            .iter()
            .enumerate()
            {
                text.push_str(&format!(
                    "  - after_ms: {}\n    status: 200\n    body: {{task: {{task_id: t-{task}, status: TASK_STATUS_{status}, progress_percent: {}, eta: 3, reason: ''}}, extra: {{seed: '{task}', debug_info: {{request_info: '', submit_time_ms: '0'}}}}, videos: [{{video_url: /v.mp4, video_type: mp4}}]}}\n",
                    step * 1000,
                    step * 25
                ));
            }
        }
        assert!(text.len() > 3 * 1024 * 1024, "{} bytes", text.len());
        let replays = Replays::parse(&text).expect("a large cassette is read");
        assert_eq!(replays.counts(), vec![(Endpoint::Wan27T2v, tasks)]);
    }

    #[test]
    fn fuzz_cassette() {
        crate::fuzzing::text_parser("cassette", &[CASSETTE.to_string()], |text| {
            if let Ok(replays) = Replays::parse(text) {
                for endpoint in Endpoint::ALL {
                    if let Some(script) = replays.next(endpoint) {
                        for ms in [0, 50, 150, 2500, 6000, u64::MAX] {
                            let end = MockTime::ZERO + script.end();
                            let _ = script.phase(Duration::from_millis(ms), end);
                        }
                        let _ = (script.started(), script.seed());
                    }
                }
            }
        });
    }

    #[test]
    fn a_bad_task_is_skipped_with_its_line_and_the_rest_replayed() {
        let unknown = CASSETTE.replace(
            "/v3/async/wan-t2v\n  results:\n  - after_ms: 100",
            "/v3/async/nope\n  results:\n  - after_ms: 100",
        );
        let good = "- endpoint: /v3/async/wan-t2v\n  results:\n  - after_ms: 7\n    body: {task: {status: TASK_STATUS_SUCCEED}}\n";
        let replays = Replays::parse(&format!("{unknown}{good}")).unwrap();
        assert_eq!(replays.counts(), [(Endpoint::WanT2v, 1)]);
        assert_eq!(replays.skipped().count, 1);
        assert_eq!(
            replays.skipped().reasons,
            [r#"line 4: endpoint "/v3/async/nope" is not one the mock serves"#]
        );
        let status = CASSETTE.replace("TASK_STATUS_PROCESSING", "TASK_STATUS_DREAMING");
        let replays = Replays::parse(&format!("{status}{good}")).unwrap();
        assert_eq!(
            replays.skipped().reasons,
            [r#"line 8: task status "TASK_STATUS_DREAMING" is not one the mock can replay"#]
        );
        assert_eq!(
            replays.next(Endpoint::WanT2v).unwrap().end(),
            Duration::from_millis(7)
        );
        let long = CASSETTE.replace("after_ms: 5000", "after_ms: 40000000000");
        let replays = Replays::parse(&format!("{long}{good}")).unwrap();
        assert_eq!(
            replays.skipped().reasons,
            ["line 10: the task runs 40000000 s, longer than the year a mock task runs at most"]
        );
        // Nothing left to replay: the first reason is said.
        assert_eq!(
            Replays::parse(&status).err().unwrap(),
            r#"it holds no task the mock can replay (line 8: task status "TASK_STATUS_DREAMING" is not one the mock can replay)"#
        );
    }

    #[test]
    fn a_bad_cassette_names_the_line() {
        let broken = Replays::parse("version: 1\ntasks: [\n").err().unwrap();
        assert!(
            broken.contains("line 2") || broken.contains("line 3"),
            "{broken}"
        );
        assert!(Replays::parse("version: 2\n")
            .err()
            .unwrap()
            .contains("version 2"));
        assert!(Replays::parse("version: 1\ntasks: []\n")
            .err()
            .unwrap()
            .contains("no finished task"));
    }
}
