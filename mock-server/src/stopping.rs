//! What a stopping mock does once it no longer serves requests: it gives the webhook attempts
//! already due a short grace to run, stops the webhook driver, saves its state when asked to
//! (`--state`), and logs one line saying what it kept or dropped.

use std::{path::Path, time::Duration};

use tokio::time::Instant;

use crate::{snapshot, state::AppState};

/// How often the grace checks whether attempts are still running or falling due.
const GRACE_TICK: Duration = Duration::from_millis(10);

/// Waits, at most `grace` of real time, while webhook attempts are in flight or fall due on
/// the mock clock before the grace ends (a retry whose backoff ends within it runs too; on a
/// paused clock only what is due at the paused instant does).
pub async fn drain_webhooks(state: &AppState, grace: Duration) {
    let deadline = Instant::now() + grace;
    state.scheduler.clock_changed();
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let left = deadline - now;
        let due_soon = state
            .scheduler
            .next_due()
            .and_then(|at| state.clock.real_time_until(at))
            .is_some_and(|wait| wait <= left);
        if state.scheduler.in_flight() == 0 && !due_soon {
            return;
        }
        tokio::time::sleep(GRACE_TICK.min(left)).await;
    }
}

/// Ends the life spans of the tasks still running (with the status they stopped in), then
/// exports the spans still queued, for at most `grace` (a second at least).
pub async fn close_traces(state: &AppState, grace: Duration) {
    let Some(traces) = &state.otel else {
        return;
    };
    let now = state.clock.now();
    for task in state.tasks.newest(usize::MAX) {
        if let Some(trace) = &task.trace {
            trace.end(task.phase(now).status(), None);
        }
    }
    traces.shutdown(grace.max(Duration::from_secs(1))).await;
}

/// Says what a restore from the state file at `path` kept, and what it left out and where that
/// is counted.
pub fn restored(restored: snapshot::Restored, path: &Path, max_tasks: usize) {
    let path = path.display();
    tracing::info!(
        tasks = restored.tasks,
        webhooks = restored.webhooks,
        "restored {} tasks and {} pending webhook attempts from {path}",
        restored.tasks,
        restored.webhooks
    );
    if restored.evicted > 0 {
        tracing::warn!(
            evicted = restored.evicted,
            "state file {path}: {} older tasks are not restored: past --max-tasks {max_tasks} or the task byte budget (counted as evicted in /health)",
            restored.evicted
        );
    }
    if restored.webhooks_dropped > 0 {
        tracing::warn!(
            webhooks_dropped = restored.webhooks_dropped,
            "state file {path}: {} waiting webhook attempts are not restored: past the bound of pending attempts or of tasks not restored (counted as dropped in /health)",
            restored.webhooks_dropped
        );
    }
    if restored.repeated > 0 {
        tracing::warn!(
            repeated = restored.repeated,
            "state file {path}: {} tasks repeat the id of a newer one and are not restored",
            restored.repeated
        );
    }
}

/// Stops the webhook driver, saves the state to `file` if there is one, and logs what was
/// stored, unfinished, and dropped or saved.
pub fn finish(state: &AppState, file: Option<&snapshot::StateFile>) -> Result<(), String> {
    let in_flight = state.scheduler.in_flight();
    state.scheduler.close();
    let now = state.clock.now();
    let tasks = state.tasks.newest(usize::MAX);
    let unfinished = tasks
        .iter()
        .filter(|t| t.phase(now).ended_at().is_none())
        .count();
    // Attempts waiting for a stored task, and those cut off in flight (a state file runs
    // them again).
    let pending = state.scheduler.waiting().len() + in_flight;
    match file {
        None => tracing::info!(
            tasks = tasks.len(),
            unfinished,
            webhooks_dropped = pending,
            "shut down: {} tasks stored ({unfinished} unfinished) and {pending} pending webhook attempts dropped (the state is in memory only; --state FILE keeps it)",
            tasks.len()
        ),
        Some(file) => {
            let saved = file.save(state)?;
            tracing::info!(
                tasks = saved.tasks,
                unfinished,
                webhooks_saved = pending,
                left_out = saved.left_out,
                "shut down: {} tasks ({unfinished} unfinished) and {pending} pending webhook attempts saved to {}",
                saved.tasks,
                file.path().display()
            );
        }
    }
    Ok(())
}
