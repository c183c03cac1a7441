//! What the spec says of an operation's status, and what a probe of it should find.

use novita_video::SubmitOperation;

use super::verdict::Verdict;

/// What the spec says of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Documented {
    Live,
    /// `deprecated`, with `x-retired-on` and the replacement's command (or name).
    Retired {
        on: Option<&'static str>,
        replacement: Option<&'static str>,
    },
    /// `x-status-unverified-since`.
    Unverified {
        since: &'static str,
    },
}

impl Documented {
    pub fn of(operation: &SubmitOperation) -> Self {
        if operation.deprecated() {
            Documented::Retired {
                on: operation.retired_on(),
                replacement: operation.replacement().or(operation.replaced_by()),
            }
        } else if let Some(since) = operation.unverified_since() {
            Documented::Unverified { since }
        } else {
            Documented::Live
        }
    }

    /// `live`, `retired` or `unverified`: the `status` of the JSON output.
    pub fn word(&self) -> &'static str {
        match self {
            Documented::Live => "live",
            Documented::Retired { .. } => "retired",
            Documented::Unverified { .. } => "unverified",
        }
    }

    /// The status column: `retired 2026-08-19 (replacement: wan2.7-t2v)`.
    pub fn text(&self) -> String {
        match self {
            Documented::Live => "live".into(),
            Documented::Retired { on, replacement } => {
                let mut text = String::from("retired");
                if let Some(date) = on {
                    text.push_str(&format!(" {date}"));
                }
                if let Some(replacement) = replacement {
                    text.push_str(&format!(" (replacement: {replacement})"));
                }
                text
            }
            Documented::Unverified { since } => format!("unverified since {since}"),
        }
    }

    /// What a probe should find: a live or unverified operation is served; a retired one may
    /// be served still or not found (the mock serves them unless told to reject them).
    pub fn expects(&self) -> &'static str {
        match self {
            Documented::Retired { .. } => "served or not found",
            _ => "served",
        }
    }

    /// Whether `verdict` is what the status predicts; `None` when nothing was probed.
    pub fn agrees(&self, verdict: &Verdict) -> Option<bool> {
        match (verdict, self) {
            (Verdict::NotProbed, _) => None,
            (Verdict::Served { .. }, _) => Some(true),
            (Verdict::NotFound { .. }, Documented::Retired { .. }) => Some(true),
            _ => Some(false),
        }
    }
}
