//! The control API under `/_mock`: JSON in, JSON out. It lets QA inspect tasks, end or
//! advance them, drive the mock clock, queue outcomes, read the journals and reset everything.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use bytes::Bytes;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{
    rules::Endpoint,
    sim::clock::{ClockView, MockTime},
    sim::outcomes::QueuedOutcome,
    sim::scheduler,
    sim::tasks::{Attempt, Delivery, Phase, Task},
    state::AppState,
    webhooks::delivery,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list_tasks))
        .route("/tasks/{id}", get(task_detail))
        .route("/tasks/{id}/finish", post(finish))
        .route("/tasks/{id}/fail", post(fail))
        .route("/tasks/{id}/advance", post(advance))
        .route("/clock", get(clock))
        .route("/clock/pause", post(pause_clock))
        .route("/clock/resume", post(resume_clock))
        .route("/clock/advance", post(advance_clock))
        .route(
            "/outcomes",
            get(list_outcomes)
                .post(queue_outcomes)
                .delete(clear_outcomes),
        )
        .route("/journal", get(journal))
        .route("/webhooks", get(webhooks))
        .route("/reset", post(reset))
        .route("/config", get(config))
        .route("/ui", get(dashboard))
}

/// The dashboard: one self-contained page (no build step, no external assets) that reads the
/// control API. `?task=<id>` opens a task.
const DASHBOARD: &str = include_str!("ui/dashboard.html");

async fn dashboard() -> impl IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        DASHBOARD,
    )
}

/// Errors of the control API: `{"error": "..."}` with a 4xx status.
struct ControlError(StatusCode, String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &body[..]
    };
    serde_json::from_slice(text)
        .map_err(|e| ControlError(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

fn bad_request(message: impl Into<String>) -> ControlError {
    ControlError(StatusCode::BAD_REQUEST, message.into())
}

/// `{"seconds": N}`: a number of simulated seconds, not negative.
fn seconds(body: &Bytes) -> Result<Duration, ControlError> {
    let body: Value = parse(body)?;
    let Some(fields) = body.as_object() else {
        return Err(bad_request(
            "the body must be a JSON object like {\"seconds\": 5}",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| *k != "seconds") {
        return Err(bad_request(format!(
            "{unknown}: unknown field; only seconds is accepted"
        )));
    }
    let value = fields
        .get("seconds")
        .ok_or_else(|| bad_request("seconds: is required"))?;
    match value.as_f64() {
        Some(s) if s.is_finite() && (0.0..1e9).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(bad_request(format!(
            "seconds must be a non-negative number below 1e9 (got {value})"
        ))),
    }
}

/// A body that must be empty or a JSON object (the clock's pause and resume take no fields).
fn no_fields(body: &Bytes) -> Result<(), ControlError> {
    let body: Value = parse(body)?;
    match body.as_object() {
        Some(fields) if fields.is_empty() => Ok(()),
        Some(fields) => Err(bad_request(format!(
            "{}: unknown field; this call takes none",
            fields.keys().next().map(String::as_str).unwrap_or_default()
        ))),
        None => Err(bad_request("the body must be empty or {}")),
    }
}

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
struct ListQuery {
    limit: Option<usize>,
}

/// What `GET /_mock/tasks` answers: the newest tasks (oldest of them first) and the counts.
#[derive(Serialize)]
struct TaskList {
    /// Tasks stored now.
    stored: usize,
    /// Tasks evicted by the bounds since start (or the last reset).
    evicted: u64,
    tasks: Vec<TaskSummary>,
}

/// Tasks listed when the query names no limit.
const DEFAULT_LIST_LIMIT: usize = 1000;

async fn list_tasks(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
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
struct WebhookLog {
    url: String,
    test_mode: Option<String>,
    delivery: Delivery,
    attempts: Vec<Attempt>,
}

fn webhook_log(task: &Task) -> Option<WebhookLog> {
    let hook = task.job.webhook.as_ref()?;
    let (delivery, attempts) = task.delivery();
    Some(WebhookLog {
        url: hook.url.clone(),
        test_mode: hook.test_mode.clone(),
        delivery,
        attempts,
    })
}

async fn task_detail(
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
        "result": state.task_result(&task, now),
        "webhook": webhook_log(&task),
        "video_url": state.video_url(task.id),
    })))
}

async fn finish(
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
    Ok(Json(summary(state, &task, now)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailBody {
    #[serde(default = "default_reason")]
    reason: String,
}

fn default_reason() -> String {
    "TASK_FAILED".to_string()
}

async fn fail(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<TaskSummary>, ControlError> {
    let body: FailBody = parse(&body)?;
    end_task(&state, &id, Some(body.reason))
}

/// Moves one task's own clock forward by `{"seconds": N}` of simulated time.
async fn advance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<TaskSummary>, ControlError> {
    let task = find(&state, &id)?;
    task.advance(seconds(&body)?);
    delivery::schedule(&state, &task);
    Ok(Json(summary(&state, &task, state.clock.now())))
}

async fn clock(State(state): State<AppState>) -> Json<ClockView> {
    Json(state.clock.view())
}

async fn pause_clock(state: State<AppState>, body: Bytes) -> Result<Json<ClockView>, ControlError> {
    set_clock_running(&state, &body, false)
}

async fn resume_clock(
    state: State<AppState>,
    body: Bytes,
) -> Result<Json<ClockView>, ControlError> {
    set_clock_running(&state, &body, true)
}

fn set_clock_running(
    state: &AppState,
    body: &Bytes,
    running: bool,
) -> Result<Json<ClockView>, ControlError> {
    no_fields(body)?;
    if running {
        state.clock.resume();
    } else {
        state.clock.pause();
    }
    state.scheduler.clock_changed();
    Ok(Json(state.clock.view()))
}

/// Moves the mock clock forward by `{"seconds": N}`, running every webhook attempt that falls
/// due on the way, in order; answers once they have run.
async fn advance_clock(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<ClockView>, ControlError> {
    let by = seconds(&body)?;
    scheduler::advance(&state, by).await;
    Ok(Json(state.clock.view()))
}

async fn list_outcomes(State(state): State<AppState>) -> Json<Vec<QueuedOutcome>> {
    Json(state.outcomes.list())
}

/// Takes one queued outcome or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<QueuedOutcome>),
    One(QueuedOutcome),
}

async fn queue_outcomes(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<Vec<QueuedOutcome>>, ControlError> {
    let outcomes = match parse::<OneOrMany>(&body)? {
        OneOrMany::Many(list) => list,
        OneOrMany::One(one) => vec![one],
    };
    for outcome in &outcomes {
        outcome.validate().map_err(bad_request)?;
    }
    for outcome in outcomes {
        state.outcomes.push(outcome).map_err(bad_request)?;
    }
    Ok(Json(state.outcomes.list()))
}

async fn clear_outcomes(State(state): State<AppState>) -> StatusCode {
    state.outcomes.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct JournalQuery {
    path: Option<String>,
    limit: Option<usize>,
}

async fn journal(
    State(state): State<AppState>,
    Query(query): Query<JournalQuery>,
) -> impl IntoResponse {
    Json(
        state
            .journal
            .page(query.path.as_deref(), query.limit.unwrap_or(usize::MAX)),
    )
}

async fn webhooks(State(state): State<AppState>) -> Json<Value> {
    let logs: Vec<Value> = state
        .tasks
        .newest(usize::MAX)
        .iter()
        .filter_map(|task| {
            webhook_log(task).map(|log| json!({ "task_id": task.id.to_string(), "log": log }))
        })
        .collect();
    Json(Value::Array(logs))
}

async fn reset(State(state): State<AppState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}

async fn config(State(state): State<AppState>) -> Json<Value> {
    let mut config = serde_json::to_value(&state.config).unwrap_or_default();
    if let Some(keys) = config.get_mut("api_keys") {
        // Never echo the keys themselves.
        *keys = json!(state.config.api_keys.len());
    }
    if let Some(token) = config.get_mut("control_token") {
        *token = json!(state.config.control_token.is_some());
    }
    Json(json!({ "config": config, "public_url": state.public_url }))
}
