//! The surface a client of Novita sees: the submit and task-result handlers, the API key and
//! rate-limit rules, Novita's error body with its catalogue of reasons, and the task-result body.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

pub(crate) mod auth;
pub(crate) mod forced;
pub(crate) mod handlers;
mod request_text;

/// The first value of the header `name`, found by walking `headers`: for a name outside HTTP's
/// standard ones (the mock's own, `traceparent`), hashing it costs more than comparing the few
/// headers a request or an answer has.
pub(crate) fn find_header<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
) -> Option<&'h HeaderValue> {
    headers.iter().find_map(|(n, v)| (n == name).then_some(v))
}
