//! The control API's task routes: list and inspect tasks, end or advance one.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{
    catalogue::Endpoint,
    control::body::{parse, seconds, ControlError, ControlQuery},
    sim::clock::MockTime,
    sim::phase::Phase,
    sim::tasks::{Attempt, Delivery, Task},
    state::AppState,
    webhooks::{delivery, watch},
};

fn find(state: &AppState, id: &str) -> Result<Arc<Task>, ControlError> {
    state
        .tasks
        .get(id)
        .ok_or_else(|| ControlError(StatusCode::NOT_FOUND, format!("no task {id}")))
}

#[derive(Serialize)]
pub struct TaskSummary {
    pub task_id: String,
    pub endpoint: Endpoint,
    pub task_type: &'static str,
    pub status: &'static str,
    pub progress_percent: u32,
    pub eta: f64,
    pub age_ms: u64,
    pub submitted_unix_ms: u64,
    pub webhook: Delivery,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

fn summary(state: &AppState, task: &Task, now: MockTime) -> TaskSummary {
    let phase = task.phase(now);
    let (progress, eta) = match &phase {
        Phase::Queued { eta } => (0, eta.as_secs_f64()),
        Phase::Processing { progress, eta } => (*progress, eta.as_secs_f64()),
        Phase::Succeeded { .. } => (100, 0.0),
        Phase::Failed { progress, .. } => (*progress, 0.0),
    };
    TaskSummary {
        task_id: task.id.to_string(),
        endpoint: task.job.endpoint,
        task_type: task.job.endpoint.task_type(),
        status: phase.status(),
        progress_percent: progress,
        eta: (eta * 1000.0).ceil() / 1000.0,
        age_ms: now.since(task.submitted_at).as_millis() as u64,
        submitted_unix_ms: state.clock.unix_ms(task.submitted_at),
        webhook: task.delivery_status(),
        fault: task.fault.as_ref().map(ToString::to_string),
    }
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    limit: Option<usize>,
}

/// What `GET /_mock/tasks` answers: the newest tasks (oldest of them first) and the counts.
#[derive(Serialize)]
pub(super) struct TaskList {
    /// Tasks stored now.
    stored: usize,
    /// Tasks evicted by the bounds since start (or the last reset).
    evicted: u64,
    tasks: Vec<TaskSummary>,
}

/// Tasks listed when the query names no limit.
const DEFAULT_LIST_LIMIT: usize = 1000;

pub(super) async fn list_tasks(
    State(state): State<AppState>,
    ControlQuery(query): ControlQuery<ListQuery>,
) -> Json<TaskList> {
    let now = state.clock.now();
    let tasks = state
        .tasks
        .newest(query.limit.unwrap_or(DEFAULT_LIST_LIMIT));
    Json(TaskList {
        stored: state.tasks.len(),
        evicted: state.tasks.evicted(),
        tasks: tasks.iter().map(|t| summary(&state, t, now)).collect(),
    })
}

#[derive(Serialize)]
pub(super) struct WebhookLog {
    url: String,
    test_mode: Option<String>,
    delivery: Delivery,
    attempts: Vec<Attempt>,
}

pub(super) fn webhook_log(task: &Task) -> Option<WebhookLog> {
    let hook = task.job.webhook.as_ref()?;
    let (delivery, attempts) = task.delivery();
    Some(WebhookLog {
        url: hook.url.clone(),
        test_mode: hook.test_mode.clone(),
        delivery,
        attempts,
    })
}

pub(super) async fn task_detail(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ControlError> {
    let task = find(&state, &id)?;
    let now = state.clock.now();
    let request: Value = serde_json::from_str(&task.request_text)
        .unwrap_or_else(|_| Value::String(task.request_text.to_string()));
    Ok(Json(json!({
        "summary": summary(&state, &task, now),
        "request": request,
        "result": crate::wire::result_of(&state, &task, now),
        "webhook": webhook_log(&task),
        "video_url": state.video_url(task.id),
    })))
}

pub(super) async fn finish(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaskSummary>, ControlError> {
    end_task(&state, &id, None)
}

/// Ends a task now (succeeded, or failed with `failure`); 409 when it had already ended.
fn end_task(
    state: &AppState,
    id: &str,
    failure: Option<String>,
) -> Result<Json<TaskSummary>, ControlError> {
    let task = find(state, id)?;
    let now = state.clock.now();
    if !task.force(failure, now) {
        return Err(ControlError(
            StatusCode::CONFLICT,
            format!("task {id} has already ended"),
        ));
    }
    delivery::schedule(state, &task);
    watch::moved(state, &task);
    Ok(Json(summary(state, &task, now)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FailBody {
    #[serde(default = "default_reason")]
    reason: String,
}

fn default_reason() -> String {
    "TASK_FAILED".to_string()
}

pub(super) async fn fail(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<TaskSummary>, ControlError> {
    let body: FailBody = parse(&body)?;
    end_task(&state, &id, Some(body.reason))
}

/// Moves one task's own clock forward by `{"seconds": N}` of simulated time.
pub(super) async fn advance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<TaskSummary>, ControlError> {
    let task = find(&state, &id)?;
    let by = seconds(&body)?;
    // Like the clock's advance: what it shows includes the reference videos measured.
    state.references.settled().await;
    task.advance(by);
    delivery::schedule(&state, &task);
    watch::moved(&state, &task);
    Ok(Json(summary(&state, &task, state.clock.now())))
}
