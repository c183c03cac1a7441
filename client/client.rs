//! [`NovitaClient`]: the hand-written front over the generated client. `builder.rs` makes it.
//!
//! What it does is split by concern: `submit.rs` checks and sends bodies, `wait.rs` reads task
//! results and waits for them, `download.rs` fetches the videos.
//!
//! It does not show the API key in its `Debug` output: that is written by hand below, so that
//! a `{:?}` in a log line cannot leak it.

use std::{fmt, time::Duration};

use crate::{
    error::Error,
    generated,
    retry::{OnRetry, RetryPolicy, Retrying},
    rules::RequestRules,
    secret::{Secret, REDACTED},
};

/// A client for Novita's Wan video endpoints.
///
/// It checks bodies against the spec before sending, retries only where that cannot create a
/// second paid task, waits for tasks without hammering the service, and downloads results.
/// [`NovitaClient::api`] gives the generated client for anything else.
///
/// ```no_run
/// # async fn run() -> Result<(), novita_video::Error> {
/// use novita_video::{types::{Wan27T2vRequest, Wan27T2vRequestSize}, NovitaClient, WaitOptions};
///
/// let client = NovitaClient::from_env()?;
/// let request: Wan27T2vRequest = Wan27T2vRequest::builder()
///     .prompt("A red fox in fresh snow")
///     .size(Some(Wan27T2vRequestSize::X1280720))
///     .duration(Some(5))
///     .try_into()
///     .unwrap();
/// let task_id = client.submit(&request).await?;
/// let result = client.wait(&task_id, WaitOptions::default()).await?;
/// client.download_video(&result, "fox.mp4", |_, _| {}).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct NovitaClient {
    pub(crate) api: generated::Client,
    /// The client for result URLs: its own, which follows their redirects, or the one passed
    /// in. Downloads carry no API key: result links are pre-signed.
    pub(crate) download_http: reqwest::Client,
    /// The key, `User-Agent` and time limit put on each request (also the API client's).
    pub(crate) rules: RequestRules,
    pub(crate) poll_retry: RetryPolicy,
    pub(crate) submit_retry: RetryPolicy,
    /// The longest `Retry-After` waited for; a longer one ends the retries.
    pub(crate) max_retry_after: Duration,
    /// Told before each wait for a retry.
    pub(crate) on_retry: Option<OnRetry>,
    /// Writes the trace context on each submission attempt (`tracing` feature).
    #[cfg(feature = "tracing")]
    pub(crate) trace_headers: Option<crate::trace::TraceHeaders>,
    /// The limits the requests are sent under, named again in timeout errors. There is no
    /// connect limit of the crate's on a passed-in client (its own applies, within `timeout`).
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) download_idle_timeout: Duration,
    /// The key again, to blank it in errors where a service echoed it.
    pub(crate) secret: Secret,
}

impl fmt::Debug for NovitaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the HTTP clients: a passed-in one may show what its owner set.
        f.debug_struct("NovitaClient")
            .field("base_url", &self.base_url())
            .field("api_key", &REDACTED)
            .field("timeout", &self.timeout)
            .field("download_idle_timeout", &self.download_idle_timeout)
            .field("poll_retry", &self.poll_retry)
            .field("submit_retry", &self.submit_retry)
            .field("max_retry_after", &self.max_retry_after)
            .field(
                "max_answer_bytes",
                &progenitor_client::ClientInfo::inner(&self.api).max_answer_bytes,
            )
            .finish_non_exhaustive()
    }
}

impl NovitaClient {
    /// The generated client, for every request builder of the spec. Requests sent through it
    /// skip this crate's checks and retries.
    ///
    /// ```,no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = novita_video::NovitaClient::new("k")?;
    /// let answer = client.api().get_task_result().task_id("a-task-id").send().await?;
    /// println!("{:?}", answer.into_inner().task);
    /// # Ok(()) }
    /// ```
    pub fn api(&self) -> &generated::Client {
        &self.api
    }

    /// How requests retried with `policy` (one of the client's) are retried.
    pub(crate) fn retrying<'a>(&'a self, policy: &'a RetryPolicy) -> Retrying<'a> {
        Retrying {
            policy,
            max_retry_after: self.max_retry_after,
            on_retry: self.on_retry.as_ref(),
        }
    }

    /// `error` without the API key, wherever a service echoed it.
    pub(crate) fn scrub(&self, error: Error) -> Error {
        self.secret.scrub(error)
    }

    /// A transport error that is a timeout, as [`Error::Timeout`] of `what` with the limit it
    /// ran past; any other error as it is.
    pub(crate) fn name_timeout(&self, error: Error, what: &str) -> Error {
        match error {
            Error::Transport {
                source, task_id, ..
            } if source.is_timeout() => {
                let (what, limit) = if source.is_connect() {
                    let limit = self.connect_timeout.unwrap_or(self.timeout);
                    (format!("connecting for {what}"), limit)
                } else {
                    (what.to_string(), self.timeout)
                };
                Error::Timeout {
                    what,
                    limit,
                    task_id,
                }
            }
            other => other,
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&self.api)
    }
}
