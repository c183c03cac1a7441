//! The router: Novita's endpoints, the control API, videos, and the journal around them.

use std::time::Instant;

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::json;

use crate::{
    api::{self, NoAnswer},
    clock::unix_ms_now,
    control, control_token,
    faults::FAULT_NAME,
    jobs::Endpoint,
    journal::JournalEntry,
    media,
    novita_error::NovitaError,
    outcomes::SCENARIO_NAME,
    state::AppState,
};

/// Largest request body: a 10 MB image as a base64 data URI fits.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for endpoint in Endpoint::ALL {
        router = router.route(
            endpoint.path(),
            post(move |state, headers, body| api::submit(state, endpoint, headers, body)),
        );
    }
    router
        .route("/v3/async/task-result", get(api::result))
        .route("/health", get(health))
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .route("/_mock/videos/{file}", get(media::video))
        .nest(
            "/_mock",
            control::routes().route_layer(middleware::from_fn_with_state(
                state.clone(),
                control_token::guard,
            )),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), journal))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Liveness and the store's counts; open to all, like Novita's own routes.
async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "tasks": state.tasks.len(),
        "evicted": state.tasks.evicted(),
        "task_bytes": state.tasks.bytes(),
        "webhooks_pending": state.scheduler.pending(),
        "webhooks_dropped": state.scheduler.dropped(),
        "clock": state.clock.view(),
    }))
}

async fn not_found(request: Request) -> Response {
    NovitaError::api_not_found(request.uri().path()).into_response()
}

/// axum answers a wrong method with an empty 405; Novita's body goes in, `Allow` stays.
fn novita_method_not_allowed(method: &str, path: &str, response: Response) -> Response {
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut replaced = NovitaError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("{method} is not allowed on {path}"),
    )
    .into_response();
    if let Some(allow) = allow {
        replaced.headers_mut().insert(header::ALLOW, allow);
    }
    replaced
}

/// Maps 405 answers to Novita's error body, and records every request to the Novita API (not
/// the control API, videos, health or the browser's favicon request) in the journal, with its
/// body and the status of the answer.
async fn journal(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/_mock/") || path == "/health" || path == "/favicon.ico" {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        return novita_method_not_allowed(method.as_str(), uri.path(), next.run(request).await);
    }
    let started = Instant::now();
    let at_unix_ms = unix_ms_now();
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return NovitaError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "INVALID_REQUEST_BODY",
                format!("body: larger than {MAX_BODY} bytes, or not fully received"),
            )
            .into_response()
        }
    };
    let mut entry = JournalEntry::new(parts.method.clone(), &parts.uri, &bytes);
    entry.scenario = text_of(parts.headers.get(SCENARIO_NAME));
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let response = novita_method_not_allowed(entry.method.as_str(), entry.path(), response);
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
