//! The spans and events of the `tracing` feature. Without the feature every call here is
//! empty, and the crate pulls no `tracing`.
//!
//! One span per operation: `novita.submit`, `novita.poll`, `novita.wait` and
//! `novita.download`, each with `operation`, `task_id` once it is known, `attempts` (polls, for
//! a wait) and `outcome` (`ok`, or the kind of error, with its `status` and `reason` when it
//! has them). Each retry is a `novita.retry` event with the attempt, the HTTP status and the
//! delay. Only ids, statuses, counts and URLs up to their query are recorded: never the API
//! key, a request body or a data URI. `ClientBuilder::trace_headers` lets the caller's
//! propagator put the trace context on each submission attempt.

use std::{future::Future, time::Duration};

use reqwest::StatusCode;

use crate::{error::Error, secret::Secret, NovitaClient};

/// Writes the trace context (`traceparent`, `tracestate`) of a submission attempt; see
/// [`crate::ClientBuilder::trace_headers`].
#[cfg(feature = "tracing")]
pub(crate) type TraceHeaders = std::sync::Arc<dyn Fn(&mut http::HeaderMap) + Send + Sync>;

#[cfg(feature = "tracing")]
tokio::task_local! {
    /// The client's hook, in reach of the `exec` hook while a submission is being sent.
    static SUBMISSION_HEADERS: TraceHeaders;
}

#[cfg(feature = "tracing")]
impl crate::ClientBuilder {
    /// Lets `write` add the trace context to every submission attempt, inside its
    /// `novita.submit` span: typically the W3C `traceparent` and `tracestate` of the current
    /// span, written by an OpenTelemetry propagator (see the README's "Traces"). The client
    /// itself depends on no OpenTelemetry crate. Headers the client sets (`Authorization`,
    /// `User-Agent`, `Content-Type`) are kept; polls and downloads get nothing.
    ///
    /// ```
    /// let client = novita_video::NovitaClient::builder()
    ///     .api_key("k")
    ///     .trace_headers(|headers| {
    ///         headers.insert("traceparent", http::HeaderValue::from_static(
    ///             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn trace_headers(
        mut self,
        write: impl Fn(&mut http::HeaderMap) + Send + Sync + 'static,
    ) -> Self {
        self.trace_headers = Some(std::sync::Arc::new(write));
        self
    }
}

/// Runs a submission's `send`, retries included, with the client's trace-header hook in reach.
pub(crate) async fn with_trace_headers<T>(
    client: &NovitaClient,
    send: impl Future<Output = T>,
) -> T {
    #[cfg(feature = "tracing")]
    if let Some(write) = &client.trace_headers {
        return SUBMISSION_HEADERS.scope(write.clone(), send).await;
    }
    #[cfg(not(feature = "tracing"))]
    let _ = client;
    send.await
}

/// Adds what the hook writes to a submission attempt about to leave, but for headers the
/// request already has and those the client adds as it sends (the key, the user agent).
/// Nothing outside a submission, or without a hook.
pub(crate) fn add_trace_headers(request: &mut reqwest::Request) {
    #[cfg(feature = "tracing")]
    let _ = SUBMISSION_HEADERS.try_with(|write| {
        use reqwest::header::{AUTHORIZATION, USER_AGENT};
        let mut written = http::HeaderMap::new();
        write(&mut written);
        let headers = request.headers_mut();
        for (name, value) in &written {
            if !headers.contains_key(name) && *name != AUTHORIZATION && *name != USER_AGENT {
                headers.insert(name.clone(), value.clone());
            }
        }
    });
    #[cfg(not(feature = "tracing"))]
    let _ = request;
}

/// The span of one operation; a unit without the feature.
#[derive(Clone, Debug)]
pub(crate) struct Span {
    #[cfg(feature = "tracing")]
    inner: tracing::Span,
}

#[cfg(feature = "tracing")]
macro_rules! operation_span {
    ($name:literal, $operation:expr) => {
        Span {
            inner: tracing::info_span!(
                $name,
                operation = $operation,
                task_id = tracing::field::Empty,
                url = tracing::field::Empty,
                attempts = tracing::field::Empty,
                outcome = tracing::field::Empty,
                status = tracing::field::Empty,
                reason = tracing::field::Empty,
            ),
        }
    };
}

#[cfg(not(feature = "tracing"))]
macro_rules! operation_span {
    ($name:literal, $operation:expr) => {{
        let _ = $operation;
        Span {}
    }};
}

impl Span {
    /// A submission of `operation`, the spec's operation id (`submit_wan27_t2v`, ...).
    pub(crate) fn submit(operation: &'static str) -> Span {
        operation_span!("novita.submit", operation)
    }

    /// One read of a task's result, its retries included.
    pub(crate) fn poll(task_id: &str) -> Span {
        let span = operation_span!("novita.poll", "task_result");
        span.task_id(task_id);
        span
    }

    /// A wait for a task to end, every poll included.
    pub(crate) fn wait(task_id: &str) -> Span {
        let span = operation_span!("novita.wait", "wait");
        span.task_id(task_id);
        span
    }

    /// A download of a video link; the link is recorded up to its query (its signature).
    pub(crate) fn download(url: &str) -> Span {
        let span = operation_span!("novita.download", "download");
        #[cfg(feature = "tracing")]
        span.inner
            .record("url", crate::shown::without_query(url).as_str());
        #[cfg(not(feature = "tracing"))]
        let _ = url;
        span
    }

    /// The task the operation is about, once known.
    pub(crate) fn task_id(&self, task_id: &str) {
        #[cfg(feature = "tracing")]
        self.inner.record("task_id", task_id);
        #[cfg(not(feature = "tracing"))]
        let _ = task_id;
    }

    /// How many attempts (or polls) the operation made.
    pub(crate) fn attempts(&self, attempts: u32) {
        #[cfg(feature = "tracing")]
        self.inner.record("attempts", attempts);
        #[cfg(not(feature = "tracing"))]
        let _ = attempts;
    }

    /// Records how the operation ended and passes the outcome on.
    pub(crate) fn ended<T>(&self, outcome: Result<T, Error>) -> Result<T, Error> {
        #[cfg(feature = "tracing")]
        match &outcome {
            Ok(_) => {
                self.inner.record("outcome", "ok");
            }
            Err(error) => {
                self.inner.record("outcome", kind(error));
                if let Some(status) = error.status() {
                    self.inner.record("status", status.as_u16());
                }
                if let Some(reason) = error.reason() {
                    self.inner.record("reason", reason);
                }
                if let Some(task_id) = error.task_id() {
                    self.inner.record("task_id", task_id);
                }
            }
        }
        outcome
    }

    /// Runs `work` inside the span, blanks the key in its error (so that neither the caller
    /// nor the span ever holds it) and records its outcome.
    pub(crate) async fn around<T, F>(&self, secret: &Secret, work: F) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>>,
    {
        #[cfg(feature = "tracing")]
        let outcome = tracing::Instrument::instrument(work, self.inner.clone()).await;
        #[cfg(not(feature = "tracing"))]
        let outcome = work.await;
        self.ended(outcome.map_err(|e| secret.scrub(e)))
    }
}

/// Notes on the current operation's span that attempt `made` is starting.
pub(crate) fn attempt(made: u32) {
    #[cfg(feature = "tracing")]
    tracing::Span::current().record("attempts", made);
    #[cfg(not(feature = "tracing"))]
    let _ = made;
}

/// An event for a retry about to wait `delay` after attempt `attempt` failed.
pub(crate) fn retrying(
    attempt: u32,
    status: Option<StatusCode>,
    retry_after: Option<Duration>,
    delay: Duration,
) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        name: "novita.retry",
        attempt,
        status = status.map(|s| s.as_u16()),
        retry_after_ms = retry_after.map(|d| d.as_millis() as u64),
        delay_ms = delay.as_millis() as u64,
        "retrying after a failed attempt"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (attempt, status, retry_after, delay);
}

/// The kind of an error, as the `outcome` of a span.
#[cfg(feature = "tracing")]
fn kind(error: &Error) -> &'static str {
    match error {
        Error::InvalidRequest { .. } => "invalid_request",
        Error::Api(_) => "api_error",
        Error::UnexpectedBody { .. } => "unexpected_body",
        Error::Decode { .. } => "decode",
        Error::Transport { .. } => "transport",
        Error::Timeout { .. } => "timeout",
        Error::SubmissionOutcomeUnknown { .. } => "submission_outcome_unknown",
        Error::SubmissionAnswerUnreadable { .. } => "submission_answer_unreadable",
        Error::AnswerTooLarge { .. } => "answer_too_large",
        Error::Redirected { .. } => "redirected",
        Error::RedirectFollowed { .. } => "redirect_followed",
        Error::RetryAfterTooLong { .. } => "retry_after_too_long",
        Error::EmptyTaskId { .. } => "empty_task_id",
        Error::WrongTask { .. } => "wrong_task",
        Error::TaskFailed { .. } => "task_failed",
        Error::WaitTimeout { .. } => "wait_timeout",
        Error::NotFinished { .. } => "not_finished",
        Error::NoVideo { .. } => "no_video",
        Error::Download { .. } => "download",
        Error::BadVideoLink { .. } => "bad_video_link",
        Error::NotAVideo { .. } => "not_a_video",
        Error::Io { .. } => "io",
        Error::Config(_) => "config",
        Error::Webhook { .. } => "webhook",
        Error::WebhookRefused { .. } => "webhook_refused",
    }
}
