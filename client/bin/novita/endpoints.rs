//! `novita endpoints [--probe]`: every submit operation of the spec with its documented status
//! (live, retired, unverified), and with `--probe` what the service at the base URL says of it.
//!
//! # The probe body
//!
//! A probe must never be able to create a task, so it sends a body the spec itself says is
//! invalid: the empty object `{}`, which leaves out every required field at once. It is sent
//! only to an operation whose request schema requires something of every body: a non-empty
//! top-level `required`, or a `oneOf`/`anyOf` each branch of which has a non-empty `required`
//! (Wan 2.7 image-to-video: exactly one of `image_url` and `first_clip_url`). And the client's
//! own check of the spec must refuse `{}` as well. Any other operation is not probed, and the
//! output says why: with no required field, any body could create a task.
//!
//! The body goes through [`NovitaClient::probe`], which skips the check on purpose (the normal
//! submit path would refuse `{}` before sending), once and never retried, with the client's key,
//! base URL and `--timeout`. Text from the service is shown sanitised: no control or invisible
//! formatting characters, at most 200 characters, and the API key replaced should it be echoed.

use serde_json::{json, Value};

use novita_video::{ApiError, Error, NovitaClient, ProbeAnswer, SubmitOperation};

use crate::{exit::Failure, output::Output};

/// What `novita endpoints --help` says of the statuses, the probe and its verdicts.
pub const VERDICTS: &str = "\
Status, from the spec: `live`; `retired DATE (replacement: X)` (x-retired-on, and
x-replacement-operation or else x-replaced-by); `unverified since DATE`
(x-status-unverified-since: the pages leave open whether Novita still serves it).

--probe POSTs {} to each operation whose schema requires a field (a top-level `required`, or
one in every branch of a oneOf/anyOf): the spec says the service refuses it, so no task can
be created. Each probe is sent once, never retried. Verdicts:
  served        400 with Novita's error body (INVALID_REQUEST_BODY, or naming a field):
                the service read the body, so it serves the operation
  not found     404 (with Novita's reason when the body is Novita's: MODEL_RETIRED,
                API_NOT_FOUND, ...): the service does not serve it
  key refused   401 or 403: the key was refused; the probe is inconclusive
  ANSWERED 2xx  the service took {}: a task may have been created (should never happen)
  HTTP N: ...   any other answer (5xx, a proxy's HTML page), its first 200 characters
  no answer     nothing came back within --timeout
  not probed    the spec gives no required field, so any body could create a task

Exit 0 when every probed operation answered as its status predicts (live and unverified:
served; retired: served or not found), otherwise 8. A host that cannot be reached stops the
probe at once with exit 6.";

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
    fn word(&self) -> &'static str {
        match self {
            Documented::Live => "live",
            Documented::Retired { .. } => "retired",
            Documented::Unverified { .. } => "unverified",
        }
    }

    /// The status column: `retired 2026-08-19 (replacement: wan2.7-t2v)`.
    fn text(&self) -> String {
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
    fn expects(&self) -> &'static str {
        match self {
            Documented::Retired { .. } => "served or not found",
            _ => "served",
        }
    }

    /// Whether `verdict` is what the status predicts; `None` when nothing was probed.
    fn agrees(&self, verdict: &Verdict) -> Option<bool> {
        match (verdict, self) {
            (Verdict::NotProbed, _) => None,
            (Verdict::Served { .. }, _) => Some(true),
            (Verdict::NotFound { .. }, Documented::Retired { .. }) => Some(true),
            _ => Some(false),
        }
    }
}

/// What one probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    NotProbed,
    /// 400 with Novita's error body that shows the body was read.
    Served {
        status: u16,
        reason: String,
        message: String,
    },
    /// 404; `reason` when the body is Novita's, `message` its message or the body's start.
    NotFound {
        status: u16,
        reason: Option<String>,
        message: String,
    },
    /// 401 or 403.
    KeyRefused {
        status: u16,
        reason: Option<String>,
        message: String,
    },
    /// Any 2xx: the service took a body the spec says it refuses.
    Answered2xx {
        status: u16,
        body_start: String,
    },
    /// Anything else, as it came.
    Other {
        status: u16,
        body_start: String,
    },
    /// Sent, but nothing came back.
    NoAnswer {
        error: String,
    },
}

/// The body a probe of `operation` sends, or `None` when the spec does not say that `{}` is
/// refused (see the module's doc).
pub fn probe_body(operation: &SubmitOperation) -> Option<Value> {
    let body = json!({});
    (requires_something(operation.request_schema())
        && NovitaClient::check_value(operation, &body).is_err())
    .then_some(body)
}

/// Whether the schema requires a field of every body.
fn requires_something(schema: &Value) -> bool {
    let required = |schema: &Value| {
        schema["required"]
            .as_array()
            .is_some_and(|fields| !fields.is_empty())
    };
    required(schema)
        || ["oneOf", "anyOf"].iter().any(|key| {
            schema[key]
                .as_array()
                .is_some_and(|branches| !branches.is_empty() && branches.iter().all(required))
        })
}

/// Reads an answer: see [`VERDICTS`]. `schema` is the operation's request schema, whose field
/// names a 400 may name.
pub fn classify(status: u16, novita: Option<ApiError>, body: &[u8], schema: &Value) -> Verdict {
    let body_start = String::from_utf8_lossy(body).into_owned();
    let (reason, message) = match &novita {
        Some(error) => (Some(error.reason.clone()), error.message.clone()),
        None => (None, body_start.clone()),
    };
    match status {
        400 => match novita {
            Some(error)
                if error.reason == "INVALID_REQUEST_BODY" || names_a_field(&error, schema) =>
            {
                Verdict::Served {
                    status,
                    reason: error.reason,
                    message: error.message,
                }
            }
            _ => Verdict::Other { status, body_start },
        },
        404 => Verdict::NotFound {
            status,
            reason,
            message,
        },
        401 | 403 => Verdict::KeyRefused {
            status,
            reason,
            message,
        },
        200..=299 => Verdict::Answered2xx { status, body_start },
        _ => Verdict::Other { status, body_start },
    }
}

/// Whether Novita's message or metadata names a top-level field of the schema.
fn names_a_field(error: &ApiError, schema: &Value) -> bool {
    let Some(fields) = schema["properties"].as_object() else {
        return false;
    };
    let mut texts = std::iter::once(&error.message)
        .chain(error.metadata.keys())
        .chain(error.metadata.values());
    texts.any(|text| fields.keys().any(|field| contains_word(text, field)))
}

fn contains_word(text: &str, word: &str) -> bool {
    let part_of_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(part_of_word)
            && !text[at + word.len()..]
                .chars()
                .next()
                .is_some_and(part_of_word)
    })
}

/// How much of any text from the service is shown.
const SHOWN_CHARS: usize = 200;

/// Text from the service as it may be shown: the key replaced, no control or invisible
/// formatting characters (terminal escapes, bidi overrides), at most [`SHOWN_CHARS`].
pub fn sanitise(text: &str, key: Option<&str>) -> String {
    let mut text = text.to_string();
    if let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) {
        text = text.replace(key, "<redacted>");
    }
    let clean: String = text
        .chars()
        .map(|c| {
            if crate::printable::is_hidden(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim();
    match clean.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}...", &clean[..cut]),
        None => clean.to_string(),
    }
}

/// One line of the listing.
struct Row {
    operation: &'static SubmitOperation,
    documented: Documented,
    probe: Option<Verdict>,
}

impl Row {
    fn agrees(&self) -> Option<bool> {
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

    fn json(&self, key: Option<&str>) -> Value {
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

/// The text table: one line per operation, columns padded.
fn table(rows: &[Row], key: Option<&str>) -> String {
    let probing = rows.iter().any(|row| row.probe.is_some());
    let mut lines: Vec<Vec<String>> = vec![["COMMAND", "PATH", "STATUS", "PROBE"]
        .iter()
        .map(|h| h.to_string())
        .collect()];
    for row in rows {
        lines.push(vec![
            row.operation.command().to_string(),
            row.operation.path().to_string(),
            row.documented.text(),
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
    text
}

/// Probes `operation`: `Err` only when the host could not be reached (nothing was sent).
async fn probe(
    client: &NovitaClient,
    operation: &'static SubmitOperation,
) -> Result<Verdict, Failure> {
    let Some(body) = probe_body(operation) else {
        return Ok(Verdict::NotProbed);
    };
    let answer: ProbeAnswer = match client.probe(operation, &body).await {
        Ok(answer) => answer,
        Err(Error::SubmissionOutcomeUnknown {
            timed_out_after,
            source,
            ..
        }) => {
            let error = match timed_out_after {
                Some(limit) => format!("nothing within {}s", limit.as_secs_f64()),
                None => source.to_string(),
            };
            return Ok(Verdict::NoAnswer { error });
        }
        Err(error @ (Error::Transport { .. } | Error::Timeout { .. })) => {
            return Err(Failure::network(format!(
                "probing {} at {}: {error}; nothing was sent",
                operation.command(),
                client.base_url()
            )))
        }
        Err(error) => return Err(error.into()),
    };
    Ok(classify(
        answer.status().as_u16(),
        answer.novita_error(),
        answer.body(),
        operation.request_schema(),
    ))
}

/// Runs `novita endpoints`: lists, and with a client (`--probe`) probes, every operation.
pub async fn run(
    client: Option<&NovitaClient>,
    key: Option<&str>,
    out: &Output,
) -> Result<(), Failure> {
    let mut rows = Vec::new();
    for operation in SubmitOperation::all() {
        let probe = match client {
            Some(client) => Some(probe(client, operation).await?),
            None => None,
        };
        let row = Row {
            operation,
            documented: Documented::of(operation),
            probe,
        };
        if matches!(row.probe, Some(Verdict::Answered2xx { .. })) {
            eprintln!(
                "novita: WARNING: {} ANSWERED 2xx to {{}}: a task may have been created; look for it before probing again",
                operation.command()
            );
        }
        rows.push(row);
    }
    if out.json {
        let rows: Vec<Value> = rows.iter().map(|row| row.json(key)).collect();
        println!("{}", Value::Array(rows));
    } else {
        print!("{}", table(&rows, key));
    }
    if client.is_none() {
        return Ok(());
    }
    let probed = rows.iter().filter(|row| row.agrees().is_some()).count();
    let disagreeing: Vec<String> = rows
        .iter()
        .filter(|row| row.agrees() == Some(false))
        .map(|row| row.operation.command().to_string())
        .collect();
    let not_probed = rows.len() - probed;
    let mut summary = format!(
        "probed {probed} of {} operations: {} answered as documented",
        rows.len(),
        probed - disagreeing.len()
    );
    if !disagreeing.is_empty() {
        summary.push_str(&format!(
            ", {} did not ({})",
            disagreeing.len(),
            disagreeing.join(", ")
        ));
    }
    if not_probed > 0 {
        summary.push_str(&format!("; {not_probed} not probed"));
    }
    if !out.json {
        println!("{summary}");
    }
    if disagreeing.is_empty() {
        return Ok(());
    }
    Err(Failure::probe_mismatch(summary, out.json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_schema_that_requires_a_field_is_probed() {
        assert!(requires_something(&json!({"required": ["prompt"]})));
        assert!(requires_something(
            &json!({"oneOf": [{"required": ["image_url"]}, {"required": ["first_clip_url"]}]})
        ));
        assert!(!requires_something(&json!({"properties": {"prompt": {}}})));
        assert!(!requires_something(&json!({"required": []})));
        assert!(!requires_something(
            &json!({"anyOf": [{"required": ["a"]}, {"not": {"required": ["a"]}}]})
        ));
        for operation in SubmitOperation::all() {
            assert_eq!(
                probe_body(operation).is_some(),
                requires_something(operation.request_schema()),
                "{}: the client's check refuses {{}} wherever the spec requires a field",
                operation.command()
            );
        }
    }

    #[test]
    fn text_from_the_service_is_shown_clean_short_and_without_the_key() {
        assert_eq!(
            sanitise("a\u{1b}[31mred\u{202e}\n\tline", None),
            "a [31mred   line"
        );
        assert_eq!(
            sanitise("echo: Bearer sk-123", Some("sk-123")),
            "echo: Bearer <redacted>"
        );
        let long = "é".repeat(300);
        assert_eq!(sanitise(&long, None), format!("{}...", "é".repeat(200)));
    }

    #[test]
    fn a_400_is_served_when_it_is_novitas_and_names_the_body_or_a_field() {
        let schema = json!({"properties": {"image_url": {}}});
        let error = |reason: &str, message: &str| ApiError {
            status: reqwest::StatusCode::BAD_REQUEST,
            code: Some(400),
            reason: reason.into(),
            message: message.into(),
            metadata: Default::default(),
            task_id: None,
            retry_after: None,
        };
        let served = |e| matches!(classify(400, Some(e), b"", &schema), Verdict::Served { .. });
        assert!(served(error("INVALID_REQUEST_BODY", "")));
        assert!(served(error("BAD_PARAM", "image_url: required")));
        assert!(!served(error("BAD_PARAM", "my_image_url is odd")));
        assert!(!served(error("BILLING_BALANCE_NOT_ENOUGH", "top up")));
        assert!(matches!(
            classify(400, None, b"<html>", &schema),
            Verdict::Other { status: 400, .. }
        ));
    }
}
