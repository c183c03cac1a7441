//! Runs generated requests and turns their outcome into [`crate::Error`].
//!
//! The `exec` hook below reads every answer of the API (a submission's, a task result's, an
//! error's) before progenitor decodes it, within the client's [`AnswerLimits`]: chunk by
//! chunk, stopping as soon as the answer is larger than allowed, so that no answer is held
//! whole in memory past the limit.
//!
//! progenitor drops the HTTP status when an error body is not JSON (an HTML 503 from a proxy
//! becomes a bare payload error). The hook also notes the status and `Retry-After` of every
//! answer, and whether it was too large, in a task-local slot that [`observe`] reads back, so
//! no error loses them.

use std::{cell::RefCell, future::Future, time::Duration};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::{
    header::{LOCATION, RETRY_AFTER},
    StatusCode,
};

use crate::{
    error::{body_start, ApiError, Error},
    generated::{self, types::ErrorBody},
};

/// The longest API answer read by default: 4 MiB, a thousand times a task result with its
/// links. See [`crate::ClientBuilder::max_answer_bytes`].
pub const DEFAULT_MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// What the generated client knows of the limits it reads answers within (its inner value,
/// set by `codegen/src/lib.rs`). [`crate::NovitaClient`] builds it from its builder's settings; build one
/// only to use [`crate::generated::Client`] on its own.
///
/// ```
/// let limits = novita_video::AnswerLimits::default();
/// assert_eq!(limits.max_answer_bytes, novita_video::DEFAULT_MAX_ANSWER_BYTES);
/// let api = novita_video::generated::Client::new("http://127.0.0.1:8080", limits);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnswerLimits {
    /// The longest answer body read, in bytes; a longer one is refused.
    pub max_answer_bytes: usize,
}

impl Default for AnswerLimits {
    fn default() -> Self {
        AnswerLimits {
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
        }
    }
}

/// An answer larger than the limit: how it started.
#[derive(Clone, Debug)]
pub(crate) struct TooLarge {
    pub limit: usize,
    pub body_start: String,
}

/// What the last answer of the observed request looked like.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnswerMeta {
    pub status: Option<StatusCode>,
    pub retry_after: Option<Duration>,
    pub too_large: Option<TooLarge>,
}

tokio::task_local! {
    static LAST_ANSWER: RefCell<AnswerMeta>;
}

impl ClientHooks<AnswerLimits> for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let mut response = self.client().execute(request).await?;
        let limit = self.inner().max_answer_bytes;
        let status = response.status();
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
        let mut meta = AnswerMeta {
            status: Some(status),
            retry_after: parse_retry_after(&headers),
            too_large: None,
        };
        // Outside `observe` (a caller using the generated builders directly) there is no slot.
        let note = |meta: &AnswerMeta| {
            let _ = LAST_ANSWER.try_with(|slot| *slot.borrow_mut() = meta.clone());
        };
        note(&meta);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if chunk.len() > limit - body.len() {
                body.extend_from_slice(&chunk[..chunk.len().min(crate::error::BODY_START_LIMIT)]);
                meta.too_large = Some(TooLarge {
                    limit,
                    body_start: body_start(&body),
                });
                break;
            }
            body.extend_from_slice(&chunk);
        }
        note(&meta);
        let body = match meta.too_large {
            // The generated code then fails reading the body, naming the limit; `observe`
            // reports the typed error instead.
            Some(_) => reqwest::Body::wrap_stream(futures_util::stream::once(async move {
                Err::<bytes::Bytes, _>(std::io::Error::other(format!(
                    "the answer is larger than the limit of {limit} bytes"
                )))
            })),
            None => reqwest::Body::from(body),
        };
        let mut read = http::Response::new(body);
        *read.status_mut() = status;
        *read.version_mut() = version;
        *read.headers_mut() = headers;
        Ok(reqwest::Response::from(read))
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
            (outcome, LAST_ANSWER.with(|slot| slot.borrow().clone()))
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
    if let (Some(status), Some(too_large)) = (meta.status, meta.too_large.clone()) {
        return Error::AnswerTooLarge {
            status,
            limit: too_large.limit,
            body_start: too_large.body_start,
            task_id: None,
        };
    }
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
        // The API client follows no redirect: a submission would become a GET, or go to
        // another host.
        P::UnexpectedResponse(response) if response.status().is_redirection() => {
            Error::Redirected {
                status: response.status(),
                location: response
                    .headers()
                    .get(LOCATION)
                    .map(|l| crate::shown::without_query(&String::from_utf8_lossy(l.as_bytes()))),
                operation: None,
                task_id: None,
            }
        }
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
