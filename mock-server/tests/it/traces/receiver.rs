//! An OTLP/HTTP receiver inside the test: it decodes what the mock exports with
//! opentelemetry-proto's types and hands the spans on as they come.

use std::{net::SocketAddr, time::Duration};

use axum::{body::Bytes, extract::State, routing::post, Router};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::{any_value::Value as AnyValue, KeyValue},
    trace::v1::Span,
};
use prost::Message;
use tokio::sync::watch;

/// Only a mock that never exports reaches it.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// What the OTLP receiver got: the service name of each batch and its spans.
#[derive(Default, Clone)]
pub struct Received {
    pub services: Vec<String>,
    pub spans: Vec<Span>,
}

/// An OTLP/HTTP receiver on a free port: `POST /v1/traces` with a protobuf body.
pub async fn otlp_receiver() -> (SocketAddr, watch::Receiver<Received>) {
    let (tx, rx) = watch::channel(Received::default());
    async fn traces(State(tx): State<watch::Sender<Received>>, body: Bytes) -> Vec<u8> {
        let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf body");
        tx.send_modify(|received| {
            for resource_spans in request.resource_spans {
                let attributes = resource_spans.resource.map(|r| r.attributes);
                if let Some(name) = attributes.as_deref().and_then(|a| text(a, "service.name")) {
                    received.services.push(name);
                }
                for scope in resource_spans.scope_spans {
                    received.spans.extend(scope.spans);
                }
            }
        });
        ExportTraceServiceResponse::default().encode_to_vec()
    }
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, rx)
}

pub fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .map(|value| match value {
            AnyValue::StringValue(s) => s.clone(),
            AnyValue::IntValue(i) => i.to_string(),
            AnyValue::BoolValue(b) => b.to_string(),
            other => format!("{other:?}"),
        })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Waits for the receiver to hold spans that satisfy `done`.
pub async fn spans_until(
    rx: &mut watch::Receiver<Received>,
    done: impl FnMut(&Received) -> bool,
) -> Received {
    tokio::time::timeout(DEADLINE, rx.wait_for(done))
        .await
        .expect("the spans reach the OTLP receiver")
        .expect("the receiver runs")
        .clone()
}
