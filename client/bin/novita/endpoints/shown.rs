//! Text from the service made safe to show.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
