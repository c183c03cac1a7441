//! Serves result videos at `/_mock/videos/<task id>.mp4`, like a signed storage link: it
//! answers 403 once the link's time-to-live has run out on the mock clock, and honours a
//! single byte range (`Range: bytes=...`) as storage services and video players expect, unless
//! an `If-Range` names another version than the `ETag` it gives (RFC 9110, 13.1.5).

use std::{ops::Range, time::Duration};

use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

use crate::{sim::faults::Fault, sim::phase::Phase, state::AppState};

/// A storage service's XML error, as S3-style signed links answer.
enum StorageError {
    NoSuchKey,
    Expired,
    /// A range that starts past the end; carries the file's length.
    InvalidRange(usize),
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
            StorageError::InvalidRange(_) => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable",
            ),
            StorageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error.",
            ),
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        );
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response();
        if let StorageError::InvalidRange(length) = self {
            let range = format!("bytes */{length}");
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&range).unwrap(),
            );
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
        response
    }
}

/// `GET` (and `HEAD`, which axum routes here) of a video link.
pub async fn video(
    State(state): State<AppState>,
    Path(file): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let task = file
        .strip_suffix(".mp4")
        .and_then(|task_id| state.tasks.get(task_id));
    let Some(task) = task else {
        return StorageError::NoSuchKey.into_response();
    };
    let asked = Asked {
        range: headers.get(header::RANGE),
        if_range: headers.get(header::IF_RANGE),
        head: method == Method::HEAD,
    };
    Fault::name_in(task.fault.as_ref(), serve(&state, &task, asked).await)
}

/// What the request asks of the file beyond the link itself.
struct Asked<'a> {
    range: Option<&'a HeaderValue>,
    /// The version the client's partial copy is of: the range is sent only if it is this one.
    if_range: Option<&'a HeaderValue>,
    /// A `HEAD` request: the answer's body is dropped, so the `cut-download` fault is kept for
    /// a real download.
    head: bool,
}

async fn serve(state: &AppState, task: &crate::sim::tasks::Task, asked: Asked<'_>) -> Response {
    let now = state.clock.now();
    let Phase::Succeeded { at: ended } = task.phase(now) else {
        return StorageError::NoSuchKey.into_response();
    };
    let ttl = Duration::from_secs(state.config.video_ttl_seconds);
    let age = now.since(ended);
    if age > ttl || task.fault == Some(Fault::ExpiredLink) {
        return StorageError::Expired.into_response();
    }
    // A cache may keep the video as long as the link lives, not longer.
    let max_age = ttl.saturating_sub(age).as_secs();
    // The store logs the rare failure (a spec the renderer refuses).
    let Ok(bytes) = state.videos.video_for(task, &state.http).await else {
        return StorageError::Internal.into_response();
    };
    let length = bytes.len();
    // A task's video is rendered from its seed alone: one version for the task's whole life.
    let etag = format!("\"{}-{length}\"", task.id);
    let range = asked.range.filter(|_| {
        asked
            .if_range
            .is_none_or(|v| v.as_bytes() == etag.as_bytes())
    });
    let (status, part) = match wanted(range, length) {
        Wanted::Whole => (StatusCode::OK, 0..length),
        Wanted::Part(part) => (StatusCode::PARTIAL_CONTENT, part),
        Wanted::Unsatisfiable => return StorageError::InvalidRange(length).into_response(),
    };
    let sent = part.len();
    let cut = if status == StatusCode::OK && !asked.head {
        task.take_download_cut(length)
    } else {
        None
    };
    let body = match cut {
        Some(cut) => cut_after(bytes.slice(..cut)),
        None => Body::from(bytes.slice(part.clone())),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("private, max-age={max_age}")).unwrap(),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(sent));
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {}-{}/{length}", part.start, part.end - 1);
        headers.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&range).unwrap(),
        );
    }
    response
}

/// What a `Range` header asks of a file of `length` bytes.
#[derive(Debug, PartialEq)]
enum Wanted {
    Whole,
    Part(Range<usize>),
    Unsatisfiable,
}

/// Reads one `bytes=a-b`, `bytes=a-` or `bytes=-n` range (RFC 9110, 14.1). A header that is
/// malformed or asks for several ranges is ignored, and the whole file is sent, as most
/// storage services do; a range past the end is unsatisfiable.
fn wanted(range: Option<&HeaderValue>, length: usize) -> Wanted {
    let Some(text) = range.and_then(|value| value.to_str().ok()) else {
        return Wanted::Whole;
    };
    let Some((unit, spec)) = text.trim().split_once('=') else {
        return Wanted::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    // Digits only; a number too large for u64 is still a number (past any end).
    let number = |digits: &str| {
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<u64>().unwrap_or(u64::MAX))
    };
    let length = length as u64;
    let (start, end) = match (first.trim(), last.trim()) {
        ("", "") => return Wanted::Whole,
        ("", suffix) => match number(suffix) {
            None => return Wanted::Whole,
            Some(0) => return Wanted::Unsatisfiable,
            Some(n) => (length.saturating_sub(n), length),
        },
        (first, last) => {
            let Some(start) = number(first) else {
                return Wanted::Whole;
            };
            let end = if last.is_empty() {
                length
            } else {
                match number(last) {
                    Some(last) if last >= start => last.saturating_add(1).min(length),
                    _ => return Wanted::Whole,
                }
            };
            if start >= length {
                return Wanted::Unsatisfiable;
            }
            (start, end)
        }
    };
    Wanted::Part(start as usize..end as usize)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(range: &str) -> Wanted {
        wanted(Some(&HeaderValue::from_str(range).unwrap()), 100)
    }

    #[test]
    fn single_ranges_are_read() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(ask("bytes=0-9"), Wanted::Part(0..10));
        assert_eq!(ask("bytes=90-"), Wanted::Part(90..100));
        assert_eq!(ask("bytes=90-1000"), Wanted::Part(90..100));
        assert_eq!(ask("bytes=-10"), Wanted::Part(90..100));
        assert_eq!(ask("bytes=-1000"), Wanted::Part(0..100));
        assert_eq!(ask("Bytes = 5-5"), Wanted::Part(5..6));
        assert_eq!(
            ask("bytes=99-99999999999999999999999"),
            Wanted::Part(99..100)
        );
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(ask("bytes=100-"), Wanted::Unsatisfiable);
        assert_eq!(ask("bytes=100-200"), Wanted::Unsatisfiable);
        assert_eq!(ask("bytes=-0"), Wanted::Unsatisfiable);
        assert_eq!(ask("bytes=99999999999999999999999-"), Wanted::Unsatisfiable);
    }

    #[test]
    fn malformed_or_several_ranges_give_the_whole_file() {
        for range in [
            "bytes=0-1,5-9",
            "bytes=9-1",
            "bytes=-",
            "bytes=a-b",
            "bytes=1-2-3",
            "bytes=+1-2",
            "bytes=0x10-",
            "items=0-9",
            "bytes 0-9",
            "",
        ] {
            assert_eq!(ask(range), Wanted::Whole, "{range:?}");
        }
    }
}
