//! The TLS features: a task result read over HTTPS from a loopback server whose certificate a
//! certificate authority made for the test signs, through a passed-in client of each backend
//! the crate's features compiled in (`rustls`, `native-tls`, or both). The crate's own client
//! speaks TLS too: it refuses that server's certificate, which no root it trusts signs, as a
//! typed transport error. `.ci/tls-features` runs this file with `native-tls` alone.

use crate::common;

use std::{net::Ipv4Addr, sync::Arc};

use common::{task_body, KEY};
use novita_video::{Error, NovitaClient};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer},
    },
    TlsAcceptor,
};

/// An HTTPS server on loopback that answers every request with a queued task's result, and
/// the PEM of the authority that signed its certificate (for `127.0.0.1` and `localhost`).
async fn https_server() -> (String, String) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "novita-video test authority");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let authority = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &authority).unwrap();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone(), authority.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to answer.
                let Ok(mut stream) = acceptor.accept(socket).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let body = task_body("TASK_STATUS_QUEUED", 0.0, 10.0).to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (url, authority.pem())
}

/// Reads a task result from the HTTPS server through `http`, which trusts its authority.
async fn read_over_https(url: &str, http: reqwest::Client) {
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(url)
        .http_client(http)
        .build()
        .unwrap();
    let result = client.task_result_once("t-1").await.unwrap();
    assert_eq!(result.task.unwrap().task_id.as_deref(), Some("t-1"));
}

fn trusting(authority: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(authority.as_bytes()).unwrap()])
}

#[cfg(feature = "rustls")]
#[tokio::test]
async fn a_passed_in_rustls_client_reads_a_result_over_https() {
    let (url, authority) = https_server().await;
    let http = trusting(&authority).tls_backend_rustls().build().unwrap();
    read_over_https(&url, http).await;
}

#[cfg(feature = "native-tls")]
#[tokio::test]
async fn a_passed_in_native_tls_client_reads_a_result_over_https() {
    let (url, authority) = https_server().await;
    let http = trusting(&authority).tls_backend_native().build().unwrap();
    read_over_https(&url, http).await;
}

#[tokio::test]
async fn the_crates_own_client_speaks_tls_and_refuses_a_certificate_it_cannot_trust() {
    let (url, _) = https_server().await;
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(&url)
        .build()
        .unwrap();
    let error = client.task_result_once("t-1").await.unwrap_err();
    let Error::Transport { source, .. } = &error else {
        panic!("expected a transport error, got {error:?}");
    };
    assert!(source.is_connect(), "the handshake failed: {source:?}");
    let mut chain = format!("{source:?}");
    let mut cause = std::error::Error::source(source);
    while let Some(inner) = cause {
        chain.push_str(&format!(" / {inner}"));
        cause = inner.source();
    }
    let chain = chain.to_lowercase();
    assert!(
        chain.contains("certificate") || chain.contains("issuer"),
        "a certificate error, not a plain-HTTP one: {chain}"
    );
}
