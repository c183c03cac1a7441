//! Trusting a webhook event by asking Novita. Novita does not sign its webhooks: anyone who
//! learns a receiver's URL can post a "succeeded" event with any `video_url`, or replay an old
//! one. So the event is only a hint: the client fetches the task it names with its own key, and
//! the answer to that fetch, not the body, is what a receiver acts on.

use std::fmt;

use crate::{
    generated::types::TaskResultResponse,
    webhook::{parse_webhook, WebhookNotification},
    Error, NovitaClient, TaskStatus,
};

/// The largest webhook body [`NovitaClient::confirm_webhook`] reads. Novita's event is the
/// task result (a few URLs and numbers); a body past this is not one, and is refused before it
/// is parsed.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Why a webhook event is not trusted.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookRefusal {
    /// The body is larger than [`WEBHOOK_BODY_LIMIT`].
    TooLarge { size: usize, limit: usize },
    /// An event of another type than `ASYNC_TASK_RESULT`: nothing to confirm. A receiver
    /// acknowledges it and ignores it.
    NotATaskResult { event_type: String },
    /// The event names no task id.
    NoTaskId,
    /// The event's status is none Novita documents.
    UnknownStatus(String),
    /// The event's status is not a final one: Novita sends events when a task ends.
    NotFinished(TaskStatus),
    /// Novita knows no such task for this client's key: a forged event, or one meant for
    /// another account.
    UnknownTask,
    /// Novita's answer for the task contradicts the event (a "succeeded" event for a task
    /// that is still running, or that failed).
    Contradicted {
        event: TaskStatus,
        fetched: Option<TaskStatus>,
    },
}

impl fmt::Display for WebhookRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookRefusal::TooLarge { size, limit } => {
                write!(
                    f,
                    "the body is {size} bytes, over the {limit} a Novita event can be"
                )
            }
            WebhookRefusal::NotATaskResult { event_type } => {
                write!(f, "event type {event_type:?} is not a task result")
            }
            WebhookRefusal::NoTaskId => f.write_str("the event names no task id"),
            WebhookRefusal::UnknownStatus(status) => {
                write!(f, "status {status:?} is none Novita documents")
            }
            WebhookRefusal::NotFinished(status) => {
                write!(f, "status {} is not a final one", status.as_str())
            }
            WebhookRefusal::UnknownTask => {
                f.write_str("Novita knows no such task for this API key")
            }
            WebhookRefusal::Contradicted { event, fetched } => write!(
                f,
                "the event says {} but Novita says {}",
                event.as_str(),
                fetched.as_ref().map_or("no status", TaskStatus::as_str)
            ),
        }
    }
}

/// What an event claims: the task and its final status, checked for shape only.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Claim {
    pub task_id: String,
    pub status: TaskStatus,
}

fn refused(task_id: Option<&str>, why: WebhookRefusal) -> Error {
    Error::WebhookRefused {
        task_id: task_id.map(str::to_string),
        why,
    }
}

/// Reads a body into the claim it makes, without asking Novita: size, JSON, event type, task id
/// and a documented final status.
pub(crate) fn claim_of_body(body: &[u8]) -> Result<Claim, Error> {
    if body.len() > WEBHOOK_BODY_LIMIT {
        return Err(refused(
            None,
            WebhookRefusal::TooLarge {
                size: body.len(),
                limit: WEBHOOK_BODY_LIMIT,
            },
        ));
    }
    claim_of(&parse_webhook(body)?)
}

pub(crate) fn claim_of(event: &WebhookNotification) -> Result<Claim, Error> {
    let result = match event {
        WebhookNotification::TaskResult(result) => result,
        WebhookNotification::Other { event_type, .. } => {
            return Err(refused(
                event.task_id(),
                WebhookRefusal::NotATaskResult {
                    event_type: event_type.clone(),
                },
            ))
        }
    };
    let task_id = event
        .task_id()
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| refused(None, WebhookRefusal::NoTaskId))?;
    let status = result
        .task
        .as_ref()
        .and_then(|t| t.status.clone())
        .ok_or_else(|| refused(Some(task_id), WebhookRefusal::UnknownStatus(String::new())))?;
    if let TaskStatus::Other(raw) = &status {
        if !status.is_terminal() {
            return Err(refused(
                Some(task_id),
                WebhookRefusal::UnknownStatus(raw.clone()),
            ));
        }
    }
    if !status.is_terminal() {
        return Err(refused(Some(task_id), WebhookRefusal::NotFinished(status)));
    }
    Ok(Claim {
        task_id: task_id.to_string(),
        status,
    })
}

impl NovitaClient {
    /// Confirms a webhook body with Novita: checks its shape, fetches the task it names with
    /// this client's key, and returns Novita's answer for it (not the body) when that answer
    /// agrees with the event. Refused, as [`Error::WebhookRefused`] saying why: a body over
    /// [`WEBHOOK_BODY_LIMIT`], an event of another type, no task id, a status Novita does not
    /// document or that is not final, a task this key does not know, an answer that
    /// contradicts the event. A body that is not JSON is [`Error::Webhook`]; a failed fetch is
    /// the fetch's error (retry the delivery later).
    ///
    /// ```,no_run
    /// # async fn run(client: novita_video::NovitaClient, body: &[u8]) -> Result<(), novita_video::Error> {
    /// let result = client.confirm_webhook(body).await?;
    /// for video in &result.videos {
    ///     println!("{:?}", video.video_url); // Novita's own URL, not the body's
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn confirm_webhook(&self, body: &[u8]) -> Result<TaskResultResponse, Error> {
        let claim = claim_of_body(body)?;
        self.confirm_claim(&claim).await
    }

    /// [`NovitaClient::confirm_webhook`] for an event already parsed.
    pub async fn confirm_webhook_event(
        &self,
        event: &WebhookNotification,
    ) -> Result<TaskResultResponse, Error> {
        let claim = claim_of(event)?;
        self.confirm_claim(&claim).await
    }

    pub(crate) async fn confirm_claim(&self, claim: &Claim) -> Result<TaskResultResponse, Error> {
        let fetched = match self.task_result(&claim.task_id).await {
            Ok(fetched) => fetched,
            Err(e) if e.reason() == Some("TASK_NOT_FOUND") || is_not_found(&e) => {
                return Err(refused(Some(&claim.task_id), WebhookRefusal::UnknownTask))
            }
            Err(e) => return Err(e),
        };
        let status = fetched.task.as_ref().and_then(|t| t.status.clone());
        if status.as_ref() != Some(&claim.status) {
            return Err(refused(
                Some(&claim.task_id),
                WebhookRefusal::Contradicted {
                    event: claim.status.clone(),
                    fetched: status,
                },
            ));
        }
        Ok(fetched)
    }
}

fn is_not_found(error: &Error) -> bool {
    error.status() == Some(reqwest::StatusCode::NOT_FOUND)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(task: serde_json::Value) -> Vec<u8> {
        serde_json::json!({"event_type": "ASYNC_TASK_RESULT", "payload": {"task": task}})
            .to_string()
            .into_bytes()
    }

    fn why(body: &[u8]) -> WebhookRefusal {
        match claim_of_body(body) {
            Err(Error::WebhookRefused { why, .. }) => why,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn a_final_event_with_a_task_id_is_a_claim() {
        let claim = claim_of_body(&event(
            serde_json::json!({"task_id": "t1", "status": "TASK_STATUS_FAILED"}),
        ))
        .unwrap();
        assert_eq!(
            claim,
            Claim {
                task_id: "t1".into(),
                status: TaskStatus::Failed
            }
        );
    }

    #[test]
    fn each_malformed_event_says_what_is_wrong() {
        let large = vec![b' '; WEBHOOK_BODY_LIMIT + 1];
        assert_eq!(
            why(&large),
            WebhookRefusal::TooLarge {
                size: WEBHOOK_BODY_LIMIT + 1,
                limit: WEBHOOK_BODY_LIMIT
            }
        );
        assert!(matches!(
            claim_of_body(b"<html>"),
            Err(Error::Webhook { .. })
        ));
        assert_eq!(
            why(br#"{"event_type":"SOMETHING_NEW","payload":{}}"#),
            WebhookRefusal::NotATaskResult {
                event_type: "SOMETHING_NEW".into()
            }
        );
        assert_eq!(
            why(&event(serde_json::json!({"status": "TASK_STATUS_SUCCEED"}))),
            WebhookRefusal::NoTaskId
        );
        assert_eq!(
            why(&event(
                serde_json::json!({"task_id": " ", "status": "TASK_STATUS_SUCCEED"})
            )),
            WebhookRefusal::NoTaskId
        );
        assert_eq!(
            why(&event(
                serde_json::json!({"task_id": "t", "status": "TASK_STATUS_DONE"})
            )),
            WebhookRefusal::UnknownStatus("TASK_STATUS_DONE".into())
        );
        assert_eq!(
            why(&event(serde_json::json!({"task_id": "t"}))),
            WebhookRefusal::UnknownStatus(String::new())
        );
        assert_eq!(
            why(&event(
                serde_json::json!({"task_id": "t", "status": "TASK_STATUS_PROCESSING"})
            )),
            WebhookRefusal::NotFinished(TaskStatus::Processing)
        );
    }
}
