//! What the mock tells its observers: one small value per thing that happened, copied into the
//! event history and to each subscriber without allocating, and written as JSON only when a
//! subscriber reads it.

use serde::Serialize;

use crate::catalogue::Endpoint;

/// The kinds of event, as the stream names them and its `kind` filter takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Kind {
    #[serde(rename = "task.created")]
    TaskCreated,
    #[serde(rename = "task.status")]
    TaskStatus,
    #[serde(rename = "task.finished")]
    TaskFinished,
    #[serde(rename = "webhook.attempt")]
    WebhookAttempt,
    #[serde(rename = "request")]
    Request,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::TaskCreated,
        Kind::TaskStatus,
        Kind::TaskFinished,
        Kind::WebhookAttempt,
        Kind::Request,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::TaskCreated => "task.created",
            Kind::TaskStatus => "task.status",
            Kind::TaskFinished => "task.finished",
            Kind::WebhookAttempt => "webhook.attempt",
            Kind::Request => "request",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// A bit of its own, for a set of kinds.
    pub fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// How one webhook attempt went: the label of the attempts counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookResult {
    /// The receiver answered 2xx.
    Delivered,
    /// The receiver answered, with another status.
    Rejected,
    /// No answer: a timeout or a transport error.
    NoAnswer,
    /// The network guard refused the receiver's address; nothing was sent.
    Refused,
}

impl WebhookResult {
    pub const ALL: [WebhookResult; 4] = [
        WebhookResult::Delivered,
        WebhookResult::Rejected,
        WebhookResult::NoAnswer,
        WebhookResult::Refused,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WebhookResult::Delivered => "delivered",
            WebhookResult::Rejected => "rejected",
            WebhookResult::NoAnswer => "no_answer",
            WebhookResult::Refused => "refused",
        }
    }
}

/// What happened, with what each kind carries. Every field is `Copy`: labels are static text
/// from fixed tables (the catalogue, the routes, the status names), never a request's own text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum What {
    TaskCreated {
        endpoint: Endpoint,
    },
    /// A status change that is not an end (`TASK_STATUS_PROCESSING`, ...).
    TaskStatus {
        status: &'static str,
    },
    /// The change to an end status (`TASK_STATUS_SUCCEED` or `TASK_STATUS_FAILED`).
    TaskFinished {
        status: &'static str,
    },
    WebhookAttempt {
        attempt: u32,
        result: WebhookResult,
        /// The receiver's status, when it answered.
        http_status: Option<u16>,
        /// Where the delivery stands after it (`pending`, `delivered`, `gave_up`, ...).
        delivery: &'static str,
    },
    Request {
        method: &'static str,
        /// The route's template (`/_mock/tasks/{id}`), or `unmatched`.
        route: &'static str,
        /// `None` when the mock closed the connection instead of answering (a forced outcome).
        status: Option<u16>,
    },
}

/// One thing that happened, when (the mock clock's wall time) and to which task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    pub at_unix_ms: u64,
    pub task: Option<uuid::Uuid>,
    pub what: What,
}

impl Event {
    pub fn kind(&self) -> Kind {
        match self.what {
            What::TaskCreated { .. } => Kind::TaskCreated,
            What::TaskStatus { .. } => Kind::TaskStatus,
            What::TaskFinished { .. } => Kind::TaskFinished,
            What::WebhookAttempt { .. } => Kind::WebhookAttempt,
            What::Request { .. } => Kind::Request,
        }
    }

    /// The event as the stream sends it: `{"id", "kind", "at_unix_ms", "task_id", ...}`.
    pub fn to_json(self, id: u64) -> serde_json::Value {
        let mut value = serde_json::json!({
            "id": id,
            "kind": self.kind().name(),
            "at_unix_ms": self.at_unix_ms,
        });
        if let Some(task) = self.task {
            value["task_id"] = task.hyphenated().to_string().into();
        }
        let fields = match self.what {
            What::TaskCreated { endpoint } => serde_json::json!({
                "endpoint": endpoint,
                "path": endpoint.path(),
            }),
            What::TaskStatus { status } | What::TaskFinished { status } => {
                serde_json::json!({ "status": status })
            }
            What::WebhookAttempt {
                attempt,
                result,
                http_status,
                delivery,
            } => serde_json::json!({
                "attempt": attempt,
                "result": result,
                "http_status": http_status,
                "delivery": delivery,
            }),
            What::Request {
                method,
                route,
                status,
            } => serde_json::json!({ "method": method, "route": route, "status": status }),
        };
        if let (Some(all), serde_json::Value::Object(more)) = (value.as_object_mut(), fields) {
            all.extend(more);
        }
        value
    }
}
