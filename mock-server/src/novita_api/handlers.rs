//! Novita's task routes: the submissions and the task result. Each handler authenticates,
//! applies a forced outcome, checks, and answers; every refusal is a [`NovitaError`].

use std::{borrow::Cow, sync::Arc, time::Instant};

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Uri},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

use crate::{
    body_budget,
    catalogue::Endpoint,
    config::Retired,
    novita_api::{
        auth::authenticate,
        find_header,
        forced::{answer_instead, forced_outcome},
        request_text,
    },
    novita_error::NovitaError,
    otel::{
        context::{self, TaskTrace},
        spans,
    },
    result_json,
    rules::{self, json::Json, vendor_examples},
    sim::{
        clock::MockTime,
        faults::Fault,
        job::Job,
        outcomes::Outcome,
        task_id::TaskId,
        tasks::{NewTask, Task},
    },
    state::AppState,
    webhooks::{delivery, watch},
    wire::{json_answer, json_response, result_size_hint},
};

fn docs_response(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// `POST /v3/async/<endpoint>`: checks the body and queues a task. It takes the request
/// whole, not its headers and body as extractors would (a copy of the headers, the body
/// collected again): the journal has read the body within the body budget already.
pub async fn submit(
    State(state): State<AppState>,
    endpoint: Endpoint,
    request: Request,
) -> Result<Response, NovitaError> {
    let (parts, body) = request.into_parts();
    let body = body_budget::read_back(body).await?;
    submit_read(&state, endpoint, &parts.headers, body).await
}

/// [`submit`] of a body read already: the app calls it without the router.
pub async fn submit_read(
    state: &AppState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, NovitaError> {
    let key = authenticate(state, headers)?;
    if let (Some(retired), Retired::Reject) = (endpoint.retired(), state.config.retired) {
        return Err(NovitaError::model_retired(
            endpoint.name(),
            retired.on,
            retired.replaced_by,
        ));
    }
    if let Some(limiter) = &state.rate_limiter {
        if let Err(wait) = limiter.allow(key, endpoint.path(), Instant::now()) {
            return Err(NovitaError::rate_limited(Some((
                limiter.per_minute(),
                wait,
            ))));
        }
    }
    let outcome = forced_outcome(state, headers, endpoint.path(), true)?;
    if let Some(outcome) = &outcome {
        if let Some(answer) = answer_instead(outcome, true).await {
            return answer;
        }
    }
    if !headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| is_json_type(v.as_bytes()))
    {
        return Err(NovitaError::invalid_body(
            "Content-Type",
            "must be application/json",
        ));
    }
    let value: Json = serde_json::from_slice(&body)
        .map_err(|e| NovitaError::invalid_body("body", format!("is not valid JSON ({e})")))?;
    let mut job = rules::parse(endpoint, &value)?;
    // Inline media are read now, so that the task keeps the frame they give, not the bytes.
    crate::video::cache::resolve_inline(&mut job);

    if outcome == Some(Outcome::Docs) {
        *state
            .docs_last_endpoint
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = endpoint;
        return Ok(docs_response(vendor_examples::SUBMIT.to_string()));
    }
    let now = state.clock.now();
    let task = Arc::new(new_task(
        state, endpoint, headers, &body, &value, job, key, outcome, now,
    ));
    if let (Some(traces), Some(trace)) = (&state.otel, &task.trace) {
        spans::open_life(traces, trace, task.id, endpoint, false);
    }
    crate::reference_check::start(state, &task);
    state.tasks.insert(task.clone(), now);
    tracing::debug!(task_id = %task.id, endpoint = endpoint.path(), "task queued");
    watch::created(state, &task, endpoint);
    if task.fault == Some(Fault::WebhookEarly) {
        // The event reaches the receiver before the client learns the task id.
        task.force(None, now);
        // Boxed: inline, this rare path's HTTP future would make every submission's future
        // (which axum boxes and moves) kilobytes larger.
        Box::pin(delivery::deliver_now(state, &task)).await;
    }
    delivery::schedule(state, &task);
    let mut response = json_answer(task_id_answer(task.id).into());
    if state.otel.is_some() {
        response
            .extensions_mut()
            .insert(spans::TaskTag(task.id.to_string().into()));
    }
    Ok(Fault::name_in(task.fault.as_ref(), response))
}

/// The task a checked submission becomes: its forced outcome or webhook test mode, else the
/// next recorded script of its endpoint; its seed; the request text it keeps; its trace.
#[allow(clippy::too_many_arguments)] // the parts of one submission, each read once
fn new_task(
    state: &AppState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: &Bytes,
    value: &Json<'_>,
    job: Job,
    key: &str,
    outcome: Option<Outcome>,
    now: MockTime,
) -> Task {
    let forced = outcome.is_some();
    let (planned_failure, fault) = match outcome {
        Some(Outcome::Fail { reason }) => (Some(reason), None),
        Some(Outcome::Fault(fault)) => (None, Some(fault)),
        _ => (None, None),
    };
    let born_terminal = job.webhook.as_ref().and_then(|w| w.test_mode.clone());
    // A forced outcome or a webhook test mode wins over a recording.
    let script = if !forced && born_terminal.is_none() {
        state.replays.next(endpoint)
    } else {
        None
    };
    let seed = job
        .seed
        .or_else(|| script.as_ref().and_then(|s| s.seed()))
        .unwrap_or_else(|| rand::random_range(0..=2_147_483_647));
    Task::new(
        NewTask {
            job,
            seed,
            request_text: request_text::kept(body, value).into(),
            api_key: Arc::from(key),
            planned_failure,
            fault,
            script,
            born_terminal,
            // Walked for first: `extract` looks the header up by hashing its name.
            trace: find_header(headers, context::TRACEPARENT)
                .is_some()
                .then(|| context::extract(headers))
                .flatten()
                .map(TaskTrace::new),
        },
        now,
    )
}

/// `{"task_id":"<id>"}`, written in place: an id's text is always 36 bytes.
fn task_id_answer(id: TaskId) -> Bytes {
    const START: &[u8] = br#"{"task_id":""#;
    let mut answer = [0u8; START.len() + 36 + 2];
    let (start, rest) = answer.split_at_mut(START.len());
    let (text, end) = rest.split_at_mut(36);
    start.copy_from_slice(START);
    id.encode(text.try_into().expect("36 bytes"));
    end.copy_from_slice(br#""}"#);
    Bytes::copy_from_slice(&answer)
}

/// Whether a `Content-Type` value is `application/json`, with or without parameters
/// (`; charset=utf-8`); `application/jsonfoo` is not.
fn is_json_type(value: &[u8]) -> bool {
    const JSON_TYPE: &[u8] = b"application/json";
    let value = value.trim_ascii();
    let Some((essence, rest)) = value.split_at_checked(JSON_TYPE.len()) else {
        return false;
    };
    essence.eq_ignore_ascii_case(JSON_TYPE)
        && (rest.is_empty() || rest.trim_ascii_start().starts_with(b";"))
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

/// `GET /v3/async/task-result?task_id=...`: the task's state as of the mock clock.
pub async fn result(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, NovitaError> {
    result_of(&state, request.headers(), request.uri()).await
}

/// [`result`] of a request's headers and URI: the app calls it without the router.
pub async fn result_of(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Response, NovitaError> {
    let key = authenticate(state, headers)?;
    let path = "/v3/async/task-result";
    let outcome = forced_outcome(state, headers, path, false)?;
    if let Some(outcome) = &outcome {
        if let Some(answer) = answer_instead(outcome, false).await {
            return answer;
        }
    }
    let task_id = task_id_param(uri)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| NovitaError::invalid_body("task_id", "is required"))?;
    if outcome == Some(Outcome::Docs) {
        let endpoint = *state
            .docs_last_endpoint
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        return Ok(docs_response(vendor_examples::result(endpoint)));
    }
    let task = state
        .tasks
        .get(&task_id)
        .filter(|task| *task.api_key == *key)
        .ok_or_else(|| NovitaError::task_not_found(&task_id))?;
    let body = crate::wire::result_of(state, &task, state.clock.now());
    let mut response = json_response(result_json::to_vec(&body, result_size_hint(&task)));
    if state.otel.is_some() {
        response
            .extensions_mut()
            .insert(spans::TaskTag(task.id.to_string().into()));
    }
    Ok(Fault::name_in(task.fault.as_ref(), response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_application_json_is_json() {
        for json in [
            "application/json",
            "Application/JSON",
            " application/json ",
            "application/json; charset=utf-8",
            "application/json ;charset=utf-8",
        ] {
            assert!(is_json_type(json.as_bytes()), "{json}");
        }
        for other in [
            "application/jsonfoo",
            "application/json-patch+json",
            "application/jso",
            "text/plain",
            "application/json,text/plain",
            "",
        ] {
            assert!(!is_json_type(other.as_bytes()), "{other}");
        }
    }

    #[tokio::test]
    async fn the_submit_future_stays_small() {
        // axum boxes and moves this future on every submission: rare paths stay out of it.
        let state = AppState::new(crate::Config::for_tests(), "http://mock".into()).unwrap();
        let future = submit(State(state), Endpoint::WanT2v, Request::default());
        let size = std::mem::size_of_val(&future);
        assert!(size <= 1024, "{size} bytes");
    }
}
