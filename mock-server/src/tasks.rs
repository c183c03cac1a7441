//! Tasks and their simulated lifecycle. A task's state is computed from the clock when asked,
//! so nothing ticks in the background: QUEUED, then PROCESSING with `progress_percent`
//! rising and `eta` falling, then SUCCEED (or FAILED). The control API can move a task's clock
//! forward or end it at once.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde::Serialize;
use tokio::sync::Notify;

use crate::jobs::Job;

pub const QUEUED: &str = "TASK_STATUS_QUEUED";
pub const PROCESSING: &str = "TASK_STATUS_PROCESSING";
pub const SUCCEED: &str = "TASK_STATUS_SUCCEED";
pub const FAILED: &str = "TASK_STATUS_FAILED";

pub fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Where a task stands at one instant.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Queued {
        eta: Duration,
    },
    Processing {
        progress: u32,
        eta: Duration,
    },
    Succeeded {
        at: Instant,
    },
    Failed {
        reason: String,
        progress: u32,
        at: Instant,
    },
}

impl Phase {
    pub fn status(&self) -> &'static str {
        match self {
            Phase::Queued { .. } => QUEUED,
            Phase::Processing { .. } => PROCESSING,
            Phase::Succeeded { .. } => SUCCEED,
            Phase::Failed { .. } => FAILED,
        }
    }

    pub fn ended_at(&self) -> Option<Instant> {
        match self {
            Phase::Succeeded { at } | Phase::Failed { at, .. } => Some(*at),
            _ => None,
        }
    }
}

/// One webhook delivery attempt.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub attempt: u32,
    pub at_unix_ms: u64,
    pub duration_ms: u64,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed without an answer (timeout, connection refused, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub delivered: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The request has no webhook.
    None,
    /// Waiting for the task to end, or between attempts.
    Pending,
    Delivered,
    /// Every attempt failed; the budget (one try plus the retries) is spent.
    GaveUp,
    /// The mock was reset before delivery.
    Cancelled,
}

#[derive(Clone, Debug)]
enum Forced {
    Succeeded,
    Failed(String),
}

struct State {
    /// Simulated time added by the control API's `advance`.
    offset: Duration,
    forced: Option<(Forced, Instant, u32)>,
    attempts: Vec<Attempt>,
    delivery: Delivery,
    cancelled: bool,
}

pub struct Task {
    pub id: String,
    pub job: Job,
    /// The seed used: the requested one, or the random one picked for -1.
    pub seed: i64,
    /// The request body as received.
    pub request_text: String,
    /// The key that created the task: only it can read the result, as at Novita.
    pub api_key: String,
    pub submitted_at: Instant,
    pub submitted_unix_ms: u64,
    /// Real (speed-scaled) time spent queued, then working.
    pub queue: Duration,
    pub run: Duration,
    /// A failure planned by a forced outcome; it strikes halfway through the run.
    pub planned_failure: Option<String>,
    state: Mutex<State>,
    /// Woken when the control API changes the task, or on reset.
    pub changed: Notify,
}

pub struct NewTask {
    pub job: Job,
    pub seed: i64,
    pub request_text: String,
    pub api_key: String,
    pub queue: Duration,
    pub run: Duration,
    pub planned_failure: Option<String>,
    /// Test mode: the task is born in this terminal status.
    pub born_terminal: Option<String>,
}

impl Task {
    pub fn new(new: NewTask) -> Self {
        let now = Instant::now();
        let forced = new.born_terminal.map(|status| {
            let forced = if status == FAILED {
                Forced::Failed("test mode: simulated failure".to_string())
            } else {
                Forced::Succeeded
            };
            (forced, now, if status == FAILED { 0 } else { 100 })
        });
        let delivery = if new.job.webhook.is_some() {
            Delivery::Pending
        } else {
            Delivery::None
        };
        Task {
            id: uuid::Uuid::new_v4().to_string(),
            job: new.job,
            seed: new.seed,
            request_text: new.request_text,
            api_key: new.api_key,
            submitted_at: now,
            submitted_unix_ms: unix_ms_now(),
            queue: new.queue,
            run: new.run,
            planned_failure: new.planned_failure,
            state: Mutex::new(State {
                offset: Duration::ZERO,
                forced,
                attempts: Vec::new(),
                delivery,
                cancelled: false,
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the data is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// When the natural run ends, as an offset from submission (halfway for a planned failure).
    fn natural_end(&self) -> Duration {
        if self.planned_failure.is_some() {
            self.queue + self.run / 2
        } else {
            self.queue + self.run
        }
    }

    pub fn phase(&self, now: Instant) -> Phase {
        let state = self.state();
        self.phase_locked(&state, now)
    }

    fn phase_locked(&self, state: &State, now: Instant) -> Phase {
        if let Some((forced, at, progress)) = &state.forced {
            return match forced {
                Forced::Succeeded => Phase::Succeeded { at: *at },
                Forced::Failed(reason) => Phase::Failed {
                    reason: reason.clone(),
                    progress: *progress,
                    at: *at,
                },
            };
        }
        let elapsed = now.saturating_duration_since(self.submitted_at) + state.offset;
        let end = self.natural_end();
        if elapsed >= end {
            let at = (self.submitted_at + end)
                .checked_sub(state.offset)
                .unwrap_or(self.submitted_at);
            return match &self.planned_failure {
                Some(reason) => Phase::Failed {
                    reason: reason.clone(),
                    progress: 50,
                    at,
                },
                None => Phase::Succeeded { at },
            };
        }
        let eta = self.queue + self.run - elapsed;
        if elapsed < self.queue {
            return Phase::Queued { eta };
        }
        let worked = (elapsed - self.queue).as_secs_f64() / self.run.as_secs_f64().max(1e-9);
        Phase::Processing {
            progress: ((worked * 100.0).floor() as u32).min(99),
            eta,
        }
    }

    /// When the task will end if nothing intervenes; `None` once it has ended.
    pub fn ends_at(&self, now: Instant) -> Option<Instant> {
        let state = self.state();
        if self.phase_locked(&state, now).ended_at().is_some() {
            return None;
        }
        Some(
            (self.submitted_at + self.natural_end())
                .checked_sub(state.offset)
                .unwrap_or(now),
        )
    }

    /// Moves the task's clock forward by `by` (real seconds).
    pub fn advance(&self, by: Duration) {
        self.state().offset += by;
        self.changed.notify_one();
    }

    /// Ends the task now, unless it already ended. Returns false when it had.
    pub fn force(&self, failure: Option<String>) -> bool {
        let now = Instant::now();
        let mut state = self.state();
        let phase = self.phase_locked(&state, now);
        if phase.ended_at().is_some() {
            return false;
        }
        let progress = match phase {
            Phase::Processing { progress, .. } => progress,
            _ => 0,
        };
        state.forced = Some(match failure {
            Some(reason) => (Forced::Failed(reason), now, progress),
            None => (Forced::Succeeded, now, 100),
        });
        drop(state);
        self.changed.notify_one();
        true
    }

    pub fn record_attempt(&self, attempt: Attempt) {
        self.state().attempts.push(attempt);
    }

    pub fn set_delivery(&self, delivery: Delivery) {
        self.state().delivery = delivery;
    }

    pub fn delivery(&self) -> (Delivery, Vec<Attempt>) {
        let state = self.state();
        (state.delivery, state.attempts.clone())
    }

    pub fn cancel(&self) {
        let mut state = self.state();
        state.cancelled = true;
        if state.delivery == Delivery::Pending {
            state.delivery = Delivery::Cancelled;
        }
        drop(state);
        self.changed.notify_one();
    }

    pub fn is_cancelled(&self) -> bool {
        self.state().cancelled
    }

    /// Unix milliseconds of an instant of this task's life.
    pub fn unix_ms_at(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.submitted_at).as_millis() as u64;
        self.submitted_unix_ms + since
    }

    /// When work started (after the queue), if it has.
    pub fn started_at(&self, now: Instant) -> Option<Instant> {
        let offset = self.state().offset;
        let start = (self.submitted_at + self.queue)
            .checked_sub(offset)
            .unwrap_or(self.submitted_at);
        (start <= now).then_some(start)
    }
}

/// Every task, by id, in shards: a submission locks one shard only, and growing one shard's
/// table never stalls readers of the others.
pub struct TaskStore {
    shards: Vec<RwLock<HashMap<String, Arc<Task>>>>,
}

const SHARDS: usize = 64;

impl Default for TaskStore {
    fn default() -> Self {
        TaskStore {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
        }
    }
}

impl TaskStore {
    fn shard(&self, id: &str) -> &RwLock<HashMap<String, Arc<Task>>> {
        // FNV-1a: cheap, and ids are random already.
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        &self.shards[(hash as usize) % SHARDS]
    }

    pub fn insert(&self, task: Arc<Task>) {
        let shard = self.shard(&task.id);
        shard
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(task.id.clone(), task);
    }

    pub fn get(&self, id: &str) -> Option<Arc<Task>> {
        self.shard(id)
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// All tasks, oldest first.
    pub fn list(&self) -> Vec<Arc<Task>> {
        let mut tasks: Vec<Arc<Task>> = self
            .shards
            .iter()
            .flat_map(|shard| {
                shard
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        tasks.sort_by_key(|t| t.submitted_at);
        tasks
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// Removes every task, cancelling their pending webhooks.
    pub fn clear(&self) {
        for shard in &self.shards {
            let removed: Vec<_> = shard
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .drain()
                .map(|(_, t)| t)
                .collect();
            for task in removed {
                task.cancel();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{Endpoint, Framing};

    fn task(planned_failure: Option<&str>) -> Task {
        Task::new(NewTask {
            job: Job {
                endpoint: Endpoint::WanT2v,
                seed: Some(1),
                framing: Framing::Fixed {
                    width: 832,
                    height: 480,
                },
                fps: 16,
                frames: 81,
                work: Duration::from_secs(6),
                webhook: None,
            },
            seed: 1,
            request_text: "{}".into(),
            api_key: "k".into(),
            queue: Duration::from_secs(1),
            run: Duration::from_secs(4),
            planned_failure: planned_failure.map(str::to_string),
            born_terminal: None,
        })
    }

    #[test]
    fn lifecycle_follows_the_clock() {
        let task = task(None);
        let t0 = task.submitted_at;
        assert_eq!(
            task.phase(t0),
            Phase::Queued {
                eta: Duration::from_secs(5)
            }
        );
        assert_eq!(
            task.phase(t0 + Duration::from_secs(2)),
            Phase::Processing {
                progress: 25,
                eta: Duration::from_secs(3)
            }
        );
        assert_eq!(
            task.phase(t0 + Duration::from_secs(5)),
            Phase::Succeeded {
                at: t0 + Duration::from_secs(5)
            }
        );
    }

    #[test]
    fn progress_rises_and_eta_falls_monotonically() {
        let task = task(None);
        let mut last = (0, Duration::MAX);
        for ms in (0..5000).step_by(37) {
            if let Phase::Processing { progress, eta } =
                task.phase(task.submitted_at + Duration::from_millis(ms))
            {
                assert!(progress >= last.0 && eta <= last.1);
                last = (progress, eta);
            }
        }
    }

    #[test]
    fn planned_failure_strikes_halfway() {
        let task = task(Some("TASK_FAILED"));
        let phase = task.phase(task.submitted_at + Duration::from_secs(3));
        assert!(matches!(phase, Phase::Failed { ref reason, .. } if reason == "TASK_FAILED"));
    }

    #[test]
    fn advance_and_force() {
        let task = task(None);
        task.advance(Duration::from_secs(3));
        assert!(matches!(
            task.phase(task.submitted_at),
            Phase::Processing { progress: 50, .. }
        ));
        assert!(task.force(Some("NOPE".into())));
        assert!(!task.force(None), "an ended task stays ended");
        assert!(matches!(
            task.phase(Instant::now()),
            Phase::Failed { progress: 50, .. }
        ));
    }
}
