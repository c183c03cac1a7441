//! Reading a task's result: one request, or one with the client's retries.

use crate::{
    error::Error,
    generated::types::TaskResultResponse,
    observe::observe,
    retry::{with_retries, Idempotency},
    trace::Span,
    NovitaClient,
};

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
        let retrying = self.retrying(&self.poll_retry);
        let retried = with_retries(&retrying, Idempotency::Read, || {
            self.task_result_once(task_id)
        });
        Span::poll(task_id).around(&self.secret, retried).await
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
                let e = self.name_timeout(e, "the task-result request");
                self.scrub(e.with_task_id(task_id))
            })?;
        // An answer about another task (a cache or a proxy mixing answers up) is not this one's.
        let answered = result.task.as_ref().and_then(|t| t.task_id.as_deref());
        match answered {
            Some(answered) if answered != task_id => Err(self.scrub(Error::WrongTask {
                asked: task_id.to_string(),
                answered: answered.to_string(),
            })),
            _ => Ok(result),
        }
    }
}
