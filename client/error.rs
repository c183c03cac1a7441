//! The one error type of the crate: everything that can go wrong, with what is known about it.

use std::{collections::BTreeMap, fmt, time::Duration};

use reqwest::StatusCode;

use crate::{generated::types::TaskResultResponse, TaskStatus};

/// How much of an unexpected body is kept in an error (enough to recognise an HTML page).
pub(crate) const BODY_START_LIMIT: usize = 512;
/// How much of a download that is not a video is kept in [`Error::NotAVideo`].
pub const DOWNLOAD_BODY_START_LIMIT: usize = 200;

/// One broken rule in a request body, found before anything was sent.
///
/// ```
/// use novita_video::{types::Wan27T2vRequest, Error, NovitaClient};
/// let mut request: Wan27T2vRequest = Wan27T2vRequest::builder().prompt("a fox").try_into().unwrap();
/// request.duration = Some(16);
/// let Err(Error::InvalidRequest { violations }) = NovitaClient::check(&request) else { panic!() };
/// assert_eq!(violations[0].field, "duration");
/// assert_eq!(violations[0].rule, "must be between 2 and 15 (got 16)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// Path of the field, e.g. `prompt`, `loras[1].scale`, `width/height`.
    pub field: String,
    /// The rule it breaks, e.g. `must be at most 40 (got 50)`.
    pub rule: String,
}

impl Violation {
    /// `field` breaks `rule`.
    ///
    /// ```
    /// let v = novita_video::Violation::new("duration", "must be between 2 and 15 (got 16)");
    /// assert_eq!(v.to_string(), "`duration` must be between 2 and 15 (got 16)");
    /// ```
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.rule)
    }
}

/// A Novita error answer: the HTTP status and the service's JSON error body.
///
/// ```,no_run
/// # async fn run(client: novita_video::NovitaClient) {
/// match client.task_result("a-task-id").await {
///     Err(novita_video::Error::Api(api)) if api.reason == "TASK_NOT_FOUND" => {
///         eprintln!("HTTP {}: {}", api.status, api.message);
///     }
///     _ => {}
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    pub status: StatusCode,
    /// `code` of the body (Novita repeats the HTTP status there).
    pub code: Option<i64>,
    /// `reason`, e.g. `INVALID_REQUEST_BODY`, `TASK_NOT_FOUND`.
    pub reason: String,
    pub message: String,
    pub metadata: BTreeMap<String, String>,
    /// The task the request was about, when there was one.
    pub task_id: Option<String>,
    /// The `Retry-After` header, when the service sent one.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An answer of `status` with Novita's `reason` and `message`; `code` repeats the status
    /// and the rest is empty. Set the other fields on the value it returns.
    ///
    /// ```
    /// use novita_video::ApiError;
    /// let mut api = ApiError::new(reqwest::StatusCode::NOT_FOUND, "TASK_NOT_FOUND", "no such task");
    /// api.task_id = Some("t-1".into());
    /// assert_eq!(api.to_string(), "Novita answered HTTP 404: TASK_NOT_FOUND: no such task (task t-1)");
    /// ```
    pub fn new(status: StatusCode, reason: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: Some(i64::from(status.as_u16())),
            reason: reason.into(),
            message: message.into(),
            metadata: BTreeMap::new(),
            task_id: None,
            retry_after: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Novita answered HTTP {}: {}",
            self.status.as_u16(),
            self.reason
        )?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(task_id) = &self.task_id {
            write!(f, " (task {task_id})")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong when talking to Novita.
///
/// ```,no_run
/// # async fn run(client: novita_video::NovitaClient, request: novita_video::types::Wan27T2vRequest) {
/// use novita_video::Error;
/// match client.submit(&request).await {
///     Ok(task_id) => println!("queued {task_id}"),
///     Err(Error::InvalidRequest { violations }) => eprintln!("fix the request: {violations:?}"),
///     Err(Error::SubmissionOutcomeUnknown { .. }) => eprintln!("a task may exist: look for it before retrying"),
///     Err(other) => eprintln!("HTTP {:?}, reason {:?}: {other}", other.status(), other.reason()),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a documented rule; nothing was sent.
    #[error("request refused before sending: {}", join(violations))]
    InvalidRequest { violations: Vec<Violation> },

    /// Novita answered with an error status and its JSON error body.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// An error status whose body is not Novita's error JSON (an HTML page from a proxy, an
    /// empty 404, ...).
    #[error("HTTP {} with a body that is not a Novita error{}: {body_start:?}", status.as_u16(), for_task(task_id))]
    UnexpectedBody {
        status: StatusCode,
        body_start: String,
        task_id: Option<String>,
    },

    /// A success status whose body does not have the documented shape (for a submission:
    /// [`Error::SubmissionAnswerUnreadable`]).
    #[error("could not decode the answer (HTTP {}){}: {source}; body starts with {body_start:?}", status.map_or(0, |s| s.as_u16()), for_task(task_id))]
    Decode {
        status: Option<StatusCode>,
        body_start: String,
        task_id: Option<String>,
        source: serde_json::Error,
    },

    /// The connection failed; for a submission, only where no task can exist (see
    /// [`Error::SubmissionOutcomeUnknown`]). A timeout is [`Error::Timeout`] instead, so
    /// `timed_out` is false for the errors this crate makes.
    #[error("{}{}: {source}", if *timed_out { "request timed out" } else { "transport error" }, for_task(task_id))]
    Transport {
        source: reqwest::Error,
        timed_out: bool,
        task_id: Option<String>,
    },

    /// Something did not finish within its limit: `what` names it (`the task-result request`,
    /// `the download of <url>`, ...) and `limit` is the limit it ran past.
    #[error("{what} timed out after {}{}", seconds(limit), for_task(task_id))]
    Timeout {
        what: String,
        limit: Duration,
        task_id: Option<String>,
    },

    /// A submission was sent but no answer came back (timeout, connection reset). Novita may
    /// have created, and may bill, a task. The client never retries this case: look for the task
    /// (or its webhook) before submitting again. `timed_out_after` is the request timeout when
    /// that is what ended the wait.
    #[error("no answer to {operation}{} after the request was sent; a task may exist and may be billed: {source}", timed_out_after.as_ref().map(|l| format!(" (timed out after {})", seconds(l))).unwrap_or_default())]
    SubmissionOutcomeUnknown {
        operation: &'static str,
        source: reqwest::Error,
        timed_out_after: Option<Duration>,
    },

    /// A submission was accepted (2xx) but its answer could not be read: it is not the
    /// documented JSON (`problem` says how), or it is larger than
    /// [`ClientBuilder::max_answer_bytes`](crate::ClientBuilder::max_answer_bytes). A task may
    /// exist and may be billed: look for it before submitting again. `task_id` is the id the
    /// answer's first bytes name (`"task_id": ...`), when they name one.
    #[error("{operation} was accepted (HTTP {}) but its answer could not be read ({problem}); a task may exist and may be billed{}; the answer starts with {body_start:?}", status.as_u16(), task_id.as_ref().map_or("; no task id could be read from it".to_string(), |id| format!("; it names task_id {id}")))]
    SubmissionAnswerUnreadable {
        operation: &'static str,
        status: StatusCode,
        problem: String,
        body_start: String,
        task_id: Option<String>,
    },

    /// An API answer (a task result, an error) is larger than
    /// [`ClientBuilder::max_answer_bytes`](crate::ClientBuilder::max_answer_bytes): it was read
    /// no further. A submission's is [`Error::SubmissionAnswerUnreadable`].
    #[error("the answer (HTTP {}) is larger than the limit of {limit} bytes for an API answer (max_answer_bytes) and was not read further{}", status.as_u16(), for_task(task_id))]
    AnswerTooLarge {
        status: StatusCode,
        limit: usize,
        /// The first bytes, as text.
        body_start: String,
        task_id: Option<String>,
    },

    /// The service answered an API request with a redirect (3xx), which the client never
    /// follows: it would turn a submission into a GET, or send it to another host. For a
    /// submission (`operation`), the service may have created a task before redirecting, or
    /// not: look for it before submitting again. `location` is the `Location` header up to its
    /// query, which may carry a signature.
    #[error("HTTP {} redirect{}, which the client does not follow{}{}", status.as_u16(), location.as_ref().map_or(" with no Location".to_string(), |l| format!(" to {l}")), operation.map(|op| format!("; {op} may or may not have created a task: look for it before submitting again")).unwrap_or_default(), for_task(task_id))]
    Redirected {
        status: StatusCode,
        location: Option<String>,
        operation: Option<&'static str>,
        task_id: Option<String>,
    },

    /// The HTTP client passed in with
    /// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client) followed a redirect,
    /// which this client's rule forbids (see [`Error::Redirected`]): the answer came from `url`
    /// (up to its query), not from the URL asked, and was not read. For a submission
    /// (`operation`), the request may have been sent on there and created a task: look for it
    /// before submitting again. Build the passed-in client with
    /// `redirect(reqwest::redirect::Policy::none())` to have the redirect itself reported.
    #[error("the passed-in HTTP client followed a redirect to {url} (HTTP {} there), which this client never does: build it with redirect(Policy::none()){}{}", status.as_u16(), operation.map(|op| format!("; {op} may have created a task: look for it before submitting again")).unwrap_or_default(), for_task(task_id))]
    RedirectFollowed {
        url: String,
        status: StatusCode,
        operation: Option<&'static str>,
        task_id: Option<String>,
    },

    /// The service asked to wait longer before a retry (`Retry-After`) than
    /// [`ClientBuilder::max_retry_after`](crate::ClientBuilder::max_retry_after): the client
    /// gave up instead of waiting. `source` is the answer that asked.
    #[error("Novita asked to retry after {}, longer than the {} the client waits (max_retry_after), so it gave up: {source}", seconds(retry_after), seconds(limit))]
    RetryAfterTooLong {
        retry_after: Duration,
        limit: Duration,
        source: Box<Error>,
    },

    /// A submission was accepted (2xx) but its answer names no task: the `task_id` is empty or
    /// blank. A task may exist and may be billed; the client does not poll `task_id=`.
    #[error("{operation} was accepted but its answer has an empty task_id; a task may exist and may be billed")]
    EmptyTaskId { operation: &'static str },

    /// A task result answered for another task than the one asked for.
    #[error("asked for task {asked}, the answer is about task {answered}")]
    WrongTask { asked: String, answered: String },

    /// The task ended without a video: `TASK_STATUS_FAILED` (with Novita's reason) or another
    /// terminal status such as `TASK_STATUS_CANCELED`.
    #[error("task {task_id} ended with {status}{}", if reason.is_empty() { String::new() } else { format!(": {reason}") })]
    TaskFailed {
        task_id: String,
        status: TaskStatus,
        reason: String,
        result: Box<TaskResultResponse>,
    },

    /// `wait` reached its deadline before the task ended. The task goes on at Novita.
    #[error("gave up waiting for task {task_id} after {waited:?}; last seen {}", last_status.as_ref().map_or("no status".to_string(), |s| s.to_string()))]
    WaitTimeout {
        task_id: String,
        waited: Duration,
        last_status: Option<TaskStatus>,
    },

    /// The task has not ended yet (queued, processing, or a status this client does not
    /// know): there is no video to download. It goes on at Novita.
    #[error("task {task_id} has not finished ({}): no video to download yet", status.as_ref().map_or("no status".to_string(), |s| s.to_string()))]
    NotFinished {
        task_id: String,
        status: Option<TaskStatus>,
    },

    /// The task succeeded but its result lists no video.
    #[error("task {task_id} succeeded but its result has no video")]
    NoVideo { task_id: String },

    /// The video URL answered with an error status (403 once its signed link has expired).
    #[error("downloading {} failed with HTTP {}", crate::shown::without_query(url), status.as_u16())]
    Download { url: String, status: StatusCode },

    /// The video link cannot be fetched at all (empty, relative, not http or https): nothing
    /// was sent.
    #[error(
        "the video link {:?} cannot be downloaded: {why}",
        crate::shown::without_query(url)
    )]
    BadVideoLink { url: String, why: &'static str },

    /// The video URL answered 2xx with something that is not a video: a JSON, XML, HTML or
    /// text content type, or first bytes that are no MP4/MOV box. Nothing was written.
    #[error("downloading {}: HTTP {} answered {} that is not a video; it starts with {body_start:?}", crate::shown::without_query(url), status.as_u16(), if content_type.is_empty() { "with no content type".to_string() } else { format!("`{content_type}`") })]
    NotAVideo {
        url: String,
        status: StatusCode,
        /// The `Content-Type` header, empty when there was none.
        content_type: String,
        /// The first [`DOWNLOAD_BODY_START_LIMIT`] bytes, as text.
        body_start: String,
    },

    /// Writing a download failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    /// The client could not be set up (missing API key, bad base URL, ...).
    #[error("client configuration: {0}")]
    Config(String),

    /// A webhook body is not JSON of the documented envelope.
    #[error("webhook body is not a Novita event: {source}")]
    Webhook { source: serde_json::Error },

    /// A webhook event not to be trusted ([`crate::NovitaClient::confirm_webhook`]): why, and
    /// the task it named.
    #[error("webhook event refused{}: {why}", for_task(task_id))]
    WebhookRefused {
        task_id: Option<String>,
        why: crate::WebhookRefusal,
    },
}

fn join(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A limit as people write it: `60s`, `1.5s`.
fn seconds(limit: &Duration) -> String {
    format!("{}s", limit.as_secs_f64())
}

fn for_task(task_id: &Option<String>) -> String {
    task_id
        .as_ref()
        .map(|id| format!(" (task {id})"))
        .unwrap_or_default()
}

impl Error {
    /// The HTTP status of the answer, when there was one.
    ///
    /// ```
    /// let error = novita_video::Error::Config("no API key".into());
    /// assert_eq!(error.status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::UnexpectedBody { status, .. }
            | Error::Download { status, .. }
            | Error::NotAVideo { status, .. }
            | Error::SubmissionAnswerUnreadable { status, .. }
            | Error::AnswerTooLarge { status, .. }
            | Error::Redirected { status, .. }
            | Error::RedirectFollowed { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            Error::Transport { source, .. } => source.status(),
            Error::RetryAfterTooLong { source, .. } => source.status(),
            _ => None,
        }
    }

    /// Novita's `reason` (`INVALID_REQUEST_BODY`, `TASK_NOT_FOUND`, ...) or the failed task's
    /// reason.
    ///
    /// ```
    /// use novita_video::{types::Wan27T2vRequest, Error, NovitaClient};
    /// let mut request: Wan27T2vRequest = Wan27T2vRequest::builder().prompt("a fox").try_into().unwrap();
    /// request.duration = Some(16);
    /// assert_eq!(NovitaClient::check(&request).unwrap_err().reason(), None);
    /// ```
    pub fn reason(&self) -> Option<&str> {
        match self {
            Error::Api(api) => Some(&api.reason),
            Error::TaskFailed { reason, .. } => Some(reason),
            Error::RetryAfterTooLong { source, .. } => source.reason(),
            _ => None,
        }
    }

    /// The task this error is about, when known.
    ///
    /// ```
    /// let error = novita_video::Error::NoVideo { task_id: "t-1".into() };
    /// assert_eq!(error.task_id(), Some("t-1"));
    /// ```
    pub fn task_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.task_id.as_deref(),
            Error::UnexpectedBody { task_id, .. }
            | Error::Decode { task_id, .. }
            | Error::Transport { task_id, .. }
            | Error::Timeout { task_id, .. }
            | Error::SubmissionAnswerUnreadable { task_id, .. }
            | Error::AnswerTooLarge { task_id, .. }
            | Error::Redirected { task_id, .. }
            | Error::RedirectFollowed { task_id, .. } => task_id.as_deref(),
            Error::RetryAfterTooLong { source, .. } => source.task_id(),
            Error::TaskFailed { task_id, .. }
            | Error::WaitTimeout { task_id, .. }
            | Error::NoVideo { task_id }
            | Error::NotFinished { task_id, .. } => Some(task_id),
            Error::WrongTask { asked, .. } => Some(asked),
            Error::WebhookRefused { task_id, .. } => task_id.as_deref(),
            _ => None,
        }
    }

    /// The `Retry-After` the service asked for, if any.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(api) => api.retry_after,
            _ => None,
        }
    }

    pub(crate) fn with_task_id(mut self, id: &str) -> Self {
        match &mut self {
            Error::Api(api) => api.task_id = Some(id.to_string()),
            Error::UnexpectedBody { task_id, .. }
            | Error::Decode { task_id, .. }
            | Error::Transport { task_id, .. }
            | Error::Timeout { task_id, .. }
            | Error::AnswerTooLarge { task_id, .. }
            | Error::Redirected { task_id, .. }
            | Error::RedirectFollowed { task_id, .. } => *task_id = Some(id.to_string()),
            _ => {}
        }
        self
    }
}

/// The first [`BODY_START_LIMIT`] bytes of a body, as text.
pub(crate) fn body_start(body: &[u8]) -> String {
    body_start_within(body, BODY_START_LIMIT)
}

/// The first `limit` bytes of a body, as text.
pub(crate) fn body_start_within(body: &[u8], limit: usize) -> String {
    let end = body.len().min(limit);
    String::from_utf8_lossy(&body[..end]).into_owned()
}
