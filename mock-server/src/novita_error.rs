//! Novita's error answer: an HTTP status and `{"code","reason","message","metadata"}`.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// Metadata is always an empty object: Novita documents no keys for it.
type Metadata = Map<String, Value>;

#[derive(Clone, Debug, PartialEq)]
pub struct NovitaError {
    pub status: StatusCode,
    pub reason: String,
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: u16,
    reason: &'a str,
    message: &'a str,
    metadata: Metadata,
}

impl NovitaError {
    pub fn new(status: StatusCode, reason: impl Into<String>, message: impl Into<String>) -> Self {
        NovitaError {
            status,
            reason: reason.into(),
            message: message.into(),
        }
    }

    /// A request parameter broke a rule: `field` names it, `rule` says how.
    pub fn invalid_body(field: &str, rule: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST_BODY",
            format!("{field}: {rule}"),
        )
    }

    pub fn missing_api_key() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MISSING_API_KEY",
            "missing api key: send Authorization: Bearer <key>",
        )
    }

    pub fn invalid_api_key() -> Self {
        Self::new(StatusCode::FORBIDDEN, "INVALID_API_KEY", "invalid api key")
    }

    pub fn task_not_found(task_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "TASK_NOT_FOUND",
            format!("task {task_id} not found"),
        )
    }

    pub fn api_not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "API_NOT_FOUND",
            format!("no API at {path}"),
        )
    }

    pub fn control_token_missing() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "MISSING_MOCK_TOKEN",
            "this mock's control API needs its token: send X-Mock-Token (the dashboard takes /_mock/ui?token=...)",
        )
    }

    pub fn control_token_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_MOCK_TOKEN",
            "X-Mock-Token does not match this mock's control token",
        )
    }

    pub fn rate_limited(rpm: u32) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            format!("rate limit of {rpm} requests per minute exceeded"),
        )
    }
}

impl IntoResponse for NovitaError {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.status.as_u16(),
            reason: &self.reason,
            message: &self.message,
            metadata: Map::new(),
        };
        (self.status, Json(body)).into_response()
    }
}
