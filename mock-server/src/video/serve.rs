//! Serves result videos at `/_mock/videos/<task id>.mp4`, like a signed storage link: it
//! answers 403 once the link's time-to-live has run out on the mock clock.

use std::time::Duration;

use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

use crate::{sim::faults::Fault, sim::tasks::Phase, state::AppState};

/// A storage service's XML error, as S3-style signed links answer.
enum StorageError {
    NoSuchKey,
    Expired,
    Internal,
}

impl IntoResponse for StorageError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            StorageError::NoSuchKey => (
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            ),
            StorageError::Expired => (StatusCode::FORBIDDEN, "AccessDenied", "Request has expired"),
            StorageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error.",
            ),
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        );
        (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
    }
}

pub async fn video(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let task = file
        .strip_suffix(".mp4")
        .and_then(|task_id| state.tasks.get(task_id));
    let Some(task) = task else {
        return StorageError::NoSuchKey.into_response();
    };
    Fault::name_in(task.fault.as_ref(), serve(&state, &task).await)
}

async fn serve(state: &AppState, task: &crate::sim::tasks::Task) -> Response {
    let now = state.clock.now();
    let Phase::Succeeded { at: ended } = task.phase(now) else {
        return StorageError::NoSuchKey.into_response();
    };
    let ttl = Duration::from_secs(state.config.video_ttl_seconds);
    if now.since(ended) > ttl || task.fault == Some(Fault::ExpiredLink) {
        return StorageError::Expired.into_response();
    }
    let bytes = match state.videos.video_for(task, &state.http).await {
        Ok(bytes) => bytes,
        Err(message) => {
            tracing::error!(task_id = %task.id, %message, "video rendering failed");
            return StorageError::Internal.into_response();
        }
    };
    let length = bytes.len();
    let body = match task.take_download_cut(length) {
        Some(cut) => cut_after(bytes.slice(..cut)),
        None => Body::from(bytes),
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// A body that sends `head` and then fails, so the connection closes short of the announced
/// length. The failure waits a moment: the server writes out what it has while the body is
/// pending, so the client really receives the head before the connection drops.
fn cut_after(head: Bytes) -> Body {
    let failure = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err(std::io::Error::other("mock fault: download cut off"))
    });
    let chunks = futures_util::StreamExt::chain(futures_util::stream::iter([Ok(head)]), failure);
    Body::from_stream(chunks)
}
