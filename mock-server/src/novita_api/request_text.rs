//! What a task keeps of its request body: the text as received, except the payloads of large
//! inline media (`data:` URIs), which are replaced by their length. The payload has been read
//! at submission (to check it and to work out the video's frame); keeping a 30 MB image in
//! every task, and echoing it in every poll's `debug_info.request_info`, would let a few such
//! requests fill the task store's byte budget and push every other task out.

use std::borrow::Cow;

/// Inline payloads up to this many characters are kept as they are.
pub const KEPT_PAYLOAD: usize = 256;

/// `body` as the task keeps it: valid JSON stays valid JSON (only string contents change).
pub fn kept(body: &[u8]) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(body);
    if !text.contains("data:") {
        return text;
    }
    Cow::Owned(elide_payloads(&text))
}

fn elide_payloads(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(64 * 1024));
    let mut rest = text;
    while let Some(found) = rest.find("\"data:") {
        let (before, from_quote) = rest.split_at(found + 1);
        out.push_str(before);
        // A quote right after a backslash is inside a string, not the start of one.
        let opens_string = !before[..found].ends_with('\\');
        // The payload starts after ";base64," (within the media type's few dozen characters)
        // and runs to the string's closing quote; base64 has no quote or backslash-quote.
        let header_end = from_quote
            .get(..from_quote.len().min(200))
            .and_then(|head| head.find(";base64,"))
            .map(|at| at + ";base64,".len());
        let end = from_quote.find('"').unwrap_or(from_quote.len());
        match header_end {
            Some(start)
                if opens_string
                    && start <= end
                    && end - start > KEPT_PAYLOAD
                    && !from_quote[..end].ends_with('\\') =>
            {
                out.push_str(&from_quote[..start]);
                out.push('[');
                out.push_str(itoa::Buffer::new().format(end - start));
                out.push_str(" characters not kept]");
            }
            _ => out.push_str(&from_quote[..end]),
        }
        rest = &from_quote[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn bodies_without_inline_media_are_kept_as_they_came() {
        let body = br#"{"prompt":"a fox", "width": 832}"#;
        assert!(matches!(kept(body), Cow::Borrowed(_)));
        assert_eq!(kept(body), r#"{"prompt":"a fox", "width": 832}"#);
    }

    #[test]
    fn large_payloads_are_replaced_by_their_length_small_ones_kept() {
        let large = format!("data:image/png;base64,{}", "QUFB".repeat(1000));
        let small = "data:image/png;base64,iVBORw0KGgo=";
        let body = json!({"image_url": large, "last_frame_url": small, "prompt": "data: \"x\""});
        let text = kept(body.to_string().as_bytes()).into_owned();
        let read: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(
            read["image_url"],
            "data:image/png;base64,[4000 characters not kept]"
        );
        assert_eq!(read["last_frame_url"], small);
        assert_eq!(read["prompt"], "data: \"x\"");
    }

    #[test]
    fn odd_shapes_stay_valid_text() {
        for body in [
            r#"{"a":"data:"#,
            r#"{"a":"data:image/png;base64,"#,
            r#"{"a":"data:image/png;base64,AAAA"}"#,
            r#""data:""data:x;base64,""#,
        ] {
            let _ = kept(body.as_bytes());
        }
        let quoted =
            json!({"prompt": format!("say \"data:image/png;base64,{}\" now", "A".repeat(300))});
        let text = kept(quoted.to_string().as_bytes()).into_owned();
        assert_eq!(
            text,
            quoted.to_string(),
            "a quote inside a string is left alone"
        );
        let unterminated = format!(r#"{{"a":"data:image/png;base64,{}"#, "A".repeat(300));
        assert!(kept(unterminated.as_bytes()).ends_with("[300 characters not kept]"));
    }
}
