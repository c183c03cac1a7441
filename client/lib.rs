//! A client for Novita AI's asynchronous Wan video-generation API.
//!
//! The request and response types, and a request builder for every endpoint, are generated at
//! build time by progenitor from `openapi/novita.yaml` ([`generated`], re-exported as [`types`]).
//! [`NovitaClient`] adds what a production service needs on top:
//!
//! - bodies checked against the spec's documented rules before anything is sent;
//! - one error type, [`Error`], that keeps the HTTP status, Novita's `reason`/`message` and the
//!   task id;
//! - retries that never create a second paid task ([`NovitaClient::submit`]), a `Retry-After`
//!   waited for only up to [`ClientBuilder::max_retry_after`], and no redirect followed;
//! - answers read within [`ClientBuilder::max_answer_bytes`], and none that makes it panic;
//! - [`NovitaClient::watch`], a stream of a task's progress paced by its `eta` and
//!   `progress_percent`, and [`NovitaClient::wait`] on top of it;
//! - streaming downloads, webhook parsing ([`parse_webhook`]) and trust: a webhook is confirmed
//!   by fetching its task with the client's own key ([`NovitaClient::confirm_webhook`]), and,
//!   with the `receiver` feature, an axum handler that does it all ([`receiver`]);
//! - [`NovitaClient::probe`], which sends a body unchecked, to ask a service whether it serves
//!   an operation (`novita endpoints --probe`);
//! - the service's own `reqwest::Client` ([`ClientBuilder::http_client`]) under the same
//!   rules, and the TLS backend as a feature: `rustls` (the default) or `native-tls`.

// On docs.rs (nightly), each item behind a feature is marked with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod client;
mod confirm;
mod download;
mod error;
mod lenient_types;
mod media;
mod observe;
mod operations;
mod probe;
#[cfg(feature = "receiver")]
pub mod receiver;
mod retry;
mod rules;
mod secret;
mod shown;
#[doc(hidden)]
pub mod spec_rules;
mod submit;
mod task_result;
mod tls;
mod trace;
mod validate;
mod wait;
mod watch;
mod webhook;

/// The client progenitor generated from `openapi/novita.yaml`.
#[allow(clippy::all, missing_docs, unused)]
pub mod generated {
    include!("generated/codegen.rs");
}

pub use builder::{
    ClientBuilder, API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DOWNLOAD_IDLE_TIMEOUT, DEFAULT_MAX_RETRY_AFTER, DEFAULT_TIMEOUT,
};
pub use client::NovitaClient;
pub use error::{ApiError, Error, Violation, DOWNLOAD_BODY_START_LIMIT};
/// The request and response types of the spec. The request of a retired operation is a
/// deprecated alias, so code that still builds one is warned at compile time.
pub mod types {
    include!("generated/types.rs");
}
pub use confirm::{WebhookRefusal, WEBHOOK_BODY_LIMIT};
pub use lenient_types::{LooseNumber, NumericString, TaskStatus};
pub use observe::{AnswerLimits, DEFAULT_MAX_ANSWER_BYTES};
pub use operations::{CheckedBody, SubmitOperation};
pub use probe::{ProbeAnswer, PROBE_BODY_LIMIT};
pub use retry::{RetryNotice, RetryPolicy};
pub use submit::SubmitRequest;
pub use wait::WaitOptions;
pub use watch::{TaskUpdate, WaitProgress, WatchOptions, MAX_ETA};
pub use webhook::{parse_webhook, WebhookNotification, ASYNC_TASK_RESULT};

/// Compiles the Rust examples of README.md, so that they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;

/// The same for client/README.md (progress, webhooks, traces, secrets).
#[cfg(all(doctest, feature = "receiver"))]
#[doc = include_str!("README.md")]
struct ClientManualExamples;
