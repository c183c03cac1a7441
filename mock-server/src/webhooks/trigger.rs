//! `novita-mock send-webhook`: fires a test-mode event at a receiver, the way `stripe trigger`
//! does for Stripe users, with the same body, timeout and retries as a real delivery.

use std::{sync::Arc, time::Duration};

use serde_json::json;

use crate::{
    catalogue::Endpoint,
    config::Config,
    sim::clock,
    sim::job::Framing,
    sim::job::Job,
    sim::job::WebhookRequest,
    sim::phase::{FAILED, SUCCEED},
    sim::tasks::{Attempt, Delivery, NewTask, Task},
    state::AppState,
    webhooks::delivery,
};

/// Sends one test-mode `ASYNC_TASK_RESULT` event for a made-up Wan 2.1 text-to-video task;
/// `failed` picks the FAILED event. Retries like a real delivery (the waits in real time,
/// divided by `config.speed`). Returns the delivery outcome and every attempt, or why the
/// outgoing HTTP client could not be set up.
pub async fn send_test_event(
    url: &str,
    failed: bool,
    config: Config,
) -> Result<(Delivery, Vec<Attempt>), String> {
    let status = if failed { FAILED } else { SUCCEED };
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.addr));
    let state = AppState::new(config, public_url)?;
    super::delivery::start_driver(&state);
    let task = Task::new(
        NewTask {
            job: Job {
                endpoint: Endpoint::WanT2v,
                seed: Some(0),
                framing: Framing::Fixed {
                    width: 832,
                    height: 480,
                },
                fps: 16,
                frames: 81,
                work: Duration::ZERO,
                webhook: Some(Box::new(WebhookRequest {
                    url: url.to_string(),
                    test_mode: Some(status.to_string()),
                    echo: json!({"url": url, "test_mode": {"enabled": true, "return_task_status": status}}),
                })),
                audio: false,
                input_video: None,
            },
            seed: 0,
            request_text: "".into(),
            api_key: Arc::from(""),
            planned_failure: None,
            script: None,
            fault: None,
            born_terminal: Some(status.to_string()),
            trace: None,
        },
        state.clock.now(),
    );
    let attempts = state.config.webhook_retries + 1;
    for number in 1..=attempts {
        let at_unix_ms = clock::unix_ms_now();
        let Some(sent) = delivery::post_event(&state, &task, &[]).await else {
            break;
        };
        if !delivery::settle(&task, number, attempts, at_unix_ms, &sent) {
            break;
        }
        let wait = delivery::backoff(state.config.webhook_backoff_ms, number);
        tokio::time::sleep(clock::scale(wait, 1.0 / state.config.speed)).await;
    }
    Ok(task.delivery())
}
