//! The task-result body, as Novita sends it: the mock's own serde types.

use std::sync::LazyLock;

use axum::{
    body::Body,
    http::{
        header::{CONTENT_LENGTH, CONTENT_TYPE},
        HeaderMap, HeaderName, HeaderValue,
    },
    response::Response,
};
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::{
    sim::clock::{Clock, MockTime},
    sim::faults::{Fault, FAULT_HEADER},
    sim::phase::{Phase, FAILED, SUCCEED},
    sim::tasks::{Task, TaskId},
    state::AppState,
};

/// The task-result body of `task` at `now`, as the result endpoint, the webhook and the
/// control API show it.
pub fn result_of<'t>(state: &AppState, task: &'t Task, now: MockTime) -> TaskResult<'t> {
    let result = task_result(
        task,
        now,
        &state.clock,
        || state.video_url(task.id),
        state.config.video_ttl_seconds,
    );
    if let Some(trace) = &task.trace {
        // The first look at a final status ends the task's life span.
        match result.task.status {
            SUCCEED => trace.end(SUCCEED, None),
            FAILED => trace.end(FAILED, Some(&result.task.reason)),
            _ => {}
        }
    }
    result
}

/// The body of a task result. It borrows from the task where it can: it is built for every
/// poll, serialised once and dropped.
#[derive(Clone, Debug, Serialize)]
pub struct TaskResult<'a> {
    pub task: TaskView,
    pub extra: ExtraView<'a>,
    pub images: [Value; 0],
    pub videos: Vec<VideoView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TaskView {
    #[serde(serialize_with = "id_as_text")]
    pub task_id: TaskId,
    pub task_type: &'static str,
    pub status: &'static str,
    pub reason: String,
    /// Wall-clock seconds left (the mock's remaining time divided by its speed), whole and
    /// rounded up.
    pub eta: u64,
    pub progress_percent: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExtraView<'a> {
    /// A string, as Novita sends it.
    #[serde(serialize_with = "as_text")]
    pub seed: i64,
    pub enable_nsfw_detection: bool,
    pub debug_info: DebugInfo<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<&'a Value>,
}

/// Times are strings of Unix milliseconds. All three are always sent, a time that has not
/// happened yet as `"0"`: the official Python SDK (0.7.1) needs every one of them and fails on
/// an empty string, and the pages require neither absence nor emptiness.
#[derive(Clone, Debug, Serialize)]
pub struct DebugInfo<'a> {
    pub request_info: &'a str,
    #[serde(serialize_with = "as_text")]
    pub submit_time_ms: u64,
    #[serde(serialize_with = "optional_as_text")]
    pub execute_time_ms: Option<u64>,
    #[serde(serialize_with = "optional_as_text")]
    pub complete_time_ms: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VideoView {
    pub video_url: String,
    #[serde(serialize_with = "as_text")]
    pub video_url_ttl: u64,
    pub video_type: &'static str,
}

/// The result of `task` at `now`; `video_url` makes the address its video is served at (called
/// only once the task has succeeded); times are read on `clock`'s wall time.
pub fn task_result<'a>(
    task: &'a Task,
    now: MockTime,
    clock: &Clock,
    video_url: impl FnOnce() -> String,
    ttl_seconds: u64,
) -> TaskResult<'a> {
    let phase = task.phase(now);
    let (reason, eta, progress) = match &phase {
        Phase::Queued { eta } => (String::new(), eta.as_secs_f64(), 0),
        Phase::Processing { progress, eta } => (String::new(), eta.as_secs_f64(), *progress),
        Phase::Succeeded { .. } => (String::new(), 0.0, 100),
        Phase::Failed {
            reason, progress, ..
        } => (reason.clone(), 0.0, *progress),
    };
    let videos = match phase {
        Phase::Succeeded { .. } => vec![VideoView {
            video_url: video_url(),
            video_url_ttl: ttl_seconds,
            video_type: "mp4",
        }],
        _ => Vec::new(),
    };
    let ended = phase.ended_at();
    let started = task
        .started_at(now)
        .map(|at| ended.map_or(at, |end| at.min(end)));
    TaskResult {
        task: TaskView {
            task_id: task.id,
            task_type: task.job.endpoint.task_type(),
            status: phase.status(),
            reason,
            eta: wall_eta(eta, clock.speed()),
            progress_percent: progress,
        },
        extra: ExtraView {
            seed: task.seed,
            enable_nsfw_detection: false,
            debug_info: DebugInfo {
                request_info: &task.request_text,
                submit_time_ms: clock.unix_ms(task.submitted_at),
                execute_time_ms: started.map(|at| clock.unix_ms(at)),
                complete_time_ms: ended.map(|at| clock.unix_ms(at)),
            },
            webhook: task.job.webhook.as_ref().map(|w| &w.echo),
        },
        images: [],
        videos,
    }
}

/// A JSON answer already written (into a buffer sized for it up front, so that writing it
/// never reallocated), or the 500 of one that did not serialise; `headers` and `fault` as in
/// [`json_answer`].
pub fn json_response(
    headers: HeaderMap,
    json: serde_json::Result<Vec<u8>>,
    fault: Option<&Fault>,
) -> Response {
    use axum::response::IntoResponse;
    match json {
        Ok(buffer) => json_answer(headers, buffer.into(), fault),
        Err(e) => {
            tracing::error!(error = %e, "an answer did not serialise");
            let response = axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
            Fault::name_in(fault, response)
        }
    }
}

/// A 200 answer of `json` with `Content-Type: application/json`, `X-Mock-Fault` when `fault`
/// names one, and `Content-Length`, in that order: what the tuple
/// `([(CONTENT_TYPE, "application/json")], json)`, [`Fault::name_in`] and the router make.
/// `headers` is the request's map, emptied here: its room is reused, where a new map would
/// allocate twice.
pub fn json_answer(mut headers: HeaderMap, json: Bytes, fault: Option<&Fault>) -> Response {
    headers.clear();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(fault) = fault {
        headers.insert(HeaderName::from_static(FAULT_HEADER), fault.header_value());
    }
    headers.insert(CONTENT_LENGTH, content_length(json.len()));
    let mut response = Response::new(Body::from(json));
    *response.headers_mut() = headers;
    response
}

/// Answers up to this size take their `Content-Length` from a table made once.
const TABLED_LENGTHS: usize = 4096;

/// The text of each length under [`TABLED_LENGTHS`], made on first use and kept: a static
/// header value costs no allocation, which a value made per answer does.
static LENGTHS: LazyLock<Box<[&'static str]>> = LazyLock::new(|| {
    (0..TABLED_LENGTHS)
        .map(|n| &*Box::leak(n.to_string().into_boxed_str()))
        .collect()
});

/// The `Content-Length` value of a body of `size` bytes.
pub fn content_length(size: usize) -> HeaderValue {
    match LENGTHS.get(size) {
        Some(text) => HeaderValue::from_static(text),
        None => HeaderValue::from(size),
    }
}

/// Makes the table of lengths now, not at the first answer.
pub fn prepare_headers() {
    LazyLock::force(&LENGTHS);
}

/// Bytes a task result of `task` takes as JSON, about: the buffer of [`json_response`].
pub fn result_size_hint(task: &Task) -> usize {
    // The fixed keys and values take under 600 bytes; the echoed request grows with escaping.
    640 + task.request_text.len() * 5 / 4
}

/// Serialises a whole number as its text, as Novita does for seeds, times and TTLs.
fn as_text<T: itoa::Integer + Copy, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(itoa::Buffer::new().format(*value))
}

fn optional_as_text<T: itoa::Integer + Copy, S: serde::Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => as_text(value, serializer),
        None => serializer.serialize_str("0"),
    }
}

fn id_as_text<S: serde::Serializer>(id: &TaskId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(id.encode(&mut [0; 36]))
}

/// The webhook body: `{"event_type":"ASYNC_TASK_RESULT","payload":<task result>}`.
#[derive(Serialize)]
pub struct WebhookEvent<'a> {
    pub event_type: &'static str,
    pub payload: &'a TaskResult<'a>,
}

/// What `eta` says for `mock_seconds` left on a clock running at `speed`: the wall-clock
/// seconds a client would wait, whole and rounded up. The page types `eta` as a number and
/// shows integers, and the official Python SDK (0.7.1) refuses a fraction. A client that sleeps
/// for it gains from `--speed` as it should; the float-to-integer cast saturates.
fn wall_eta(mock_seconds: f64, speed: f64) -> u64 {
    (mock_seconds / speed).ceil() as u64
}

/// The `X-Mock-Fault` header, written here so that the simulation names no HTTP type.
impl Fault {
    /// The `X-Mock-Fault` header value naming this fault.
    pub fn header_value(&self) -> HeaderValue {
        HeaderValue::from_str(&self.to_string())
            .expect("fault names are ASCII words, colons and numbers")
    }

    /// `response` with the `X-Mock-Fault` header naming `fault`, when there is one.
    pub fn name_in(fault: Option<&Fault>, mut response: Response) -> Response {
        if let Some(fault) = fault {
            response
                .headers_mut()
                .insert(HeaderName::from_static(FAULT_HEADER), fault.header_value());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn eta_is_whole_wall_seconds_even_when_huge() {
        assert_eq!(super::wall_eta(7.0, 1.0), 7);
        assert_eq!(super::wall_eta(7.0, 10.0), 1);
        assert_eq!(super::wall_eta(4.5, 1.0), 5);
        assert_eq!(super::wall_eta(6.1e16, 10.0), 6_100_000_000_000_000);
        assert_eq!(super::wall_eta(f64::MAX, 0.001), u64::MAX);
    }
}
