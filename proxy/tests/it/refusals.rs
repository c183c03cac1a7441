//! What the proxy refuses rather than forwards: settings that would break every request (an
//! upstream URL with a query, a timeout past a day) and requests that name no resource of the
//! upstream (`OPTIONS *`, `CONNECT`).

use novita_proxy::{ContractProxy, ProxyOptions};
use wiremock::MockServer;

async fn proxy_in_front_of(upstream: &str) -> ContractProxy {
    let options = ProxyOptions {
        upstream: upstream.to_string(),
        ..ProxyOptions::default()
    };
    ContractProxy::start(options, false)
        .await
        .expect("the proxy starts")
}

#[tokio::test]
async fn an_upstream_url_with_a_query_or_fragment_is_refused() {
    for upstream in [
        "https://api.novita.ai/?region=eu",
        "https://api.novita.ai/#x",
        "ftp://api.novita.ai",
    ] {
        let options = ProxyOptions {
            upstream: upstream.into(),
            ..ProxyOptions::default()
        };
        let refused = ContractProxy::start(options, false).await.err();
        assert!(
            refused.as_deref().is_some_and(|e| e.contains(upstream)),
            "{upstream}: {refused:?}"
        );
    }
}

/// Sends `head` (a whole request without a body) to `url`'s port over plain TCP; returns what
/// came back.
async fn raw_request(url: &str, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = url.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = socket.read(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer[..read]).into_owned()
}

#[tokio::test]
async fn options_star_and_connect_are_answered_by_the_proxy_not_forwarded() {
    let upstream = MockServer::start().await;
    let proxy = proxy_in_front_of(&upstream.uri()).await;
    for (head, status, says) in [
        (
            "OPTIONS * HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n",
            "405",
            "OPTIONS *",
        ),
        (
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
            "405",
            "CONNECT",
        ),
    ] {
        let answer = raw_request(proxy.url(), head).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{head:?}: {answer}"
        );
        assert!(
            answer.contains("METHOD_NOT_ALLOWED") && answer.contains(says),
            "{answer}"
        );
    }
    assert!(upstream.received_requests().await.unwrap().is_empty());
    let report = proxy.contract().report();
    assert_eq!(
        (
            report.exchanges,
            report.drift.len(),
            report.upstream_failures.len()
        ),
        (0, 0, 0),
        "{report:?}"
    );
}

#[tokio::test]
async fn an_upstream_timeout_past_a_day_is_refused() {
    // i64::MAX seconds made every request panic: a deadline past what an Instant holds.
    for seconds in [86_401, i64::MAX as u64, u64::MAX] {
        let options = ProxyOptions {
            upstream: "http://127.0.0.1:9".into(),
            upstream_timeout: std::time::Duration::from_secs(seconds),
            ..ProxyOptions::default()
        };
        let refused = ContractProxy::start(options, false).await.err();
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("at most 86400")),
            "{seconds}: {refused:?}"
        );
    }
}
