//! [`ClientBuilder`]: the settings of a [`NovitaClient`], checked when it is built, and the
//! HTTP clients it sends with: its own, or the service's passed in with
//! [`ClientBuilder::http_client`], under the same rules (`rules.rs`).

use std::{fmt, sync::Arc, time::Duration};

use crate::{
    client::NovitaClient,
    error::Error,
    generated,
    observe::{AnswerLimits, DEFAULT_MAX_ANSWER_BYTES},
    retry::{OnRetry, RetryNotice, RetryPolicy},
    rules::RequestRules,
    secret::{Secret, REDACTED},
    shown::without_query,
};

/// Novita's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.novita.ai";
/// Environment variable holding the API key.
pub const API_KEY_ENV: &str = "NOVITA_API_KEY";
/// Environment variable overriding the base URL (the mock, the mirror host).
pub const BASE_URL_ENV: &str = "NOVITA_BASE_URL";
/// Default limit for opening a connection, on the client's own HTTP client.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
///     .poll_retry(RetryPolicy::default().with_max_attempts(8))
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
    /// Set by the caller, or none for the default.
    connect_timeout: Option<Duration>,
    download_idle_timeout: Duration,
    user_agent: String,
    poll_retry: RetryPolicy,
    submit_retry: RetryPolicy,
    max_retry_after: Duration,
    on_retry: Option<OnRetry>,
    #[cfg(feature = "tracing")]
    pub(crate) trace_headers: Option<crate::trace::TraceHeaders>,
    max_answer_bytes: usize,
    http_client: Option<reqwest::Client>,
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
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "passed in"),
            )
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
            connect_timeout: None,
            download_idle_timeout: DEFAULT_DOWNLOAD_IDLE_TIMEOUT,
            user_agent: concat!("novita-video-rust/", env!("CARGO_PKG_VERSION")).to_string(),
            poll_retry: RetryPolicy::default(),
            submit_retry: RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            on_retry: None,
            #[cfg(feature = "tracing")]
            trace_headers: None,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
            http_client: None,
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

    /// Limit for opening a connection (default [`DEFAULT_CONNECT_TIMEOUT`], 10 s). It is a
    /// setting of the HTTP client itself: with [`ClientBuilder::http_client`], set it on the
    /// client passed in instead ([`ClientBuilder::build`] refuses both).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
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

    /// Sends every request with `client`, the service's own `reqwest::Client` (its proxy, its
    /// root certificates, its connection pool, its TLS backend), instead of clients built here.
    ///
    /// The client's rules still hold, put on each request rather than on `client`, which is
    /// left as it is:
    ///
    /// - the key goes on each API request, never into `client`'s default headers, and never on
    ///   a download;
    /// - [`ClientBuilder::timeout`] bounds each API request, replacing any total timeout
    ///   `client` has (or its lack of one); [`ClientBuilder::download_idle_timeout`] bounds each
    ///   wait for a download's next bytes;
    /// - answers are read within [`ClientBuilder::max_answer_bytes`];
    /// - no redirect is followed. `reqwest` cannot say whether `client` follows them, so an
    ///   answer that came from another URL than the one asked is refused with
    ///   [`Error::RedirectFollowed`] and not read; build `client` with
    ///   `redirect(reqwest::redirect::Policy::none())` to get [`Error::Redirected`] before
    ///   anything is sent on. Downloads may follow redirects, as with the client's own.
    ///
    /// What only a client's settings can hold is refused at [`ClientBuilder::build`]:
    /// [`ClientBuilder::connect_timeout`] (set it on `client`). A total timeout set on `client`
    /// also ends a download that lasts longer.
    ///
    /// ```
    /// use std::time::Duration;
    /// let shared = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .connect_timeout(Duration::from_secs(5))
    ///     .build()
    ///     .unwrap();
    /// let client = novita_video::NovitaClient::builder()
    ///     .api_key("sk-example")
    ///     .http_client(shared)
    ///     .timeout(Duration::from_secs(20))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.base_url(), novita_video::DEFAULT_BASE_URL);
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
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
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Error::Config(format!("no API key: pass one or set {API_KEY_ENV}")))?;
        let base_url = checked_base_url(&self.base_url)?;
        let rules =
            RequestRules::new(key, &self.user_agent, self.timeout).map_err(Error::Config)?;
        let (api_http, download_http) = self.http_clients()?;
        let limits = AnswerLimits {
            max_answer_bytes: self.max_answer_bytes,
            rules: Some(rules.clone()),
        };
        Ok(NovitaClient {
            api: generated::Client::new_with_client(&base_url, api_http, limits),
            download_http,
            rules,
            poll_retry: self.poll_retry,
            submit_retry: self.submit_retry,
            max_retry_after: self.max_retry_after,
            on_retry: self.on_retry,
            #[cfg(feature = "tracing")]
            trace_headers: self.trace_headers,
            timeout: self.timeout,
            connect_timeout: match self.http_client {
                Some(_) => None,
                None => Some(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)),
            },
            download_idle_timeout: self.download_idle_timeout,
            secret: Secret::new(key),
        })
    }

    /// The clients for API requests and for downloads: the one passed in for both, or two of
    /// the crate's own. Neither carries the key or a total timeout: `rules.rs` puts those on
    /// each request.
    fn http_clients(&self) -> Result<(reqwest::Client, reqwest::Client), Error> {
        if let Some(client) = &self.http_client {
            if self.connect_timeout.is_some() {
                return Err(Error::Config(
                    "connect_timeout cannot be put on a passed-in http_client: set it with \
                     reqwest::ClientBuilder::connect_timeout on that client"
                        .into(),
                ));
            }
            return Ok((client.clone(), client.clone()));
        }
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let built = |builder: reqwest::ClientBuilder| {
            crate::tls::backend(builder.connect_timeout(connect_timeout))
                .build()
                .map_err(|e| Error::Config(format!("HTTP client: {e}")))
        };
        // A redirect would turn a submission into a GET or send it to another host: it is
        // reported (`Error::Redirected`), never followed. Downloads follow their links'.
        let api = built(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()))?;
        Ok((api, built(reqwest::Client::builder())?))
    }
}

/// The base URL without its trailing `/`, or why it cannot be one.
fn checked_base_url(base_url: &str) -> Result<String, Error> {
    let base_url = base_url.trim_end_matches('/').to_string();
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
    Ok(base_url)
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
}
