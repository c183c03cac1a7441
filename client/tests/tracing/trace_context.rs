//! The `tracing` feature's trace context on submissions: with OpenTelemetry under `tracing`
//! (tracing-opentelemetry) and a W3C propagator in the `trace_headers` hook, as the README
//! shows, each submission carries the `traceparent` of its `novita.submit` span, in the
//! caller's trace; polls carry none, the hook cannot replace the key, and without the hook
//! nothing is added.

use crate::common;

use common::{fast_retry, task_body};
use novita_video::{types::Wan27T2vRequest, NovitaClient};
use opentelemetry::{
    propagation::TextMapPropagator,
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_http::HeaderInjector;
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider};
use serde_json::json;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::prelude::*;
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

async fn novita() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/async/wan2.7-t2v"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body(
            "TASK_STATUS_QUEUED",
            0.0,
            9.0,
        )))
        .mount(&server)
        .await;
    server
}

/// `tracing` with an OpenTelemetry layer, for this test's thread. Every test of the file sets
/// one: a test without would leave `tracing`'s cached interest in the client's spans unsettled.
fn with_opentelemetry() -> tracing::subscriber::DefaultGuard {
    let provider = SdkTracerProvider::builder().build();
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
        .set_default()
}

fn builder(server: &MockServer) -> novita_video::ClientBuilder {
    NovitaClient::builder()
        .api_key("sk-key")
        .base_url(server.uri())
        .submit_retry(fast_retry(3))
}

fn request() -> Wan27T2vRequest {
    Wan27T2vRequest::builder()
        .prompt("a traced fox")
        .try_into()
        .unwrap()
}

/// The `traceparent` and `Authorization` each request to `path` carried.
async fn sent(server: &MockServer, to: &str) -> Vec<(Option<String>, String)> {
    let header = |r: &wiremock::Request, name: &str| {
        r.headers.get(name).map(|v| v.to_str().unwrap().to_string())
    };
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.url.path() == to)
        .map(|r| {
            (
                header(r, "traceparent"),
                header(r, "authorization").unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_submission_carries_the_traceparent_of_its_span_in_the_callers_trace() {
    let _guard = with_opentelemetry();
    let server = novita().await;
    let client = builder(&server)
        .trace_headers(|headers| {
            let cx = tracing::Span::current().context();
            TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(headers));
        })
        .build()
        .unwrap();
    let checkout = tracing::info_span!("checkout");
    let caller = checkout.context().span().span_context().clone();
    assert!(caller.is_valid());
    async {
        client.submit(&request()).await.unwrap();
        client.task_result("t-1").await.unwrap();
    }
    .instrument(checkout)
    .await;

    let submissions = sent(&server, "/v3/async/wan2.7-t2v").await;
    assert_eq!(submissions.len(), 1);
    let (traceparent, authorization) = &submissions[0];
    let traceparent = traceparent.as_deref().expect("a traceparent");
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(parts[0], "00");
    assert_eq!(
        parts[1],
        caller.trace_id().to_string(),
        "the caller's trace"
    );
    assert_ne!(
        parts[2],
        caller.span_id().to_string(),
        "the parent is the client's novita.submit span, a child of the caller's"
    );
    assert_eq!(authorization, "Bearer sk-key");
    let polls = sent(&server, "/v3/async/task-result").await;
    assert_eq!(polls.len(), 1);
    assert_eq!(polls[0].0, None, "a poll carries no trace context");
}

#[tokio::test]
async fn the_hook_cannot_replace_a_header_the_request_has() {
    let _guard = with_opentelemetry();
    let server = novita().await;
    let client = builder(&server)
        .trace_headers(|headers| {
            headers.insert("authorization", "Bearer not-the-key".parse().unwrap());
            headers.insert(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                    .parse()
                    .unwrap(),
            );
        })
        .build()
        .unwrap();
    client.submit(&request()).await.unwrap();
    let submissions = sent(&server, "/v3/async/wan2.7-t2v").await;
    assert_eq!(
        submissions,
        [(
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string()),
            "Bearer sk-key".to_string()
        )]
    );
}

#[tokio::test]
async fn without_the_hook_a_submission_carries_no_trace_context() {
    let _guard = with_opentelemetry();
    let server = novita().await;
    let client = builder(&server).build().unwrap();
    client
        .submit(&request())
        .instrument(tracing::info_span!("checkout"))
        .await
        .unwrap();
    assert_eq!(
        sent(&server, "/v3/async/wan2.7-t2v").await,
        [(None, "Bearer sk-key".to_string())]
    );
}
