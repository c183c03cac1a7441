//! Asking a service whether it serves an operation: a body sent as it is, with no check against
//! the spec and no retry, and the answer kept as it came. For `novita endpoints --probe`, which
//! sends bodies the spec says are invalid so that no task can be created.

use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    error::{ApiError, Error},
    generated::types::ErrorBody,
    NovitaClient, SubmitOperation,
};

/// How much of a probe's answer is kept: enough for any error body, bounded against a service
/// that streams without end.
pub const PROBE_BODY_LIMIT: usize = 64 * 1024;

/// What the service answered to [`NovitaClient::probe`]: the status and the body as it came
/// (its first [`PROBE_BODY_LIMIT`] bytes). It holds nothing of the request, so no key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeAnswer {
    status: StatusCode,
    body: Bytes,
}

impl ProbeAnswer {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body, up to [`PROBE_BODY_LIMIT`] bytes (less when the connection broke while it was
    /// read).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body read as Novita's error body (`code`, `reason`, `message`, `metadata`), when it
    /// is one.
    pub fn novita_error(&self) -> Option<ApiError> {
        let body: ErrorBody = serde_json::from_slice(&self.body).ok()?;
        Some(crate::observe::api_error(self.status, body, None))
    }
}

impl NovitaClient {
    /// Sends without checking; for probing only. POSTs `body` to `operation` once, as it is:
    /// no check against the spec's rules (the point is to send bodies they refuse) and no retry,
    /// with the client's key, base URL and timeouts. Any answer, a 2xx or an error status, is a
    /// [`ProbeAnswer`]; a body the service takes may create, and bill, a task.
    ///
    /// A redirect is an answer like any other: it is not followed. A passed-in HTTP client that
    /// follows it anyway makes it [`Error::RedirectFollowed`].
    ///
    /// A connection that could not be opened is [`Error::Transport`] (or [`Error::Timeout`]):
    /// nothing was sent. A request sent with no answer back is
    /// [`Error::SubmissionOutcomeUnknown`], as for a submission.
    ///
    /// ```no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let t2v = novita_video::SubmitOperation::find("wan2.7-t2v").unwrap();
    /// // `prompt` is required: the spec says `{}` is refused, so no task can be created.
    /// let answer = client.probe(t2v, &serde_json::json!({})).await?;
    /// assert_eq!(answer.status(), 400);
    /// assert_eq!(answer.novita_error().unwrap().reason, "INVALID_REQUEST_BODY");
    /// # Ok(()) }
    /// ```
    pub async fn probe(
        &self,
        operation: &SubmitOperation,
        body: &Value,
    ) -> Result<ProbeAnswer, Error> {
        let url = format!("{}{}", self.base_url(), operation.path());
        let http = progenitor_client::ClientInfo::client(&self.api);
        let request = self.rules.api_request(http.post(&url).json(body));
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(source) => return Err(self.sending_failed(source, operation.operation_id())),
        };
        let status = response.status();
        let asked = reqwest::Url::parse(&url).expect("the base URL was checked when built");
        if let Some(url) = crate::rules::followed_redirect(&asked, response.url()) {
            return Err(Error::RedirectFollowed {
                url,
                status,
                operation: Some(operation.operation_id()),
                task_id: None,
            });
        }
        let mut kept = Vec::new();
        // The status is what the probe is about: a body cut short is kept as far as it came.
        while kept.len() < PROBE_BODY_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        kept.truncate(PROBE_BODY_LIMIT);
        Ok(ProbeAnswer {
            status,
            body: Bytes::from(kept),
        })
    }
}
