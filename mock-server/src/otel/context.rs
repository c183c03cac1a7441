//! The W3C trace context a task keeps (`traceparent`, `tracestate`): where its trace continues
//! from, and the span of its life while traces are exported. Saved with the task in the state
//! file, so that a restored task's webhook still continues the submitter's trace.

use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue};
use opentelemetry::{
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::{Span as _, SpanContext, TraceContextExt},
    Context, KeyValue,
};
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::Span};
use serde::{Deserialize, Serialize};

pub const TRACEPARENT: &str = "traceparent";
pub const TRACESTATE: &str = "tracestate";

/// Memory an open life span holds, roughly (its attributes and bookkeeping): what the task
/// store's byte budget counts for it.
const OPEN_SPAN_BYTES: usize = 512;

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The header pairs a propagator writes.
#[derive(Default)]
struct Pairs(Vec<(&'static str, String)>);

impl Injector for Pairs {
    fn set(&mut self, key: &str, value: String) {
        let key = match key {
            TRACEPARENT => TRACEPARENT,
            TRACESTATE => TRACESTATE,
            _ => return,
        };
        if !value.is_empty() {
            self.0.push((key, value));
        }
    }
}

/// The caller's span in `headers`: `None` without a `traceparent`, or with one the W3C format
/// refuses (wrong length or version, all-zero ids, bad hex): such a task starts a trace of its own.
pub fn extract(headers: &HeaderMap) -> Option<SpanContext> {
    // No header, no work: the propagator is only asked about a header that is there.
    if !headers.contains_key(TRACEPARENT) {
        return None;
    }
    let cx = TraceContextPropagator::new().extract(&Headers(headers));
    let span = cx.span().span_context().clone();
    span.is_valid().then_some(span)
}

/// The `traceparent` (and `tracestate`, when there is one) that make `span` the parent.
pub fn headers_for(span: &SpanContext) -> Vec<(&'static str, String)> {
    let mut pairs = Pairs::default();
    let cx = Context::new().with_remote_span_context(span.clone());
    TraceContextPropagator::new().inject_context(&cx, &mut pairs);
    pairs.0
}

/// Replaces the trace headers of `headers` by those naming `span` as the parent.
pub fn set_parent(headers: &mut HeaderMap, span: &SpanContext) {
    headers.remove(TRACEPARENT);
    headers.remove(TRACESTATE);
    for (name, value) in headers_for(span) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// The span of a task's life while it is open, and its context for webhook attempts.
#[derive(Default)]
struct Life {
    span: Option<Span>,
    context: Option<SpanContext>,
    /// The task was seen in a final status and its life span ended (or would have, had traces
    /// been exported); a restored task does not open it again.
    ended: bool,
}

/// What a task keeps of its trace.
pub struct TaskTrace {
    /// Where the task's trace continues from: the submission's request span when traces are
    /// exported, else the caller's own `traceparent`.
    parent: SpanContext,
    life: Mutex<Life>,
}

impl TaskTrace {
    pub fn new(parent: SpanContext) -> Self {
        TaskTrace {
            parent,
            life: Mutex::default(),
        }
    }

    fn life(&self) -> std::sync::MutexGuard<'_, Life> {
        self.life.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn parent(&self) -> &SpanContext {
        &self.parent
    }

    /// The parent of the task's webhook attempts: its life span when there is one, else the
    /// submission's context.
    pub fn attempt_parent(&self) -> SpanContext {
        self.life()
            .context
            .clone()
            .unwrap_or_else(|| self.parent.clone())
    }

    pub fn has_ended(&self) -> bool {
        self.life().ended
    }

    /// Keeps `span` as the task's open life span (unless the task has already ended).
    pub fn open(&self, span: Span) {
        let mut life = self.life();
        if !life.ended {
            life.context = Some(span.span_context().clone());
            life.span = Some(span);
        }
    }

    /// Ends the life span, once, with the status the task ended in; `error` marks a failure.
    pub fn end(&self, status: &'static str, error: Option<&str>) {
        let mut life = self.life();
        if life.ended {
            return;
        }
        life.ended = true;
        if let Some(mut span) = life.span.take() {
            span.set_attribute(KeyValue::new(super::names::TASK_STATUS, status));
            if let Some(reason) = error {
                span.set_status(opentelemetry::trace::Status::error(reason.to_string()));
            }
            span.end();
        }
    }

    /// Bytes this trace holds on the heap, roughly.
    pub fn heap_bytes(&self) -> usize {
        let open = if self.life().span.is_some() {
            OPEN_SPAN_BYTES
        } else {
            0
        };
        std::mem::size_of::<TaskTrace>() + self.parent.trace_state().header().len() + open
    }
}

/// A task's trace as the state file holds it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedTrace {
    traceparent: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    tracestate: String,
    #[serde(default)]
    ended: bool,
}

impl From<&TaskTrace> for SavedTrace {
    fn from(trace: &TaskTrace) -> Self {
        let mut saved = SavedTrace {
            traceparent: String::new(),
            tracestate: String::new(),
            ended: trace.has_ended(),
        };
        for (name, value) in headers_for(&trace.parent) {
            match name {
                TRACEPARENT => saved.traceparent = value,
                _ => saved.tracestate = value,
            }
        }
        saved
    }
}

impl TryFrom<SavedTrace> for TaskTrace {
    type Error = String;

    fn try_from(saved: SavedTrace) -> Result<Self, String> {
        let mut headers = HeaderMap::new();
        let value = |text: &str| {
            HeaderValue::from_str(text).map_err(|_| "has characters no header may hold".to_string())
        };
        headers.insert(TRACEPARENT, value(&saved.traceparent)?);
        if !saved.tracestate.is_empty() {
            headers.insert(TRACESTATE, value(&saved.tracestate)?);
        }
        let parent = extract(&headers).ok_or_else(|| {
            format!(
                "traceparent {:?} is not a W3C traceparent",
                saved.traceparent
            )
        })?;
        let trace = TaskTrace::new(parent);
        trace.life().ended = saved.ended;
        Ok(trace)
    }
}

impl Serialize for TaskTrace {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SavedTrace::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TaskTrace {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = SavedTrace::deserialize(deserializer)?;
        TaskTrace::try_from(saved).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const GOOD: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn a_valid_traceparent_and_its_tracestate_are_kept() {
        let span = extract(&headers(&[(TRACEPARENT, GOOD), (TRACESTATE, "vendor=abc")])).unwrap();
        assert_eq!(
            span.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(
            headers_for(&span),
            [
                (TRACEPARENT, GOOD.to_string()),
                (TRACESTATE, "vendor=abc".to_string())
            ]
        );
    }

    #[test]
    fn a_malformed_traceparent_is_ignored() {
        for bad in [
            "",
            "garbage",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
        ] {
            assert!(extract(&headers(&[(TRACEPARENT, bad)])).is_none(), "{bad}");
        }
        assert!(extract(&HeaderMap::new()).is_none());
    }

    #[test]
    fn a_saved_trace_reads_back_and_a_bad_one_is_refused() {
        let trace = TaskTrace::new(extract(&headers(&[(TRACEPARENT, GOOD)])).unwrap());
        trace.end("TASK_STATUS_SUCCEED", None);
        let text = serde_json::to_string(&trace).unwrap();
        assert_eq!(text, format!(r#"{{"traceparent":"{GOOD}","ended":true}}"#));
        let back: TaskTrace = serde_json::from_str(&text).unwrap();
        assert_eq!(back.parent(), trace.parent());
        assert!(back.has_ended());
        let bad = serde_json::from_str::<TaskTrace>(r#"{"traceparent":"00-zz"}"#);
        assert!(bad
            .err()
            .unwrap()
            .to_string()
            .contains("not a W3C traceparent"));
    }
}
