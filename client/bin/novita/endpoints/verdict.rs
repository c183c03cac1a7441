//! What one probe found: the service's answer read as a verdict.

use novita_video::{spec_rules::Schema, ApiError};

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

/// Reads an answer: see [`super::VERDICTS`]. `schema` is the operation's request schema, whose field
/// names a 400 may name.
pub fn classify(status: u16, novita: Option<ApiError>, body: &[u8], schema: &Schema) -> Verdict {
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
fn names_a_field(error: &ApiError, schema: &Schema) -> bool {
    let mut texts = std::iter::once(&error.message)
        .chain(error.metadata.keys())
        .chain(error.metadata.values());
    texts.any(|text| {
        schema
            .members()
            .any(|(field, _)| contains_word(text, field))
    })
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_400_is_served_when_it_is_novitas_and_names_the_body_or_a_field() {
        let schema = Schema::read(&json!({"properties": {"image_url": {}}}));
        let error = |reason: &str, message: &str| {
            ApiError::new(reqwest::StatusCode::BAD_REQUEST, reason, message)
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
