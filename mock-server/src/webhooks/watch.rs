//! The event stream's view of tasks: a task's status is computed from the clock when read,
//! so nothing announces a change by itself. Once someone has subscribed to the stream, each
//! task gets a status watch on the scheduler at the instant its status is due to change
//! (start of work, end), and the control routes that move a task look at it at once; a change
//! is published through the observer. Until the first subscriber, each call is one atomic load.

use std::sync::Arc;

use crate::{
    catalogue::Endpoint,
    observe::event::{WebhookResult, What},
    sim::phase::{FAILED, SUCCEED},
    sim::scheduler::WATCH,
    sim::tasks::Task,
    state::AppState,
};

/// A task was created by a submission to `endpoint`.
pub fn created(state: &AppState, task: &Arc<Task>, endpoint: Endpoint) {
    if !state.observer.watching() {
        return;
    }
    let at = state.clock.unix_ms(task.submitted_at);
    state
        .observer
        .task(at, task.id.uuid(), What::TaskCreated { endpoint });
    look(state, task);
}

/// Publishes `task`'s status if it changed since last told, and watches for its next change.
pub fn look(state: &AppState, task: &Arc<Task>) {
    if state.observer.watching() {
        look_at(state, task, true);
    }
}

/// The control API moved `task` (ended it, or moved its own clock): its status is told now,
/// and its next change watched at its new instant.
pub fn moved(state: &AppState, task: &Arc<Task>) {
    task.release_watch();
    look(state, task);
}

/// Starts watching the tasks stored before the first subscriber came, without telling their
/// current statuses (the subscriber can list them): only their changes from now on.
pub fn begin(state: &AppState) {
    for task in state.tasks.newest(usize::MAX) {
        look_at(state, &task, false);
    }
}

fn look_at(state: &AppState, task: &Arc<Task>, tell: bool) {
    let now = state.clock.now();
    let (changed, next) = task.look(now);
    if let (Some(status), true) = (changed, tell) {
        let what = if status == SUCCEED || status == FAILED {
            What::TaskFinished { status }
        } else {
            What::TaskStatus { status }
        };
        state
            .observer
            .task(state.clock.unix_ms(now), task.id.uuid(), what);
    }
    if let Some(at) = next {
        if task.claim_watch() {
            state.scheduler.schedule(at, task, WATCH, 0);
        }
    }
}

/// A scheduled watch came due.
pub fn due(state: &AppState, task: &Arc<Task>) {
    task.release_watch();
    look(state, task);
}

/// Counts webhook attempt `number` of `task` and publishes it, with where the delivery stands.
pub fn attempted(
    state: &AppState,
    task: &Task,
    number: u32,
    result: WebhookResult,
    http_status: Option<u16>,
) {
    let what = What::WebhookAttempt {
        attempt: number,
        result,
        http_status,
        delivery: task.delivery_status().name(),
    };
    let at = state.clock.unix_ms(state.clock.now());
    state.observer.task(at, task.id.uuid(), what);
}
