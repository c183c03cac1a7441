//! Outcomes QA can force on the next matching requests: through the control API (a queue) or
//! per request with the `X-Mock-Scenario` header.

use std::{
    collections::VecDeque,
    str::FromStr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
};

use serde::{Deserialize, Serialize};

use crate::sim::faults::Fault;

/// Queued outcomes kept at most (the control API refuses more).
pub const MAX_QUEUED_OUTCOMES: usize = 10_000;
/// Header that picks an outcome for one request.
pub const SCENARIO_HEADER: &str = "x-mock-scenario";
/// The name the HTTP layer looks the header up by (the simulation names no HTTP type).
pub(crate) const SCENARIO_NAME: &str = SCENARIO_HEADER;

/// What happens to a request instead of (or on top of) the normal behaviour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// Behave normally (useful to leave a gap in a queue).
    Succeed,
    /// Accept the submission; the task then fails at the end of its run with this reason.
    Fail { reason: String },
    /// Refuse the request with a Novita error body (e.g. `ILLEGAL_PROMPT`, 400).
    Reject {
        reason: String,
        #[serde(default = "default_reject_status")]
        status: u16,
        #[serde(default)]
        message: Option<String>,
    },
    /// 429 `RATE_LIMIT_EXCEEDED`.
    RateLimit,
    /// 500 with a Novita body (`CREATE_TASK_FAILED` on submit, `GET_RESULT_FAILED` on results).
    ServerError {
        #[serde(default)]
        reason: Option<String>,
    },
    /// 503 with an HTML page, as a proxy in front of the service would send.
    HtmlUnavailable,
    /// The normal answer, sent after `ms` milliseconds (an hour at most).
    Delay { ms: u64 },
    /// The connection is closed without an answer.
    Drop,
    /// No answer for `ms` milliseconds (default ten minutes), then the connection is closed.
    Stall {
        #[serde(default = "default_stall_ms")]
        ms: u64,
    },
    /// Answer with the vendor documentation's own example bodies.
    Docs,
    /// Accept the submission and inject a fault into its task (see [`Fault`]).
    #[serde(untagged)]
    Fault(Fault),
}

fn default_reject_status() -> u16 {
    400
}

fn default_stall_ms() -> u64 {
    600_000
}

/// The longest `delay` or `stall` an outcome may ask for: an hour of real time. A longer one
/// would hold a connection (and a task of the body budget) past any client's patience.
pub const MAX_WAIT_MS: u64 = 3_600_000;

fn check_wait_ms(ms: u64) -> Result<u64, String> {
    if ms > MAX_WAIT_MS {
        return Err(format!(
            "ms must be at most {MAX_WAIT_MS} (an hour), got {ms}"
        ));
    }
    Ok(ms)
}

impl FromStr for Outcome {
    type Err = String;

    /// Header syntax: `fail:REASON`, `reject:REASON[:STATUS]`, `rate-limit`, `server-error`,
    /// `html-503`, `delay:MS`, `drop`, `stall[:MS]`, `docs`, `succeed`, and the faults:
    /// `stuck-queued`, `stuck-processing`, `eta-lies`, `progress-regress`, `webhook-twice`,
    /// `webhook-early`, `webhook-late[:SECONDS]`, `cut-download[:BYTES]`, `expired-link`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut parts = text.trim().splitn(3, ':');
        let name = parts.next().unwrap_or_default().to_ascii_lowercase();
        let arg = parts.next().map(str::trim).filter(|a| !a.is_empty());
        let extra = parts.next().map(str::trim);
        let number = |what: &str| -> Result<u64, String> {
            arg.ok_or_else(|| format!("{name} needs {what}"))?
                .parse()
                .map_err(|_| format!("{name}: {what} must be a whole number"))
        };
        Ok(match name.as_str() {
            "succeed" | "normal" => Outcome::Succeed,
            "fail" => Outcome::Fail {
                reason: arg.unwrap_or("TASK_FAILED").to_string(),
            },
            "reject" => Outcome::Reject {
                reason: arg.unwrap_or("ILLEGAL_PROMPT").to_string(),
                status: match extra {
                    Some(s) => s
                        .parse()
                        .map_err(|_| "reject: status must be a number".to_string())?,
                    None => 400,
                },
                message: None,
            },
            "rate-limit" | "rate_limit" | "429" => Outcome::RateLimit,
            "server-error" | "server_error" | "500" => Outcome::ServerError {
                reason: arg.map(str::to_string),
            },
            "html-503" | "html_unavailable" | "503" => Outcome::HtmlUnavailable,
            "delay" => Outcome::Delay {
                ms: check_wait_ms(number("milliseconds")?).map_err(|e| format!("{name}: {e}"))?,
            },
            "drop" => Outcome::Drop,
            "stall" => Outcome::Stall {
                ms: if arg.is_some() {
                    check_wait_ms(number("milliseconds")?).map_err(|e| format!("{name}: {e}"))?
                } else {
                    default_stall_ms()
                },
            },
            "docs" => Outcome::Docs,
            other => match Fault::parse(other, arg) {
                Some(fault) => Outcome::Fault(fault?),
                None => return Err(format!("unknown scenario {other:?}")),
            },
        })
    }
}

/// An outcome waiting in the queue for `count` more matching requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuedOutcome {
    pub outcome: Outcome,
    #[serde(default = "one")]
    pub count: u32,
    /// Which requests it applies to: a path (`/v3/async/wan-t2v`, `/v3/async/task-result`) or
    /// the last part of one (`wan-t2v`). Without it: every submission.
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

fn one() -> u32 {
    1
}

impl QueuedOutcome {
    pub fn validate(&self) -> Result<(), String> {
        match &self.outcome {
            Outcome::Fault(fault) => fault.validate(),
            Outcome::Delay { ms } | Outcome::Stall { ms } => check_wait_ms(*ms).map(drop),
            _ => Ok(()),
        }
    }

    fn matches(&self, path: &str, is_submit: bool) -> bool {
        match &self.path {
            None => is_submit,
            Some(wanted) => {
                path == wanted || path.rsplit('/').next() == Some(wanted.trim_start_matches('/'))
            }
        }
    }
}

/// The queue of forced outcomes, first in first out.
#[derive(Default)]
pub struct OutcomeQueue {
    queue: Mutex<VecDeque<QueuedOutcome>>,
    /// Entries in the queue, read without the lock: the common case is an empty queue.
    len: AtomicUsize,
}

impl OutcomeQueue {
    /// Queues `outcome`; refused when the queue already holds its bound.
    pub fn push(&self, outcome: QueuedOutcome) -> Result<(), String> {
        outcome.validate()?;
        if outcome.count > 0 {
            let mut queue = self.queue.lock().expect("queue lock");
            if queue.len() >= MAX_QUEUED_OUTCOMES {
                return Err(format!(
                    "the outcome queue is full ({MAX_QUEUED_OUTCOMES} entries); clear it first"
                ));
            }
            queue.push_back(outcome);
            self.len.store(queue.len(), Ordering::Release);
        }
        Ok(())
    }

    /// Takes one use of the first queued outcome that matches this request.
    pub fn take(&self, path: &str, is_submit: bool) -> Option<Outcome> {
        if self.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut queue = self.queue.lock().expect("queue lock");
        let index = queue.iter().position(|q| q.matches(path, is_submit))?;
        let entry = &mut queue[index];
        entry.count -= 1;
        let outcome = entry.outcome.clone();
        if entry.count == 0 {
            queue.remove(index);
            self.len.store(queue.len(), Ordering::Release);
        }
        Some(outcome)
    }

    pub fn list(&self) -> Vec<QueuedOutcome> {
        self.queue
            .lock()
            .expect("queue lock")
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        let mut queue = self.queue.lock().expect("queue lock");
        queue.clear();
        self.len.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_syntax() {
        assert_eq!(
            "fail:ILLEGAL_IMAGE_CONTENT".parse(),
            Ok(Outcome::Fail {
                reason: "ILLEGAL_IMAGE_CONTENT".into()
            })
        );
        assert_eq!(
            "reject:BILLING_BALANCE_NOT_ENOUGH:400".parse(),
            Ok(Outcome::Reject {
                reason: "BILLING_BALANCE_NOT_ENOUGH".into(),
                status: 400,
                message: None
            })
        );
        assert_eq!("delay:250".parse(), Ok(Outcome::Delay { ms: 250 }));
        assert_eq!("stall".parse(), Ok(Outcome::Stall { ms: 600_000 }));
        assert_eq!(
            "webhook-late:5".parse(),
            Ok(Outcome::Fault(Fault::WebhookLate { seconds: 5.0 }))
        );
        assert!("delay".parse::<Outcome>().is_err());
        // An hour at most, from the header and from the control API alike.
        assert_eq!(
            "delay:3600000".parse(),
            Ok(Outcome::Delay { ms: 3_600_000 })
        );
        for text in ["delay:3600001", "stall:18446744073709551615"] {
            let refused = text.parse::<Outcome>().unwrap_err();
            assert!(refused.contains("at most 3600000"), "{text}: {refused}");
        }
        for json in [
            r#"{"outcome": {"type": "delay", "ms": 18446744073709551615}}"#,
            r#"{"outcome": {"type": "stall", "ms": 3600001}}"#,
        ] {
            let queued: QueuedOutcome = serde_json::from_str(json).unwrap();
            let refused = OutcomeQueue::default().push(queued).unwrap_err();
            assert!(refused.contains("at most 3600000"), "{json}: {refused}");
        }
        assert!("explode".parse::<Outcome>().is_err());
    }

    #[test]
    fn queue_counts_down_and_matches_paths() {
        let queue = OutcomeQueue::default();
        queue
            .push(QueuedOutcome {
                outcome: Outcome::RateLimit,
                count: 2,
                path: Some("wan-t2v".into()),
            })
            .unwrap();
        queue
            .push(QueuedOutcome {
                outcome: Outcome::HtmlUnavailable,
                count: 1,
                path: Some("/v3/async/task-result".into()),
            })
            .unwrap();
        assert_eq!(queue.take("/v3/async/wan-i2v", true), None);
        assert_eq!(
            queue.take("/v3/async/task-result", false),
            Some(Outcome::HtmlUnavailable)
        );
        assert_eq!(
            queue.take("/v3/async/wan-t2v", true),
            Some(Outcome::RateLimit)
        );
        assert_eq!(
            queue.take("/v3/async/wan-t2v", true),
            Some(Outcome::RateLimit)
        );
        assert_eq!(queue.take("/v3/async/wan-t2v", true), None);
    }
}

#[cfg(test)]
mod fault_tests {
    use super::*;

    #[test]
    fn faults_are_outcomes_in_json_too() {
        let queued: QueuedOutcome =
            serde_json::from_str(r#"{"outcome": {"type": "cut_download", "bytes": 10}}"#).unwrap();
        assert_eq!(
            queued.outcome,
            Outcome::Fault(Fault::CutDownload { bytes: Some(10) })
        );
        let json = serde_json::to_value(&queued.outcome).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "cut_download", "bytes": 10})
        );
        assert!(serde_json::from_str::<Outcome>(r#"{"type": "nope"}"#).is_err());
    }
}
