//! Writing the state file: the document built, the oldest tasks left out if it would grow
//! past what a mock reads back, written atomically.

use std::{collections::HashSet, path::Path};

use crate::{
    sim::{clock::unix_ms_now, tasks::TaskId},
    snapshot::format::{Counters, Head, SavedClock, SavedDue, MAX_STATE_BYTES, VERSION},
    state::AppState,
};

/// What a save came to, for the log.
#[derive(Debug, Default, PartialEq)]
pub struct Counts {
    pub tasks: usize,
    pub webhooks: usize,
    /// The oldest tasks, left out to keep the file within its size.
    pub left_out: usize,
}

/// Writes `state` to `path` atomically. Run once the mock has stopped serving and its webhook
/// driver is closed; an attempt still in flight is saved as not yet made. The error is the
/// reason only; the caller names the file.
pub fn save(state: &AppState, path: &Path) -> Result<Counts, String> {
    let fail = |reason: String| reason;
    let now = state.clock.now();
    let clock = SavedClock {
        now,
        paused: state.clock.is_paused(),
        started_unix_ms: state.clock.started_unix_ms(),
    };
    let counters = Counters {
        evicted: state.tasks.evicted(),
        webhooks_dropped: state.scheduler.dropped(),
    };
    let tasks = state.tasks.newest(usize::MAX);
    let mut encoded = Vec::with_capacity(tasks.len());
    for task in &tasks {
        encoded.push(serde_json::to_vec(&**task).map_err(|e| fail(e.to_string()))?);
    }
    let waiting = state.scheduler.waiting();
    let mut webhooks: Vec<SavedDue> = waiting
        .iter()
        .map(|(at, task, attempt, generation)| SavedDue {
            task_id: task.id,
            attempt: *attempt,
            at: *at,
            generation: *generation,
        })
        .collect();
    let head_of = |webhooks: &[SavedDue]| {
        serde_json::to_vec(&Head {
            version: VERSION,
            saved_at_unix_ms: unix_ms_now(),
            clock: &clock,
            counters: &counters,
            webhooks,
        })
    };
    // Leave out the oldest tasks until the document fits the size the mock reads back.
    let head_len = head_of(&webhooks).map_err(|e| fail(e.to_string()))?.len();
    let mut total = head_len + 16 + encoded.iter().map(|t| t.len() + 1).sum::<usize>();
    let mut skip = 0;
    while total > MAX_STATE_BYTES && skip < encoded.len() {
        total -= encoded[skip].len() + 1;
        skip += 1;
    }
    if skip > 0 {
        let kept: HashSet<TaskId> = tasks[skip..].iter().map(|t| t.id).collect();
        webhooks.retain(|due| kept.contains(&due.task_id));
        tracing::warn!(
            left_out = skip,
            "the oldest tasks do not fit in the state file's {MAX_STATE_BYTES} bytes"
        );
    }
    let mut document = head_of(&webhooks).map_err(|e| fail(e.to_string()))?;
    document.pop(); // the head's closing brace: the tasks follow
    document.extend_from_slice(b",\"tasks\":[");
    for (i, task) in encoded[skip..].iter().enumerate() {
        if i > 0 {
            document.push(b',');
        }
        document.extend_from_slice(task);
    }
    document.extend_from_slice(b"]}\n");
    novita_files::write_atomically(path, &document)
        .map_err(|e| fail(format!("cannot write it ({e})")))?;
    Ok(Counts {
        tasks: tasks.len() - skip,
        webhooks: webhooks.len(),
        left_out: skip,
    })
}
