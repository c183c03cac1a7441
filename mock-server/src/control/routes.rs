//! The control API under `/_mock`: JSON in, JSON out. It lets QA inspect tasks, end or
//! advance them, drive the mock clock, queue outcomes, read the journals and reset everything.
//! The task routes are in `task_routes.rs`, body parsing and errors in `body.rs`.

use axum::{
    extract::State,
    handler::Handler,
    http::{Method, StatusCode},
    response::IntoResponse,
    routing::{on, MethodFilter, MethodRouter},
    Json, Router,
};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    control::body::{bad_request, no_fields, parse, seconds, ControlError, ControlQuery},
    control::events::events,
    control::metrics::metrics,
    control::task_routes::{advance, fail, finish, list_tasks, task_detail, webhook_log},
    sim::clock::ClockView,
    sim::outcomes::QueuedOutcome,
    state::AppState,
    webhooks::delivery,
};

/// A route of the control API: its method, its path under `/_mock`, and what answers it.
pub(crate) type Route = (Method, &'static str, MethodRouter<AppState>);

/// Every control route, once: the router is built from this table and
/// [`listed`] reads it, so the spec's coverage test sees exactly what is served.
fn table() -> [Route; 19] {
    [
        route(Method::GET, "/tasks", list_tasks),
        route(Method::GET, "/tasks/{id}", task_detail),
        route(Method::POST, "/tasks/{id}/finish", finish),
        route(Method::POST, "/tasks/{id}/fail", fail),
        route(Method::POST, "/tasks/{id}/advance", advance),
        route(Method::GET, "/clock", clock),
        route(Method::POST, "/clock/pause", pause_clock),
        route(Method::POST, "/clock/resume", resume_clock),
        route(Method::POST, "/clock/advance", advance_clock),
        route(Method::GET, "/outcomes", list_outcomes),
        route(Method::POST, "/outcomes", queue_outcomes),
        route(Method::DELETE, "/outcomes", clear_outcomes),
        route(Method::GET, "/journal", journal),
        route(Method::GET, "/webhooks", webhooks),
        route(Method::POST, "/reset", reset),
        route(Method::GET, "/config", config),
        route(Method::GET, "/ui", dashboard),
        route(Method::GET, "/metrics", metrics),
        route(Method::GET, "/events", events),
    ]
}

/// One entry of the table: `handler` answers `method` on `path` (a `GET` also answers `HEAD`).
pub(crate) fn route<H, T>(method: Method, path: &'static str, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("the table names plain methods");
    (method, path, on(filter, handler))
}

pub fn routes() -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |router, (_, path, answer)| {
            router.route(path, answer)
        })
}

/// The method and path (under `/_mock`) of every control route.
pub fn listed() -> Vec<(Method, &'static str)> {
    table()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect()
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
    ControlQuery(query): ControlQuery<JournalQuery>,
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
