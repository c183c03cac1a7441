//! Faults an asynchronous client must survive, attached to one task when it is submitted (by a
//! queued outcome, the `X-Mock-Scenario` header or the scenario file). Each one is named in an
//! `X-Mock-Fault` header on every answer about its task (submit, result, video, webhook POST)
//! and in the journal, so a failing test says what was injected.

use std::{fmt, str::FromStr, time::Duration};

use serde::{Deserialize, Serialize};

/// Response header naming the fault injected into the answer's task.
pub const FAULT_HEADER: &str = "x-mock-fault";
/// The name the HTTP layer looks the header up by (the simulation names no HTTP type).
pub(crate) const FAULT_NAME: &str = FAULT_HEADER;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// QUEUED until the control API finishes or fails it.
    StuckQueued,
    /// PROCESSING, frozen at 50 %, until the control API finishes or fails it.
    StuckProcessing,
    /// `eta` reaches 0 when a quarter of the work is done; the task runs its full length.
    EtaLies,
    /// `progress_percent` drops by 30 points once, between 60 % and 75 % of the work.
    ProgressRegress,
    /// The webhook event is delivered, then delivered again.
    WebhookTwice,
    /// The task ends at once and its webhook event is delivered before the submit answer.
    WebhookEarly,
    /// The webhook event goes out `seconds` (simulated) after the task ends, so events of
    /// tasks that end later arrive first.
    WebhookLate { seconds: f64 },
    /// The first download of the video closes the connection after `bytes` bytes (default:
    /// half the file), with the full `Content-Length` announced.
    CutDownload {
        #[serde(default)]
        bytes: Option<u64>,
    },
    /// The result's video link has already expired: it answers 403 from the start.
    ExpiredLink,
}

impl Fault {
    /// Where the task's reported progress freezes, if it is stuck.
    pub fn is_stuck(&self) -> bool {
        matches!(self, Fault::StuckQueued | Fault::StuckProcessing)
    }

    /// Extra simulated wait before the webhook event goes out.
    pub fn webhook_delay(&self) -> Duration {
        match self {
            Fault::WebhookLate { seconds } => Duration::from_secs_f64(*seconds),
            _ => Duration::ZERO,
        }
    }

    /// Header syntax for names taking an argument: `webhook-late:SECONDS`, `cut-download:BYTES`.
    pub fn parse(name: &str, arg: Option<&str>) -> Option<Result<Fault, String>> {
        let fault = match name {
            "stuck-queued" => Fault::StuckQueued,
            "stuck-processing" => Fault::StuckProcessing,
            "eta-lies" => Fault::EtaLies,
            "progress-regress" => Fault::ProgressRegress,
            "webhook-twice" => Fault::WebhookTwice,
            "webhook-early" => Fault::WebhookEarly,
            "webhook-late" => {
                let seconds = match arg.map(str::parse::<f64>) {
                    None => 30.0,
                    Some(Ok(s)) => s,
                    Some(Err(_)) => {
                        return Some(Err("webhook-late: seconds must be a number".into()))
                    }
                };
                Fault::WebhookLate { seconds }
            }
            "cut-download" => Fault::CutDownload {
                bytes: match arg.map(str::parse::<u64>) {
                    None => None,
                    Some(Ok(b)) => Some(b),
                    Some(Err(_)) => {
                        return Some(Err("cut-download: bytes must be a whole number".into()))
                    }
                },
            },
            "expired-link" => Fault::ExpiredLink,
            _ => return None,
        };
        Some(fault.validate().map(|()| fault))
    }

    pub fn validate(&self) -> Result<(), String> {
        match self {
            Fault::WebhookLate { seconds }
                if !(seconds.is_finite() && (0.0..1e9).contains(seconds)) =>
            {
                Err(format!(
                    "webhook_late.seconds must be a non-negative number (got {seconds})"
                ))
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Fault {
    /// The name used in the `X-Mock-Fault` header and the journal (the header syntax).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::StuckQueued => f.write_str("stuck-queued"),
            Fault::StuckProcessing => f.write_str("stuck-processing"),
            Fault::EtaLies => f.write_str("eta-lies"),
            Fault::ProgressRegress => f.write_str("progress-regress"),
            Fault::WebhookTwice => f.write_str("webhook-twice"),
            Fault::WebhookEarly => f.write_str("webhook-early"),
            Fault::WebhookLate { seconds } => write!(f, "webhook-late:{seconds}"),
            Fault::CutDownload { bytes: Some(b) } => write!(f, "cut-download:{b}"),
            Fault::CutDownload { bytes: None } => f.write_str("cut-download"),
            Fault::ExpiredLink => f.write_str("expired-link"),
        }
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match text.trim().split_once(':') {
            Some((name, arg)) => (name, Some(arg.trim())),
            None => (text.trim(), None),
        };
        Fault::parse(&name.to_ascii_lowercase(), arg)
            .unwrap_or_else(|| Err(format!("unknown fault {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_the_header_syntax() {
        for fault in [
            Fault::StuckQueued,
            Fault::StuckProcessing,
            Fault::EtaLies,
            Fault::ProgressRegress,
            Fault::WebhookTwice,
            Fault::WebhookEarly,
            Fault::WebhookLate { seconds: 2.5 },
            Fault::CutDownload { bytes: Some(100) },
            Fault::CutDownload { bytes: None },
            Fault::ExpiredLink,
        ] {
            assert_eq!(fault.to_string().parse::<Fault>(), Ok(fault));
        }
        assert!("webhook-late:-1".parse::<Fault>().is_err());
        assert!("cut-download:half".parse::<Fault>().is_err());
        assert!("stuck".parse::<Fault>().is_err());
    }
}
