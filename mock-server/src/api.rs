//! The Novita endpoints: the four submissions and the task result.

use std::{
    borrow::Cow,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use serde_json::Value;

use crate::{
    control_token, docs,
    faults::Fault,
    jobs::{self, Endpoint},
    novita_error::NovitaError,
    outcomes::{Outcome, SCENARIO_HEADER, SCENARIO_NAME},
    state::AppState,
    tasks::{NewTask, Task},
    webhook,
    wire::{json_response, result_size_hint},
};

/// Marks a response that must reach the client as a closed connection, not as an answer.
#[derive(Clone, Copy, Debug)]
pub struct NoAnswer;

const HTML_503: &str = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// The API key of a request: `Authorization: Bearer <key>` or a bare `<key>` (the official JS
/// SDK sends the bare form).
pub fn authenticate<'h>(state: &AppState, headers: &'h HeaderMap) -> Result<&'h str, NovitaError> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    let key = match raw.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        // "Bearer " arrives as "Bearer": HTTP strips the trailing space.
        None if raw.eq_ignore_ascii_case("bearer") => "",
        _ => raw,
    };
    if key.is_empty() {
        return Err(NovitaError::missing_api_key());
    }
    let keys = &state.config.api_keys;
    if !keys.is_empty() && !keys.iter().any(|k| k == key) {
        return Err(NovitaError::invalid_api_key());
    }
    Ok(key)
}

/// The outcome forced on this request: its header, else the queue, else the docs replay.
fn forced_outcome(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    is_submit: bool,
) -> Result<Option<Outcome>, NovitaError> {
    if let Some(value) = headers.get(SCENARIO_NAME) {
        // A scenario header is a control action: with a token in force it needs the token.
        control_token::check(state, headers, None)?;
        let text = value.to_str().unwrap_or_default();
        return text.parse().map(Some).map_err(|e| {
            NovitaError::new(
                StatusCode::BAD_REQUEST,
                "INVALID_MOCK_SCENARIO",
                format!("{SCENARIO_HEADER}: {e}"),
            )
        });
    }
    if let Some(outcome) = state.outcomes.take(path, is_submit) {
        return Ok(Some(outcome));
    }
    Ok(state.config.docs_replay.then_some(Outcome::Docs))
}

/// Outcomes that replace the answer entirely; `None` lets the request go on.
async fn answer_instead(outcome: &Outcome, is_submit: bool) -> Option<Response> {
    match outcome {
        Outcome::RateLimit => Some(
            NovitaError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMIT_EXCEEDED",
                "rate limit exceeded",
            )
            .into_response(),
        ),
        Outcome::ServerError { reason } => {
            let default = if is_submit {
                "CREATE_TASK_FAILED"
            } else {
                "GET_RESULT_FAILED"
            };
            let reason = reason.as_deref().unwrap_or(default);
            Some(
                NovitaError::new(StatusCode::INTERNAL_SERVER_ERROR, reason, "internal error")
                    .into_response(),
            )
        }
        Outcome::HtmlUnavailable => Some(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/html")],
                HTML_503,
            )
                .into_response(),
        ),
        Outcome::Reject {
            reason,
            status,
            message,
        } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
            let message = message
                .clone()
                .unwrap_or_else(|| reason.to_lowercase().replace('_', " "));
            Some(NovitaError::new(status, reason.clone(), message).into_response())
        }
        Outcome::Drop => Some(no_answer()),
        Outcome::Stall { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            Some(no_answer())
        }
        Outcome::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            None
        }
        Outcome::Succeed | Outcome::Fail { .. } | Outcome::Docs | Outcome::Fault(_) => None,
    }
}

/// A response whose body fails at once: hyper closes the connection without an answer.
fn no_answer() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("mock scenario: connection dropped"))
    });
    let mut response = Response::new(Body::from_stream(failing));
    response.extensions_mut().insert(NoAnswer);
    response
}

fn docs_response(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

pub async fn submit(
    state: State<AppState>,
    endpoint: Endpoint,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match submit_inner(&state, endpoint, &headers, &body).await {
        Ok(response) | Err(response) => response,
    }
}

async fn submit_inner(
    state: &AppState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Response> {
    let key = authenticate(state, headers).map_err(IntoResponse::into_response)?;
    if let Some(limiter) = &state.rate_limiter {
        if !limiter.allow(key, endpoint.path(), Instant::now()) {
            return Err(NovitaError::rate_limited(limiter.per_minute()).into_response());
        }
    }
    let outcome = forced_outcome(state, headers, endpoint.path(), true)
        .map_err(IntoResponse::into_response)?;
    if let Some(outcome) = &outcome {
        if let Some(response) = answer_instead(outcome, true).await {
            return Err(response);
        }
    }
    const JSON_TYPE: &[u8] = b"application/json";
    let is_json = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes().trim_ascii_start();
        v.len() >= JSON_TYPE.len() && v[..JSON_TYPE.len()].eq_ignore_ascii_case(JSON_TYPE)
    });
    if !is_json {
        return Err(
            NovitaError::invalid_body("Content-Type", "must be application/json").into_response(),
        );
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        NovitaError::invalid_body("body", format!("is not valid JSON ({e})")).into_response()
    })?;
    let job = jobs::parse(endpoint, &value).map_err(IntoResponse::into_response)?;

    if outcome == Some(Outcome::Docs) {
        *state
            .docs_last_endpoint
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = endpoint;
        return Ok(docs_response(docs::SUBMIT.to_string()));
    }
    let (planned_failure, fault) = match outcome {
        Some(Outcome::Fail { reason }) => (Some(reason), None),
        Some(Outcome::Fault(fault)) => (None, Some(fault)),
        _ => (None, None),
    };
    let seed = job
        .seed
        .unwrap_or_else(|| rand::random_range(0..=2_147_483_647));
    let born_terminal = job.webhook.as_ref().and_then(|w| w.test_mode.clone());
    let now = state.clock.now();
    let task = Arc::new(Task::new(
        NewTask {
            job,
            seed,
            request_text: String::from_utf8_lossy(body).into(),
            api_key: Arc::from(key),
            planned_failure,
            fault,
            born_terminal,
        },
        now,
    ));
    state.tasks.insert(task.clone(), now);
    tracing::debug!(task_id = %task.id, endpoint = endpoint.path(), "task queued");
    if task.fault == Some(Fault::WebhookEarly) {
        // The event reaches the receiver before the client learns the task id.
        task.force(None, now);
        // Boxed: inline, this rare path's HTTP future would make every submission's future
        // (which axum boxes and moves) kilobytes larger.
        Box::pin(webhook::deliver_now(state, &task)).await;
    }
    webhook::schedule(state, &task);
    let answer = [r#"{"task_id":""#, task.id.encode(&mut [0; 36]), r#""}"#].concat();
    let response = ([(header::CONTENT_TYPE, "application/json")], answer).into_response();
    Ok(Fault::name_in(task.fault.as_ref(), response))
}

/// The `task_id` query parameter, decoded as a form value. The common query (`task_id=<uuid>`,
/// nothing encoded) is read in place; anything percent- or plus-encoded goes through the full
/// decoder.
fn task_id_param(uri: &Uri) -> Option<Cow<'_, str>> {
    let query = uri.query()?;
    if query.contains(['%', '+']) {
        return url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "task_id")
            .map(|(_, value)| Cow::Owned(value.into_owned()));
    }
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (name == "task_id").then_some(Cow::Borrowed(value))
    })
}

pub async fn result(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    match result_inner(&state, &headers, task_id_param(&uri)).await {
        Ok(response) | Err(response) => response,
    }
}

async fn result_inner(
    state: &AppState,
    headers: &HeaderMap,
    task_id: Option<Cow<'_, str>>,
) -> Result<Response, Response> {
    let key = authenticate(state, headers).map_err(IntoResponse::into_response)?;
    let path = "/v3/async/task-result";
    let outcome =
        forced_outcome(state, headers, path, false).map_err(IntoResponse::into_response)?;
    if let Some(outcome) = &outcome {
        if let Some(response) = answer_instead(outcome, false).await {
            return Err(response);
        }
    }
    let task_id = task_id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| NovitaError::invalid_body("task_id", "is required").into_response())?;
    if outcome == Some(Outcome::Docs) {
        let endpoint = *state
            .docs_last_endpoint
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        return Ok(docs_response(docs::result(endpoint)));
    }
    let task = state
        .tasks
        .get(&task_id)
        .filter(|task| *task.api_key == *key)
        .ok_or_else(|| NovitaError::task_not_found(&task_id).into_response())?;
    let body = state.task_result(&task, state.clock.now());
    let response = json_response(&body, result_size_hint(&task));
    Ok(Fault::name_in(task.fault.as_ref(), response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_submit_future_stays_small() {
        // axum boxes and moves this future on every submission: rare paths stay out of it.
        let state = AppState::new(crate::Config::for_tests(), "http://mock".into());
        let future = submit(
            State(state),
            Endpoint::WanT2v,
            HeaderMap::new(),
            Bytes::new(),
        );
        let size = std::mem::size_of_val(&future);
        assert!(size <= 1024, "{size} bytes");
    }
}
