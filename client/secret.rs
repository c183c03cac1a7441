//! Keeping the API key out of errors. The key is never put in one, but a service can echo
//! it back (a proxy's "invalid key sk-..." page, a message quoting the request), and an error
//! is made to be logged. Every error the client returns from an answer goes through
//! [`Secret::scrub`] first, which blanks each occurrence of the key.

use std::{fmt, sync::Arc};

use crate::{error::Error, generated::types::TaskResultResponse};

/// What replaces the key in an error.
pub(crate) const REDACTED: &str = "<redacted>";

/// The shortest start of the key blanked at the end of a text cut short.
const PARTIAL_MIN: usize = 4;

/// The API key, for scrubbing only; its `Debug` shows none of it.
#[derive(Clone)]
pub(crate) struct Secret(Arc<str>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Secret {
    pub(crate) fn new(key: &str) -> Secret {
        Secret(Arc::from(key))
    }

    fn text(&self, text: &mut String) {
        if self.0.is_empty() {
            return;
        }
        if text.contains(&*self.0) {
            *text = text.replace(&*self.0, REDACTED);
        }
        // The start of a body is cut at a limit, which can fall inside the key: its cut
        // beginning at the end of the text goes too.
        let cut = (PARTIAL_MIN..self.0.len())
            .rev()
            .filter(|len| self.0.is_char_boundary(*len))
            .find(|len| text.ends_with(&self.0[..*len]));
        if let Some(len) = cut {
            text.truncate(text.len() - len);
            text.push_str(REDACTED);
        }
    }

    fn optional(&self, text: &mut Option<String>) {
        if let Some(text) = text {
            self.text(text);
        }
    }

    /// A task result with every string that holds the key blanked, through its JSON form.
    fn result(&self, result: &mut TaskResultResponse) {
        let Ok(before) = serde_json::to_value(&*result) else {
            return;
        };
        let mut value = before.clone();
        self.value(&mut value);
        if value == before {
            return;
        }
        // The scrubbed value has the shape it was read from; should it not read back, the
        // result is replaced by an empty one rather than kept with the key.
        *result = serde_json::from_value(value).unwrap_or_default();
    }

    /// Blanks the key in every string of `value`.
    fn value(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(text) => self.text(text),
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(fields) => fields.values_mut().for_each(|v| self.value(v)),
            _ => {}
        }
    }

    /// `error` with every occurrence of the key blanked. The causes from reqwest (transport
    /// errors) name the request's URL, which never holds the key (the builder refuses a base
    /// URL with credentials or a query), so they are kept as they are.
    pub(crate) fn scrub(&self, mut error: Error) -> Error {
        if self.0.is_empty() {
            return error;
        }
        match &mut error {
            Error::Api(api) => {
                self.text(&mut api.reason);
                self.text(&mut api.message);
                let metadata = std::mem::take(&mut api.metadata);
                api.metadata = metadata
                    .into_iter()
                    .map(|(mut k, mut v)| {
                        self.text(&mut k);
                        self.text(&mut v);
                        (k, v)
                    })
                    .collect();
                self.optional(&mut api.task_id);
            }
            Error::UnexpectedBody {
                body_start,
                task_id,
                ..
            }
            | Error::AnswerTooLarge {
                body_start,
                task_id,
                ..
            }
            | Error::SubmissionAnswerUnreadable {
                body_start,
                task_id,
                ..
            } => {
                self.text(body_start);
                self.optional(task_id);
            }
            Error::Decode {
                body_start,
                task_id,
                source,
                ..
            } => {
                self.text(body_start);
                self.optional(task_id);
                // serde_json quotes the value it could not read: rebuilt from its text, which
                // keeps the line and column.
                let mut message = source.to_string();
                if message.contains(&*self.0) {
                    self.text(&mut message);
                    *source = serde::de::Error::custom(message);
                }
            }
            Error::Redirected {
                location, task_id, ..
            } => {
                self.optional(location);
                self.optional(task_id);
            }
            Error::RetryAfterTooLong { source, .. } => {
                let inner = std::mem::replace(source.as_mut(), Error::Config(String::new()));
                **source = self.scrub(inner);
            }
            Error::WrongTask { asked, answered } => {
                self.text(asked);
                self.text(answered);
            }
            Error::TaskFailed {
                task_id,
                reason,
                result,
                ..
            } => {
                self.text(task_id);
                self.text(reason);
                self.result(result);
            }
            Error::WaitTimeout { task_id, .. }
            | Error::NotFinished { task_id, .. }
            | Error::NoVideo { task_id } => self.text(task_id),
            Error::Download { url, .. } => self.text(url),
            Error::NotAVideo {
                url,
                content_type,
                body_start,
                ..
            } => {
                self.text(url);
                self.text(content_type);
                self.text(body_start);
            }
            Error::Timeout { what, task_id, .. } => {
                self.text(what);
                self.optional(task_id);
            }
            Error::Transport { task_id, .. } | Error::WebhookRefused { task_id, .. } => {
                self.optional(task_id)
            }
            Error::Io { context, .. } => self.text(context),
            Error::InvalidRequest { .. }
            | Error::SubmissionOutcomeUnknown { .. }
            | Error::EmptyTaskId { .. }
            | Error::Config(_)
            | Error::Webhook { .. } => {}
        }
        error
    }
}
