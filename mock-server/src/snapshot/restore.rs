//! Putting a state file read at start into the new mock, within the new mock's bounds. What
//! does not fit is counted where the mock already counts such losses (tasks as evicted, webhook
//! attempts as dropped, both in `/health`) and said in the log.

use std::{collections::HashSet, sync::Arc};

use crate::{
    otel::spans,
    sim::{
        scheduler::MAX_PENDING_WEBHOOKS,
        tasks::{Delivery, Task},
    },
    snapshot::format::File,
    state::AppState,
};

/// A state file read at start, to restore once the mock's state exists.
pub struct Saved {
    pub(super) file: File,
}

/// What a restore came to, for the log.
#[derive(Debug, Default, PartialEq)]
pub struct Restored {
    pub tasks: usize,
    pub webhooks: usize,
    /// Tasks past `--max-tasks` (or the byte budget), counted as evicted.
    pub evicted: u64,
    /// Tasks whose id an earlier (newer) task of the file already had.
    pub repeated: usize,
    /// Waiting webhook attempts past the schedule's bound, or of tasks not restored, counted
    /// as dropped.
    pub webhooks_dropped: u64,
}

impl Saved {
    /// Puts the saved state into a new mock's `state`: the clock first, then the tasks (the
    /// newest the store's bounds allow), the waiting webhook attempts (at most
    /// [`MAX_PENDING_WEBHOOKS`]), the counters (which saturate).
    pub fn restore(self, state: &AppState) -> Restored {
        let File {
            clock,
            counters,
            webhooks,
            tasks,
            ..
        } = self.file;
        let paused = clock.paused || state.config.paused;
        state
            .clock
            .restore(clock.now, paused, clock.started_unix_ms);
        let now = state.clock.now();
        let evicted_before = state.tasks.evicted();
        // Newest first, to keep the newest `max_tasks` and the first copy of a repeated id.
        let mut seen = HashSet::new();
        let total = tasks.len();
        let mut unique: Vec<Task> = tasks
            .into_iter()
            .rev()
            .filter(|task| seen.insert(task.id))
            .collect();
        let repeated = total - unique.len();
        let over = unique.len().saturating_sub(state.config.max_tasks);
        unique.truncate(state.config.max_tasks);
        unique.reverse();
        for task in unique {
            if let (Some(traces), Some(trace)) = (&state.otel, &task.trace) {
                // A task still running goes on in a life span of its own, in the same trace.
                spans::open_life(traces, trace, task.id, task.job.endpoint, true);
            }
            state.tasks.insert(Arc::new(task), now);
        }
        state.tasks.add_evicted(over as u64);
        let mut restored = Restored {
            tasks: state.tasks.len(),
            repeated,
            evicted: state.tasks.evicted() - evicted_before,
            ..Restored::default()
        };
        let mut scheduled = HashSet::new();
        for due in webhooks {
            let task = state.tasks.get(&due.task_id.to_string());
            match task {
                Some(task) if restored.webhooks < MAX_PENDING_WEBHOOKS => {
                    state
                        .scheduler
                        .schedule(due.at, &task, due.attempt, due.generation);
                    scheduled.insert(due.task_id);
                    restored.webhooks += 1;
                }
                _ => restored.webhooks_dropped += 1,
            }
        }
        restored.webhooks += schedule_unsaved(state, &scheduled);
        state.tasks.add_evicted(counters.evicted);
        state.scheduler.add_dropped(counters.webhooks_dropped);
        state.scheduler.add_dropped(restored.webhooks_dropped);
        crate::reference_check::resume(state);
        restored
    }
}

/// Schedules what the restored tasks still owe and the file lists no attempt for: the attempt
/// that was in flight when the mock stopped runs again now, a first attempt when it falls due.
fn schedule_unsaved(state: &AppState, scheduled: &HashSet<crate::sim::tasks::TaskId>) -> usize {
    let now = state.clock.now();
    let mut count = 0;
    for task in state.tasks.newest(usize::MAX) {
        if task.delivery_status() != Delivery::Pending || scheduled.contains(&task.id) {
            continue;
        }
        if !task.awaits_first_attempt() {
            let attempt = task.unclaim_attempt();
            if attempt > 1 {
                state.scheduler.schedule(now, &task, attempt, 0);
                count += 1;
                continue;
            }
        }
        crate::webhooks::delivery::schedule(state, &task);
    }
    count
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{json, Value};

    use super::*;
    use crate::{
        sim::tasks::test_task,
        snapshot::{format::parse, save::save},
    };

    #[tokio::test]
    async fn a_restored_file_is_held_to_the_bounds_and_its_counters_saturate() {
        let paused = crate::Config {
            paused: true,
            ..crate::Config::for_tests()
        };
        let state = AppState::new(paused.clone(), "http://mock".into()).unwrap();
        let now = state.clock.now();
        let task = test_task(now, Duration::from_secs(1), None, None);
        state.tasks.insert(Arc::new(task), now);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save(&state, &path).unwrap();
        let mut file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let due = json!({"task_id": file["tasks"][0]["id"], "attempt": 2,
                         "at": {"secs": 5, "nanos": 0}, "generation": 0});
        file["webhooks"] = Value::Array(vec![due; MAX_PENDING_WEBHOOKS + 3]);
        file["counters"] = json!({"evicted": u64::MAX, "webhooks_dropped": u64::MAX});
        let saved = Saved {
            file: parse(file.to_string().as_bytes()).unwrap(),
        };

        let fresh = AppState::new(paused, "http://mock".into()).unwrap();
        let restored = saved.restore(&fresh);
        assert_eq!(restored.webhooks, MAX_PENDING_WEBHOOKS);
        assert_eq!(restored.webhooks_dropped, 3);
        assert_eq!(fresh.scheduler.pending(), MAX_PENDING_WEBHOOKS);
        assert_eq!(
            fresh.scheduler.dropped(),
            u64::MAX,
            "saturated, not wrapped"
        );
        assert_eq!(fresh.tasks.evicted(), u64::MAX);
    }
}
