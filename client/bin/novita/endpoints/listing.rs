//! The listing: one row per operation, as a padded text table or as JSON.

use serde_json::{json, Value};

use novita_video::SubmitOperation;

use super::documented::Documented;
use super::shown::sanitise;
use super::verdict::Verdict;

/// One line of the listing.
pub struct Row {
    pub operation: &'static SubmitOperation,
    pub documented: Documented,
    pub probe: Option<Verdict>,
}

impl Row {
    pub fn agrees(&self) -> Option<bool> {
        self.documented.agrees(self.probe.as_ref()?)
    }

    /// The probe column, sanitised.
    fn detail(&self, key: Option<&str>) -> String {
        let Some(verdict) = &self.probe else {
            return String::new();
        };
        let clean = |text: &str| sanitise(text, key);
        let said = |status: &u16, reason: &Option<String>, message: &str| {
            let mut said = status.to_string();
            if let Some(reason) = reason {
                said.push_str(&format!(" {}", clean(reason)));
            }
            match clean(message) {
                message if message.is_empty() => said,
                message => format!("{said}: {message}"),
            }
        };
        let mut detail = match verdict {
            Verdict::NotProbed => {
                "not probed: the spec gives no required field, so any body could create a task"
                    .to_string()
            }
            Verdict::Served {
                status,
                reason,
                message,
            } => format!("served ({})", said(status, &Some(reason.clone()), message)),
            Verdict::NotFound {
                status,
                reason,
                message,
            } => format!("not found ({})", said(status, reason, message)),
            Verdict::KeyRefused {
                status,
                reason,
                message,
            } => format!(
                "key refused ({}): probe inconclusive",
                said(status, reason, message)
            ),
            Verdict::Answered2xx { status, body_start } => format!(
                "ANSWERED 2xx: a task may have been created (HTTP {})",
                said(status, &None, body_start)
            ),
            Verdict::Other { status, body_start } => {
                format!("HTTP {}", said(status, &None, body_start))
            }
            Verdict::NoAnswer { error } => format!("no answer: {}", clean(error)),
        };
        if self.agrees() == Some(false) {
            detail.push_str(&format!(
                "  <- not as documented: expected {}",
                self.documented.expects()
            ));
        }
        detail
    }

    pub fn json(&self, key: Option<&str>) -> Value {
        let (retired_on, replacement, unverified_since) = match self.documented {
            Documented::Live => (None, None, None),
            Documented::Retired { on, replacement } => (on, replacement, None),
            Documented::Unverified { since } => (None, None, Some(since)),
        };
        let mut row = json!({
            "command": self.operation.command(),
            "path": self.operation.path(),
            "status": self.documented.word(),
            "retired_on": retired_on,
            "replacement": replacement,
            "unverified_since": unverified_since,
            "status_source": self.operation.status_source(),
        });
        if let Some(verdict) = &self.probe {
            let clean = |text: &str| sanitise(text, key);
            let (word, status, reason, message) = match verdict {
                Verdict::NotProbed => ("not_probed", None, None, None),
                Verdict::Served {
                    status,
                    reason,
                    message,
                } => ("served", Some(status), Some(reason.clone()), Some(message)),
                Verdict::NotFound {
                    status,
                    reason,
                    message,
                } => ("not_found", Some(status), reason.clone(), Some(message)),
                Verdict::KeyRefused {
                    status,
                    reason,
                    message,
                } => ("key_refused", Some(status), reason.clone(), Some(message)),
                Verdict::Answered2xx { status, body_start } => {
                    ("answered_2xx", Some(status), None, Some(body_start))
                }
                Verdict::Other { status, body_start } => {
                    ("other", Some(status), None, Some(body_start))
                }
                Verdict::NoAnswer { error } => ("no_answer", None, None, Some(error)),
            };
            row["probe"] = json!({
                "verdict": word,
                "http_status": status,
                "reason": reason.as_deref().map(clean),
                "message": message.map(|m| clean(m)),
                "expected": self.documented.expects(),
                "as_documented": self.agrees(),
                "detail": self.detail(key),
            });
        }
        row
    }
}

/// The text table: one line per operation, columns padded; a status the spec gives a source
/// for (`x-status-source`) ends in a mark, `[1]`, and the sources follow the table.
pub fn table(rows: &[Row], key: Option<&str>) -> String {
    let probing = rows.iter().any(|row| row.probe.is_some());
    let mut lines: Vec<Vec<String>> = vec![["COMMAND", "PATH", "STATUS", "PROBE"]
        .iter()
        .map(|h| h.to_string())
        .collect()];
    let mut sources: Vec<&str> = Vec::new();
    for row in rows {
        let mut status = row.documented.text();
        if let Some(source) = row.operation.status_source() {
            let mark = match sources.iter().position(|known| *known == source) {
                Some(index) => index + 1,
                None => {
                    sources.push(source);
                    sources.len()
                }
            };
            status.push_str(&format!(" [{mark}]"));
        }
        lines.push(vec![
            row.operation.command().to_string(),
            row.operation.path().to_string(),
            status,
            row.detail(key),
        ]);
    }
    let columns = if probing { 4 } else { 3 };
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for line in &lines {
        let cells: Vec<String> = (0..columns)
            .map(|c| match c + 1 == columns {
                true => line[c].clone(),
                false => format!("{:width$}", line[c], width = widths[c]),
            })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    if !sources.is_empty() {
        text.push_str("\nWhere the retired and unverified statuses come from:\n");
        for (index, source) in sources.iter().enumerate() {
            text.push_str(&format!("[{}] {source}\n", index + 1));
        }
    }
    text
}
