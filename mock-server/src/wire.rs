//! The task-result body, as Novita sends it: the mock's own serde types.

use serde::Serialize;
use serde_json::Value;

use crate::{
    clock::{Clock, MockTime},
    tasks::{Phase, Task},
};

#[derive(Clone, Debug, Serialize)]
pub struct TaskResult {
    pub task: TaskView,
    pub extra: ExtraView,
    pub images: Vec<Value>,
    pub videos: Vec<VideoView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TaskView {
    pub task_id: String,
    pub task_type: String,
    pub status: String,
    pub reason: String,
    /// Seconds left; fractional so fast-running mocks stay precise, whole numbers as integers.
    #[serde(serialize_with = "whole_as_integer")]
    pub eta: f64,
    pub progress_percent: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExtraView {
    /// A string, as Novita sends it.
    pub seed: String,
    pub enable_nsfw_detection: bool,
    pub debug_info: DebugInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Value>,
}

/// Times are strings of Unix milliseconds; a time that has not happened yet is left out
/// rather than sent empty (an empty string breaks the official Python SDK).
#[derive(Clone, Debug, Serialize)]
pub struct DebugInfo {
    pub request_info: String,
    pub submit_time_ms: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execute_time_ms: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complete_time_ms: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VideoView {
    pub video_url: String,
    pub video_url_ttl: String,
    pub video_type: String,
}

/// The result of `task` at `now`; `video_url` is where its video is served; times are read on
/// `clock`'s wall time.
pub fn task_result(
    task: &Task,
    now: MockTime,
    clock: &Clock,
    video_url: &str,
    ttl_seconds: u64,
) -> TaskResult {
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
            video_url: video_url.to_string(),
            video_url_ttl: ttl_seconds.to_string(),
            video_type: "mp4".to_string(),
        }],
        _ => Vec::new(),
    };
    let ended = phase.ended_at();
    let started = task
        .started_at(now)
        .map(|at| ended.map_or(at, |end| at.min(end)));
    TaskResult {
        task: TaskView {
            task_id: task.id.to_string(),
            task_type: task.job.endpoint.task_type().to_string(),
            status: phase.status().to_string(),
            reason,
            eta: (eta * 1000.0).ceil() / 1000.0,
            progress_percent: progress,
        },
        extra: ExtraView {
            seed: task.seed.to_string(),
            enable_nsfw_detection: false,
            debug_info: DebugInfo {
                request_info: task.request_text.to_string(),
                submit_time_ms: clock.unix_ms(task.submitted_at).to_string(),
                execute_time_ms: started.map(|at| clock.unix_ms(at).to_string()),
                complete_time_ms: ended.map(|at| clock.unix_ms(at).to_string()),
            },
            webhook: task.job.webhook.as_ref().map(|w| w.echo.clone()),
        },
        images: Vec::new(),
        videos,
    }
}

/// The webhook body: `{"event_type":"ASYNC_TASK_RESULT","payload":<task result>}`.
#[derive(Serialize)]
pub struct WebhookEvent<'a> {
    pub event_type: &'static str,
    pub payload: &'a TaskResult,
}

fn whole_as_integer<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}
