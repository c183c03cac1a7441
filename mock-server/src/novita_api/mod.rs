//! The surface a client of Novita sees: the submit and task-result handlers, the API key and
//! rate-limit rules, Novita's error body with its catalogue of reasons, and the task-result body.

use axum::http::{HeaderMap, HeaderValue};

pub(crate) mod auth;
pub(crate) mod forced;
pub(crate) mod handlers;
mod request_text;

/// The first value of the header `name` (lower case, as HTTP/1 header names are kept), found
/// by walking `headers`: for a name outside HTTP's standard ones (the mock's own,
/// `traceparent`), hashing it costs more than comparing the few headers a request or an answer
/// has. A plain name, so that the simulation layer's header names stay free of HTTP types.
pub(crate) fn find_header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h HeaderValue> {
    debug_assert_eq!(name, name.to_ascii_lowercase());
    headers
        .iter()
        .find_map(|(n, v)| (n.as_str() == name).then_some(v))
}
