//! What a task's webhook delivery went through: each attempt, and where it stands.

use serde::{Deserialize, Serialize};

/// One webhook delivery attempt.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    pub attempt: u32,
    /// When it was sent, on the mock clock's wall time.
    pub at_unix_ms: u64,
    /// Real time it took.
    pub duration_ms: u64,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed without an answer (timeout, connection refused, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub delivered: bool,
    /// A second copy of a delivered event, sent by the `webhook-twice` fault.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The request has no webhook.
    None,
    /// Waiting for the task to end, or between attempts.
    Pending,
    Delivered,
    /// Every attempt failed; the budget (one try plus the retries) is spent.
    GaveUp,
    /// The mock was reset before delivery.
    Cancelled,
    /// The receiver's address is one the mock will not call (link-local or unspecified).
    Refused,
}

impl Delivery {
    /// The name the control API and the event stream give it.
    pub fn name(self) -> &'static str {
        match self {
            Delivery::None => "none",
            Delivery::Pending => "pending",
            Delivery::Delivered => "delivered",
            Delivery::GaveUp => "gave_up",
            Delivery::Cancelled => "cancelled",
            Delivery::Refused => "refused",
        }
    }
}
