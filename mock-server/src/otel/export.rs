//! The exporter behind a bounded queue: the SDK's batch processor sends spans over OTLP/HTTP
//! (protobuf) from a thread of its own, so a slow or absent endpoint never holds up a request
//! or a webhook. A gate in front of it counts what cannot wait: at most
//! `OTEL_BSP_MAX_QUEUE_SIZE` spans between their end and their export; past that a span is
//! dropped and counted, as is every span of a batch the endpoint refused or did not take in
//! time.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use opentelemetry::{trace::TracerProvider as _, Context, KeyValue};
use opentelemetry_sdk::{
    error::OTelSdkResult,
    trace::{
        BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, Span, SpanData, SpanExporter,
        SpanProcessor,
    },
    Resource,
};

use super::{Parts, TraceCounts, Tracing};

/// Spans waiting for export when `OTEL_BSP_MAX_QUEUE_SIZE` is not set (the SDK's default).
const DEFAULT_QUEUE: usize = 2048;
/// The largest `OTEL_BSP_MAX_QUEUE_SIZE` the mock takes.
pub const MAX_QUEUE: usize = 65_536;

pub fn start() -> Result<Tracing, String> {
    let limit = queue_size()?;
    let counts = Arc::new(TraceCounts::default());
    let gate = Arc::new(Gate {
        in_flight: AtomicUsize::new(0),
        limit,
        counts: counts.clone(),
    });
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_*: cannot export traces: {e}"))?;
    let batch = BatchSpanProcessor::builder(Counted {
        inner: exporter,
        gate: gate.clone(),
    })
    .with_batch_config(
        BatchConfigBuilder::default()
            .with_max_queue_size(limit)
            .build(),
    )
    .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(Gated { inner: batch, gate })
        .with_resource(resource())
        .build();
    let tracer = provider.tracer("novita-mock");
    Ok(Tracing {
        inner: Arc::new(Parts {
            provider,
            tracer,
            counts,
        }),
    })
}

fn queue_size() -> Result<usize, String> {
    const NAME: &str = "OTEL_BSP_MAX_QUEUE_SIZE";
    match std::env::var(NAME) {
        Err(_) => Ok(DEFAULT_QUEUE),
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_QUEUE).contains(&n) => Ok(n),
            _ => Err(format!(
                "{NAME}: {text:?} is not a whole number from 1 to {MAX_QUEUE}"
            )),
        },
    }
}

/// `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` as the SDK reads them; the service is
/// `novita-mock` unless they name it.
fn resource() -> Resource {
    let named = std::env::var_os("OTEL_SERVICE_NAME").is_some()
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES")
            .is_ok_and(|attributes| attributes.contains("service.name="));
    let builder = Resource::builder();
    let builder = if named {
        builder
    } else {
        builder.with_service_name("novita-mock")
    };
    builder
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Spans between their end and the exporter, within `limit`.
#[derive(Debug)]
struct Gate {
    in_flight: AtomicUsize,
    limit: usize,
    counts: Arc<TraceCounts>,
}

/// The batch processor, entered only through the gate.
#[derive(Debug)]
struct Gated {
    inner: BatchSpanProcessor,
    gate: Arc<Gate>,
}

impl SpanProcessor for Gated {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        if self.gate.in_flight.fetch_add(1, Ordering::AcqRel) >= self.gate.limit {
            self.gate.in_flight.fetch_sub(1, Ordering::AcqRel);
            TraceCounts::add(&self.gate.counts.dropped, 1);
            return;
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// The OTLP exporter, counting what it sent and what was lost.
#[derive(Debug)]
struct Counted<E> {
    inner: E,
    gate: Arc<Gate>,
}

impl<E: SpanExporter> SpanExporter for Counted<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len();
        self.gate.in_flight.fetch_sub(n, Ordering::AcqRel);
        let result = self.inner.export(batch).await;
        let counter = match &result {
            Ok(()) => &self.gate.counts.exported,
            Err(_) => &self.gate.counts.dropped,
        };
        TraceCounts::add(counter, n);
        result
    }

    fn shutdown_with_timeout(&self, timeout: std::time::Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
