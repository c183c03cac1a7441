//! The TLS backend of the client's own HTTP clients, chosen by the crate's features: `rustls`
//! (the default) or `native-tls` (the platform's: OpenSSL on Linux, Secure Transport on macOS,
//! SChannel on Windows). With both on, `native-tls` is used: it is only ever asked for on
//! purpose. A client passed in with [`crate::ClientBuilder::http_client`] keeps its own.

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
compile_error!(
    "novita-video needs a TLS backend: enable its feature `rustls` (the default) or \
     `native-tls` (with `default-features = false`, add `features = [\"native-tls\"]`)"
);

/// `builder` set to the backend the features name, whatever else enabled in `reqwest`.
pub(crate) fn backend(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_backend_native();
    #[cfg(all(feature = "rustls", not(feature = "native-tls")))]
    let builder = builder.tls_backend_rustls();
    builder
}
