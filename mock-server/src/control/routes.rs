//! The control API under `/_mock`: JSON in, JSON out. It lets QA inspect tasks, end or
//! advance them, drive the mock clock, queue outcomes, read the journals and reset everything.
//! The task routes are in `task_routes.rs`, body parsing and errors in `body.rs`.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    control::body::{bad_request, no_fields, parse, seconds, ControlError},
    control::task_routes::{advance, fail, finish, list_tasks, task_detail, webhook_log},
    sim::clock::ClockView,
    sim::outcomes::QueuedOutcome,
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
    delivery::advance(&state, by).await;
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
