//! Novita's error answer: an HTTP status and `{"code","reason","message","metadata"}`, and the
//! catalogue of every reason the mock can answer with, one named constructor each. Handlers
//! return `Result<_, NovitaError>`; nothing else in the mock spells a reason.

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
    status: StatusCode,
    reason: String,
    message: String,
    /// Seconds for a `Retry-After` header, on a 429 whose wait is known.
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: u16,
    reason: &'a str,
    message: &'a str,
    metadata: Metadata,
}

impl NovitaError {
    fn new(status: StatusCode, reason: impl Into<String>, message: impl Into<String>) -> Self {
        NovitaError {
            status,
            reason: reason.into(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `INVALID_REQUEST_BODY`: a request parameter broke a rule; `field` names it, `rule`
    /// says how.
    pub fn invalid_body(field: &str, rule: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST_BODY",
            format!("{field}: {rule}"),
        )
    }

    /// 413 `INVALID_REQUEST_BODY`: the body is over the mock's size limit (not documented by
    /// Novita; the reason is the one it uses for bodies it refuses).
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "INVALID_REQUEST_BODY",
            format!("body: larger than {limit} bytes, or not fully received"),
        )
    }

    /// 400 `INVALID_REQUEST_BODY`: the body did not arrive whole (the connection failed, went
    /// quiet, or took longer than the mock waits).
    pub fn body_incomplete(idle: std::time::Duration, deadline: std::time::Duration) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST_BODY",
            format!(
                "body: not fully received (the connection failed, sent nothing for {} s, or took more than {} s)",
                idle.as_secs(),
                deadline.as_secs()
            ),
        )
    }

    /// 429 `RATE_LIMIT_EXCEEDED`: too many large bodies are being read at once; nothing was
    /// created, so the request can be sent again (`Retry-After: 1`).
    pub fn busy_with_bodies() -> Self {
        NovitaError {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMIT_EXCEEDED",
                "too many large request bodies at once; nothing was created, send it again",
            )
        }
    }

    /// 400 `MISSING_API_KEY`.
    pub fn missing_api_key() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MISSING_API_KEY",
            "missing api key: send Authorization: Bearer <key>",
        )
    }

    /// 403 `INVALID_API_KEY`.
    pub fn invalid_api_key() -> Self {
        Self::new(StatusCode::FORBIDDEN, "INVALID_API_KEY", "invalid api key")
    }

    /// 404 `TASK_NOT_FOUND`: unknown, evicted, or another key's task alike.
    pub fn task_not_found(task_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "TASK_NOT_FOUND",
            format!("task {task_id} not found"),
        )
    }

    /// 404 `API_NOT_FOUND`: no route at this path.
    pub fn api_not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "API_NOT_FOUND",
            format!("no API at {path}"),
        )
    }

    /// 405 `METHOD_NOT_ALLOWED` (axum adds the `Allow` header).
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("{method} is not allowed on {path}"),
        )
    }

    /// 429 `RATE_LIMIT_EXCEEDED`: from the configured limit, with `Retry-After` saying when a
    /// place frees up, or forced by a test (`None`, no header).
    pub fn rate_limited(limit: Option<(u32, std::time::Duration)>) -> Self {
        let (message, retry_after) = match limit {
            Some((rpm, wait)) => (
                format!("rate limit of {rpm} requests per minute exceeded"),
                Some(wait.as_secs()),
            ),
            None => ("rate limit exceeded".to_string(), None),
        };
        NovitaError {
            retry_after,
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMIT_EXCEEDED",
                message,
            )
        }
    }

    /// 500 with a test's reason, or Novita's for the operation: `CREATE_TASK_FAILED` for a
    /// submission, `GET_RESULT_FAILED` for a result read.
    pub fn server_error(reason: Option<&str>, is_submit: bool) -> Self {
        let default = if is_submit {
            "CREATE_TASK_FAILED"
        } else {
            "GET_RESULT_FAILED"
        };
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            reason.unwrap_or(default),
            "internal error",
        )
    }

    /// Any status and reason a test asked for (the `reject` outcome); the message defaults to
    /// the reason in words.
    pub fn chosen_by_test(status: u16, reason: &str, message: Option<&str>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let message = message
            .map(str::to_string)
            .unwrap_or_else(|| reason.to_lowercase().replace('_', " "));
        Self::new(status, reason, message)
    }

    /// 404 `MODEL_RETIRED`: the endpoint's model is retired and the mock was told to refuse it
    /// (`--retired reject`). Novita does not document its own answer; this one is our choice.
    pub fn model_retired(endpoint: &str, on: &str, replaced_by: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "MODEL_RETIRED",
            format!(
                "{endpoint} was retired on {on}; Novita names {replaced_by} as its replacement"
            ),
        )
    }

    /// 400 `INVALID_MOCK_SCENARIO`: the `X-Mock-Scenario` header does not parse.
    pub fn invalid_scenario(header: &str, problem: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_MOCK_SCENARIO",
            format!("{header}: {problem}"),
        )
    }

    /// 401 `MISSING_MOCK_TOKEN`: the control API needs its token.
    pub fn control_token_missing() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "MISSING_MOCK_TOKEN",
            "this mock's control API needs its token: send X-Mock-Token (the dashboard takes /_mock/ui?token=...)",
        )
    }

    /// 401 `INVALID_MOCK_TOKEN`.
    pub fn control_token_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_MOCK_TOKEN",
            "X-Mock-Token does not match this mock's control token",
        )
    }

    /// 403 `FOREIGN_ORIGIN`: a request to the control API sent by a page of another site (its
    /// `Origin`), or addressed to a host name that is not the mock's own (DNS rebinding).
    pub fn foreign_origin(header: &str, value: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "FOREIGN_ORIGIN",
            format!(
                "{header}: {value:?} is not this mock; the control API answers its own pages and \
                 loopback names only, or any request that carries X-Mock-Token"
            ),
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
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
