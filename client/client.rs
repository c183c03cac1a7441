//! [`NovitaClient`] and its builder: the hand-written front over the generated client.
//!
//! What it does is split by concern: `submit.rs` checks and sends bodies, `wait.rs` reads task
//! results and waits for them, `download.rs` fetches the videos.
//!
//! Neither type shows the API key in its `Debug` output: both are written by hand below, so that
//! a `{:?}` in a log line cannot leak it.

use std::{fmt, sync::Arc, time::Duration};

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};

use crate::{
    error::Error,
    generated,
    observe::{AnswerLimits, DEFAULT_MAX_ANSWER_BYTES},
    retry::{OnRetry, RetryNotice, RetryPolicy, Retrying},
    secret::{Secret, REDACTED},
    shown::without_query,
};

/// Novita's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.novita.ai";
/// Environment variable holding the API key.
pub const API_KEY_ENV: &str = "NOVITA_API_KEY";
/// Environment variable overriding the base URL (the mock, the mirror host).
pub const BASE_URL_ENV: &str = "NOVITA_BASE_URL";

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
    /// Plain client for result URLs: they are pre-signed and must not carry our API key.
    pub(crate) download_http: reqwest::Client,
    pub(crate) poll_retry: RetryPolicy,
    pub(crate) submit_retry: RetryPolicy,
    /// The longest `Retry-After` waited for; a longer one ends the retries.
    pub(crate) max_retry_after: Duration,
    /// Told before each wait for a retry.
    pub(crate) on_retry: Option<OnRetry>,
    /// Writes the trace context on each submission attempt (`tracing` feature).
    #[cfg(feature = "tracing")]
    pub(crate) trace_headers: Option<crate::trace::TraceHeaders>,
    /// The limits the HTTP clients were built with, named again in timeout errors.
    pub(crate) timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) download_idle_timeout: Duration,
    /// The key again, to blank it in errors where a service echoed it.
    pub(crate) secret: Secret,
}

impl fmt::Debug for NovitaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the HTTP clients: their default headers carry the key.
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

/// Settings of a [`NovitaClient`]; see [`NovitaClient::builder`].
///
/// ```
/// use std::time::Duration;
/// use novita_video::{NovitaClient, RetryPolicy};
///
/// let client = NovitaClient::builder()
///     .api_key("sk-example")
///     .base_url("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(20))
///     .connect_timeout(Duration::from_secs(5))
///     .download_idle_timeout(Duration::from_secs(60))
///     .user_agent("my-service/1.0")
///     .poll_retry(RetryPolicy { max_attempts: 8, ..RetryPolicy::default() })
///     .submit_retry(RetryPolicy::never())
///     .max_retry_after(Duration::from_secs(120))
///     .on_retry(|notice| eprintln!("retrying in {:?}", notice.wait))
///     .max_answer_bytes(1 << 20)
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    download_idle_timeout: Duration,
    user_agent: String,
    poll_retry: RetryPolicy,
    submit_retry: RetryPolicy,
    max_retry_after: Duration,
    on_retry: Option<OnRetry>,
    max_answer_bytes: usize,
    #[cfg(feature = "tracing")]
    pub(crate) trace_headers: Option<crate::trace::TraceHeaders>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| REDACTED))
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("download_idle_timeout", &self.download_idle_timeout)
            .field("user_agent", &self.user_agent)
            .field("poll_retry", &self.poll_retry)
            .field("submit_retry", &self.submit_retry)
            .field("max_retry_after", &self.max_retry_after)
            .field("max_answer_bytes", &self.max_answer_bytes)
            .finish_non_exhaustive()
    }
}

/// Default limit of one API request, answer included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit of a video download's silence: the longest wait for its next bytes.
pub const DEFAULT_DOWNLOAD_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest `Retry-After` waited for by default; see [`ClientBuilder::max_retry_after`].
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            download_idle_timeout: DEFAULT_DOWNLOAD_IDLE_TIMEOUT,
            user_agent: concat!("novita-video-rust/", env!("CARGO_PKG_VERSION")).to_string(),
            poll_retry: RetryPolicy::default(),
            submit_retry: RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            on_retry: None,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            #[cfg(feature = "tracing")]
            trace_headers: None,
        }
    }
}

impl ClientBuilder {
    /// The API key, sent as `Authorization: Bearer <key>`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Where to send requests: the mock (`http://127.0.0.1:8080`), the mirror host, ...
    ///
    /// ```
    /// let client = novita_video::NovitaClient::builder().api_key("k").base_url("http://127.0.0.1:8080/").build().unwrap();
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Limit for one whole API request (a submission, a task-result read), from connecting to
    /// the last byte of the answer (default 60 s). A read that runs past it is
    /// [`Error::Timeout`]; a submission is [`Error::SubmissionOutcomeUnknown`], since the task
    /// may exist. Video downloads are not bound by it (see
    /// [`ClientBuilder::download_idle_timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for opening a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit for a video download's silence (default 30 s): the longest wait for the answer's
    /// headers and then for each next part of the video. A slow download that keeps moving goes
    /// on however long it takes; one that stalls is [`Error::Timeout`].
    pub fn download_idle_timeout(mut self, timeout: Duration) -> Self {
        self.download_idle_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `novita-video-rust/<version>`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// Retries of task-result reads (transport errors, 429, 5xx).
    pub fn poll_retry(mut self, policy: RetryPolicy) -> Self {
        self.poll_retry = policy;
        self
    }

    /// Retries of submissions, which happen only where no task can have been created
    /// (connection refused, 429). [`RetryPolicy::never`] turns them off.
    pub fn submit_retry(mut self, policy: RetryPolicy) -> Self {
        self.submit_retry = policy;
        self
    }

    /// The longest `Retry-After` the client waits for before a retry (default 60 s). A retry
    /// waits exactly as long as the service asks, never less; when it asks for longer than
    /// this, the client gives up at once with [`Error::RetryAfterTooLong`] rather than wait.
    /// Only requests that are safe to send again are retried (see
    /// [`ClientBuilder::submit_retry`]).
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Called before every wait for a retry, with what failed and how long the client waits
    /// ([`RetryNotice`]): a service that asks for a long `Retry-After` is not waited for
    /// silently. The `novita` command prints one line for each `Retry-After`.
    pub fn on_retry(mut self, callback: impl Fn(&RetryNotice) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(callback));
        self
    }

    /// The longest API answer read (a submission's, a task result's, an error's), in bytes
    /// (default [`DEFAULT_MAX_ANSWER_BYTES`], 4 MiB). Answers are read chunk by chunk and a
    /// longer one is refused as soon as it passes the limit, without reading it all:
    /// [`Error::AnswerTooLarge`], or for a submission [`Error::SubmissionAnswerUnreadable`] (a
    /// task may exist). Video downloads are streamed to their writer and not bound by it.
    pub fn max_answer_bytes(mut self, limit: usize) -> Self {
        self.max_answer_bytes = limit;
        self
    }

    /// Builds the client.
    ///
    /// ```
    /// use novita_video::{Error, NovitaClient};
    /// assert!(matches!(NovitaClient::builder().build(), Err(Error::Config(_))), "no key");
    /// assert!(NovitaClient::builder().api_key("k").build().is_ok());
    /// ```
    pub fn build(self) -> Result<NovitaClient, Error> {
        let key = self
            .api_key
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Error::Config(format!("no API key: pass one or set {API_KEY_ENV}")))?;
        let base_url = self.base_url.trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::Config(format!("base URL {base_url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL {base_url:?} must be http or https"
            )));
        }
        // `user:pw@` would replace the Bearer key with Basic auth, and a query or fragment
        // would be glued to every path: none belongs in a base URL.
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Error::Config(
                "the base URL must not carry a user or password; give the key with api_key".into(),
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(Error::Config(format!(
                "base URL {}: a query or fragment has no place in a base URL",
                without_query(&base_url)
            )));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", key.trim())).map_err(|_| {
            Error::Config("the API key has characters a header cannot carry".into())
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        let http = |headers: HeaderMap| {
            reqwest::Client::builder()
                .default_headers(headers)
                .user_agent(self.user_agent.clone())
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                // A redirect would turn a submission into a GET or send it to another host:
                // it is reported (`Error::Redirected`), never followed.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::Config(format!("HTTP client: {e}")))
        };
        let limits = AnswerLimits {
            max_answer_bytes: self.max_answer_bytes,
        };
        let api = generated::Client::new_with_client(&base_url, http(headers)?, limits);
        // Downloads can be long: only the connection and each read are bounded.
        let download_http = reqwest::Client::builder()
            .user_agent(self.user_agent.clone())
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.download_idle_timeout)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(NovitaClient {
            api,
            download_http,
            poll_retry: self.poll_retry,
            submit_retry: self.submit_retry,
            max_retry_after: self.max_retry_after,
            on_retry: self.on_retry,
            #[cfg(feature = "tracing")]
            trace_headers: self.trace_headers,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            download_idle_timeout: self.download_idle_timeout,
            secret: Secret::new(key.trim()),
        })
    }
}

impl NovitaClient {
    /// A client for the production API ([`DEFAULT_BASE_URL`]) with this key.
    ///
    /// ```
    /// let client = novita_video::NovitaClient::new("sk-example").unwrap();
    /// assert_eq!(client.base_url(), novita_video::DEFAULT_BASE_URL);
    /// ```
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        Self::builder().api_key(api_key).build()
    }

    /// A client from `NOVITA_API_KEY` and, when set, `NOVITA_BASE_URL`.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder_from_env().build()
    }

    /// A builder preloaded from the environment, for further settings: a key or URL set
    /// after it replaces the environment's.
    pub fn builder_from_env() -> ClientBuilder {
        let mut builder = Self::builder();
        if let Ok(key) = std::env::var(API_KEY_ENV) {
            builder = builder.api_key(key);
        }
        if let Ok(url) = std::env::var(BASE_URL_ENV) {
            if !url.trim().is_empty() {
                builder = builder.base_url(url);
            }
        }
        builder
    }

    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

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
                    (format!("connecting for {what}"), self.connect_timeout)
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
