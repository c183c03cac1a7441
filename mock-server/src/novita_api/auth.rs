//! Who is asking: the API key of a request, checked against the configured keys.

use axum::http::HeaderValue;

use crate::{novita_error::NovitaError, state::AppState};

/// The API key of a request: `Authorization: Bearer <key>` or a bare `<key>` (the official JS
/// SDK sends the bare form); `authorization` is the header's first value.
pub fn authenticate<'h>(
    state: &AppState,
    authorization: Option<&'h HeaderValue>,
) -> Result<&'h str, NovitaError> {
    let raw = authorization
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        // Visible ASCII, spaces and tabs (`to_str`): no other whitespace `trim` would take.
        .trim_ascii();
    // By byte: `split_once(' ')` sets up a char searcher for a short value.
    let split = raw.bytes().position(|b| b == b' ');
    let key = match split.map(|at| (&raw[..at], &raw[at + 1..])) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim_ascii(),
        // "Bearer " arrives as "Bearer": HTTP strips the trailing space.
        None if raw.eq_ignore_ascii_case("bearer") => "",
        _ => raw,
    };
    if key.is_empty() {
        return Err(NovitaError::missing_api_key());
    }
    let keys = &state.config.api_keys;
    if !keys.is_empty() && !keys.iter().any(|k| k == key) {
        return Err(NovitaError::invalid_api_key());
    }
    Ok(key)
}
