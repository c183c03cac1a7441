//! Serves result videos at `/_mock/videos/<task id>.mp4`, like a signed storage link: it
//! answers 403 once the link's time-to-live has run out.

use std::time::{Duration, Instant};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};

use crate::{state::AppState, tasks::Phase};

fn storage_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

pub async fn video(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(task_id) = file.strip_suffix(".mp4") else {
        return storage_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let Some(task) = state.tasks.get(task_id) else {
        return storage_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let ended = match task.phase(Instant::now()) {
        Phase::Succeeded { at } => at,
        _ => {
            return storage_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            )
        }
    };
    if ended.elapsed() > Duration::from_secs(state.config.video_ttl_seconds) {
        return storage_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    match state.videos.video_for(&task, &state.http).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "video/mp4"),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        Err(message) => {
            tracing::error!(task_id, %message, "video rendering failed");
            storage_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error.",
            )
        }
    }
}
