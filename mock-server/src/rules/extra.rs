//! `extra.webhook`: the webhook settings a request may carry.

use serde_json::Value;

use crate::{
    novita_error::NovitaError,
    rules::{
        fields::{Checked, Fields},
        json::Json,
    },
    sim::job::WebhookRequest,
};

pub(crate) fn webhook(f: &Fields<'_>) -> Checked<Option<WebhookRequest>> {
    let Some(extra) = f.object("extra")? else {
        return Ok(None);
    };
    let Some(hook) = extra.object("webhook")? else {
        return Ok(None);
    };
    let url = hook.required_string("url", 1, None)?;
    // The spec's rule: `^https?://[^\s]+$`. A URL that still cannot be used shows up in the
    // delivery log of the task.
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    if rest.is_none_or(str::is_empty) || url.chars().any(is_pattern_whitespace) {
        return Err(NovitaError::invalid_body(
            &hook.name("url"),
            "must be an http(s) URL",
        ));
    }
    let mut test_mode = None;
    if let Some(mode) = hook.object("test_mode")? {
        let enabled = mode
            .boolean("enabled")?
            .ok_or_else(|| NovitaError::invalid_body(&mode.name("enabled"), "is required"))?;
        let status = mode
            .one_of(
                "return_task_status",
                &["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"],
            )?
            .ok_or_else(|| {
                NovitaError::invalid_body(&mode.name("return_task_status"), "is required")
            })?;
        if enabled {
            test_mode = Some(status.to_string());
        }
    }
    Ok(Some(WebhookRequest {
        url: url.to_string(),
        test_mode,
        echo: extra.raw("webhook").map_or(Value::Null, Json::to_value),
    }))
}

/// Whitespace as the spec's pattern (`\s`, an ECMAScript regular expression) reads it. Rust's
/// `char::is_whitespace` differs in two characters: it counts U+0085 (next line) and not
/// U+FEFF (byte order mark).
fn is_pattern_whitespace(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}
