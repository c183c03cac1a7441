//! Bodies and query strings of control requests, and the control API's own error
//! (`{"error": "..."}`).

use std::time::Duration;

use axum::{
    extract::{FromRequestParts, Query},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Errors of the control API: `{"error": "..."}` with a 4xx status.
pub(super) struct ControlError(pub(super) StatusCode, pub(super) String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// A control route's query string, refused with the control API's JSON error (naming the
/// parameter) rather than axum's plain-text rejection: `?limit=abc`.
pub(super) struct ControlQuery<T>(pub(super) T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ControlQuery<T> {
    type Rejection = ControlError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(query) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                let reason = e.body_text();
                let reason = reason
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&reason);
                bad_request(format!("invalid query string: {reason}"))
            })?;
        Ok(Self(query))
    }
}

pub(super) fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    let text = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &body[..]
    };
    serde_json::from_slice(text)
        .map_err(|e| ControlError(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

pub(super) fn bad_request(message: impl Into<String>) -> ControlError {
    ControlError(StatusCode::BAD_REQUEST, message.into())
}

/// `{"seconds": N}`: a number of simulated seconds, not negative.
pub(super) fn seconds(body: &Bytes) -> Result<Duration, ControlError> {
    let body: Value = parse(body)?;
    let Some(fields) = body.as_object() else {
        return Err(bad_request(
            "the body must be a JSON object like {\"seconds\": 5}",
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| *k != "seconds") {
        return Err(bad_request(format!(
            "{unknown}: unknown field; only seconds is accepted"
        )));
    }
    let value = fields
        .get("seconds")
        .ok_or_else(|| bad_request("seconds: is required"))?;
    match value.as_f64() {
        Some(s) if s.is_finite() && (0.0..1e9).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(bad_request(format!(
            "seconds must be a non-negative number below 1e9 (got {value})"
        ))),
    }
}

/// A body that must be empty or a JSON object (the clock's pause and resume take no fields).
pub(super) fn no_fields(body: &Bytes) -> Result<(), ControlError> {
    let body: Value = parse(body)?;
    match body.as_object() {
        Some(fields) if fields.is_empty() => Ok(()),
        Some(fields) => Err(bad_request(format!(
            "{}: unknown field; this call takes none",
            fields.keys().next().map(String::as_str).unwrap_or_default()
        ))),
        None => Err(bad_request("the body must be empty or {}")),
    }
}
