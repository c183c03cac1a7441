//! Webhook delivery: when a task with `extra.webhook.url` ends, POST the event; on a timeout
//! or a non-2xx answer try again, up to `webhook_retries` times, waiting
//! `webhook_backoff_ms` × 2^n (divided by `--speed`) between attempts. Every attempt is
//! recorded on the task.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    state::AppState,
    tasks::{unix_ms_now, Attempt, Delivery, Task},
    wire::{task_result, WebhookEvent},
};

pub const EVENT_TYPE: &str = "ASYNC_TASK_RESULT";

/// Waits for `task` to end (woken early by the control API), then delivers its event.
pub fn watch(state: AppState, task: Arc<Task>) {
    tokio::spawn(async move {
        loop {
            if task.is_cancelled() {
                return;
            }
            let Some(ends_at) = task.ends_at(Instant::now()) else {
                break;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(ends_at.into()) => {}
                _ = task.changed.notified() => {}
            }
        }
        deliver(&state, &task).await;
    });
}

pub(crate) async fn deliver(state: &AppState, task: &Task) {
    let Some(hook) = task.job.webhook.as_ref() else {
        return;
    };
    let config = &state.config;
    let result = task_result(
        task,
        Instant::now(),
        &state.video_url(&task.id),
        config.video_ttl_seconds,
    );
    let event = WebhookEvent {
        event_type: EVENT_TYPE,
        payload: &result,
    };
    let body = serde_json::to_vec(&event).expect("event serializes");
    let attempts = config.webhook_retries + 1;
    for number in 1..=attempts {
        if task.is_cancelled() {
            return;
        }
        let started = Instant::now();
        let at_unix_ms = unix_ms_now();
        let outcome = state
            .http
            .post(&hook.url)
            .header("content-type", "application/json")
            .timeout(Duration::from_millis(config.webhook_timeout_ms))
            .body(body.clone())
            .send()
            .await;
        let (status, error) = match outcome {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) if e.is_timeout() => (
                None,
                Some(format!("no answer within {} ms", config.webhook_timeout_ms)),
            ),
            Err(e) => (None, Some(describe(&e))),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        tracing::info!(task_id = %task.id, attempt = number, ?status, error = error.as_deref(), "webhook attempt");
        task.record_attempt(Attempt {
            attempt: number,
            at_unix_ms,
            duration_ms: started.elapsed().as_millis() as u64,
            status,
            error,
            delivered,
        });
        if delivered {
            task.set_delivery(Delivery::Delivered);
            return;
        }
        if number < attempts {
            let backoff = Duration::from_millis(
                config
                    .webhook_backoff_ms
                    .saturating_mul(1 << (number - 1).min(20)),
            );
            tokio::time::sleep(config.scaled(backoff)).await;
        }
    }
    tracing::warn!(task_id = %task.id, attempts, "webhook gave up");
    task.set_delivery(Delivery::GaveUp);
}

/// The innermost cause of a transport error ("connection refused", ...).
fn describe(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}
