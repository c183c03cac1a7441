//! Webhook delivery: when a task with `extra.webhook.url` ends, POST the event; on a timeout
//! or a non-2xx answer try again, up to `webhook_retries` times, waiting
//! `webhook_backoff_ms` × 2^n of mock time between attempts (the scheduler runs them). Every
//! attempt is recorded on the task. A receiver the network guard refuses is recorded once and
//! not retried.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    net_guard,
    observe::event::WebhookResult,
    otel::spans::AttemptTrace,
    sim::clock::Clock,
    sim::faults::{Fault, FAULT_HEADER},
    sim::scheduler::{spawn_driver, Due, RunDue, WATCH},
    sim::tasks::{Attempt, Delivery, Task},
    state::{AppState, Inner},
    webhooks::watch,
    wire::WebhookEvent,
};

pub const EVENT_TYPE: &str = "ASYNC_TASK_RESULT";

/// Schedules the first attempt for when `task` ends (now, if it has), unless an attempt was
/// already made. Called at submission and whenever the control API moves the task's end.
pub fn schedule(state: &AppState, task: &Arc<Task>) {
    if task.job.webhook.is_none() || !task.awaits_first_attempt() {
        return;
    }
    let now = state.clock.now();
    let generation = task.next_wake_generation();
    let end = match task.phase(now).ended_at() {
        Some(at) => at,
        None => match task.ends_at(now) {
            Some(at) => at,
            None => return, // stuck: the control API will end it, and schedule again
        },
    };
    let delay = task
        .fault
        .as_ref()
        .map_or(Duration::ZERO, Fault::webhook_delay);
    state.scheduler.schedule(end + delay, task, 1, generation);
}

/// The mock's attempts are webhook deliveries, run against the whole state.
impl RunDue for Inner {
    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn run(self: Arc<Self>, due: Due) -> impl std::future::Future<Output = ()> + Send + 'static {
        run_due(AppState { inner: self }, due)
    }
}

/// Starts running `state`'s webhook attempts as they fall due (needs a Tokio runtime).
pub fn start_driver(state: &AppState) {
    spawn_driver(state.scheduler.clone(), Arc::downgrade(&state.inner));
}

/// Moves the mock clock forward by `by`, delivering on the way every attempt that falls due,
/// once the reference videos being checked are measured.
pub async fn advance(state: &AppState, by: Duration) {
    state.references.settled().await;
    state.scheduler.advance(&state.inner, by).await;
}

/// Runs one due attempt, if it is still wanted.
pub async fn run_due(state: AppState, due: Due) {
    let Some(task) = due.task.upgrade() else {
        tracing::warn!(task_id = %due.task_id, attempt = due.attempt, "webhook dropped: the task was evicted");
        state.scheduler.count_dropped();
        return;
    };
    if due.attempt == WATCH {
        return watch::due(&state, &task);
    }
    if due.attempt == 1 && !task.is_current_wake(due.generation) {
        return; // the task's end moved; a newer check is scheduled
    }
    if task.claim_attempt(due.attempt) {
        attempt(&state, &task, due.attempt).await;
    }
}

/// Delivers the first attempt now, on this task (the `webhook-early` fault).
pub async fn deliver_now(state: &AppState, task: &Arc<Task>) {
    if task.claim_attempt(1) {
        attempt(state, task, 1).await;
    }
}

/// What one POST to a receiver came to.
pub struct Sent {
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The network guard refused the receiver's address: nothing was sent.
    pub refused: bool,
    pub took: Duration,
}

impl Sent {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// How it went, as the metrics count it.
    pub fn result(&self) -> WebhookResult {
        if self.refused {
            WebhookResult::Refused
        } else if self.delivered() {
            WebhookResult::Delivered
        } else if self.status.is_some() {
            WebhookResult::Rejected
        } else {
            WebhookResult::NoAnswer
        }
    }
}

/// How one POST ended.
enum Reply {
    Answered(u16),
    /// No answer: a timeout or a transport error, described.
    Failed(String),
    Refused(net_guard::Refused),
}

/// POSTs `task`'s event to its receiver once, with `trace_headers` (`traceparent`, ...).
pub async fn post_event(
    state: &AppState,
    task: &Task,
    trace_headers: &[(&'static str, String)],
) -> Option<Sent> {
    let hook = task.job.webhook.as_ref()?;
    let result = crate::wire::result_of(state, task, state.clock.now());
    let event = WebhookEvent {
        event_type: EVENT_TYPE,
        payload: &result,
    };
    let body = serde_json::to_vec(&event).expect("event serializes");
    let started = Instant::now();
    let timeout_ms = state.config.webhook_timeout_ms;
    let reply = match state.http.post(&hook.url) {
        Err(refused) => Reply::Refused(refused),
        Ok(request) => {
            let mut request = request
                .header("content-type", "application/json")
                .timeout(Duration::from_millis(timeout_ms))
                .body(body);
            if let Some(fault) = &task.fault {
                request = request.header(FAULT_HEADER, fault.header_value());
            }
            for (name, value) in trace_headers {
                request = request.header(*name, value);
            }
            match request.send().await {
                Ok(response) => Reply::Answered(response.status().as_u16()),
                Err(e) => match net_guard::find_refusal(&e) {
                    Some(refused) => Reply::Refused(refused),
                    None if e.is_timeout() => {
                        Reply::Failed(format!("no answer within {timeout_ms} ms"))
                    }
                    None => Reply::Failed(net_guard::describe(&e)),
                },
            }
        }
    };
    let (status, error, refused) = match reply {
        Reply::Answered(status) => (Some(status), None, false),
        Reply::Failed(error) => (None, Some(error), false),
        Reply::Refused(refused) => (None, Some(refused.to_string()), true),
    };
    Some(Sent {
        status,
        error,
        refused,
        took: started.elapsed(),
    })
}

/// Records attempt `number` (sent at `at_unix_ms`) and settles the delivery: refused,
/// delivered, or given up after the last of `attempts`. True when another try is due.
pub fn settle(task: &Task, number: u32, attempts: u32, at_unix_ms: u64, sent: &Sent) -> bool {
    log(task, number, sent);
    task.record_attempt(attempt_record(number, at_unix_ms, sent, false));
    if sent.refused {
        task.set_delivery(Delivery::Refused);
        false
    } else if sent.delivered() {
        task.set_delivery(Delivery::Delivered);
        false
    } else if number < attempts {
        true
    } else {
        tracing::warn!(task_id = %task.id, attempts, "webhook gave up");
        task.set_delivery(Delivery::GaveUp);
        false
    }
}

/// Sends attempt `number`, settles it, and schedules the next try when one is due.
async fn attempt(state: &AppState, task: &Arc<Task>, number: u32) {
    // The stream tells of the end before the attempt it brings.
    watch::look(state, task);
    let at_unix_ms = state.clock.unix_ms(state.clock.now());
    let Some(sent) = traced_post(state, task, number).await else {
        return;
    };
    let attempts = state.config.webhook_retries + 1;
    let again = settle(task, number, attempts, at_unix_ms, &sent);
    watch::attempted(state, task, number, sent.result(), sent.status);
    if again {
        let backoff = backoff(state.config.webhook_backoff_ms, number);
        state
            .scheduler
            .schedule(state.clock.now() + backoff, task, number + 1, 0);
    } else if sent.delivered() && task.fault == Some(Fault::WebhookTwice) {
        let at_unix_ms = state.clock.unix_ms(state.clock.now());
        if let Some(again) = traced_post(state, task, number + 1).await {
            log(task, number + 1, &again);
            watch::attempted(state, task, number + 1, again.result(), again.status);
            task.record_attempt(attempt_record(number + 1, at_unix_ms, &again, true));
        }
    }
}

/// POSTs the event once as attempt `number`, inside the attempt's span when traces are on,
/// with the trace headers the receiver continues from.
async fn traced_post(state: &AppState, task: &Task, number: u32) -> Option<Sent> {
    let hook = task.job.webhook.as_ref()?;
    let trace = AttemptTrace::start(
        state.otel.as_ref(),
        task.trace.as_deref(),
        task.id,
        task.job.endpoint,
        number,
        &hook.url,
    );
    let sent = post_event(state, task, &trace.headers).await;
    if let Some(sent) = &sent {
        trace.finish(sent.status, sent.error.as_deref());
    }
    sent
}

/// Simulated wait after failed attempt `number`: the base, doubled for each further retry.
pub fn backoff(base_ms: u64, number: u32) -> Duration {
    Duration::from_millis(base_ms.saturating_mul(1 << (number.max(1) - 1).min(20)))
}

fn log(task: &Task, number: u32, sent: &Sent) {
    tracing::info!(task_id = %task.id, attempt = number, status = ?sent.status, error = sent.error.as_deref(), "webhook attempt");
}

fn attempt_record(number: u32, at_unix_ms: u64, sent: &Sent, duplicate: bool) -> Attempt {
    Attempt {
        attempt: number,
        at_unix_ms,
        duration_ms: sent.took.as_millis() as u64,
        status: sent.status,
        error: sent.error.clone(),
        delivered: sent.delivered(),
        duplicate,
    }
}
