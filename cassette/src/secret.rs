//! What "looks like a secret", once for every writer of a file (the proxy's cassette and drift
//! report; anything else that writes what it saw should call it too).
//!
//! - A JSON member whose name has a word that names a credential (`key`, `token`, `secret`,
//!   `password`, `passwd`, `pwd`, `auth`, `authorization`, `bearer`, `credential(s)`,
//!   `session`, `cookie`, `signature`, ...) holds a secret, whatever its value. Words are split at
//!   `_`, `-`, `.`, spaces and camelCase humps: `x-api-key`, `private_key`, `novitaKey` and
//!   `KEY` name a secret, `keep_original_sound` does not.
//! - The user information of a URL (`https://user:pass@host/`) is a secret wherever the URL
//!   stands, a whole string or inside a message.

use std::borrow::Cow;

use serde_json::Value;

/// What a secret is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Words that make a member name a secret's.
const SECRET_WORDS: &[&str] = &[
    "key",
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "pass",
    "auth",
    "authorization",
    "bearer",
    "credential",
    "credentials",
    "session",
    "sessionid",
    "cookie",
    "signature",
    "sig",
    "jwt",
];

/// Whether a member (or header) of this name holds a secret.
pub fn names_a_secret(name: &str) -> bool {
    words(name).any(|word| SECRET_WORDS.contains(&word.as_str()))
        || ["apikey", "api_key", "password", "secret", "token"]
            .iter()
            .any(|whole| name.to_ascii_lowercase().contains(whole))
}

/// The lowercase words of a name: split at anything not a letter or digit, and where a lower
/// case letter or digit is followed by an upper case one.
fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut last_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            words.push(std::mem::take(&mut current));
            last_lower = false;
            continue;
        }
        if c.is_uppercase() && last_lower {
            words.push(std::mem::take(&mut current));
        }
        last_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    words.push(current);
    words.into_iter().filter(|w| !w.is_empty())
}

/// `text` with the user information of every URL in it replaced by `redacted`
/// (`https://redacted@host/`). Borrowed when there is none.
pub fn without_userinfo(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut done = 0; // bytes of `text` already copied to `out`
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let start = search + found + 3;
        let authority_len = text[start..]
            .find(|c: char| "/?#\\ \t\r\n\"'<>()[]{},;|`".contains(c))
            .unwrap_or(text.len() - start);
        let authority = &text[start..start + authority_len];
        if let Some(at) = authority.rfind('@') {
            let out = out.get_or_insert_with(String::new);
            out.push_str(&text[done..start]);
            out.push_str("redacted");
            done = start + at;
        }
        search = start + authority_len;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[done..]);
            Cow::Owned(out)
        }
    }
}

/// Replaces, in place, the value of every member whose name names a secret with
/// [`REDACTED`], and the user information of every URL in a string.
pub fn blank_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, member) in map.iter_mut() {
                if names_a_secret(name) {
                    *member = Value::String(REDACTED.into());
                } else {
                    blank_secrets(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(blank_secrets),
        Value::String(text) => {
            if let Cow::Owned(clean) = without_userinfo(text) {
                *text = clean;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn credential_words_name_secrets_wherever_they_stand() {
        for name in [
            "x-api-key",
            "api_key",
            "apiKey",
            "private_key",
            "novita_key",
            "novitaKey",
            "KEY",
            "passwd",
            "pwd",
            "Password",
            "credentials",
            "auth",
            "Authorization",
            "bearer",
            "session",
            "session_id",
            "cookie",
            "Set-Cookie",
            "signature",
            "X-Amz-Signature",
            "access_token",
            "webhookSecret",
            "clientsecret",
        ] {
            assert!(names_a_secret(name), "{name}");
        }
        for name in [
            "prompt",
            "keep_original_sound",
            "keyframes",
            "image_url",
            "author",
            "passage",
            "task_id",
            "seed",
            "webhook",
            "negative_prompt",
        ] {
            assert!(!names_a_secret(name), "{name}");
        }
    }

    #[test]
    fn userinfo_is_blanked_in_urls_and_in_messages() {
        assert_eq!(
            without_userinfo("https://me:pw@hooks.example/in?a=1"),
            "https://redacted@hooks.example/in?a=1"
        );
        assert_eq!(
            without_userinfo("error sending request for url (http://u@h.example:8/x): boom"),
            "error sending request for url (http://redacted@h.example:8/x): boom"
        );
        assert_eq!(
            without_userinfo("two: ftp://a:b@x/ and https://c:d@y"),
            "two: ftp://redacted@x/ and https://redacted@y"
        );
        let plain = "https://hooks.example/in?to=a@b.example";
        assert!(matches!(without_userinfo(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn a_value_keeps_nothing_secret() {
        let mut value = json!({
            "prompt": "a cat",
            "extra": {"webhook": {"url": "https://u:p@hooks.example/h"}},
            "headers": [{"X-Api-Key": "sk-1", "cookie": {"a": 1}}],
        });
        blank_secrets(&mut value);
        assert_eq!(
            value,
            json!({
                "prompt": "a cat",
                "extra": {"webhook": {"url": "https://redacted@hooks.example/h"}},
                "headers": [{"X-Api-Key": REDACTED, "cookie": REDACTED}],
            })
        );
    }
}
