//! Checks a task's reference video given as a URL: spawned when the task is accepted (or
//! restored still waiting), it fetches the video once through the network guard, within the
//! field's byte limit and the input fetches' timeout, measures it with the box walker and
//! judges it as an inline video is judged. The task keeps the measurement: within the limits
//! its result takes the video's ratio and length; out of them, or when the video cannot be
//! fetched or measured, the task fails with a reason naming the field and the limit, and its
//! webhook says so.

use std::sync::Arc;

use crate::{
    rules::{self, video_media::judge, video_media::VideoLimits},
    sim::reference_pool::MAX_WAITING_REFERENCES,
    sim::tasks::{Reference, Task},
    state::AppState,
    video::{
        data_uri::is_inline,
        input::{bytes_video_shape, fetch, NotFetched},
    },
    webhooks::{delivery, watch},
};

/// The field and limits the task's reference video is held to, when it has one to fetch:
/// a URL (inline ones were judged at submission) of a field with limits, on a task that
/// runs (not a replayed one, nor one born ended).
fn to_check(state: &AppState, task: &Task) -> Option<(&'static str, &'static VideoLimits)> {
    let input = task.job.input_video.as_ref()?;
    if is_inline(&input.url) || task.script.is_some() {
        return None;
    }
    if task.phase(state.clock.now()).ended_at().is_some() {
        return None;
    }
    rules::video_limits(task.job.endpoint)
}

/// Starts the check of a new task's reference video, if it has one. Call it before the task's
/// webhook is first scheduled: until the measurement is in, the task does not end.
pub fn start(state: &AppState, task: &Arc<Task>) {
    if let Some((field, limits)) = to_check(state, task) {
        task.await_reference();
        spawn(state, task, field, limits);
    }
}

/// Starts again the checks of restored tasks that were waiting when their mock stopped.
pub fn resume(state: &AppState) {
    for task in state.tasks.newest(usize::MAX) {
        if task.reference() != Reference::Pending {
            continue;
        }
        match rules::video_limits(task.job.endpoint) {
            Some((field, limits)) => spawn(state, &task, field, limits),
            None => record(
                state,
                &task,
                Err("the reference video cannot be checked".into()),
            ),
        }
    }
}

/// Runs the check in the background, at most [`MAX_WAITING_REFERENCES`] waiting: past that,
/// the task fails at once. The check holds neither the mock nor the task while it waits.
fn spawn(state: &AppState, task: &Arc<Task>, field: &'static str, limits: &'static VideoLimits) {
    let Some(ticket) = state.references.enter() else {
        let busy = format!(
            "{field}: the reference video was not fetched: {MAX_WAITING_REFERENCES} others wait to be"
        );
        record(state, task, Err(busy));
        return;
    };
    let checks = state.references.clone();
    let inner = Arc::downgrade(&state.inner);
    let task = Arc::downgrade(task);
    tokio::spawn(async move {
        let _ticket = ticket;
        let _slot = checks.fetch_slot().await;
        let (Some(inner), Some(task)) = (inner.upgrade(), task.upgrade()) else {
            return;
        };
        let state = AppState { inner };
        let Some(input) = &task.job.input_video else {
            return;
        };
        let measured = measure(&state, &input.url, limits).await;
        record(
            &state,
            &task,
            measured.map_err(|rule| format!("{field}: {rule}")),
        );
    });
}

/// Keeps the measurement on the task and schedules its webhook for the end it now has.
fn record(state: &AppState, task: &Arc<Task>, measured: Result<(usize, usize, f64), String>) {
    if let Err(reason) = &measured {
        tracing::info!(task_id = %task.id, %reason, "reference video refused; the task fails");
    }
    if task.measure_reference(Reference::measured(measured, state.clock.now())) {
        delivery::schedule(state, task);
        // The event stream's watch of a held task found no next change; it has one now.
        watch::moved(state, task);
    }
}

/// Fetches the video at `url` and holds it to `limits`: its (width, height, seconds), or
/// the rule it breaks. The answer's media type is read only to say what a video that cannot
/// be measured holds: servers label MP4s in many ways, the bytes decide.
async fn measure(
    state: &AppState,
    url: &str,
    limits: &VideoLimits,
) -> Result<(usize, usize, f64), String> {
    let max = limits.max_bytes;
    let fetched = match fetch(url, &state.http, max).await {
        Ok(fetched) => fetched,
        Err(NotFetched::TooLarge(Some(len))) => return judge(limits, "", len, || None).map(sides),
        Err(NotFetched::TooLarge(None)) => {
            return Err(format!(
                "the video is over {max} bytes; at most {max} are allowed"
            ))
        }
        Err(NotFetched::Failed(why)) => {
            return Err(format!("the reference video could not be fetched ({why})"))
        }
    };
    if fetched.bytes.is_empty() {
        return Err("the reference video holds no data".to_string());
    }
    let shape = bytes_video_shape(&fetched.bytes);
    let label = match (&shape, fetched.content_type.as_deref()) {
        (None, Some(named)) => essence(named),
        _ => String::new(),
    };
    judge(limits, &label, fetched.bytes.len(), || shape).map(sides)
}

fn sides(shape: crate::video::input::VideoShape) -> (usize, usize, f64) {
    (shape.width, shape.height, shape.seconds)
}

/// A `Content-Type`'s media type, lower case; empty for the generic binary types, which
/// name no format.
fn essence(content_type: &str) -> String {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/octet-stream" | "binary/octet-stream" => String::new(),
        _ => essence,
    }
}
