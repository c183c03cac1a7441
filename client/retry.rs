//! When to try a request again, and how long to wait first.

use std::{future::Future, sync::Arc, time::Duration};

use reqwest::StatusCode;

use crate::Error;

/// Exponential backoff with full jitter, for failures that come without a `Retry-After`. A
/// `Retry-After` from the service is waited for as asked, up to the client's
/// [`ClientBuilder::max_retry_after`](crate::ClientBuilder::max_retry_after).
///
/// ```
/// use std::time::Duration;
/// use novita_video::RetryPolicy;
/// let policy = RetryPolicy::default().with_max_attempts(4);
/// assert!(policy.max_attempts > 1);
/// assert_eq!(RetryPolicy::never().max_attempts, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 = never retry).
    pub max_attempts: u32,
    /// Upper bound of the first backoff; it doubles with each attempt.
    pub base_delay: Duration,
    /// No backoff is longer than this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// `max_attempts` in all, backoffs from `base_delay` doubling up to `max_delay`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = novita_video::RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(2));
    /// assert_eq!(policy.max_delay, Duration::from_secs(2));
    /// ```
    pub fn new(max_attempts: u32, base_delay: Duration, max_delay: Duration) -> Self {
        RetryPolicy {
            max_attempts,
            base_delay,
            max_delay,
        }
    }

    /// This policy with another [`RetryPolicy::max_attempts`].
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// This policy with another [`RetryPolicy::base_delay`].
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// This policy with another [`RetryPolicy::max_delay`].
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// A policy that makes exactly one attempt.
    ///
    /// ```
    /// assert_eq!(novita_video::RetryPolicy::never().max_attempts, 1);
    /// ```
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// How long to back off before attempt number `attempt + 1` (`attempt` counts from 1).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let millis = ceiling.as_millis() as u64;
        Duration::from_millis(fastrand::u64(0..=millis))
    }
}

/// What the client tells [`ClientBuilder::on_retry`](crate::ClientBuilder::on_retry) before it
/// waits to send a request again.
///
/// ```
/// let client = novita_video::NovitaClient::builder()
///     .api_key("k")
///     .on_retry(|notice: &novita_video::RetryNotice| {
///         eprintln!("attempt {} got {:?}; next in {:?}", notice.attempt, notice.status, notice.wait)
///     })
///     .build()
///     .unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryNotice {
    /// The attempt that failed, counting from 1.
    pub attempt: u32,
    /// The status of its answer, when there was one (429, 503, ...).
    pub status: Option<StatusCode>,
    /// The `Retry-After` the service asked for, when it sent one.
    pub retry_after: Option<Duration>,
    /// How long the client waits before the next attempt.
    pub wait: Duration,
}

/// A client's [`RetryNotice`] callback.
pub(crate) type OnRetry = Arc<dyn Fn(&RetryNotice) + Send + Sync>;

/// How one kind of request is retried: its policy, the longest `Retry-After` waited for, and
/// who is told before each wait.
pub(crate) struct Retrying<'a> {
    pub policy: &'a RetryPolicy,
    pub max_retry_after: Duration,
    pub on_retry: Option<&'a OnRetry>,
}

/// Whether a failed request may be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Reading a task result: asking again changes nothing.
    Read,
    /// Submitting a paid task: only retried where Novita certainly created no task.
    Submit,
}

fn may_retry(error: &Error, kind: Idempotency) -> bool {
    match kind {
        Idempotency::Read => match error {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Api(_) | Error::UnexpectedBody { .. } => error
                .status()
                .is_some_and(|s| s.as_u16() == 429 || s.is_server_error()),
            _ => false,
        },
        Idempotency::Submit => match error {
            // The connection was never made, so the request never left this machine.
            Error::Transport { source, .. } => source.is_connect(),
            // Novita's own rate limiter refused the request: no task was created.
            Error::Api(api) => api.status.as_u16() == 429,
            _ => false,
        },
    }
}

/// Runs `attempt` until it succeeds, the policy's attempts are used up, or its error may not be
/// retried for this kind of request. Returns the last error as it came, or
/// [`Error::RetryAfterTooLong`] when the service asks for a longer wait than allowed.
pub(crate) async fn with_retries<T, F, Fut>(
    retrying: &Retrying<'_>,
    kind: Idempotency,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut made = 1;
    loop {
        crate::trace::attempt(made);
        let error = match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if made >= retrying.policy.max_attempts || !may_retry(&error, kind) {
            return Err(error);
        }
        let retry_after = error.retry_after();
        let wait = match retry_after {
            Some(asked) if asked > retrying.max_retry_after => {
                return Err(Error::RetryAfterTooLong {
                    retry_after: asked,
                    limit: retrying.max_retry_after,
                    source: Box::new(error),
                })
            }
            Some(asked) => asked,
            None => retrying.policy.backoff(made),
        };
        let notice = RetryNotice {
            attempt: made,
            status: error.status(),
            retry_after,
            wait,
        };
        crate::trace::retrying(notice.attempt, notice.status, retry_after, wait);
        if let Some(on_retry) = retrying.on_retry {
            on_retry(&notice);
        }
        tokio::time::sleep(wait).await;
        made += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_but_stays_under_the_cap() {
        // Full jitter draws each delay from [0, ceiling], the ceiling doubling per attempt up to
        // `max_delay`. Of 200 draws, the largest passes the previous attempt's ceiling (half of
        // this one's) unless all 200 fall in the lower half: odds of 2^-200. A zero or constant
        // backoff fails here.
        let policy = RetryPolicy::default();
        let mut previous_ceiling = Duration::ZERO;
        for attempt in 1..20 {
            let ceiling =
                (policy.base_delay * 2u32.pow((attempt - 1).min(16))).min(policy.max_delay);
            let draws: Vec<Duration> = (0..200).map(|_| policy.backoff(attempt)).collect();
            let largest = *draws.iter().max().unwrap();
            assert!(
                largest <= ceiling,
                "attempt {attempt}: {largest:?} > {ceiling:?}"
            );
            if ceiling > previous_ceiling {
                assert!(
                    largest > previous_ceiling,
                    "attempt {attempt}: no draw above {previous_ceiling:?} (largest {largest:?})"
                );
            }
            previous_ceiling = ceiling;
        }
        assert_eq!(previous_ceiling, policy.max_delay, "the cap is reached");
    }

    fn retrying(policy: &RetryPolicy) -> Retrying<'_> {
        Retrying {
            policy,
            max_retry_after: Duration::from_millis(2),
            on_retry: None,
        }
    }

    /// A real refused connection's error, as a submission gets it.
    async fn refused(http: &reqwest::Client, port: u16) -> Error {
        let source = http
            .post(format!("http://127.0.0.1:{port}/v3/async/wan-t2v"))
            .send()
            .await
            .expect_err("nothing listens there");
        assert!(source.is_connect(), "{source:?}");
        Error::Transport {
            source,
            timed_out: false,
            task_id: None,
        }
    }

    #[tokio::test]
    async fn a_refused_submission_is_sent_as_many_times_as_the_policy_allows() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let http = reqwest::Client::new();
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        };
        for (kind, expected) in [(Idempotency::Submit, 3), (Idempotency::Read, 3)] {
            let mut attempts = 0;
            let error = with_retries(&retrying(&policy), kind, || {
                attempts += 1;
                let http = http.clone();
                async move { Err::<(), _>(refused(&http, port).await) }
            })
            .await
            .unwrap_err();
            assert!(matches!(error, Error::Transport { .. }), "{error:?}");
            assert_eq!(attempts, expected, "{kind:?}");
        }
        let never = RetryPolicy {
            max_attempts: 1,
            ..policy
        };
        let mut attempts = 0;
        let _ = with_retries(&retrying(&never), Idempotency::Submit, || {
            attempts += 1;
            let http = http.clone();
            async move { Err::<(), _>(refused(&http, port).await) }
        })
        .await;
        assert_eq!(attempts, 1);
    }
}
