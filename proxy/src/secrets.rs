//! The one rule of what the proxy never writes to a file or a log, for the recorder and the
//! report alike: `novita_cassette::secret` (members named like credentials, the user
//! information of URLs), plus the tokens of the webhook relay, which are the only guard of
//! `/_proxy/webhooks/<token>` and so are never written (see `relay`).

use std::borrow::Cow;

use novita_cassette::secret::{self, REDACTED};
use serde_json::Value;

use crate::relay::RELAY_PREFIX;

/// `value` as it may be written: see the module's notes.
pub fn blank_value(value: &mut Value) {
    secret::blank_secrets(value);
    blank_relay_tokens(value);
}

fn blank_relay_tokens(value: &mut Value) {
    match value {
        Value::Object(map) => map.values_mut().for_each(blank_relay_tokens),
        Value::Array(items) => items.iter_mut().for_each(blank_relay_tokens),
        Value::String(text) => {
            if let Cow::Owned(clean) = without_relay_tokens(text) {
                *text = clean;
            }
        }
        _ => {}
    }
}

/// `text` (a message, a path) as it may be written: see the module's notes.
pub fn blank_text(text: &str) -> String {
    without_relay_tokens(&secret::without_userinfo(text)).into_owned()
}

/// Whether a JSON pointer passes through a member named like a secret: a finding about it
/// must not quote its value.
pub fn points_at_secret(pointer: &str) -> bool {
    pointer
        .split('/')
        .any(|segment| !segment.is_empty() && secret::names_a_secret(segment))
}

/// `text` with the token after every relay address blanked.
fn without_relay_tokens(text: &str) -> Cow<'_, str> {
    if !text.contains(RELAY_PREFIX) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(RELAY_PREFIX) {
        let after = at + RELAY_PREFIX.len();
        out.push_str(&rest[..after]);
        let token_len = rest[after..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len() - after);
        if token_len > 0 {
            out.push_str(REDACTED);
        }
        rest = &rest[after + token_len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn relay_tokens_and_userinfo_are_blanked() {
        let mut value = json!({
            "webhook": "http://127.0.0.1:9/_proxy/webhooks/0123abcd?x=1",
            "echo": "{\"url\":\"http://p/_proxy/webhooks/ff00\"}",
            "private_key": "k",
        });
        blank_value(&mut value);
        assert_eq!(
            value,
            json!({
                "webhook": "http://127.0.0.1:9/_proxy/webhooks/<redacted>?x=1",
                "echo": "{\"url\":\"http://p/_proxy/webhooks/<redacted>\"}",
                "private_key": "<redacted>",
            })
        );
        assert_eq!(
            blank_text("GET http://u:p@up.example/_proxy/webhooks/ab: failed"),
            "GET http://redacted@up.example/_proxy/webhooks/<redacted>: failed"
        );
        assert!(points_at_secret("/extra/x-api-key"));
        assert!(!points_at_secret("/input/prompt"));
    }
}
