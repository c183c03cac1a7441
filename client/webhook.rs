//! Parsing the events Novita POSTs to a webhook URL.

use serde::Deserialize;
use serde_json::Value;

use crate::{generated::types::TaskResultResponse, Error};

/// The event type of a finished task.
///
/// ```
/// assert_eq!(novita_video::ASYNC_TASK_RESULT, "ASYNC_TASK_RESULT");
/// ```
pub const ASYNC_TASK_RESULT: &str = "ASYNC_TASK_RESULT";

/// One webhook delivery.
///
/// ```
/// use novita_video::{parse_webhook, WebhookNotification};
/// match parse_webhook(br#"{"event_type":"SOMETHING_NEW","payload":{}}"#).unwrap() {
///     WebhookNotification::TaskResult(result) => println!("{:?}", result.task),
///     WebhookNotification::Other { event_type, .. } => assert_eq!(event_type, "SOMETHING_NEW"),
///     _ => {} // kinds a later version may add
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WebhookNotification {
    /// `ASYNC_TASK_RESULT`: the payload is the task result, the same shape as the task-result
    /// endpoint answers. De-duplicate on its `task.task_id`: Novita re-sends on timeouts.
    TaskResult(Box<TaskResultResponse>),
    /// Any other event type, kept as it came; receivers should acknowledge and ignore it.
    Other { event_type: String, payload: Value },
}

impl WebhookNotification {
    /// The task the event is about, when it says.
    ///
    /// ```
    /// let body = br#"{"event_type":"ASYNC_TASK_RESULT","payload":{"task":{"task_id":"t-7"}}}"#;
    /// assert_eq!(novita_video::parse_webhook(body).unwrap().task_id(), Some("t-7"));
    /// ```
    pub fn task_id(&self) -> Option<&str> {
        match self {
            WebhookNotification::TaskResult(result) => {
                result.task.as_ref().and_then(|t| t.task_id.as_deref())
            }
            WebhookNotification::Other { payload, .. } => {
                payload.pointer("/task/task_id").and_then(Value::as_str)
            }
        }
    }
}

/// Parses a webhook request body.
///
/// ```
/// use novita_video::{parse_webhook, WebhookNotification};
/// let body = br#"{"event_type":"ASYNC_TASK_RESULT","payload":{"task":{"task_id":"t1","status":"TASK_STATUS_SUCCEED"}}}"#;
/// let event = parse_webhook(body).unwrap();
/// assert_eq!(event.task_id(), Some("t1"));
/// assert!(matches!(event, WebhookNotification::TaskResult(_)));
/// ```
pub fn parse_webhook(body: &[u8]) -> Result<WebhookNotification, Error> {
    #[derive(Deserialize)]
    struct Envelope {
        event_type: String,
        #[serde(default)]
        payload: Value,
    }
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|source| Error::Webhook { source })?;
    if envelope.event_type != ASYNC_TASK_RESULT {
        return Ok(WebhookNotification::Other {
            event_type: envelope.event_type,
            payload: envelope.payload,
        });
    }
    let result =
        serde_json::from_value(envelope.payload).map_err(|source| Error::Webhook { source })?;
    Ok(WebhookNotification::TaskResult(Box::new(result)))
}
