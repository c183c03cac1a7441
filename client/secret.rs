//! Keeping the API key out of errors. The key is never put in one, but a service can echo
//! it back (a proxy's "invalid key sk-..." page, a message quoting the request), and an error
//! is made to be logged. Every error the client returns from an answer goes through
//! [`Secret::scrub`] first, which blanks each occurrence of the key.

use std::{fmt, sync::Arc};

use crate::{
    error::{ApiError, Error},
    generated::types::TaskResultResponse,
};

/// What replaces the key in an error.
pub(crate) const REDACTED: &str = "<redacted>";

/// The shortest start of the key blanked at the end of a text cut short.
const PARTIAL_MIN: usize = 4;

/// A key shorter than this is blanked only where it stands as a word of its own: blanking a
/// one-letter key inside every word would garble the text (`tas<redacted>`) and hide nothing.
const WHOLE_WORD_BELOW: usize = 8;

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
        if self.0.len() < WHOLE_WORD_BELOW {
            blank_as_word(text, &self.0);
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

    /// Novita's error body with the key blanked in each of its texts.
    fn api(&self, api: &mut ApiError) {
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

    /// serde_json quotes the value it could not read: rebuilt from its text, which keeps the
    /// line and column.
    fn decode_error(&self, source: &mut serde_json::Error) {
        let mut message = source.to_string();
        if message.contains(&*self.0) {
            self.text(&mut message);
            *source = serde::de::Error::custom(message);
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
            Error::Api(api) => self.api(api),
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
                self.decode_error(source);
            }
            Error::Redirected {
                location, task_id, ..
            } => {
                self.optional(location);
                self.optional(task_id);
            }
            Error::RedirectFollowed { url, task_id, .. } => {
                self.text(url);
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
            Error::Download { url, .. } | Error::BadVideoLink { url, .. } => self.text(url),
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

/// Replaces each occurrence of `word` in `text` that no letter, digit, `-` or `_` touches.
fn blank_as_word(text: &mut String, word: &str) {
    let part_of_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    let mut blanked = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut before: Option<char> = None;
    while let Some(at) = rest.find(word) {
        let (head, tail) = rest.split_at(at);
        let previous = head.chars().next_back().or(before);
        let next = tail[word.len()..].chars().next();
        blanked.push_str(head);
        if previous.is_some_and(part_of_word) || next.is_some_and(part_of_word) {
            blanked.push_str(word);
        } else {
            blanked.push_str(REDACTED);
        }
        before = word.chars().next_back();
        rest = &tail[word.len()..];
    }
    if blanked.is_empty() && rest.len() == text.len() {
        return;
    }
    blanked.push_str(rest);
    *text = blanked;
}

#[cfg(test)]
mod short_key_tests {
    use super::*;

    fn scrubbed(key: &str, text: &str) -> String {
        let mut text = text.to_string();
        Secret::new(key).text(&mut text);
        text
    }

    #[test]
    fn a_short_key_is_blanked_only_as_a_word_of_its_own() {
        assert_eq!(
            scrubbed("k", "invalid key k for task abc"),
            "invalid key <redacted> for task abc"
        );
        assert_eq!(scrubbed("k", "kk k-k task"), "kk k-k task");
        assert_eq!(scrubbed("k", "k"), REDACTED);
        assert_eq!(scrubbed("k", "\"k\":k."), "\"<redacted>\":<redacted>.");
        assert_eq!(
            scrubbed("any-key", "bad key: any-key."),
            "bad key: <redacted>."
        );
        assert_eq!(scrubbed("any-key", "many-keys"), "many-keys");
    }

    #[test]
    fn a_long_key_is_blanked_wherever_it_stands() {
        let key = "sk-0123456789";
        assert_eq!(scrubbed(key, "xsk-0123456789y"), "x<redacted>y");
    }
}
