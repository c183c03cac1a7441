//! The control API's guard. Once the mock has a control token (`--control-token`, or one made
//! up at start when it listens beyond loopback without one), every `/_mock/...` route except the
//! result videos needs it in an `X-Mock-Token` header; the dashboard also takes it once as
//! `/_mock/ui?token=...` and sends the header on its own calls (and the query to
//! `/_mock/events`, as an `EventSource` sends no header). A Novita request that carries an
//! `X-Mock-Scenario` header needs the token too, since that header, too, steers the mock.
//! On the control routes `Authorization: Bearer <token>` is taken as well (a Prometheus scrape
//! sends it); on Novita's routes that header is the API key.

use axum::{
    extract::{Request, State},
    http::HeaderMap,
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::origin;
use crate::{novita_error::NovitaError, state::AppState};

pub const TOKEN_HEADER: &str = "x-mock-token";

/// Ok when the mock has no token, or the request carries it (header, or `query_token` where
/// the route takes one).
pub fn check(
    state: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
) -> Result<(), NovitaError> {
    let Some(expected) = state.config.control_token.as_deref() else {
        return Ok(());
    };
    let given = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .or(query_token);
    match given {
        None => Err(NovitaError::control_token_missing()),
        Some(given) if same(given.trim().as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(NovitaError::control_token_invalid()),
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Compares in time that does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Middleware of the control routes: the token when the mock has one; without one, only
/// requests no page of another site could have sent (see `origin`).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // A browser's page and its `EventSource` cannot send headers; a Prometheus scrape sends
    // `Authorization: Bearer`.
    let query_token = if path.ends_with("/ui") || path.ends_with("/events") {
        request.uri().query().and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "token")
                .map(|(_, value)| value.into_owned())
        })
    } else {
        None
    };
    let query_token = query_token.or_else(|| bearer(request.headers()));
    let verdict = check(&state, request.headers(), query_token.as_deref()).and_then(|()| {
        match (
            &state.config.control_token,
            origin::foreign(&origin::Own::of(&state), request.headers()),
        ) {
            (None, Some(refusal)) => Err(refusal),
            _ => Ok(()),
        }
    });
    match verdict {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(!same(b"", b"a"));
    }
}
