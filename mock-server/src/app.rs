//! The router: Novita's endpoints, the control API, videos, and the journal around them.

use std::{sync::LazyLock, time::Instant};

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderValue, Method, Uri},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::json;

use crate::{
    body_budget::MAX_BODY,
    catalogue::Endpoint,
    control::{origin, routes, routes::Route, token},
    novita_api::{forced::NoAnswer, handlers},
    novita_error::NovitaError,
    otel,
    sim::clock::unix_ms_now,
    sim::faults::FAULT_NAME,
    sim::outcomes::SCENARIO_NAME,
    state::AppState,
    traffic::journal::JournalEntry,
    video_links,
};

pub fn router(state: AppState) -> Router {
    state.observer.serve_routes(
        &ROUTE_TEMPLATES
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let mut novita = Router::new();
    for endpoint in Endpoint::ALL {
        novita = novita.route(
            endpoint.path(),
            post(move |state, request| handlers::submit(state, endpoint, request)),
        );
    }
    let novita = novita
        .route("/v3/async/task-result", get(handlers::result))
        .route_layer(middleware::from_fn_with_state(state.clone(), origin::guard));
    let [(_, health_path, health_answer), (_, video_path, video_answer)] = open_routes();
    let router = novita
        .route(health_path, health_answer)
        .route(
            video_path,
            video_answer.route_layer(middleware::from_fn_with_state(
                state.clone(),
                origin::host_guard,
            )),
        )
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .nest(
            "/_mock",
            routes::routes()
                .route_layer(middleware::from_fn_with_state(state.clone(), token::guard)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(MAX_BODY));
    // Only a mock that exports traces has the request span's layer: off, it costs nothing.
    let router = match &state.otel {
        Some(traces) => router.layer(middleware::from_fn_with_state(
            traces.clone(),
            otel::spans::request_span,
        )),
        None => router,
    };
    router.with_state(state)
}

/// The routes of the control spec outside the token guard: liveness (open to all) and the
/// video links (which [`router`] puts behind the `Host` guard), in that order.
fn open_routes() -> [Route; 2] {
    [
        routes::route(Method::GET, "/health", health),
        routes::route(Method::GET, "/_mock/videos/{file}", video_links::video),
    ]
}

/// Every route `openapi/mock-control.yaml` describes, as (method, path) and as the router
/// serves them: `/health`, the video links and the control API under `/_mock`.
pub fn control_routes() -> Vec<(String, String)> {
    let open = open_routes()
        .into_iter()
        .map(|(method, path, _)| (method.to_string(), path.to_string()));
    let control = routes::listed()
        .into_iter()
        .map(|(method, path)| (method.to_string(), format!("/_mock{path}")));
    open.chain(control).collect()
}

/// Every route the router serves, as it matches them (`/_mock/tasks/{id}`): what the request
/// metrics are counted by, with one more label for paths that are no route.
static ROUTE_TEMPLATES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut all: Vec<String> = Endpoint::ALL.iter().map(|e| e.path().into()).collect();
    all.push("/v3/async/task-result".into());
    all.push("/favicon.ico".into());
    for (_, path) in control_routes() {
        if !all.contains(&path) {
            all.push(path);
        }
    }
    all
});

/// Liveness and the store's counts; open to all, like Novita's own routes.
async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    let mut answer = json!({
        "status": "ok",
        "tasks": state.tasks.len(),
        "evicted": state.tasks.evicted(),
        "task_bytes": state.tasks.bytes(),
        "webhooks_pending": state.scheduler.pending(),
        "webhooks_dropped": state.scheduler.dropped(),
        "body_budget_free": state.body_budget.available(),
        "clock": state.clock.view(),
    });
    if let Some(traces) = &state.otel {
        answer["traces"] = json!({
            "exported": traces.counts().exported(),
            "dropped": traces.counts().dropped(),
        });
    }
    Json(answer)
}

async fn not_found(uri: Uri) -> NovitaError {
    NovitaError::api_not_found(uri.path())
}

/// A known path asked with another method; axum adds the `Allow` header to this answer.
async fn method_not_allowed(method: Method, uri: Uri) -> NovitaError {
    NovitaError::method_not_allowed(method.as_str(), uri.path())
}

/// Counts every answer by route template and status (the observer), around [`journal`].
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>();
    let route = state.observer.route(route.map(MatchedPath::as_str));
    let method = request.method().clone();
    let at_unix_ms = unix_ms_now();
    let response = journal(&state, request, next, at_unix_ms).await;
    let status = response
        .extensions()
        .get::<NoAnswer>()
        .is_none()
        .then(|| response.status().as_u16());
    state.observer.request(at_unix_ms, &method, route, status);
    response
}

/// Reads every request's body within the body budget, and records every request to the
/// Novita API (not the control API, videos, health or the browser's favicon request) in the
/// journal, with its body and the status of the answer.
async fn journal(state: &AppState, request: Request, next: Next, at_unix_ms: u64) -> Response {
    let path = request.uri().path();
    let journaled = !(path.starts_with("/_mock/") || path == "/health" || path == "/favicon.ico");
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    // Held until the answer is ready: the handler's parsed copies of the body count too.
    let (bytes, _reservation) = match state.body_budget.read(body).await {
        Ok(read) => read,
        Err(unread) => return NovitaError::from(unread).into_response(),
    };
    if !journaled {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    let mut entry = JournalEntry::new(parts.method.clone(), &parts.uri, &bytes);
    entry.scenario = text_of(parts.headers.get(SCENARIO_NAME));
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    entry.at_unix_ms = at_unix_ms;
    entry.status = response
        .extensions()
        .get::<NoAnswer>()
        .is_none()
        .then(|| response.status().as_u16());
    entry.fault = text_of(response.headers().get(FAULT_NAME));
    entry.duration_ms = started.elapsed().as_millis() as u64;
    state.journal.record(entry);
    response
}

fn text_of(value: Option<&HeaderValue>) -> Option<Box<str>> {
    value.and_then(|v| v.to_str().ok()).map(Box::from)
}
