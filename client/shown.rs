//! What a message may show of a URL. Below every other module: errors, traces and the client
//! all name links.

/// `url` up to its query or fragment: pre-signed links carry their signature there, and no
/// message should repeat it.
pub(crate) fn without_query(url: &str) -> String {
    match url.find(['?', '#']) {
        Some(at) => format!("{}?…", &url[..at]),
        None => url.to_string(),
    }
}
