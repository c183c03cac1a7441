//! The rules every request of a [`crate::NovitaClient`] is sent under, put on each request
//! rather than into an HTTP client's settings, so that they hold the same on the client's own
//! `reqwest::Client` and on one passed in with [`crate::ClientBuilder::http_client`]: the key,
//! the `User-Agent` and, for API requests, the time limit.
//!
//! The key is never a default header of any client: a passed-in client is shared with the rest
//! of a service, and what it carries goes to every host that service talks to.

use std::{fmt, time::Duration};

use reqwest::{
    header::{HeaderValue, AUTHORIZATION, USER_AGENT},
    RequestBuilder, Url,
};

use crate::secret::REDACTED;

/// What each request carries whatever client sends it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RequestRules {
    /// `Bearer <key>`, marked sensitive so that no `Debug` of a request shows it.
    auth: HeaderValue,
    user_agent: HeaderValue,
    /// The limit of one whole API request, from connecting to the answer's last byte.
    pub timeout: Duration,
}

impl fmt::Debug for RequestRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestRules")
            .field("auth", &REDACTED)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RequestRules {
    /// The rules for `key`, or a message saying which value a header cannot carry.
    pub fn new(key: &str, user_agent: &str, timeout: Duration) -> Result<Self, String> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| "the API key has characters a header cannot carry".to_string())?;
        auth.set_sensitive(true);
        let user_agent = HeaderValue::from_str(user_agent)
            .map_err(|_| "the user agent has characters a header cannot carry".to_string())?;
        Ok(RequestRules {
            auth,
            user_agent,
            timeout,
        })
    }

    /// An API request with the key, the `User-Agent` and the time limit, whatever defaults the
    /// client that sends it has (its own total timeout included: this one replaces it).
    pub fn apply(&self, request: &mut reqwest::Request) {
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, self.auth.clone());
        headers.insert(USER_AGENT, self.user_agent.clone());
        *request.timeout_mut() = Some(self.timeout);
    }

    /// [`RequestRules::apply`] on a request still being built.
    pub fn api_request(&self, request: RequestBuilder) -> RequestBuilder {
        request
            .header(AUTHORIZATION, self.auth.clone())
            .header(USER_AGENT, self.user_agent.clone())
            .timeout(self.timeout)
    }

    /// A download: the `User-Agent` only. Result links are pre-signed and must not carry the
    /// key, and a download is bound by its silence, not by a total time.
    pub fn download(&self, request: RequestBuilder) -> RequestBuilder {
        request.header(USER_AGENT, self.user_agent.clone())
    }
}

/// The URL an answer came from when it is not the one asked: the client that sent the request
/// followed a redirect (a passed-in client may; the client's own never does).
pub(crate) fn followed_redirect(asked: &Url, answered: &Url) -> Option<String> {
    (asked != answered).then(|| crate::shown::without_query(answered.as_str()))
}
