//! Waiting until a task ends: [`NovitaClient::watch`]'s polls, told to a callback, down to
//! the task's outcome.

use std::time::Duration;

use futures_util::StreamExt;

use crate::{
    error::Error, generated::types::TaskResultResponse, trace::Span, NovitaClient, WaitProgress,
    WatchOptions,
};

/// Called by [`NovitaClient::wait`] after every poll.
type ProgressCallback<'a> = Box<dyn FnMut(&WaitProgress) + Send + 'a>;

/// How [`NovitaClient::wait`] paces itself, when it gives up, and whom it tells of each poll.
///
/// ```
/// use std::time::Duration;
/// use novita_video::WaitOptions;
/// let options = WaitOptions::default()
///     .timeout(Duration::from_secs(900))
///     .interval(Duration::from_millis(500), Duration::from_secs(15))
///     .on_progress(|p| println!("{:?}", p.progress_percent));
/// assert_eq!(options.watch.timeout, Duration::from_secs(900));
/// ```
#[derive(Default)]
#[non_exhaustive]
pub struct WaitOptions<'a> {
    /// The pacing and the deadline, as [`NovitaClient::watch`] takes them.
    pub watch: WatchOptions,
    on_progress: Option<ProgressCallback<'a>>,
}

impl<'a> WaitOptions<'a> {
    /// Sets the deadline ([`WatchOptions::timeout`]).
    ///
    /// ```
    /// let options = novita_video::WaitOptions::default().timeout(std::time::Duration::from_secs(300));
    /// assert_eq!(options.watch.timeout.as_secs(), 300);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.watch = self.watch.timeout(timeout);
        self
    }

    /// Sets the pacing and the deadline at once.
    ///
    /// ```
    /// use novita_video::{WaitOptions, WatchOptions};
    /// let watch = WatchOptions::default().timeout(std::time::Duration::from_secs(60));
    /// assert_eq!(WaitOptions::default().with_watch(watch).watch, watch);
    /// ```
    pub fn with_watch(mut self, watch: WatchOptions) -> Self {
        self.watch = watch;
        self
    }

    /// Sets the bounds of the poll interval ([`WatchOptions::interval`]).
    pub fn interval(mut self, min: Duration, max: Duration) -> Self {
        self.watch = self.watch.interval(min, max);
        self
    }

    /// Called after every poll with what it saw, a poll that saw nothing new included.
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

impl NovitaClient {
    /// Polls until the task ends and returns its result. A failed or canceled task is
    /// [`Error::TaskFailed`]; the deadline is [`Error::WaitTimeout`]. Dropping the future stops
    /// the polling. [`NovitaClient::watch`] gives the same polls as a stream.
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
        let span = Span::wait(task_id);
        span.around(&self.secret, async {
            let mut polls = std::pin::pin!(self.polls(task_id, options.watch));
            while let Some(update) = polls.next().await {
                let update = update?;
                span.attempts(update.progress.polls);
                if let Some(callback) = options.on_progress.as_mut() {
                    callback(&update.progress);
                }
                if update.is_terminal() {
                    return update.into_result();
                }
            }
            // The polls end with an ended task or an error, both returned above.
            Err(Error::NotFinished {
                task_id: task_id.to_string(),
                status: None,
            })
        })
        .await
    }
}
