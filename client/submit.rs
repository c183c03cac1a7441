//! Creating tasks: the request bodies that do it, their check against the spec's rules, and
//! how they are sent without ever creating a second paid task.

use std::future::Future;

use progenitor_client::ResponseValue;
use serde::Serialize;

use crate::{
    error::{Error, Violation},
    generated::{
        types::{ErrorBody, SubmitTaskResponse},
        Client,
    },
    observe::observe,
    retry::{with_retries, Idempotency},
    trace::Span,
    validate::check_body,
    NovitaClient,
};

pub(crate) type Sent =
    Result<ResponseValue<SubmitTaskResponse>, progenitor_client::Error<ErrorBody>>;

/// A body one of Novita's submit endpoints accepts. Implemented, by the generated code, for the request
/// type of every submit operation of the spec; [`crate::NovitaClient::submit`] takes any of them.
///
/// ```
/// use novita_video::{types::Wan27I2vRequest, SubmitRequest};
/// assert_eq!(Wan27I2vRequest::OPERATION, "submit_wan27_i2v");
/// assert_eq!(Wan27I2vRequest::SCHEMA, "Wan27I2vRequest");
/// ```
pub trait SubmitRequest: Serialize + Clone + Send + Sync {
    /// Name of the request schema in `openapi/novita.yaml`, whose rules are checked before sending.
    const SCHEMA: &'static str;
    /// The spec's `operationId`.
    const OPERATION: &'static str;

    /// Sends the body through the generated builder, without any check.
    fn send_raw<'a>(&'a self, api: &'a Client) -> impl Future<Output = Sent> + Send + 'a;
}

impl NovitaClient {
    /// Checks `request` against the spec's rules without sending it.
    ///
    /// ```
    /// use novita_video::{types::Wan27T2vRequest, NovitaClient};
    /// let mut request: Wan27T2vRequest = Wan27T2vRequest::builder().prompt("a fox").try_into().unwrap();
    /// assert!(NovitaClient::check(&request).is_ok());
    /// request.duration = Some(16);
    /// let error = NovitaClient::check(&request).unwrap_err();
    /// assert!(error.to_string().contains("`duration` must be between 2 and 15"));
    /// ```
    pub fn check<R: SubmitRequest>(request: &R) -> Result<(), Error> {
        let body = serde_json::to_value(request).map_err(|e| Error::InvalidRequest {
            violations: vec![Violation {
                field: "body".into(),
                rule: format!("cannot be serialized: {e}"),
            }],
        })?;
        check_body(R::SCHEMA, &body)
    }

    /// Submits a task and returns its id. The body is checked first; nothing is sent when it
    /// breaks a rule. Retried only where Novita certainly created no task.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// use novita_video::types::Wan27I2vRequest;
    /// let request: Wan27I2vRequest = Wan27I2vRequest::builder()
    ///     .prompt(Some("A panda walks slowly".to_string()))
    ///     .image_url(Some("https://example.com/panda.jpg".to_string()))
    ///     .try_into()
    ///     .unwrap();
    /// let task_id = client.submit(&request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit<R: SubmitRequest>(&self, request: &R) -> Result<String, Error> {
        Self::check(request)?;
        self.send_checked(request).await
    }

    /// Sends a request that passed [`NovitaClient::check`] (or the JSON check it came from),
    /// with the submission's retries: the one place a submission is sent, so that every path
    /// checks a body once.
    pub(crate) async fn send_checked<R: SubmitRequest>(
        &self,
        request: &R,
    ) -> Result<String, Error> {
        let retrying = self.retrying(&self.submit_retry);
        let sent = with_retries(&retrying, Idempotency::Submit, || {
            observe(request.send_raw(&self.api))
        });
        self.submitted(R::OPERATION, crate::trace::with_trace_headers(self, sent))
            .await
    }

    /// The outcome of sending a submission of `operation`, in its span: the new task's id, or
    /// the error as it bears on billing. A blank id is an error, not an id.
    async fn submitted(
        &self,
        operation: &'static str,
        sent: impl Future<Output = Result<SubmitTaskResponse, Error>>,
    ) -> Result<String, Error> {
        let span = Span::submit(operation);
        let submitted = span
            .around(&self.secret, async {
                match sent.await {
                    Ok(accepted) if accepted.task_id.trim().is_empty() => {
                        Err(Error::EmptyTaskId { operation })
                    }
                    Ok(accepted) => Ok(accepted.task_id),
                    Err(error) => Err(self.submission_error(error, operation)),
                }
            })
            .await;
        if let Ok(task_id) = &submitted {
            span.task_id(task_id);
        }
        submitted
    }

    /// A submission's error as it bears on billing: see [`NovitaClient::sending_failed`]. A
    /// redirect, or a 2xx answer that cannot be read, may come from a task that was created.
    fn submission_error(&self, error: Error, operation: &'static str) -> Error {
        let unreadable =
            |status, problem: String, body_start: String| Error::SubmissionAnswerUnreadable {
                operation,
                status,
                problem,
                task_id: salvaged_task_id(&body_start),
                body_start,
            };
        match error {
            Error::Transport { source, .. } => self.sending_failed(source, operation),
            Error::Redirected {
                status, location, ..
            } => Error::Redirected {
                status,
                location,
                operation: Some(operation),
                task_id: None,
            },
            Error::RedirectFollowed { url, status, .. } => Error::RedirectFollowed {
                url,
                status,
                operation: Some(operation),
                task_id: None,
            },
            Error::Decode {
                status: Some(status),
                body_start,
                source,
                ..
            } if status.is_success() => unreadable(
                status,
                format!("not the documented JSON: {source}"),
                body_start,
            ),
            Error::UnexpectedBody {
                status, body_start, ..
            } if status.is_success() => unreadable(
                status,
                "a status the spec does not give for a submission".into(),
                body_start,
            ),
            Error::AnswerTooLarge {
                status,
                limit,
                body_start,
                ..
            } if status.is_success() => unreadable(
                status,
                format!("larger than the limit of {limit} bytes, max_answer_bytes"),
                body_start,
            ),
            error => self.name_timeout(error, operation),
        }
    }

    /// A submission's transport error, as it bears on billing: a request that may have reached
    /// Novita is [`Error::SubmissionOutcomeUnknown`] (a task may exist); one that was never
    /// sent (no connection, or it could not be built) is a transport error or a timeout.
    pub(crate) fn sending_failed(&self, source: reqwest::Error, operation: &'static str) -> Error {
        if source.is_connect() || source.is_builder() {
            let error = Error::Transport {
                timed_out: false,
                source,
                task_id: None,
            };
            return self.name_timeout(error, operation);
        }
        Error::SubmissionOutcomeUnknown {
            operation,
            timed_out_after: source.is_timeout().then_some(self.timeout),
            source,
        }
    }

    /// Sends a submission once, as it is: no check against the spec's rules and no retry,
    /// but the same typed errors as [`NovitaClient::submit`]. For testing how a server answers
    /// bodies the client would refuse.
    ///
    /// ```no_run
    /// # async fn run(client: novita_video::NovitaClient) {
    /// use novita_video::types::Wan27T2vRequest;
    /// let mut request: Wan27T2vRequest = Wan27T2vRequest::builder().prompt("a fox").try_into().unwrap();
    /// request.duration = Some(99);
    /// let error = client.submit_unchecked(&request).await.unwrap_err();
    /// assert_eq!(error.reason(), Some("INVALID_REQUEST_BODY"));
    /// # }
    /// ```
    pub async fn submit_unchecked<R: SubmitRequest>(&self, request: &R) -> Result<String, Error> {
        self.submitted(R::OPERATION, observe(request.send_raw(&self.api)))
            .await
    }
}

/// The `task_id` that the first bytes of an answer that did not decode still name, when they
/// hold `"task_id": "<id>"` (or a number): what a caller can look for before submitting again.
fn salvaged_task_id(body_start: &str) -> Option<String> {
    const KEY: &str = "\"task_id\"";
    let after_key = &body_start[body_start.find(KEY)? + KEY.len()..];
    let value = after_key.trim_start().strip_prefix(':')?;
    let id = match serde_json::Deserializer::from_str(value)
        .into_iter::<serde_json::Value>()
        .next()?
        .ok()?
    {
        serde_json::Value::String(id) => id,
        serde_json::Value::Number(id) => id.to_string(),
        _ => return None,
    };
    (!id.trim().is_empty()).then_some(id)
}
