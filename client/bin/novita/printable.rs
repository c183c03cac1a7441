//! Text from a server, made safe to print on a terminal: a task id, a reason or a message can
//! carry escape sequences (that move the cursor, retitle the window or hide what follows),
//! newlines that forge extra lines, and invisible or bidirectional formatting characters.

/// `text` with every control and invisible formatting character written as its escape
/// (`\u{1b}`), so that what is printed is one line that shows what came.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) {
            shown.extend(c.escape_unicode());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// Control characters, zero-width characters, bidirectional overrides and isolates, BOM.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_newlines_and_terminal_sequences_and_keeps_the_rest() {
        assert_eq!(printable("t-1\n\u{1b}[2Jdone"), "t-1\\u{a}\\u{1b}[2Jdone");
        assert_eq!(printable("plain text, é"), "plain text, é");
        assert_eq!(printable("a\u{202e}b"), "a\\u{202e}b");
    }
}
