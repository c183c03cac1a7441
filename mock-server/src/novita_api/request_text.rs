//! What a task keeps of its request body: the text as received, unless it holds very long
//! strings (inline media as `data:` URIs, or anything else a client put there). The media have
//! been read at submission (checked, and the video's frame worked out), and keeping a 30 MB
//! image in every task, echoed in every poll's `debug_info.request_info`, would let a few such
//! requests fill the task store's byte budget and push every other task out. So such a body
//! is kept re-serialized from its parsed value with each long string cut, and a body that is
//! still large after that is kept as a note of its size.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::rules::json::Json;

/// Strings up to this many bytes are kept whole: the longest documented prompt (5000
/// characters) fits, in any script.
pub const LONG_STRING: usize = 16 * 1024;
/// Bytes of request text a task keeps at most.
pub const MAX_KEPT: usize = 256 * 1024;
/// What is kept of the start of a cut string.
const KEPT_START: usize = 64;

/// `body` (parsed as `value`) as the task keeps it; always valid JSON text when `body` is.
pub fn kept<'b>(body: &'b [u8], value: &Json<'_>) -> Cow<'b, str> {
    if body.len() <= LONG_STRING || !has_long_string(value) {
        if body.len() <= MAX_KEPT {
            // Checked first: the lossy decoder walks the text far more slowly.
            return match std::str::from_utf8(body) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(body),
            };
        }
        return Cow::Owned(too_large(body.len()));
    }
    let cut = cut_long_strings(value).to_string();
    if cut.len() <= MAX_KEPT {
        Cow::Owned(cut)
    } else {
        Cow::Owned(too_large(body.len()))
    }
}

fn too_large(bytes: usize) -> String {
    format!(r#"{{"request_not_kept":"{bytes} bytes"}}"#)
}

fn has_long_string(value: &Json<'_>) -> bool {
    match value {
        Json::String(text) => text.len() > LONG_STRING,
        Json::Array(items) => items.iter().any(has_long_string),
        Json::Object(members) => members.iter().any(|(_, value)| has_long_string(value)),
        _ => false,
    }
}

fn cut_long_strings(value: &Json<'_>) -> Value {
    match value {
        Json::String(text) if text.len() > LONG_STRING => Value::String(cut(text)),
        Json::Array(items) => Value::Array(items.iter().map(cut_long_strings).collect()),
        Json::Object(members) => Value::Object(
            members
                .iter()
                .map(|(name, value)| (name.to_string(), cut_long_strings(value)))
                .collect::<Map<_, _>>(),
        ),
        other => other.to_value(),
    }
}

/// The start of `text` (a data URI's header, up to its payload) and how much was left out.
fn cut(text: &str) -> String {
    let header_end = text
        .starts_with("data:")
        .then(|| text.get(..256).unwrap_or(text).find(";base64,"))
        .flatten()
        .map(|at| at + ";base64,".len());
    let mut keep = header_end.unwrap_or(KEPT_START);
    while !text.is_char_boundary(keep) {
        keep -= 1;
    }
    format!(
        "{}[{} characters not kept]",
        &text[..keep],
        text[keep..].chars().count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keep(value: &Value) -> String {
        let text = value.to_string();
        let json: Json = serde_json::from_str(&text).unwrap();
        kept(text.as_bytes(), &json).into_owned()
    }

    #[test]
    fn bodies_without_long_strings_are_kept_as_they_came() {
        let body = br#"{"prompt":"a fox", "width": 832}"#;
        let value: Json = serde_json::from_slice(body).unwrap();
        assert!(matches!(kept(body, &value), Cow::Borrowed(_)));
        assert_eq!(kept(body, &value), r#"{"prompt":"a fox", "width": 832}"#);
        let prompt = json!({"prompt": "字".repeat(5000), "negative_prompt": "x".repeat(2000)});
        assert_eq!(
            keep(&prompt),
            prompt.to_string(),
            "documented lengths stay whole"
        );
    }

    #[test]
    fn long_strings_are_cut_wherever_they_are() {
        let image = format!("data:image/png;base64,{}", "QUFB".repeat(10_000));
        // A long media type, an escaped `;`, an unknown field: none hides a payload.
        let named = format!(
            "data:image/png;name={};base64,{}",
            "a".repeat(200),
            "QUFB".repeat(10_000)
        );
        let body = json!({
            "image_url": image,
            "input": {"img_url": named, "note": "x".repeat(40_000)},
            "list": ["y".repeat(40_000)],
            "prompt": "a fox",
        });
        let text = keep(&body);
        let read: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(
            read["image_url"],
            "data:image/png;base64,[40000 characters not kept]"
        );
        assert!(read["input"]["img_url"]
            .as_str()
            .unwrap()
            .ends_with(" characters not kept]"));
        assert_eq!(
            read["input"]["note"],
            format!("{}[39936 characters not kept]", "x".repeat(64))
        );
        assert!(read["list"][0]
            .as_str()
            .unwrap()
            .ends_with("[39936 characters not kept]"));
        assert_eq!(read["prompt"], "a fox");
        assert!(text.len() < 2000, "{}", text.len());
    }

    #[test]
    fn a_body_large_without_long_strings_is_kept_as_a_note() {
        let body = json!({"prompt": "a fox", "unknown": vec![1; 200_000]});
        let read: Value = serde_json::from_str(&keep(&body)).unwrap();
        assert_eq!(
            read["request_not_kept"],
            format!("{} bytes", body.to_string().len())
        );
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        let body = json!({"prompt": "字".repeat(10_000)});
        let read: Value = serde_json::from_str(&keep(&body)).unwrap();
        assert!(read["prompt"]
            .as_str()
            .unwrap()
            .starts_with(&"字".repeat(21)));
    }
}
