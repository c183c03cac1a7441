//! Traces, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
//! is set: a span per request, per task's life and per webhook attempt, exported over
//! OTLP/HTTP by the SDK's batch processor behind a bounded queue (`export`, the `otlp`
//! feature). `context` is the W3C trace context a task keeps; it is sent on the webhook even
//! when traces are off, so that a service's trace still reaches its receiver. `spans` makes
//! the spans, `names` their attributes.

pub mod context;
#[cfg(feature = "otlp")]
mod export;
pub mod names;
pub mod spans;

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

/// Spans handed to the OTLP endpoint and spans lost on the way (the queue was full, or the
/// endpoint failed or was too slow to take a batch).
#[derive(Debug, Default)]
pub struct TraceCounts {
    exported: AtomicU64,
    dropped: AtomicU64,
}

impl TraceCounts {
    pub fn exported(&self) -> u64 {
        self.exported.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// The mock's tracer and its exporter; present only while traces are on.
#[derive(Clone)]
pub struct Tracing {
    inner: Arc<Parts>,
}

struct Parts {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    counts: Arc<TraceCounts>,
}

impl Tracing {
    /// Traces as the `OTEL_*` variables ask: `None` when off (no endpoint, `OTEL_SDK_DISABLED`,
    /// `OTEL_TRACES_EXPORTER=none`), an error naming the variable the mock cannot follow.
    pub fn from_env() -> Result<Option<Tracing>, String> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"));
        if endpoint.is_none()
            || var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(None);
        }
        match var("OTEL_TRACES_EXPORTER").as_deref() {
            None | Some("otlp") => {}
            Some("none") => return Ok(None),
            Some(other) => {
                return Err(format!(
                    "OTEL_TRACES_EXPORTER: {other:?} is not an exporter the mock has (otlp or none)"
                ))
            }
        }
        for name in [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ] {
            if let Some(protocol) = var(name) {
                if protocol != "http/protobuf" {
                    return Err(format!(
                        "{name}: the mock exports traces over http/protobuf only, not {protocol:?}"
                    ));
                }
                break;
            }
        }
        Self::start()
    }

    #[cfg(feature = "otlp")]
    fn start() -> Result<Option<Tracing>, String> {
        export::start().map(Some)
    }

    #[cfg(not(feature = "otlp"))]
    fn start() -> Result<Option<Tracing>, String> {
        tracing::warn!("OTEL_EXPORTER_OTLP_ENDPOINT is set, but this mock was built without the `otlp` feature: no traces are exported");
        Ok(None)
    }

    pub fn tracer(&self) -> &SdkTracer {
        &self.inner.tracer
    }

    pub fn counts(&self) -> &TraceCounts {
        &self.inner.counts
    }

    /// Exports the spans still queued, for at most `timeout`, and stops the exporter.
    pub async fn shutdown(&self, timeout: Duration) {
        let provider = self.inner.provider.clone();
        let counts = self.inner.counts.clone();
        let done =
            tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(timeout)).await;
        if let Ok(Err(e)) = done {
            tracing::warn!("traces: the last spans were not all exported: {e}");
        }
        if counts.dropped() > 0 {
            tracing::warn!(
                dropped = counts.dropped(),
                exported = counts.exported(),
                "traces: {} spans were dropped",
                counts.dropped()
            );
        }
    }
}
