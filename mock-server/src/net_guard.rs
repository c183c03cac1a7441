//! Keeps webhook deliveries (and image fetches) from being turned against the network around
//! the mock: by default it will not connect to a link-local address (169.254.0.0/16,
//! fe80::/10, where cloud metadata services answer) or an unspecified one (0.0.0.0, ::).
//! Names are checked as they resolve, inside the HTTP client, so the address checked is the
//! address connected to; IP literals, which skip resolution, are checked before sending, and
//! again at every redirect hop. Webhook deliveries follow no redirect at all: a receiver
//! answers its own deliveries, and a 3xx counts as a failed attempt like any other non-2xx.

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why the mock refuses to connect to `ip`, if it does.
pub fn refusal(ip: IpAddr) -> Option<&'static str> {
    let ip = ip.to_canonical();
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    let link_local = match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    };
    link_local.then_some("a link-local address (where cloud metadata services answer)")
}

/// A refused target: the error a delivery attempt records.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub host: String,
    pub ip: IpAddr,
    pub why: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refused: {} is {} {}; start the mock with --allow-link-local-webhooks to allow it",
            self.host, self.why, self.ip
        )
    }
}

impl std::error::Error for Refused {}

fn check(host: &str, ip: IpAddr) -> Result<(), Refused> {
    match refusal(ip) {
        Some(why) => Err(Refused {
            host: host.to_string(),
            ip,
            why,
        }),
        None => Ok(()),
    }
}

/// Checks a URL whose host is an IP literal (those never reach the resolver).
pub fn check_url(url: &str) -> Result<(), Refused> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Ok(()); // the HTTP client reports a bad URL itself
    };
    let ip = match parsed.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    check(parsed.host_str().unwrap_or_default(), ip)
}

/// The first refused error in an error's chain, if the guard is why it failed.
pub fn find_refusal(error: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.clone());
        }
        source = e.source();
    }
    None
}

/// The innermost cause of a transport error ("connection refused", ...).
pub fn describe(error: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}

/// The system resolver, refusing names that resolve to an address the guard refuses.
#[derive(Debug, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &addrs {
                check(&host, addr.ip())?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Redirect hops an input-media fetch follows at most.
pub const MAX_REDIRECTS: usize = 5;

/// The mock's outgoing HTTP (webhooks, input images): no proxy from the environment and,
/// unless link-local targets are allowed, the guard on every request. Requests can only be
/// made through [`Outbound::get`] and [`Outbound::post`], which check IP literals before
/// anything is sent; host names are checked by the client's resolver.
pub struct Outbound {
    /// Input-media fetches: redirects followed, each hop checked.
    fetches: reqwest::Client,
    /// Webhook deliveries: no redirect followed.
    deliveries: reqwest::Client,
    guarded: bool,
    trust: Trust,
}

/// Follows up to [`MAX_REDIRECTS`] hops, refusing (when `guarded`) any hop whose IP literal the
/// guard refuses; a hop to a name is checked by the resolver when it connects.
fn checked_redirects(guarded: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        match check_url(attempt.url().as_str()) {
            Err(refused) if guarded => attempt.error(refused),
            _ => attempt.follow(),
        }
    })
}

/// Which certificate authorities the mock's `https://` requests (webhooks, image fetches)
/// trust: the system's when it has any, else the Mozilla roots built into the binary, so that
/// the mock starts on `scratch` or distroless images and on runners without a CA bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The system's CA certificates, through the platform verifier (`SSL_CERT_FILE` and
    /// `SSL_CERT_DIR` point it elsewhere).
    System,
    /// No system certificate was found: the Mozilla root set of `webpki-root-certs`.
    Bundled,
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Trust::System => "the system's CA certificates",
            Trust::Bundled => {
                "the Mozilla roots built into the mock (no system CA certificates were found)"
            }
        })
    }
}

/// The Mozilla root set compiled into the binary.
fn bundled_roots() -> Vec<reqwest::Certificate> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
        .collect()
}

impl Outbound {
    /// Builds both clients. Fails (a message, never a panic) only if the HTTP client cannot be
    /// built even with the bundled roots.
    pub fn new(allow_link_local: bool) -> Result<Self, String> {
        let client = |redirects: reqwest::redirect::Policy, trust: Trust| {
            // rustls by name: a build that also has reqwest's native-tls (the client crate's
            // feature, unified in a workspace build) would otherwise pick OpenSSL, which never
            // falls back to the bundled roots.
            let builder = reqwest::Client::builder()
                .tls_backend_rustls()
                .user_agent(concat!("novita-mock/", env!("CARGO_PKG_VERSION")))
                .redirect(redirects)
                .no_proxy();
            let builder = if allow_link_local {
                builder
            } else {
                builder.dns_resolver(Arc::new(GuardedResolver))
            };
            match trust {
                Trust::System => builder.build(),
                Trust::Bundled => builder.tls_certs_only(bundled_roots()).build(),
            }
        };
        let both = |trust: Trust| -> Result<Self, reqwest::Error> {
            Ok(Outbound {
                fetches: client(checked_redirects(!allow_link_local), trust)?,
                deliveries: client(reqwest::redirect::Policy::none(), trust)?,
                guarded: !allow_link_local,
                trust,
            })
        };
        both(Trust::System)
            .or_else(|_| both(Trust::Bundled))
            .map_err(|e| format!("cannot set up outgoing HTTP (webhooks, image fetches): {e}"))
    }

    /// Which roots `https://` requests are verified against.
    pub fn trust(&self) -> Trust {
        self.trust
    }

    fn check(&self, url: &str) -> Result<(), Refused> {
        if self.guarded {
            check_url(url)
        } else {
            Ok(())
        }
    }

    /// A fetch of input media.
    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        self.check(url).map(|()| self.fetches.get(url))
    }

    /// A webhook delivery.
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, Refused> {
        self.check(url).map(|()| self.deliveries.post(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn link_local_and_unspecified_addresses_are_refused() {
        for refused in [
            "169.254.169.254",
            "169.254.0.1",
            "0.0.0.0",
            "::",
            "fe80::1",
            "febf::1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
        ] {
            assert!(refusal(ip(refused)).is_some(), "{refused}");
        }
        for allowed in [
            "127.0.0.1",
            "::1",
            "10.0.0.1",
            "192.168.1.10",
            "169.253.255.255",
            "169.255.0.1",
            "fec0::1",
            "2001:db8::1",
        ] {
            assert!(refusal(ip(allowed)).is_none(), "{allowed}");
        }
    }

    #[test]
    fn literal_urls_are_checked_without_resolving() {
        let refused = check_url("http://169.254.169.254/latest/meta-data").unwrap_err();
        assert_eq!(refused.ip, ip("169.254.169.254"));
        assert!(refused.to_string().contains("--allow-link-local-webhooks"));
        assert!(check_url("http://[fe80::1]:8080/hook").is_err());
        assert!(check_url("http://0.0.0.0:9/hook").is_err());
        assert!(check_url("http://127.0.0.1:9/hook").is_ok());
        assert!(
            check_url("http://receiver.test/hook").is_ok(),
            "names go to the resolver"
        );
    }

    #[tokio::test]
    async fn the_resolver_passes_loopback_names() {
        let addrs: Vec<_> = GuardedResolver
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty(), "localhost resolves");
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    /// A server that answers every request with a redirect to `location`.
    async fn redirecting_to(location: &str) -> wiremock::MockServer {
        use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(307).insert_header("location", location))
            .mount(&server)
            .await;
        server
    }

    async fn answering_ok() -> wiremock::MockServer {
        use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .mount(&server)
            .await;
        server
    }

    #[tokio::test]
    async fn a_fetch_redirected_to_a_refused_address_is_refused_before_it_is_sent() {
        let target = answering_ok().await;
        // Linux connects 0.0.0.0 to this host: without the check the redirect reaches `target`.
        let hidden = format!("http://0.0.0.0:{}/x.png", target.address().port());
        let redirector = redirecting_to(&hidden).await;
        let http = Outbound::new(false).unwrap();
        let error = http
            .get(&format!("{}/x.png", redirector.uri()))
            .unwrap()
            .send()
            .await
            .expect_err("the redirect is refused");
        let refused = find_refusal(&error).expect("refused by the guard");
        assert_eq!(refused.ip, ip("0.0.0.0"));
        assert!(target.received_requests().await.unwrap().is_empty());

        // A redirect to an allowed address is followed.
        let allowed = format!("http://127.0.0.1:{}/x.png", target.address().port());
        let redirector = redirecting_to(&allowed).await;
        let answer = http.get(&redirector.uri()).unwrap().send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(target.received_requests().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn deliveries_follow_no_redirect() {
        let target = answering_ok().await;
        let hidden = format!("http://0.0.0.0:{}/hook", target.address().port());
        let redirector = redirecting_to(&hidden).await;
        let answer = Outbound::new(false)
            .unwrap()
            .post(&redirector.uri())
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            307,
            "the receiver's own answer, not followed"
        );
        assert!(target.received_requests().await.unwrap().is_empty());
    }

    #[test]
    fn a_refusal_is_found_in_an_error_chain() {
        let refused = Refused {
            host: "metadata".into(),
            ip: ip("169.254.169.254"),
            why: "a link-local address",
        };
        #[derive(Debug)]
        struct Connect(Box<dyn std::error::Error + Send + Sync>);
        impl fmt::Display for Connect {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("dns error")
            }
        }
        impl std::error::Error for Connect {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&*self.0)
            }
        }
        let wrapped = Connect(Box::new(refused.clone()));
        assert_eq!(find_refusal(&wrapped), Some(refused));
        assert_eq!(find_refusal(&std::io::Error::other("timed out")), None);
    }
}
