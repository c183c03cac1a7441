//! Runs generated requests and turns their outcome into [`crate::Error`].
//!
//! progenitor drops the HTTP status when an error body is not JSON (an HTML 503 from a proxy
//! becomes a bare payload error). The `exec` hook below notes the status and `Retry-After` of
//! every answer in a task-local slot that [`observe`] reads back, so no error loses them.

use std::{cell::RefCell, future::Future, time::Duration};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::{header::RETRY_AFTER, StatusCode};

use crate::{
    error::{body_start, ApiError, Error},
    generated::{self, types::ErrorBody},
};

/// What the last answer of the observed request looked like.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AnswerMeta {
    pub status: Option<StatusCode>,
    pub retry_after: Option<Duration>,
}

tokio::task_local! {
    static LAST_ANSWER: RefCell<AnswerMeta>;
}

impl ClientHooks for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        let meta = AnswerMeta {
            status: Some(response.status()),
            retry_after: parse_retry_after(response.headers()),
        };
        // Outside `observe` (a caller using the generated builders directly) there is no slot.
        let _ = LAST_ANSWER.try_with(|slot| *slot.borrow_mut() = meta);
        Ok(response)
    }
}

/// `Retry-After` in its seconds form; the HTTP-date form is not used by Novita.
fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

type Generated<T> = Result<ResponseValue<T>, progenitor_client::Error<ErrorBody>>;

/// Runs one generated request and converts its outcome.
pub(crate) async fn observe<T, F>(request: F) -> Result<T, Error>
where
    F: Future<Output = Generated<T>>,
{
    let (outcome, meta) = LAST_ANSWER
        .scope(RefCell::new(AnswerMeta::default()), async {
            let outcome = request.await;
            (outcome, LAST_ANSWER.with(|slot| *slot.borrow()))
        })
        .await;
    match outcome {
        Ok(value) => Ok(value.into_inner()),
        Err(err) => Err(convert(err, meta).await),
    }
}

/// Novita's error body with the answer's status and `Retry-After`, as the typed error's data.
pub(crate) fn api_error(
    status: reqwest::StatusCode,
    body: ErrorBody,
    retry_after: Option<Duration>,
) -> ApiError {
    ApiError {
        status,
        code: Some(body.code),
        reason: body.reason,
        message: body.message,
        metadata: body.metadata.into_iter().collect(),
        task_id: None,
        retry_after,
    }
}

async fn convert(err: progenitor_client::Error<ErrorBody>, meta: AnswerMeta) -> Error {
    use progenitor_client::Error as P;
    match err {
        P::ErrorResponse(value) => {
            let status = value.status();
            let retry_after = parse_retry_after(value.headers()).or(meta.retry_after);
            Error::Api(Box::new(api_error(status, value.into_inner(), retry_after)))
        }
        P::InvalidResponsePayload(bytes, source) => match meta.status {
            Some(status) if !status.is_success() => Error::UnexpectedBody {
                status,
                body_start: body_start(&bytes),
                task_id: None,
            },
            status => Error::Decode {
                status,
                body_start: body_start(&bytes),
                task_id: None,
                source,
            },
        },
        // A status the spec does not list for the operation (401, 402, 502, 503, ...): still
        // Novita's error when the body is Novita's error JSON.
        P::UnexpectedResponse(response) => {
            let status = response.status();
            let retry_after = parse_retry_after(response.headers()).or(meta.retry_after);
            let body = response.bytes().await.unwrap_or_default();
            match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(error) if !status.is_success() => {
                    Error::Api(Box::new(api_error(status, error, retry_after)))
                }
                _ => Error::UnexpectedBody {
                    status,
                    body_start: body_start(&body),
                    task_id: None,
                },
            }
        }
        P::CommunicationError(source)
        | P::ResponseBodyError(source)
        | P::InvalidUpgrade(source) => Error::Transport {
            timed_out: source.is_timeout(),
            source,
            task_id: None,
        },
        P::InvalidRequest(message) | P::Custom(message) => Error::InvalidRequest {
            violations: vec![crate::Violation {
                field: "body".into(),
                rule: message,
            }],
        },
    }
}
