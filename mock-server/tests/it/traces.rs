//! Traces, end to end: the mock binary, set up by the `OTEL_*` variables, exports to an OTLP
//! receiver inside the test (protobuf decoded with opentelemetry-proto's types), and its
//! webhook carries the submitter's trace to a receiver. The clock is driven; the only waits
//! are for the exporter's batch, bounded by a deadline that only a broken mock reaches.

mod binary;
mod receiver;
use crate::common;

use std::{collections::HashMap, process::Command, time::Duration};

use binary::{hooked, webhook_contexts, webhook_receiver, TracedMock};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};
use receiver::{hex, otlp_receiver, spans_until, text, DEADLINE};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

#[tokio::test]
async fn a_trace_goes_from_the_submission_through_the_mock_into_the_webhook() {
    let (otlp, mut received) = otlp_receiver().await;
    let mock = TracedMock::start(&format!("http://{otlp}"), &[]);
    let receiver = webhook_receiver().await;
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let task_id = mock
        .submit(
            &hooked(&receiver),
            &[("traceparent", &traceparent), ("tracestate", "qa=1")],
        )
        .await;
    mock.advance(600.0).await;
    assert_eq!(
        mock.result(&task_id).await["task"]["status"],
        "TASK_STATUS_SUCCEED"
    );

    let contexts = webhook_contexts(&receiver).await;
    assert_eq!(contexts.len(), 1, "{contexts:?}");
    let (sent, state) = &contexts[0];
    let parts: Vec<&str> = sent.split('-').collect();
    assert_eq!(parts.len(), 4, "{sent}");
    assert_eq!(
        parts[1], TRACE_ID,
        "the webhook continues the submitter's trace"
    );
    assert_ne!(
        parts[2], CALLER_SPAN,
        "its parent is the mock's attempt span"
    );
    assert_eq!(state.as_deref(), Some("qa=1"));

    let of_task =
        |span: &Span| text(&span.attributes, "novita.task_id").as_deref() == Some(&task_id);
    let got = spans_until(&mut received, |r| {
        let names: Vec<&str> = r
            .spans
            .iter()
            .filter(|s| of_task(s))
            .map(|s| s.name.as_str())
            .collect();
        ["POST /v3/async/wan-t2v", "novita task", "novita webhook"]
            .iter()
            .all(|n| names.contains(n))
    })
    .await;
    assert!(
        got.services.iter().all(|s| s == "mock-under-test"),
        "{:?}",
        got.services
    );
    let by_name: HashMap<&str, &Span> = got
        .spans
        .iter()
        .filter(|s| of_task(s))
        .map(|s| (s.name.as_str(), s))
        .collect();
    let request = by_name["POST /v3/async/wan-t2v"];
    let life = by_name["novita task"];
    let attempt = by_name["novita webhook"];
    for span in [request, life, attempt] {
        assert_eq!(hex(&span.trace_id), TRACE_ID, "{}", span.name);
        assert_eq!(
            text(&span.attributes, "novita.endpoint").as_deref(),
            Some("wan-t2v"),
            "{}",
            span.name
        );
    }
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(hex(&request.parent_span_id), CALLER_SPAN);
    assert_eq!(request.parent_span_id.len(), 8);
    assert_eq!(life.parent_span_id, request.span_id);
    assert_eq!(
        text(&life.attributes, "novita.task.status").as_deref(),
        Some("TASK_STATUS_SUCCEED")
    );
    assert_eq!(attempt.kind, SpanKind::Client as i32);
    assert_eq!(attempt.parent_span_id, life.span_id);
    assert_eq!(
        hex(&attempt.span_id),
        parts[2],
        "the receiver's parent is the attempt span"
    );
    assert_eq!(
        text(&attempt.attributes, "novita.webhook.attempt").as_deref(),
        Some("1")
    );
    assert_eq!(
        text(&attempt.attributes, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(mock.health().await["traces"]["dropped"], 0);
}

#[tokio::test]
async fn a_malformed_traceparent_is_ignored_and_the_task_gets_a_trace_of_its_own() {
    let (otlp, mut received) = otlp_receiver().await;
    let mock = TracedMock::start(&format!("http://{otlp}"), &[]);
    let receiver = webhook_receiver().await;
    let malformed = format!("00-{TRACE_ID}-{CALLER_SPAN}");
    let task_id = mock
        .submit(&hooked(&receiver), &[("traceparent", &malformed)])
        .await;
    mock.advance(600.0).await;

    let contexts = webhook_contexts(&receiver).await;
    assert_eq!(contexts.len(), 1, "{contexts:?}");
    let trace_id = contexts[0].0.split('-').nth(1).unwrap().to_string();
    assert_eq!(trace_id.len(), 32);
    assert_ne!(trace_id, TRACE_ID);
    assert_ne!(trace_id, "0".repeat(32));

    let of_task =
        |span: &Span| text(&span.attributes, "novita.task_id").as_deref() == Some(&task_id);
    let got = spans_until(&mut received, |r| {
        r.spans
            .iter()
            .any(|s| of_task(s) && s.name == "novita webhook")
            && r.spans
                .iter()
                .any(|s| of_task(s) && s.name.starts_with("POST"))
    })
    .await;
    let request = got
        .spans
        .iter()
        .find(|s| of_task(s) && s.name.starts_with("POST"))
        .unwrap();
    assert!(request.parent_span_id.is_empty(), "a root span");
    assert_eq!(hex(&request.trace_id), trace_id);
}

// Two threads: the OTLP receiver of this test serves the stopping mock's last export while
// the test waits for the mock to exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_restored_from_the_state_file_goes_on_in_the_same_trace() {
    let (otlp, mut received) = otlp_receiver().await;
    let endpoint = format!("http://{otlp}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    let state = [("NOVITA_MOCK_STATE", path.to_str().unwrap())];
    let receiver = webhook_receiver().await;
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let mock = TracedMock::start(&endpoint, &state);
    let task_id = mock
        .submit(&hooked(&receiver), &[("traceparent", &traceparent)])
        .await;
    mock.stop();

    let of_task =
        |span: &Span| text(&span.attributes, "novita.task_id").as_deref() == Some(&task_id);
    let life = |r: &receiver::Received, restored: bool| {
        r.spans
            .iter()
            .find(|s| {
                of_task(s)
                    && s.name == "novita task"
                    && text(&s.attributes, "novita.task.restored").is_some() == restored
            })
            .cloned()
    };
    // The stopping mock ended the running task's life span, with the status it had then.
    let first = spans_until(&mut received, |r| life(r, false).is_some()).await;
    let before = life(&first, false).unwrap();
    assert_eq!(
        text(&before.attributes, "novita.task.status").as_deref(),
        Some("TASK_STATUS_QUEUED")
    );

    let mock = TracedMock::start(&endpoint, &state);
    mock.advance(600.0).await;
    let contexts = webhook_contexts(&receiver).await;
    assert_eq!(contexts.len(), 1, "{contexts:?}");
    assert_eq!(contexts[0].0.split('-').nth(1), Some(TRACE_ID));
    let got = spans_until(&mut received, |r| {
        life(r, true).is_some()
            && r.spans
                .iter()
                .any(|s| of_task(s) && s.name == "novita webhook")
    })
    .await;
    let after = life(&got, true).unwrap();
    assert_eq!(hex(&after.trace_id), TRACE_ID);
    assert_eq!(
        after.parent_span_id, before.parent_span_id,
        "both children of the submission"
    );
    assert_eq!(
        text(&after.attributes, "novita.task.status").as_deref(),
        Some("TASK_STATUS_SUCCEED")
    );
    let attempt = got
        .spans
        .iter()
        .find(|s| of_task(s) && s.name == "novita webhook")
        .unwrap();
    assert_eq!(attempt.parent_span_id, after.span_id);
    mock.stop();
}

/// The webhooks of `tasks` hooked tasks all arrive, and every submission is answered, while
/// the OTLP endpoint at `endpoint` takes nothing.
async fn nothing_waits_for(endpoint: &str) -> TracedMock {
    let mock = TracedMock::start(
        endpoint,
        &[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "4"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "600000"),
        ],
    );
    let receiver = webhook_receiver().await;
    let tasks = 20;
    for _ in 0..tasks {
        mock.submit(
            &hooked(&receiver),
            &[("traceparent", &format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))],
        )
        .await;
    }
    mock.advance(600.0).await;
    let contexts = webhook_contexts(&receiver).await;
    assert_eq!(contexts.len(), tasks);
    assert!(contexts.iter().all(|(parent, _)| parent.contains(TRACE_ID)));
    mock
}

#[tokio::test]
async fn an_otlp_endpoint_that_never_answers_blocks_nothing_and_spans_are_dropped_and_counted() {
    // Accepts connections and never answers: the exporter's first batch waits for good.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let mock = nothing_waits_for(&format!("http://{addr}")).await;
    // 20 tasks made 20 request spans, 20 life spans and 20 attempt spans, all ended before
    // their answers or the advance's; at most one batch and one queue (4 each) were taken.
    let health = mock.health().await;
    assert!(
        health["traces"]["dropped"].as_u64().unwrap() >= 52,
        "{health}"
    );
    assert_eq!(health["traces"]["exported"], 0, "{health}");
    drop(silent);
}

#[tokio::test]
async fn an_otlp_endpoint_that_is_down_blocks_nothing_and_its_spans_are_counted_as_dropped() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let mock = nothing_waits_for(&format!("http://{addr}")).await;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let health = mock.health().await;
        if health["traces"]["dropped"].as_u64().unwrap() >= 60 {
            assert_eq!(health["traces"]["exported"], 0, "{health}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "spans never counted: {health}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn a_protocol_the_mock_cannot_export_is_refused_naming_its_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_novita-mock"))
        .env_clear()
        .env("NOVITA_MOCK_ADDR", "127.0.0.1:0")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OTEL_EXPORTER_OTLP_PROTOCOL"), "{stderr}");
    assert!(stderr.contains("http/protobuf"), "{stderr}");
}

/// With traces off (no `OTEL_*` endpoint) the mock makes no spans but still carries the
/// caller's context to the webhook, across a restart from its state file; a malformed one is
/// dropped.
#[tokio::test]
async fn with_traces_off_the_callers_context_reaches_the_webhook_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = novita_mock::Config {
        state: Some(dir.path().join("mock.json")),
        ..common::paused()
    };
    let receiver = webhook_receiver().await;
    let body = hooked(&receiver).to_string();
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN}-01");
    let mock = common::start(config.clone()).await;
    let traced = [
        ("traceparent", traceparent.as_str()),
        ("tracestate", "qa=1"),
    ];
    let (status, _) = mock.post_raw("/v3/async/wan-t2v", &body, &traced).await;
    assert_eq!(status, 200);
    let malformed = [("traceparent", "00-not-a-trace-01")];
    let (status, _) = mock.post_raw("/v3/async/wan-t2v", &body, &malformed).await;
    assert_eq!(status, 200);
    mock.server.shutdown().await.unwrap();

    let mock = common::start(config).await;
    mock.advance(600.0).await;
    let requests = receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let header = |r: &wiremock::Request, name: &str| {
        r.headers.get(name).map(|v| v.to_str().unwrap().to_string())
    };
    let mut seen: Vec<_> = requests
        .iter()
        .map(|r| (header(r, "traceparent"), header(r, "tracestate")))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (None, None),
            (Some(traceparent.clone()), Some("qa=1".to_string()))
        ]
    );
    assert!(mock.control(reqwest::Method::GET, "/health", None).await.1["traces"].is_null());
}
