//! What the spec says each exchange may hold, and every way one breaks it: the request against
//! its operation's documented rules, the answer against the schema of its status.

use novita_video::{Error, NovitaClient, SubmitOperation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::spec::{AnswerSpec, Spec};

/// One way an exchange departs from the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub method: String,
    pub path: String,
    /// The answer's status (for a relayed webhook, what the receiver answered); 0 when the
    /// upstream closed the connection without one.
    pub status: u16,
    /// Where in the body (JSON pointer); empty for the whole exchange.
    pub pointer: String,
    /// What the spec says and what came.
    pub message: String,
}

/// A finding before it is tied to its exchange: (JSON pointer, message).
pub type Finding = (String, String);

/// The path of the task-result operation, the one GET of the spec.
pub const TASK_RESULT_PATH: &str = "/v3/async/task-result";

/// The submit operation a `method path` pair calls, if any.
pub fn submit_operation(method: &str, path: &str) -> Option<&'static SubmitOperation> {
    if !method.eq_ignore_ascii_case("POST") {
        return None;
    }
    SubmitOperation::all().iter().find(|op| op.path() == path)
}

/// How a request breaks the documented rules of its operation (requests the spec does not
/// describe are not checked).
pub fn check_request(method: &str, path: &str, query: Option<&str>, body: &[u8]) -> Vec<Finding> {
    if let Some(operation) = submit_operation(method, path) {
        let value: Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(e) => return vec![(String::new(), format!("request body is not JSON ({e})"))],
        };
        return match NovitaClient::check_value(operation, &value) {
            Ok(()) => Vec::new(),
            Err(Error::InvalidRequest { violations }) => violations
                .iter()
                .map(|v| (field_pointer(&v.field), format!("request: {v}")))
                .collect(),
            Err(other) => vec![(String::new(), format!("request: {other}"))],
        };
    }
    if method.eq_ignore_ascii_case("GET") && path == TASK_RESULT_PATH {
        let task_id = query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(name, _)| name == "task_id")
                .map(|(_, value)| value.into_owned())
        });
        if task_id.is_none_or(|id| id.trim().is_empty()) {
            return vec![(
                "/task_id".to_string(),
                "request: the query parameter task_id is required and must not be blank".into(),
            )];
        }
    }
    Vec::new()
}

/// How an answer breaks what the spec documents for its status. `body` is `None` when the
/// answer was streamed through unread (it was not JSON).
pub fn check_answer(
    spec: &Spec,
    method: &str,
    path: &str,
    status: u16,
    content_type: &str,
    body: Option<&[u8]>,
) -> Vec<Finding> {
    let schema = match spec.answer(method, path, status) {
        None | Some(AnswerSpec::Documented(None)) => return Vec::new(),
        Some(AnswerSpec::Undocumented(listed)) => {
            return vec![(
                String::new(),
                format!(
                    "status {status} is not documented for {method} {path} (the spec lists {})",
                    listed.join(", ")
                ),
            )]
        }
        Some(AnswerSpec::Documented(Some(schema))) => schema,
    };
    let Some(body) = body.filter(|_| is_json(content_type)) else {
        let came = if content_type.is_empty() {
            "no content type"
        } else {
            content_type
        };
        return vec![(
            String::new(),
            format!("the spec documents a JSON {schema}, the answer is {came}"),
        )];
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => schema_findings(spec, &schema, &value),
        Err(e) => vec![(
            String::new(),
            format!("the spec documents a JSON {schema}, the answer is not valid JSON ({e})"),
        )],
    }
}

/// How a webhook event breaks the `WebhookEvent` schema.
pub fn check_webhook(spec: &Spec, body: &[u8]) -> Vec<Finding> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => schema_findings(spec, "WebhookEvent", &value),
        Err(e) => vec![(
            String::new(),
            format!("the spec documents a JSON WebhookEvent, the event is not valid JSON ({e})"),
        )],
    }
}

fn schema_findings(spec: &Spec, schema: &str, value: &Value) -> Vec<Finding> {
    spec.violations(schema, value)
        .into_iter()
        .map(|(pointer, message)| (pointer, format!("{message} ({schema})")))
        .collect()
}

/// Whether a content type is JSON (`application/json`, `application/problem+json`, ...).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.to_ascii_lowercase().ends_with("+json")
}

/// The client names fields as `input.prompt` or `loras[1].scale`; a report uses JSON pointers.
/// A pair of fields (`width/height`) points at the first.
fn field_pointer(field: &str) -> String {
    let first = field.split('/').next().unwrap_or_default();
    let mut pointer = String::new();
    for part in first.replace('[', ".").replace(']', "").split('.') {
        if !part.is_empty() {
            pointer.push('/');
            pointer.push_str(&part.replace('~', "~0"));
        }
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_become_pointers() {
        assert_eq!(field_pointer("prompt"), "/prompt");
        assert_eq!(field_pointer("input.prompt"), "/input/prompt");
        assert_eq!(field_pointer("loras[1].scale"), "/loras/1/scale");
        assert_eq!(field_pointer("width/height"), "/width");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/html"));
        assert!(!is_json(""));
    }

    #[test]
    fn a_blank_task_id_is_request_drift() {
        let findings = check_request("GET", TASK_RESULT_PATH, Some("task_id=%20"), b"");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].0, "/task_id");
        assert!(check_request("GET", TASK_RESULT_PATH, Some("task_id=abc"), b"").is_empty());
    }
}
