//! [`NovitaClient`]: the hand-written front over the generated client.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};

use crate::{
    error::Error,
    generated::{self, types::TaskResultResponse},
    poll::{next_delay, Observation, Pacing},
    retry::{may_retry, Idempotency, RetryPolicy},
    submit::SubmitRequest,
    transport::observe,
    validate::violations,
    TaskStatus,
};

/// Novita's production API.
///
/// ```
/// assert_eq!(novita_video::DEFAULT_BASE_URL, "https://api.novita.ai");
/// ```
pub const DEFAULT_BASE_URL: &str = "https://api.novita.ai";
/// Environment variable holding the API key.
///
/// ```
/// assert_eq!(novita_video::API_KEY_ENV, "NOVITA_API_KEY");
/// ```
pub const API_KEY_ENV: &str = "NOVITA_API_KEY";
/// Environment variable overriding the base URL (the mock, the mirror host).
///
/// ```
/// assert_eq!(novita_video::BASE_URL_ENV, "NOVITA_BASE_URL");
/// ```
pub const BASE_URL_ENV: &str = "NOVITA_BASE_URL";

/// A client for Novita's Wan video endpoints.
///
/// It checks bodies against the spec before sending, retries only where that cannot create a
/// second paid task, waits for tasks without hammering the service, and downloads results.
/// [`NovitaClient::api`] gives the generated client for anything else.
///
/// ```no_run
/// # async fn run() -> Result<(), novita_video::Error> {
/// use novita_video::{types::WanT2vRequest, NovitaClient, WaitOptions};
///
/// let client = NovitaClient::from_env()?;
/// let request: WanT2vRequest = WanT2vRequest::builder().prompt("A red fox in fresh snow").try_into().unwrap();
/// let task_id = client.submit(&request).await?;
/// let result = client.wait(&task_id, WaitOptions::default()).await?;
/// client.download_video(&result, "fox.mp4", |_, _| {}).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct NovitaClient {
    api: generated::Client,
    /// Plain client for result URLs: they are pre-signed and must not carry our API key.
    pub(crate) download_http: reqwest::Client,
    poll_retry: RetryPolicy,
    submit_retry: RetryPolicy,
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
///     .user_agent("my-service/1.0")
///     .poll_retry(RetryPolicy { max_attempts: 8, ..RetryPolicy::default() })
///     .submit_retry(RetryPolicy::never())
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// ```
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    poll_retry: RetryPolicy,
    submit_retry: RetryPolicy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("novita-video-rust/", env!("CARGO_PKG_VERSION")).to_string(),
            poll_retry: RetryPolicy::default(),
            submit_retry: RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
        }
    }
}

impl ClientBuilder {
    /// The API key, sent as `Authorization: Bearer <key>`.
    ///
    /// ```
    /// let builder = novita_video::NovitaClient::builder().api_key("sk-example");
    /// assert!(builder.build().is_ok());
    /// ```
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

    /// Limit for one whole request, answer included (default 30 s).
    ///
    /// ```
    /// let builder = novita_video::NovitaClient::builder().api_key("k").timeout(std::time::Duration::from_secs(60));
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit for opening a connection (default 10 s).
    ///
    /// ```
    /// let builder = novita_video::NovitaClient::builder().api_key("k").connect_timeout(std::time::Duration::from_secs(3));
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `novita-video-rust/<version>`).
    ///
    /// ```
    /// let builder = novita_video::NovitaClient::builder().api_key("k").user_agent("my-service/1.0");
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// Retries of task-result reads (transport errors, 429, 5xx).
    ///
    /// ```
    /// use novita_video::{NovitaClient, RetryPolicy};
    /// let builder = NovitaClient::builder().api_key("k").poll_retry(RetryPolicy { max_attempts: 10, ..RetryPolicy::default() });
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn poll_retry(mut self, policy: RetryPolicy) -> Self {
        self.poll_retry = policy;
        self
    }

    /// Retries of submissions, which happen only where no task can have been created
    /// (connection refused, 429). [`RetryPolicy::never`] turns them off.
    ///
    /// ```
    /// use novita_video::{NovitaClient, RetryPolicy};
    /// let builder = NovitaClient::builder().api_key("k").submit_retry(RetryPolicy::never());
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn submit_retry(mut self, policy: RetryPolicy) -> Self {
        self.submit_retry = policy;
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
                .build()
                .map_err(|e| Error::Config(format!("HTTP client: {e}")))
        };
        let api = generated::Client::new_with_client(&base_url, http(headers)?);
        // Downloads can be long: only the connection and each read are bounded.
        let download_http = reqwest::Client::builder()
            .user_agent(self.user_agent.clone())
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.timeout)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(NovitaClient {
            api,
            download_http,
            poll_retry: self.poll_retry,
            submit_retry: self.submit_retry,
        })
    }
}

/// Called by [`NovitaClient::wait`] after every poll.
type ProgressCallback<'a> = Box<dyn FnMut(&WaitProgress) + Send + 'a>;

/// How [`NovitaClient::wait`] paces itself and when it gives up.
///
/// ```
/// use std::time::Duration;
/// use novita_video::WaitOptions;
/// let options = WaitOptions::default()
///     .timeout(Duration::from_secs(900))
///     .interval(Duration::from_millis(500), Duration::from_secs(15))
///     .on_progress(|p| println!("{:?}", p.progress_percent));
/// ```
pub struct WaitOptions<'a> {
    /// Give up after this long (default 20 minutes). The task goes on at Novita.
    pub timeout: Duration,
    /// Never poll more often than this (default 250 ms).
    pub min_interval: Duration,
    /// Never sleep longer than this between polls (default 10 s).
    pub max_interval: Duration,
    on_progress: Option<ProgressCallback<'a>>,
}

impl Default for WaitOptions<'_> {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(20 * 60),
            min_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(10),
            on_progress: None,
        }
    }
}

impl<'a> WaitOptions<'a> {
    /// Sets the deadline.
    ///
    /// ```
    /// let options = novita_video::WaitOptions::default().timeout(std::time::Duration::from_secs(300));
    /// assert_eq!(options.timeout.as_secs(), 300);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the bounds of the poll interval.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = novita_video::WaitOptions::default().interval(Duration::from_secs(1), Duration::from_secs(30));
    /// assert_eq!(options.max_interval, Duration::from_secs(30));
    /// ```
    pub fn interval(mut self, min: Duration, max: Duration) -> Self {
        self.min_interval = min;
        self.max_interval = max;
        self
    }

    /// Called after every poll with what it saw.
    ///
    /// ```
    /// let options = novita_video::WaitOptions::default()
    ///     .on_progress(|p| eprintln!("{} {:?} {:?}%", p.task_id, p.status, p.progress_percent));
    /// ```
    pub fn on_progress(mut self, callback: impl FnMut(&WaitProgress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(callback));
        self
    }
}

/// What one poll of [`NovitaClient::wait`] saw.
///
/// ```
/// use novita_video::{TaskStatus, WaitOptions, WaitProgress};
/// let options = WaitOptions::default().on_progress(|p: &WaitProgress| {
///     if p.status == Some(TaskStatus::Processing) {
///         println!("{:?}% after {} polls", p.progress_percent, p.polls);
///     }
/// });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct WaitProgress {
    pub task_id: String,
    pub status: Option<TaskStatus>,
    pub progress_percent: Option<f64>,
    /// Novita's estimate of the time left.
    pub eta: Option<Duration>,
    pub elapsed: Duration,
    /// Polls made so far, this one included.
    pub polls: u32,
}

impl NovitaClient {
    /// A client for the production API with this key.
    ///
    /// ```
    /// let client = novita_video::NovitaClient::new("sk-example").unwrap();
    /// assert_eq!(client.base_url(), novita_video::DEFAULT_BASE_URL);
    /// ```
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        Self::builder().api_key(api_key).build()
    }

    /// A client from `NOVITA_API_KEY` and, when set, `NOVITA_BASE_URL`.
    ///
    /// ```,no_run
    /// // NOVITA_API_KEY=... NOVITA_BASE_URL=http://127.0.0.1:8080
    /// let client = novita_video::NovitaClient::from_env().unwrap();
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::builder_from_env().build()
    }

    /// A builder preloaded from the environment, for further settings.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = novita_video::NovitaClient::builder_from_env()
    ///     .api_key("fallback-key")
    ///     .timeout(Duration::from_secs(60))
    ///     .build()
    ///     .unwrap();
    /// ```
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
    ///
    /// ```
    /// let client = novita_video::NovitaClient::builder().api_key("k").build().unwrap();
    /// ```
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

    /// The base URL requests go to.
    ///
    /// ```
    /// let client = novita_video::NovitaClient::new("k").unwrap();
    /// assert_eq!(client.base_url(), "https://api.novita.ai");
    /// ```
    pub fn base_url(&self) -> &str {
        progenitor_client::ClientInfo::baseurl(&self.api)
    }

    /// Checks `request` against the spec's rules without sending it.
    ///
    /// ```
    /// use novita_video::{types::WanT2vRequest, NovitaClient};
    /// let mut request: WanT2vRequest = WanT2vRequest::builder().prompt("a fox").try_into().unwrap();
    /// assert!(NovitaClient::check(&request).is_ok());
    /// request.steps = Some(41);
    /// let error = NovitaClient::check(&request).unwrap_err();
    /// assert!(error.to_string().contains("`steps` must be between 1 and 40"));
    /// ```
    pub fn check<R: SubmitRequest>(request: &R) -> Result<(), Error> {
        let body = serde_json::to_value(request).map_err(|e| Error::InvalidRequest {
            violations: vec![crate::Violation {
                field: "body".into(),
                rule: format!("cannot be serialized: {e}"),
            }],
        })?;
        let violations = violations(R::SCHEMA, &body);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidRequest { violations })
        }
    }

    /// Submits a task and returns its id. The body is checked first; nothing is sent when it
    /// breaks a rule. Retried only where Novita certainly created no task.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// use novita_video::types::WanI2vRequest;
    /// let request: WanI2vRequest = WanI2vRequest::builder()
    ///     .prompt("A panda walks slowly")
    ///     .image_url("https://example.com/panda.jpg")
    ///     .try_into()
    ///     .unwrap();
    /// let task_id = client.submit(&request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit<R: SubmitRequest>(&self, request: &R) -> Result<String, Error> {
        Self::check(request)?;
        let mut attempt = 1;
        loop {
            let error = match observe(request.send_raw(&self.api)).await {
                Ok(accepted) => return Ok(accepted.task_id),
                Err(error) => error,
            };
            if attempt < self.submit_retry.max_attempts && may_retry(&error, Idempotency::Submit) {
                tokio::time::sleep(self.submit_retry.backoff(attempt, error.retry_after())).await;
                attempt += 1;
                continue;
            }
            return Err(match error {
                Error::Transport { source, .. } if !source.is_connect() => {
                    Error::SubmissionOutcomeUnknown {
                        operation: R::OPERATION,
                        source,
                    }
                }
                other => other,
            });
        }
    }

    /// Sends a submission once, as it is: no check against the spec's rules and no retry,
    /// but the same typed errors as [`NovitaClient::submit`]. For testing how a server answers
    /// bodies the client would refuse.
    ///
    /// ```no_run
    /// # async fn run(client: novita_video::NovitaClient) {
    /// use novita_video::types::WanT2vRequest;
    /// let mut request: WanT2vRequest = WanT2vRequest::builder().prompt("a fox").try_into().unwrap();
    /// request.steps = Some(99);
    /// let error = client.submit_unchecked(&request).await.unwrap_err();
    /// assert_eq!(error.reason(), Some("INVALID_REQUEST_BODY"));
    /// # }
    /// ```
    pub async fn submit_unchecked<R: SubmitRequest>(&self, request: &R) -> Result<String, Error> {
        observe(request.send_raw(&self.api))
            .await
            .map(|accepted| accepted.task_id)
    }

    /// The task's current result, retrying transport errors, 429 and 5xx.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let result = client.task_result("a-task-id").await?;
    /// if let Some(task) = result.task {
    ///     println!("{:?} {:?}%", task.status, task.progress_percent);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn task_result(&self, task_id: &str) -> Result<TaskResultResponse, Error> {
        let mut attempt = 1;
        loop {
            let error = match self.task_result_once(task_id).await {
                Ok(result) => return Ok(result),
                Err(error) => error,
            };
            if attempt < self.poll_retry.max_attempts && may_retry(&error, Idempotency::Read) {
                tokio::time::sleep(self.poll_retry.backoff(attempt, error.retry_after())).await;
                attempt += 1;
                continue;
            }
            return Err(error);
        }
    }

    /// One task-result request, without retries.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let result = client.task_result_once("a-task-id").await?;
    /// # Ok(()) }
    /// ```
    pub async fn task_result_once(&self, task_id: &str) -> Result<TaskResultResponse, Error> {
        observe(self.api.get_task_result().task_id(task_id).send())
            .await
            .map_err(|e| e.with_task_id(task_id))
    }

    /// Polls until the task ends and returns its result. A failed or canceled task is
    /// [`Error::TaskFailed`]; the deadline is [`Error::WaitTimeout`]. Dropping the future stops
    /// the polling.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// use std::time::Duration;
    /// use novita_video::{Error, WaitOptions};
    /// let options = WaitOptions::default().timeout(Duration::from_secs(600));
    /// match client.wait("a-task-id", options).await {
    ///     Ok(result) => println!("{} videos", result.videos.len()),
    ///     Err(Error::TaskFailed { reason, .. }) => eprintln!("failed: {reason}"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait(
        &self,
        task_id: &str,
        mut options: WaitOptions<'_>,
    ) -> Result<TaskResultResponse, Error> {
        let started = Instant::now();
        let pacing = Pacing {
            min_interval: options.min_interval,
            max_interval: options.max_interval,
        };
        let mut previous: Option<Observation> = None;
        let mut last_status = None;
        let mut polls = 0;
        loop {
            let timed_out = |last_status: &Option<TaskStatus>| Error::WaitTimeout {
                task_id: task_id.to_string(),
                waited: started.elapsed(),
                last_status: last_status.clone(),
            };
            let left = options.timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(timed_out(&last_status));
            }
            let result = match tokio::time::timeout(left, self.task_result(task_id)).await {
                Ok(result) => result?,
                Err(_) => return Err(timed_out(&last_status)),
            };
            polls += 1;
            let task = result.task.clone().unwrap_or_default();
            last_status = task.status.clone();
            let now = Observation {
                eta_seconds: task.eta,
                progress_percent: task.progress_percent,
                elapsed: started.elapsed(),
            };
            if let Some(callback) = options.on_progress.as_mut() {
                callback(&WaitProgress {
                    task_id: task_id.to_string(),
                    status: task.status.clone(),
                    progress_percent: task.progress_percent,
                    eta: task
                        .eta
                        .filter(|e| e.is_finite() && *e >= 0.0)
                        .map(Duration::from_secs_f64),
                    elapsed: now.elapsed,
                    polls,
                });
            }
            match task.status {
                Some(TaskStatus::Succeed) => return Ok(result),
                Some(status) if status.is_terminal() => {
                    return Err(Error::TaskFailed {
                        task_id: task_id.to_string(),
                        status,
                        reason: task.reason.unwrap_or_default(),
                        result: Box::new(result),
                    })
                }
                _ => {}
            }
            let delay = next_delay(previous.as_ref(), &now, &pacing);
            previous = Some(now);
            let left = options.timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(timed_out(&last_status));
            }
            tokio::time::sleep(delay.min(left)).await;
        }
    }
}
