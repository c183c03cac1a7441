//! Reading a task's result, and waiting until the task ends: the options, what each poll
//! reports, the loop, and (in `pacing`) when it asks next.

mod pacing;

use std::time::{Duration, Instant};

use crate::{
    error::Error,
    generated::types::TaskResultResponse,
    observe::observe,
    retry::{with_retries, Idempotency},
    LooseNumber, NovitaClient, TaskStatus,
};
use pacing::{next_delay, Observation, Pacing};

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

/// The longest `eta` a progress report gives: a longer one (Novita's answer can carry any
/// number, `1e20` included) is reported as this much.
pub const MAX_ETA: Duration = Duration::from_secs(366 * 86_400);

/// `eta` seconds as a duration within [`MAX_ETA`]; `None` for a negative or not-a-number one.
fn bounded_eta(seconds: f64) -> Option<Duration> {
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(seconds.min(MAX_ETA.as_secs_f64())))
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
    /// The task's current result, retrying transport errors, 429 and 5xx.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let result = client.task_result("a-task-id").await?;
    /// if let Some(task) = result.task {
    ///     let percent = task.progress_percent.as_ref().and_then(|p| p.as_f64());
    ///     println!("{:?} {percent:?}%", task.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn task_result(&self, task_id: &str) -> Result<TaskResultResponse, Error> {
        with_retries(&self.retrying(&self.poll_retry), Idempotency::Read, || {
            self.task_result_once(task_id)
        })
        .await
    }

    /// One task-result request, without retries. A request that runs past the client's
    /// timeout is [`Error::Timeout`].
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let result = client.task_result_once("a-task-id").await?;
    /// # Ok(()) }
    /// ```
    pub async fn task_result_once(&self, task_id: &str) -> Result<TaskResultResponse, Error> {
        let result = observe(self.api.get_task_result().task_id(task_id).send())
            .await
            .map_err(|e| {
                self.name_timeout(e, "the task-result request")
                    .with_task_id(task_id)
            })?;
        // An answer about another task (a cache or a proxy mixing answers up) is not this one's.
        let answered = result.task.as_ref().and_then(|t| t.task_id.as_deref());
        match answered {
            Some(answered) if answered != task_id => Err(Error::WrongTask {
                asked: task_id.to_string(),
                answered: answered.to_string(),
            }),
            _ => Ok(result),
        }
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
            // A progress or an eta of the wrong type (`"soon"`) is not known.
            let eta = task.eta.as_ref().and_then(LooseNumber::as_f64);
            let progress_percent = task.progress_percent.as_ref().and_then(LooseNumber::as_f64);
            let now = Observation {
                eta_seconds: eta,
                progress_percent,
                elapsed: started.elapsed(),
            };
            if let Some(callback) = options.on_progress.as_mut() {
                callback(&WaitProgress {
                    task_id: task_id.to_string(),
                    status: task.status.clone(),
                    progress_percent,
                    eta: eta.and_then(bounded_eta),
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
