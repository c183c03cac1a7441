//! Keeps web pages away from a mock that has no control token (the default on loopback). A
//! browser lets any site send a "simple" cross-origin POST (`text/plain`, no preflight) to
//! `http://127.0.0.1:8080/_mock/reset`, and a site whose name is rebound to 127.0.0.1 (DNS
//! rebinding) can even read the answers. So, without the token, the control API answers only
//! requests whose `Host` is the mock's own name and whose `Origin`, when a browser sends one,
//! is too. Programs (curl, test suites, the client) send no `Origin` and a loopback `Host`, and
//! are not affected.
//!
//! The same rule keeps rebound pages away from Novita's routes (a page could otherwise fill the
//! store, steer outcomes, and make the mock send webhooks and fetch images at internal
//! addresses) and, by `Host` only, from the video links: [`guard`] and [`host_guard`].

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
};

use std::net::IpAddr;

use crate::{novita_error::NovitaError, state::AppState};

/// What names the mock: the address it listens on and the base URL it hands out.
pub struct Own<'a> {
    pub listening: IpAddr,
    pub public_url: &'a str,
}

impl<'a> Own<'a> {
    pub fn of(state: &'a AppState) -> Self {
        Own {
            listening: state.config.addr.ip(),
            public_url: &state.public_url,
        }
    }
}

/// Middleware of Novita's routes: without a control token, refuses what a page of another
/// site could have sent (a foreign `Host` or `Origin`). With a token the mock is meant to be
/// reached by other names, and these routes stay open as Novita's are.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    refuse_unless_token(&state, request, next, foreign).await
}

/// Middleware of the video links: like [`guard`] but by `Host` alone, since a page may embed a
/// video from the mock (the browser then sends its own `Origin`) but not reach it by a rebound
/// name.
pub async fn host_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    refuse_unless_token(&state, request, next, foreign_host).await
}

async fn refuse_unless_token(
    state: &AppState,
    request: Request,
    next: Next,
    rule: fn(&Own<'_>, &HeaderMap) -> Option<NovitaError>,
) -> Response {
    if let Some(refusal) = refusal(state, request.headers(), rule) {
        return refusal.into_response();
    }
    next.run(request).await
}

/// [`guard`]'s refusal of a request to Novita's routes with these `Host` and `Origin` values
/// (the first of each), if it is one: for the app, which answers those routes without the
/// router and finds the headers it needs in one walk.
pub fn novita_refusal(
    state: &AppState,
    host: Option<&HeaderValue>,
    origin: Option<&HeaderValue>,
) -> Option<NovitaError> {
    if state.config.control_token.is_some() {
        return None;
    }
    foreign_of(&Own::of(state), host, origin)
}

fn refusal(
    state: &AppState,
    headers: &HeaderMap,
    rule: fn(&Own<'_>, &HeaderMap) -> Option<NovitaError>,
) -> Option<NovitaError> {
    if state.config.control_token.is_some() {
        return None;
    }
    rule(&Own::of(state), headers)
}

/// The refusal for a request whose `Host` is not one of the mock's names, if it is one.
pub fn foreign_host(own: &Own<'_>, headers: &HeaderMap) -> Option<NovitaError> {
    foreign_host_of(own, headers.get(header::HOST))
}

fn foreign_host_of(own: &Own<'_>, host: Option<&HeaderValue>) -> Option<NovitaError> {
    // Without a Host header (HTTP/1.0, or HTTP/2's :authority elsewhere) there is no name a
    // rebinding attack could have used.
    let host = host?;
    // What local clients send nearly always, known before the value is read as text.
    let name = host.as_bytes().split(|&b| b == b':').next();
    if name.is_some_and(|name| name == b"127.0.0.1" || name == b"localhost") {
        return None;
    }
    let text = host.to_str().unwrap_or_default();
    (!is_own(own, host_of_authority(text))).then(|| NovitaError::foreign_origin("Host", text))
}

/// The refusal for a request that a page of another site could have made, if it is one.
pub fn foreign(own: &Own<'_>, headers: &HeaderMap) -> Option<NovitaError> {
    foreign_of(own, headers.get(header::HOST), headers.get(header::ORIGIN))
}

/// [`foreign`] of the first `Host` and `Origin` values.
fn foreign_of(
    own: &Own<'_>,
    host: Option<&HeaderValue>,
    origin: Option<&HeaderValue>,
) -> Option<NovitaError> {
    if let Some(refusal) = foreign_host_of(own, host) {
        return Some(refusal);
    }
    let origin = origin?;
    let text = origin.to_str().unwrap_or_default();
    let own = url::Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .and_then(|url| {
            url.host_str()
                .map(|h| is_own(own, h.trim_matches(['[', ']'])))
        });
    (own != Some(true)).then(|| NovitaError::foreign_origin("Origin", text))
}

/// The host part of `host[:port]` or `[v6]:port`, without brackets.
fn host_of_authority(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default();
    }
    // By byte: `split(':')` sets up a char searcher for a name of a dozen bytes.
    let colon = authority.bytes().position(|b| b == b':');
    colon.map_or(authority, |at| &authority[..at])
}

/// Whether `host` names this mock: a loopback name or address, the address it listens on, or
/// the host of its public URL. The usual names (a loopback address or `localhost`) are known
/// without parsing the public URL, and nothing is allocated.
fn is_own(own: &Own<'_>, host: &str) -> bool {
    let host = host.trim_end_matches('.');
    const SUFFIX: &[u8] = b".localhost";
    let bytes = host.as_bytes();
    // RFC 6761: these names are loopback and never go to DNS.
    if host.eq_ignore_ascii_case("localhost")
        || bytes.len() >= SUFFIX.len()
            && bytes[bytes.len() - SUFFIX.len()..].eq_ignore_ascii_case(SUFFIX)
    {
        return true;
    }
    // Addresses are read in either case (IPv6's hex digits).
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        let ip = ip.to_canonical();
        if ip.is_loopback() || (ip == own.listening && !ip.is_unspecified()) {
            return true;
        }
    }
    let public = url::Url::parse(own.public_url).ok();
    let public_host = public.as_ref().and_then(|url| url.host_str());
    public_host.is_some_and(|public| public.trim_matches(['[', ']']).eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(public_url: &str) -> Own<'_> {
        Own {
            listening: crate::Config::for_tests().addr.ip(),
            public_url,
        }
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn loopback_names_and_the_public_host_are_the_mocks_own() {
        let state = own("http://mock.qa.internal:9000");
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "app.localhost:3000",
            "[::1]:8080",
            "127.8.9.10",
            "mock.qa.internal:9000",
        ] {
            let origin = format!("http://{host}");
            let h = headers(&[(header::HOST, host), (header::ORIGIN, &origin)]);
            assert!(foreign(&state, &h).is_none(), "{host}");
        }
        assert!(
            foreign(&state, &HeaderMap::new()).is_none(),
            "no Host, no Origin"
        );
    }

    #[test]
    fn an_address_in_the_public_url_and_names_in_any_case_are_own() {
        let state = own("http://10.0.0.5:9000");
        for host in [
            "10.0.0.5:9000",
            "LocalHost.",
            "APP.LOCALHOST:3000",
            "[::FFFF:7F00:1]:8080",
        ] {
            let h = headers(&[(header::HOST, host)]);
            assert!(foreign(&state, &h).is_none(), "{host}");
        }
        for host in ["10.0.0.6:9000", "localhost.evil", "xlocalhost"] {
            let h = headers(&[(header::HOST, host)]);
            assert!(foreign(&state, &h).is_some(), "{host}");
        }
    }

    #[test]
    fn other_sites_and_rebound_names_are_refused() {
        let state = own("http://127.0.0.1:8080");
        let refused = [
            headers(&[(header::HOST, "evil.example:8080")]),
            headers(&[(header::HOST, "localhost.evil.example")]),
            headers(&[
                (header::HOST, "127.0.0.1:8080"),
                (header::ORIGIN, "https://evil.example"),
            ]),
            headers(&[(header::HOST, "127.0.0.1:8080"), (header::ORIGIN, "null")]),
            headers(&[
                (header::HOST, "127.0.0.1:8080"),
                (header::ORIGIN, "file://"),
            ]),
            headers(&[(header::HOST, "10.0.0.5:8080")]),
        ];
        for h in refused {
            let error = foreign(&state, &h).expect("refused");
            assert!(format!("{error:?}").contains("FOREIGN_ORIGIN"), "{h:?}");
        }
    }
}
