//! The surface a client of Novita sees: the submit and task-result handlers, the API key and
//! rate-limit rules, Novita's error body with its catalogue of reasons, and the task-result body.

use axum::http::{header, HeaderMap, HeaderValue};

use crate::{otel::context::TRACEPARENT, sim::outcomes::SCENARIO_NAME};

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
    // The names are a slice, cheaper to walk than the values; the name is hashed only when it
    // is there, which is seldom.
    if headers.keys().any(|n| n.as_str() == name) {
        headers.get(name)
    } else {
        None
    }
}

/// The headers a request to Novita's routes is answered by, found in one walk over its few
/// headers rather than a hashed lookup each. Each is the first value of its name, as
/// `HeaderMap::get` gives it.
#[derive(Clone, Copy)]
pub(crate) struct Asked<'h> {
    /// Every header, for what is read only now and then (the control token, a trace's state).
    pub all: &'h HeaderMap,
    pub host: Option<&'h HeaderValue>,
    pub origin: Option<&'h HeaderValue>,
    pub authorization: Option<&'h HeaderValue>,
    pub content_type: Option<&'h HeaderValue>,
    pub scenario: Option<&'h HeaderValue>,
    pub traceparent: Option<&'h HeaderValue>,
}

impl<'h> Asked<'h> {
    pub fn of(all: &'h HeaderMap) -> Self {
        let mut asked = Asked {
            all,
            host: None,
            origin: None,
            authorization: None,
            content_type: None,
            scenario: None,
            traceparent: None,
        };
        for (name, value) in all {
            // Standard names compare as one byte each; the two others by text.
            let slot = if name == header::HOST {
                &mut asked.host
            } else if name == header::AUTHORIZATION {
                &mut asked.authorization
            } else if name == header::CONTENT_TYPE {
                &mut asked.content_type
            } else if name == header::ORIGIN {
                &mut asked.origin
            } else {
                match name.as_str() {
                    SCENARIO_NAME => &mut asked.scenario,
                    TRACEPARENT => &mut asked.traceparent,
                    _ => continue,
                }
            };
            slot.get_or_insert(value);
        }
        asked
    }
}
