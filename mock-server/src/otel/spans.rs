//! The spans: one per request (the server side of the caller's span), one per task's life
//! (from its submission to the first time the mock sees it final), one per webhook attempt
//! (the client side of the receiver's span). Each names the task and its endpoint.

use std::time::SystemTime;

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use opentelemetry::{
    trace::{Span as _, SpanContext, SpanKind, Status, TraceContextExt, Tracer},
    Context, KeyValue,
};
use opentelemetry_sdk::trace::Span;

use super::{
    context::{self, TaskTrace},
    names::{ATTEMPT, ENDPOINT, RESTORED, TASK_ID},
    Tracing,
};
use crate::catalogue::Endpoint;

/// Put on an answer by a handler that knows which task it is about, for its request span.
#[derive(Clone)]
pub struct TaskTag(pub Box<str>);

fn parent_context(span: Option<&SpanContext>) -> Context {
    match span {
        Some(span) => Context::new().with_remote_span_context(span.clone()),
        None => Context::new(),
    }
}

fn endpoint_of(route: &str) -> Option<Endpoint> {
    Endpoint::ALL.into_iter().find(|e| e.path() == route)
}

/// A server span around each request, child of the caller's `traceparent` when it has a valid
/// one. The request goes on with the trace headers naming this span, so that a submission's
/// task continues from it.
pub async fn request_span(
    State(tracing): State<Tracing>,
    mut request: Request,
    next: Next,
) -> Response {
    let parent = parent_context(context::extract(request.headers()).as_ref());
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let mut attributes = vec![
        KeyValue::new("http.request.method", method.clone()),
        KeyValue::new("url.path", request.uri().path().to_string()),
    ];
    // Unmatched paths share the method as their name: names never come from the raw path.
    let name = match &route {
        Some(route) => {
            if let Some(endpoint) = endpoint_of(route) {
                attributes.push(KeyValue::new(ENDPOINT, endpoint.name()));
            }
            attributes.push(KeyValue::new("http.route", route.clone()));
            format!("{method} {route}")
        }
        None => method,
    };
    let tracer = tracing.tracer();
    let mut span = tracer
        .span_builder(name)
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(tracer, &parent);
    context::set_parent(request.headers_mut(), span.span_context());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    if let Some(TaskTag(task_id)) = response.extensions().get::<TaskTag>() {
        span.set_attribute(KeyValue::new(TASK_ID, task_id.to_string()));
    }
    if status >= 500 {
        span.set_status(Status::error(status.to_string()));
    }
    span.end();
    response
}

/// Opens the life span of task `task_id`, child of its submission (`restored` when a state
/// file brought it back: its life before the restart was a span of its own).
pub fn open_life(
    tracing: &Tracing,
    trace: &TaskTrace,
    task_id: impl std::fmt::Display,
    endpoint: Endpoint,
    restored: bool,
) {
    if trace.has_ended() {
        return;
    }
    let tracer = tracing.tracer();
    let mut attributes = vec![
        KeyValue::new(TASK_ID, task_id.to_string()),
        KeyValue::new(ENDPOINT, endpoint.name()),
    ];
    if restored {
        attributes.push(KeyValue::new(RESTORED, true));
    }
    let span = tracer
        .span_builder("novita task")
        .with_kind(SpanKind::Internal)
        .with_attributes(attributes)
        .start_with_context(tracer, &parent_context(Some(trace.parent())));
    trace.open(span);
}

/// One webhook attempt: its span (when traces are on) and the trace headers it sends.
pub struct AttemptTrace {
    span: Option<Span>,
    /// `traceparent` and `tracestate`; empty for a task without a trace.
    pub headers: Vec<(&'static str, String)>,
}

impl AttemptTrace {
    /// Starts attempt `number` of task `task_id`: a client span, child of the task's life,
    /// whose context the receiver gets. With traces off, the receiver gets the submitter's
    /// own context.
    pub fn start(
        tracing: Option<&Tracing>,
        trace: Option<&TaskTrace>,
        task_id: impl std::fmt::Display,
        endpoint: Endpoint,
        number: u32,
        url: &str,
    ) -> AttemptTrace {
        let Some(tracing) = tracing else {
            return AttemptTrace {
                span: None,
                headers: trace.map_or_else(Vec::new, |t| context::headers_for(t.parent())),
            };
        };
        let parent = trace.map(TaskTrace::attempt_parent);
        let tracer = tracing.tracer();
        let mut attributes = vec![
            KeyValue::new(TASK_ID, task_id.to_string()),
            KeyValue::new(ENDPOINT, endpoint.name()),
            KeyValue::new(ATTEMPT, i64::from(number)),
            KeyValue::new("http.request.method", "POST"),
        ];
        if let Ok(url) = url::Url::parse(url) {
            // Scheme, host, port and path: a receiver's query may hold a secret.
            attributes.push(KeyValue::new(
                "url.full",
                format!("{}{}", url.origin().ascii_serialization(), url.path()),
            ));
        }
        let span = tracer
            .span_builder("novita webhook")
            .with_kind(SpanKind::Client)
            .with_start_time(SystemTime::now())
            .with_attributes(attributes)
            .start_with_context(tracer, &parent_context(parent.as_ref()));
        let headers = context::headers_for(span.span_context());
        AttemptTrace {
            span: Some(span),
            headers,
        }
    }

    /// Ends the attempt's span with the receiver's status, or the error that stood for it.
    pub fn finish(self, status: Option<u16>, error: Option<&str>) {
        let Some(mut span) = self.span else {
            return;
        };
        if let Some(status) = status {
            span.set_attribute(KeyValue::new(
                "http.response.status_code",
                i64::from(status),
            ));
        }
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        if !delivered {
            let reason = error.map_or_else(
                || format!("HTTP {}", status.unwrap_or_default()),
                str::to_string,
            );
            span.set_status(Status::error(reason));
        }
        span.end();
    }
}
