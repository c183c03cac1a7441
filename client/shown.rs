//! What a message may show of a URL. Below every other module: errors, traces and the client
//! all name links.

/// `url` up to its query or fragment, without its user information: pre-signed links carry
/// their signature in the query, and a link can carry `user:password@`; no message should
/// repeat either.
pub(crate) fn without_query(url: &str) -> String {
    let shown = match url.find(['?', '#']) {
        Some(at) => format!("{}?…", &url[..at]),
        None => url.to_string(),
    };
    without_userinfo(&shown)
}

/// `url` with `user:password@` between its `//` and its host blanked.
fn without_userinfo(url: &str) -> String {
    let Some(start) = url.find("//").map(|at| at + 2) else {
        return url.to_string();
    };
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}…@{}", &url[..start], &url[start + at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_query;

    #[test]
    fn a_shown_link_has_no_signature_and_no_password() {
        assert_eq!(
            without_query("https://user:pw@cdn.example/v.mp4?sig=abc"),
            "https://…@cdn.example/v.mp4?…"
        );
        assert_eq!(
            without_query("http://a:b@host:9/p@q"),
            "http://…@host:9/p@q"
        );
        assert_eq!(
            without_query("https://cdn.example/v.mp4"),
            "https://cdn.example/v.mp4"
        );
        assert_eq!(without_query("relative/path@x"), "relative/path@x");
    }
}
