//! The `tracing` feature: a span per submit, poll, wait and download with the operation, the
//! task id, the attempts and the outcome; an event per retry; and nowhere the API key, a data
//! URI or a link's signature.

use crate::common;

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Arc, Mutex},
};

use common::{mp4_bytes, task_body};
use novita_video::{
    types::{Wan27I2vRequest, Wan27T2vRequest},
    NovitaClient, WaitOptions,
};
use serde_json::json;
use tracing::{
    field::{Field, Visit},
    span, Event, Subscriber,
};
use tracing_subscriber::{layer::Context, prelude::*, registry::LookupSpan, Layer};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

const KEY: &str = "sk-trace-0123456789-SECRET";

/// A span or an event as captured: its name and its fields, as text.
#[derive(Clone, Debug, Default)]
struct Captured {
    name: String,
    fields: BTreeMap<String, String>,
    /// For an event, the span it happened in.
    parent: Option<String>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

impl Visit for Captured {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.fields
            .insert(field.name().to_string(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .insert(field.name().to_string(), value.to_string());
    }
}

#[derive(Clone, Default)]
struct Recorder {
    /// Every span, in the order they were opened.
    spans: Arc<Mutex<Vec<Captured>>>,
    events: Arc<Mutex<Vec<Captured>>>,
}

/// Where a span's captured fields live while it is open.
struct Index(usize);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let mut captured = Captured {
            name: attrs.metadata().name().to_string(),
            ..Captured::default()
        };
        attrs.record(&mut captured);
        let mut spans = self.spans.lock().unwrap();
        spans.push(captured);
        ctx.span(id)
            .unwrap()
            .extensions_mut()
            .insert(Index(spans.len() - 1));
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let index = span.extensions().get::<Index>().unwrap().0;
        values.record(&mut self.spans.lock().unwrap()[index]);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut captured = Captured {
            name: event.metadata().name().to_string(),
            parent: ctx.event_span(event).map(|s| s.name().to_string()),
            ..Captured::default()
        };
        event.record(&mut captured);
        self.events.lock().unwrap().push(captured);
    }
}

impl Recorder {
    fn spans(&self, name: &str) -> Vec<Captured> {
        let spans = self.spans.lock().unwrap();
        spans.iter().filter(|s| s.name == name).cloned().collect()
    }

    /// Everything captured, as one text to search.
    fn all_text(&self) -> String {
        format!(
            "{:?}{:?}",
            self.spans.lock().unwrap(),
            self.events.lock().unwrap()
        )
    }
}

fn client(server: &MockServer) -> NovitaClient {
    common::client_with_key(server, KEY)
}

fn quick() -> WaitOptions<'static> {
    WaitOptions::default().interval(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(5),
    )
}

#[tokio::test]
async fn submit_poll_wait_and_download_each_have_a_span_and_retries_are_events() {
    let recorder = Recorder::default();
    let _guard = tracing_subscriber::registry()
        .with(recorder.clone())
        .set_default();
    let server = MockServer::start().await;
    let video = format!("{}/v.mp4?signature=SIGNED-abc", server.uri());
    Mock::given(method("POST"))
        .and(path("/v3/async/wan2.7-t2v"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})))
        .mount(&server)
        .await;
    // The first read is a 503, retried; then one poll sees the task running, the next its end.
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "code": 503, "reason": "SERVICE_UNAVAILABLE", "message": "busy", "metadata": {}
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(task_body(
            "TASK_STATUS_PROCESSING",
            40.0,
            0.01,
        )))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let mut done = task_body("TASK_STATUS_SUCCEED", 100.0, 0.0);
    done["videos"] = json!([{"video_url": video, "video_url_ttl": "3600", "video_type": "mp4"}]);
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(done))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(mp4_bytes(4096)))
        .mount(&server)
        .await;

    let client = client(&server);
    let request: Wan27T2vRequest = Wan27T2vRequest::builder()
        .prompt("a fox")
        .try_into()
        .unwrap();
    let task_id = client.submit(&request).await.unwrap();
    let result = client.wait(&task_id, quick()).await.unwrap();
    let mut video = Vec::new();
    client
        .download_video_into(&result, &mut video, |_, _| {})
        .await
        .unwrap();

    let submit = recorder.spans("novita.submit");
    assert_eq!(submit.len(), 1, "{submit:?}");
    assert_eq!(submit[0].field("operation"), Some("submit_wan27_t2v"));
    assert_eq!(submit[0].field("task_id"), Some("t-1"));
    assert_eq!(submit[0].field("attempts"), Some("1"));
    assert_eq!(submit[0].field("outcome"), Some("ok"));

    let polls = recorder.spans("novita.poll");
    assert_eq!(polls.len(), 2, "{polls:?}");
    for poll in &polls {
        assert_eq!(poll.field("operation"), Some("task_result"));
        assert_eq!(poll.field("task_id"), Some("t-1"));
        assert_eq!(poll.field("outcome"), Some("ok"));
    }
    assert_eq!(polls[0].field("attempts"), Some("2"), "the 503 was retried");
    assert_eq!(polls[1].field("attempts"), Some("1"));

    let wait = recorder.spans("novita.wait");
    assert_eq!(wait.len(), 1);
    assert_eq!(wait[0].field("operation"), Some("wait"));
    assert_eq!(wait[0].field("task_id"), Some("t-1"));
    assert_eq!(wait[0].field("attempts"), Some("2"), "two polls");
    assert_eq!(wait[0].field("outcome"), Some("ok"));

    let download = recorder.spans("novita.download");
    assert_eq!(download.len(), 1);
    assert_eq!(download[0].field("task_id"), Some("t-1"));
    assert_eq!(download[0].field("outcome"), Some("ok"));
    let url = download[0].field("url").unwrap();
    assert!(url.ends_with("/v.mp4?…"), "{url}");

    let events = recorder.events.lock().unwrap().clone();
    let retries: Vec<&Captured> = events.iter().filter(|e| e.name == "novita.retry").collect();
    assert_eq!(retries.len(), 1, "{events:?}");
    assert_eq!(retries[0].field("attempt"), Some("1"));
    assert_eq!(retries[0].field("status"), Some("503"));
    assert!(retries[0].field("delay_ms").is_some());
    assert_eq!(retries[0].parent.as_deref(), Some("novita.poll"));

    let text = recorder.all_text();
    assert!(!text.contains(KEY) && !text.contains("SECRET"), "{text}");
    assert!(!text.contains("SIGNED-abc"), "a link's signature: {text}");
}

#[tokio::test]
async fn a_refused_submission_records_its_outcome_and_no_data_uri() {
    let recorder = Recorder::default();
    let _guard = tracing_subscriber::registry()
        .with(recorder.clone())
        .set_default();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 400, "reason": "INVALID_REQUEST_BODY", "message": "image is not allowed",
            "metadata": {}
        })))
        .mount(&server)
        .await;
    // A small PNG as a data URI: the image's bytes must not reach a trace.
    let png = conformance_free_png();
    let request: Wan27I2vRequest = Wan27I2vRequest::builder()
        .prompt(Some("a fox".to_string()))
        .image_url(Some(png.clone()))
        .try_into()
        .unwrap();
    let error = client(&server).submit(&request).await.unwrap_err();
    assert_eq!(error.reason(), Some("INVALID_REQUEST_BODY"));

    let submit = recorder.spans("novita.submit");
    assert_eq!(submit.len(), 1);
    assert_eq!(submit[0].field("operation"), Some("submit_wan27_i2v"));
    assert_eq!(submit[0].field("outcome"), Some("api_error"));
    assert_eq!(submit[0].field("status"), Some("400"));
    assert_eq!(submit[0].field("reason"), Some("INVALID_REQUEST_BODY"));
    assert_eq!(
        submit[0].field("attempts"),
        Some("1"),
        "a 400 is not retried"
    );
    assert_eq!(submit[0].field("task_id"), None);
    let text = recorder.all_text();
    assert!(!text.contains("data:image"), "{text}");
    assert!(!text.contains(&png[png.len() - 16..]), "{text}");
    assert!(!text.contains(KEY), "{text}");
}

/// A 640x480 PNG header as a data URI, built here so that this test needs no other crate.
fn conformance_free_png() -> String {
    use base64::Engine;
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&640u32.to_be_bytes());
    png.extend_from_slice(&480u32.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png.extend((0..512).map(|i| (i % 251) as u8));
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}
