//! Outcomes a test forces on one request (the `X-Mock-Scenario` header, the queue of the
//! control API, the docs replay), and the answers that replace the real one.

use std::time::Duration;

use axum::{
    body::Body,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

use crate::{
    control::token,
    novita_api::Asked,
    novita_error::NovitaError,
    sim::outcomes::{Outcome, SCENARIO_HEADER},
    state::AppState,
};

/// Marks a response that must reach the client as a closed connection, not as an answer.
#[derive(Clone, Copy, Debug)]
pub struct NoAnswer;

const HTML_503: &str = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// The outcome forced on this request: its header, else the queue, else the docs replay.
pub fn forced_outcome(
    state: &AppState,
    asked: &Asked<'_>,
    path: &str,
    is_submit: bool,
) -> Result<Option<Outcome>, NovitaError> {
    if let Some(value) = asked.scenario {
        // A scenario header is a control action: with a token in force it needs the token.
        token::check(state, asked.all, None)?;
        let text = value.to_str().unwrap_or_default();
        return text
            .parse()
            .map(Some)
            .map_err(|e| NovitaError::invalid_scenario(SCENARIO_HEADER, e));
    }
    if let Some(outcome) = state.outcomes.take(path, is_submit) {
        return Ok(Some(outcome));
    }
    Ok(state.config.docs_replay.then_some(Outcome::Docs))
}

/// Outcomes that replace the answer entirely: a Novita error, or something that is not an
/// answer of Novita's (an HTML page, a dropped connection). `None` lets the request go on.
pub async fn answer_instead(
    outcome: &Outcome,
    is_submit: bool,
) -> Option<Result<Response, NovitaError>> {
    match outcome {
        Outcome::RateLimit => Some(Err(NovitaError::rate_limited(None))),
        Outcome::ServerError { reason } => {
            Some(Err(NovitaError::server_error(reason.as_deref(), is_submit)))
        }
        Outcome::Reject {
            reason,
            status,
            message,
        } => Some(Err(NovitaError::chosen_by_test(
            *status,
            reason,
            message.as_deref(),
        ))),
        Outcome::HtmlUnavailable => Some(Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            HTML_503,
        )
            .into_response())),
        Outcome::Drop => Some(Ok(no_answer())),
        Outcome::Stall { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            Some(Ok(no_answer()))
        }
        Outcome::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            None
        }
        Outcome::Succeed | Outcome::Fail { .. } | Outcome::Docs | Outcome::Fault(_) => None,
    }
}

/// A response whose body fails at once: hyper closes the connection without an answer.
fn no_answer() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("mock scenario: connection dropped"))
    });
    let mut response = Response::new(Body::from_stream(failing));
    response.extensions_mut().insert(NoAnswer);
    response
}
