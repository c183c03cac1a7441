//! Novita's task routes: the submissions and the task result. Each handler authenticates,
//! applies a forced outcome, checks, and answers; every refusal is a [`NovitaError`].

use std::{borrow::Cow, sync::Arc, time::Instant};

use axum::{
    extract::{Request, State},
    http::{header, request::Parts, HeaderMap, Uri},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

use crate::{
    body_budget,
    catalogue::Endpoint,
    config::Retired,
    control::origin,
    novita_api::{
        auth::authenticate,
        forced::{answer_instead, forced_outcome},
        request_text, Asked,
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
    // Only the headers are kept across the read: the future stays small.
    let headers = headers_of(parts);
    let body = body_budget::read_back(body).await?;
    // The router's guard has checked the origin.
    submit_read(&state, endpoint, headers, body, false).await
}

fn headers_of(parts: Parts) -> HeaderMap {
    parts.headers
}

/// [`submit`] of a body read already: the app calls it without the router, and with
/// `guard`, for the origin check of the router's guard. The answer reuses `headers`' room.
pub async fn submit_read(
    state: &AppState,
    endpoint: Endpoint,
    headers: HeaderMap,
    body: Bytes,
    guard: bool,
) -> Result<Response, NovitaError> {
    // Read in one walk, in a block: what it finds is not kept in the future across a wait.
    let (key, outcome, json_type, traced) = {
        let asked = Asked::of(&headers);
        let key = guarded_key(state, &asked, guard)?;
        submission_allowed(state, endpoint, key)?;
        let outcome = forced_outcome(state, &asked, endpoint.path(), true)?;
        let json_type = asked
            .content_type
            .is_some_and(|v| is_json_type(v.as_bytes()));
        (key, outcome, json_type, asked.traceparent.is_some())
    };
    if let Some(outcome) = &outcome {
        if let Some(answer) = answer_instead(outcome, true).await {
            return answer;
        }
    }
    if !json_type {
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
    let traced = traced.then_some(&headers);
    let task = Arc::new(new_task(
        state, endpoint, traced, &body, &value, job, key, outcome, now,
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
    let answer = task_id_answer(task.id);
    let mut response = json_answer(headers, answer, task.fault.as_ref());
    if state.otel.is_some() {
        response
            .extensions_mut()
            .insert(spans::TaskTag(task.id.to_string().into()));
    }
    Ok(response)
}

/// The first checks of a request to Novita's routes: its origin when `guard` (otherwise the
/// router's guard has checked it), then its API key, which it gives.
fn guarded_key<'h>(
    state: &AppState,
    asked: &Asked<'h>,
    guard: bool,
) -> Result<&'h str, NovitaError> {
    if guard {
        if let Some(refusal) = origin::novita_refusal(state, asked.host, asked.origin) {
            return Err(refusal);
        }
    }
    authenticate(state, asked.authorization)
}

/// A submission's checks after its key: a retired model, the rate limit.
fn submission_allowed(state: &AppState, endpoint: Endpoint, key: &str) -> Result<(), NovitaError> {
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
    Ok(())
}

/// The task a checked submission becomes: its forced outcome or webhook test mode, else the
/// next recorded script of its endpoint; its seed; the request text it keeps; its trace.
#[allow(clippy::too_many_arguments)] // the parts of one submission, each read once
fn new_task(
    state: &AppState,
    endpoint: Endpoint,
    traced: Option<&HeaderMap>,
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
            // Only with a `traceparent`: `extract` looks it up by hashing its name.
            trace: traced.and_then(context::extract).map(TaskTrace::new),
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
    // By byte: char patterns decode the text and set up a searcher per call.
    if query.bytes().any(|b| b == b'%' || b == b'+') {
        return url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "task_id")
            .map(|(_, value)| Cow::Owned(value.into_owned()));
    }
    // The pairs between `&`s, each `name=value` or a bare name.
    let mut rest = query;
    loop {
        let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
        let pair = &rest[..end];
        let (name, value) = match pair.bytes().position(|b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, ""),
        };
        if name == "task_id" {
            return Some(Cow::Borrowed(value));
        }
        rest = rest.get(end + 1..)?;
    }
}

/// `GET /v3/async/task-result?task_id=...`: the task's state as of the mock clock.
pub async fn result(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, NovitaError> {
    let (parts, _) = request.into_parts();
    // The router's guard has checked the origin.
    result_of(&state, parts.headers, &parts.uri, false).await
}

/// [`result`] of a request's headers and URI: the app calls it without the router, and with
/// `guard`, as [`submit_read`].
pub async fn result_of(
    state: &AppState,
    headers: HeaderMap,
    uri: &Uri,
    guard: bool,
) -> Result<Response, NovitaError> {
    let path = "/v3/async/task-result";
    // As in `submit_read`.
    let (key, outcome) = {
        let asked = Asked::of(&headers);
        let key = guarded_key(state, &asked, guard)?;
        (key, forced_outcome(state, &asked, path, false)?)
    };
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
    let json = result_json::to_vec(&body, result_size_hint(&task));
    let mut response = json_response(headers, json, task.fault.as_ref());
    if state.otel.is_some() {
        response
            .extensions_mut()
            .insert(spans::TaskTag(task.id.to_string().into()));
    }
    Ok(response)
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

    #[test]
    fn the_task_id_is_read_as_the_form_decoder_reads_it() {
        for query in [
            "task_id=abc",
            "a=1&task_id=abc&b",
            "task_id",
            "task_id=",
            "x=1",
            "",
            "task_id=a&task_id=b",
            "a&&task_id=c&",
            "task_id=a=b",
            "task_id=a%20b",
            "task_id=a+b",
        ] {
            let uri: Uri = format!("/v3/async/task-result?{query}").parse().unwrap();
            let decoded = url::form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "task_id")
                .map(|(_, value)| value.into_owned());
            assert_eq!(task_id_param(&uri).map(Cow::into_owned), decoded, "{query}");
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
