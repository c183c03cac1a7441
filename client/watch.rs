//! Following a task poll by poll: the options, what each poll saw, and the one polling loop
//! that [`NovitaClient::watch`] and [`NovitaClient::wait`] share. When it asks next is
//! `pacing`'s decision.

mod pacing;

use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};

use crate::{
    error::Error, generated::types::TaskResultResponse, secret::Secret, LooseNumber, NovitaClient,
    TaskStatus,
};
use pacing::{next_delay, Observation, Pacing};

/// How [`NovitaClient::watch`] (and [`NovitaClient::wait`]) paces its polls and when it gives up.
///
/// ```
/// use std::time::Duration;
/// let options = novita_video::WatchOptions::default()
///     .timeout(Duration::from_secs(900))
///     .interval(Duration::from_millis(500), Duration::from_secs(15));
/// assert_eq!(options.max_interval, Duration::from_secs(15));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchOptions {
    /// Give up after this long (default 20 minutes). The task goes on at Novita.
    pub timeout: Duration,
    /// Never poll more often than this (default 250 ms).
    pub min_interval: Duration,
    /// Never sleep longer than this between polls (default 10 s).
    pub max_interval: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            timeout: Duration::from_secs(20 * 60),
            min_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(10),
        }
    }
}

impl WatchOptions {
    /// Sets the deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the bounds of the poll interval.
    pub fn interval(mut self, min: Duration, max: Duration) -> Self {
        self.min_interval = min;
        self.max_interval = max;
        self
    }
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

/// What one poll saw: the task's status, progress and estimate.
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
#[non_exhaustive]
pub struct WaitProgress {
    pub task_id: String,
    pub status: Option<TaskStatus>,
    /// A progress of the wrong type (`"half"`) is not known.
    pub progress_percent: Option<f64>,
    /// Novita's estimate of the time left, within [`MAX_ETA`].
    pub eta: Option<Duration>,
    /// Time since the watch (or the wait) started.
    pub elapsed: Duration,
    /// Polls made so far, this one included.
    pub polls: u32,
}

/// One item of [`NovitaClient::watch`]: what the poll saw, and the result it read.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskUpdate {
    pub progress: WaitProgress,
    pub result: TaskResultResponse,
    /// To blank the key in the error [`TaskUpdate::into_result`] makes.
    secret: Secret,
}

impl TaskUpdate {
    /// Whether the task has ended (succeeded, failed, canceled): the last update of a watch.
    pub fn is_terminal(&self) -> bool {
        self.progress
            .status
            .as_ref()
            .is_some_and(TaskStatus::is_terminal)
    }

    /// The task's outcome as [`NovitaClient::wait`] gives it: the result of a task that
    /// succeeded, [`Error::TaskFailed`] for one that ended otherwise, and
    /// [`Error::NotFinished`] for one that has not ended.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// use futures_util::StreamExt;
    /// let mut updates = std::pin::pin!(client.watch("a-task-id", Default::default()));
    /// while let Some(update) = updates.next().await {
    ///     let update = update?;
    ///     if update.is_terminal() {
    ///         let result = update.into_result()?;
    ///         println!("{} videos", result.videos.len());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn into_result(self) -> Result<TaskResultResponse, Error> {
        let TaskUpdate {
            progress,
            result,
            secret,
        } = self;
        let error = match progress.status {
            Some(TaskStatus::Succeed) => return Ok(result),
            Some(status) if status.is_terminal() => Error::TaskFailed {
                task_id: progress.task_id,
                status,
                reason: result
                    .task
                    .as_ref()
                    .and_then(|t| t.reason.clone())
                    .unwrap_or_default(),
                result: Box::new(result),
            },
            status => Error::NotFinished {
                task_id: progress.task_id,
                status,
            },
        };
        Err(secret.scrub(error))
    }
}

/// What the polling loop carries from one poll to the next.
struct Polling {
    client: NovitaClient,
    task_id: String,
    options: WatchOptions,
    started: Instant,
    previous: Option<Observation>,
    last_status: Option<TaskStatus>,
    polls: u32,
    /// The sleep before the next poll; none before the first.
    delay: Option<Duration>,
    ended: bool,
}

impl Polling {
    fn left(&self) -> Duration {
        self.options.timeout.saturating_sub(self.started.elapsed())
    }

    /// Ends the loop with `error`.
    fn end(mut self, error: Error) -> Option<(Result<TaskUpdate, Error>, Polling)> {
        self.ended = true;
        Some((Err(error), self))
    }

    fn timed_out(&self) -> Error {
        Error::WaitTimeout {
            task_id: self.task_id.clone(),
            waited: self.started.elapsed(),
            last_status: self.last_status.clone(),
        }
    }

    /// Sleeps as paced, then polls once. The sleep is the first thing of a step, so a stream
    /// that is dropped after an update neither sleeps nor polls again.
    async fn step(mut self) -> Option<(Result<TaskUpdate, Error>, Polling)> {
        if self.ended {
            return None;
        }
        if let Some(delay) = self.delay.take() {
            tokio::time::sleep(delay.min(self.left())).await;
        }
        let left = self.left();
        if left.is_zero() {
            let error = self.timed_out();
            return self.end(error);
        }
        let result = match tokio::time::timeout(left, self.client.task_result(&self.task_id)).await
        {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => return self.end(error),
            Err(_) => {
                let error = self.timed_out();
                return self.end(error);
            }
        };
        self.polls += 1;
        let task = result.task.as_ref();
        let status = task.and_then(|t| t.status.clone());
        // A progress or an eta of the wrong type (`"soon"`) is not known.
        let eta = task
            .and_then(|t| t.eta.as_ref())
            .and_then(LooseNumber::as_f64);
        let progress_percent = task
            .and_then(|t| t.progress_percent.as_ref())
            .and_then(LooseNumber::as_f64);
        let now = Observation {
            eta_seconds: eta,
            progress_percent,
            elapsed: self.started.elapsed(),
        };
        self.last_status = status.clone();
        let update = TaskUpdate {
            progress: WaitProgress {
                task_id: self.task_id.clone(),
                status,
                progress_percent,
                eta: eta.and_then(bounded_eta),
                elapsed: now.elapsed,
                polls: self.polls,
            },
            result,
            secret: self.client.secret.clone(),
        };
        if update.is_terminal() {
            self.ended = true;
        } else {
            let pacing = Pacing {
                min_interval: self.options.min_interval,
                max_interval: self.options.max_interval,
            };
            self.delay = Some(next_delay(self.previous.as_ref(), &now, &pacing));
            self.previous = Some(now);
        }
        Some((Ok(update), self))
    }
}

impl NovitaClient {
    /// Follows a task: yields an update each time a poll sees a new status, progress or eta,
    /// paced by the task's `eta` and progress like [`NovitaClient::wait`], and ends after the
    /// update of the ended task (whichever way it ended). The deadline
    /// ([`Error::WaitTimeout`]) and a failed poll (after the client's retries) are the last
    /// item. Polling happens only while the stream is polled: dropping it stops the polling,
    /// and the task goes on at Novita.
    ///
    /// The stream owns a clone of the client, so it can be moved to another task (an SSE or
    /// websocket handler) as it is.
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// use futures_util::StreamExt;
    /// let updates = client.watch("a-task-id", novita_video::WatchOptions::default());
    /// let mut percents = std::pin::pin!(updates.map(|u| u.map(|u| u.progress.progress_percent)));
    /// while let Some(percent) = percents.next().await {
    ///     println!("{:?}%", percent?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn watch(
        &self,
        task_id: &str,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<TaskUpdate, Error>> + Send + 'static + use<> {
        let mut seen: Option<(Option<TaskStatus>, Option<f64>, Option<Duration>)> = None;
        self.polls(task_id, options).filter(move |item| {
            let new = match item {
                Ok(update) => {
                    let p = &update.progress;
                    let now = Some((p.status.clone(), p.progress_percent, p.eta));
                    let new = now != seen || update.is_terminal();
                    seen = now;
                    new
                }
                Err(_) => true,
            };
            std::future::ready(new)
        })
    }

    /// Every poll of a watch, changed or not: the one polling loop.
    pub(crate) fn polls(
        &self,
        task_id: &str,
        options: WatchOptions,
    ) -> impl Stream<Item = Result<TaskUpdate, Error>> + Send + 'static + use<> {
        let start = Polling {
            client: self.clone(),
            task_id: task_id.to_string(),
            options,
            started: Instant::now(),
            previous: None,
            last_status: None,
            polls: 0,
            delay: None,
            ended: false,
        };
        futures_util::stream::unfold(start, Polling::step)
    }
}
