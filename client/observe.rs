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
    rules::{followed_redirect, RequestRules},
};

/// The longest API answer read by default: 4 MiB, a thousand times a task result with its
/// links. See [`crate::ClientBuilder::max_answer_bytes`].
pub const DEFAULT_MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// What the generated client knows of the limits it reads answers within (its inner value,
/// set by `codegen/src/lib.rs`), and, in a [`crate::NovitaClient`], of the key, `User-Agent` and time
/// limit its `exec` hook puts on each request. [`crate::NovitaClient`] builds it from its
/// builder's settings; build one only to use [`crate::generated::Client`] on its own (which
/// then sends requests as its `reqwest::Client` makes them).
///
/// ```
/// let limits = novita_video::AnswerLimits::default();
/// assert_eq!(limits.max_answer_bytes, novita_video::DEFAULT_MAX_ANSWER_BYTES);
/// let api = novita_video::generated::Client::new("http://127.0.0.1:8080", limits);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnswerLimits {
    /// The longest answer body read, in bytes; a longer one is refused.
    pub max_answer_bytes: usize,
    /// Put on each request by the hook; none outside a [`crate::NovitaClient`].
    pub(crate) rules: Option<RequestRules>,
}

impl Default for AnswerLimits {
    fn default() -> Self {
        AnswerLimits {
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            rules: None,
        }
    }
}

impl AnswerLimits {
    /// These limits with another [`AnswerLimits::max_answer_bytes`].
    ///
    /// ```
    /// let limits = novita_video::AnswerLimits::default().with_max_answer_bytes(1 << 20);
    /// assert_eq!(limits.max_answer_bytes, 1 << 20);
    /// ```
    pub fn with_max_answer_bytes(mut self, limit: usize) -> Self {
        self.max_answer_bytes = limit;
        self
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
    /// The URL the answer came from, when the client followed a redirect to it.
    pub redirected_to: Option<String>,
}

tokio::task_local! {
    static LAST_ANSWER: RefCell<AnswerMeta>;
}

impl ClientHooks<AnswerLimits> for generated::Client {
    async fn exec(
        &self,
        mut request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        if let Some(rules) = &self.inner().rules {
            rules.apply(&mut request);
        }
        crate::trace::add_trace_headers(&mut request);
        let asked = request.url().clone();
        let mut response = self.client().execute(request).await?;
        let limit = self.inner().max_answer_bytes;
        let status = response.status();
        let version = response.version();
        let headers = std::mem::take(response.headers_mut());
        let mut meta = AnswerMeta {
            status: Some(status),
            retry_after: parse_retry_after(&headers),
            too_large: None,
            redirected_to: followed_redirect(&asked, response.url()),
        };
        // Outside `observe` (a caller using the generated builders directly) there is no slot.
        let note = |meta: &AnswerMeta| {
            let _ = LAST_ANSWER.try_with(|slot| *slot.borrow_mut() = meta.clone());
        };
        note(&meta);
        // A followed redirect's answer is not read: it is not the asked service's.
        let mut body = Vec::new();
        if meta.redirected_to.is_none() {
            (body, meta.too_large) = read_within(&mut response, limit).await?;
        }
        note(&meta);
        let refused = match (&meta.too_large, &meta.redirected_to) {
            (Some(_), _) => Some(format!(
                "the answer is larger than the limit of {limit} bytes"
            )),
            (None, Some(url)) => Some(format!("the answer came from {url} after a redirect")),
            (None, None) => None,
        };
        let body = match refused {
            // The generated code then fails reading the body, naming why; `observe` reports
            // the typed error instead.
            Some(why) => reqwest::Body::wrap_stream(futures_util::stream::once(async move {
                Err::<bytes::Bytes, _>(std::io::Error::other(why))
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

/// An answer's body, read chunk by chunk up to `limit` bytes; past it, how it started.
async fn read_within(
    response: &mut reqwest::Response,
    limit: usize,
) -> reqwest::Result<(Vec<u8>, Option<TooLarge>)> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if chunk.len() > limit - body.len() {
            body.extend_from_slice(&chunk[..chunk.len().min(crate::error::BODY_START_LIMIT)]);
            let too_large = TooLarge {
                limit,
                body_start: body_start(&body),
            };
            return Ok((body, Some(too_large)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, None))
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
    if let (Some(status), Some(url)) = (meta.status, meta.redirected_to.clone()) {
        return Error::RedirectFollowed {
            url,
            status,
            operation: None,
            task_id: None,
        };
    }
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
