//! `GET /_mock/metrics`: the mock in the Prometheus text format (0.0.4), behind the control
//! API's guard (a scrape sends the token as `Authorization: Bearer`). Counters come from the
//! observer's tables; gauges are read at the scrape (tasks by status, pending webhooks, each
//! bound beside what it holds, the clock). The `prometheus` crate writes the text.

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use prometheus::{
    proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType},
    Encoder, TextEncoder,
};

use crate::{catalogue::Endpoint, state::AppState};

/// One family, its samples given as (labels, value).
fn family(
    name: &str,
    help: &str,
    kind: MetricType,
    samples: impl IntoIterator<Item = (Vec<(&'static str, String)>, f64)>,
) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(format!("novita_mock_{name}"));
    family.set_help(help.to_string());
    family.set_field_type(kind);
    for (labels, value) in samples {
        let mut metric = Metric::default();
        metric.set_label(
            labels
                .into_iter()
                .map(|(name, value)| {
                    let mut pair = LabelPair::default();
                    pair.set_name(name.to_string());
                    pair.set_value(value);
                    pair
                })
                .collect(),
        );
        if kind == MetricType::COUNTER {
            let mut counter = Counter::default();
            counter.set_value(value);
            metric.set_counter(counter);
        } else {
            let mut gauge = Gauge::default();
            gauge.set_value(value);
            metric.set_gauge(gauge);
        }
        family.mut_metric().push(metric);
    }
    family
}

fn gauge(name: &str, help: &str, value: f64) -> MetricFamily {
    family(name, help, MetricType::GAUGE, [(Vec::new(), value)])
}

/// What a submission came to, from the status of its answer.
fn outcome(status: Option<u16>) -> &'static str {
    match status {
        None => "dropped",
        Some(200..=299) => "accepted",
        Some(400..=499) => "rejected",
        Some(500..=599) => "failed",
        Some(_) => "other",
    }
}

fn traffic(state: &AppState) -> Vec<MetricFamily> {
    let rows = state
        .observer
        .requests()
        .map(|counts| counts.rows())
        .unwrap_or_default();
    let requests = rows.iter().map(|(route, status, count)| {
        let status = status.map_or_else(|| "none".to_string(), |s| s.to_string());
        (
            vec![("route", route.to_string()), ("status", status)],
            *count as f64,
        )
    });
    let mut submissions: Vec<(Vec<(&'static str, String)>, f64)> = Vec::new();
    for (route, status, count) in &rows {
        let Some(endpoint) = Endpoint::ALL.into_iter().find(|e| e.path() == *route) else {
            continue;
        };
        let labels = vec![
            ("endpoint", endpoint_name(endpoint)),
            ("outcome", outcome(*status).to_string()),
        ];
        match submissions.iter_mut().find(|(l, _)| *l == labels) {
            Some((_, total)) => *total += *count as f64,
            None => submissions.push((labels, *count as f64)),
        }
    }
    let webhooks = state
        .observer
        .webhooks
        .rows()
        .map(|(result, count)| (vec![("result", result.name().to_string())], count as f64));
    let mut families = vec![
        family(
            "requests_total",
            "Requests answered, by route template (unmatched: a path of no route) and status (none: closed unanswered).",
            MetricType::COUNTER,
            requests,
        ),
        family(
            "webhook_attempts_total",
            "Webhook attempts, by result.",
            MetricType::COUNTER,
            webhooks,
        ),
    ];
    if !submissions.is_empty() {
        families.push(family(
            "submissions_total",
            "Submissions, by endpoint and outcome (accepted, rejected, failed, dropped).",
            MetricType::COUNTER,
            submissions,
        ));
    }
    families
}

fn endpoint_name(endpoint: Endpoint) -> String {
    serde_json::to_value(endpoint)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn tasks(state: &AppState) -> Vec<MetricFamily> {
    let by_status = state.tasks.by_status(state.clock.now());
    let bounds = state.tasks.bounds();
    vec![
        family(
            "tasks",
            "Stored tasks, by status now.",
            MetricType::GAUGE,
            by_status.map(|(status, n)| (vec![("status", status.to_string())], n as f64)),
        ),
        family(
            "tasks_evicted_total",
            "Tasks evicted by the store's bounds.",
            MetricType::COUNTER,
            [(Vec::new(), state.tasks.evicted() as f64)],
        ),
        gauge("store_tasks", "Tasks stored.", state.tasks.len() as f64),
        gauge(
            "store_tasks_limit",
            "Tasks the store keeps at most (--max-tasks).",
            bounds.max_tasks as f64,
        ),
        gauge(
            "store_bytes",
            "Bytes the stored tasks hold.",
            state.tasks.bytes() as f64,
        ),
        gauge(
            "store_bytes_limit",
            "Bytes the stored tasks may hold (--max-task-memory-mb).",
            bounds.max_bytes as f64,
        ),
        gauge(
            "webhooks_pending",
            "Webhook attempts waiting on the mock clock.",
            state.scheduler.pending() as f64,
        ),
        family(
            "webhooks_dropped_total",
            "Webhook attempts dropped because their task was evicted.",
            MetricType::COUNTER,
            [(Vec::new(), state.scheduler.dropped() as f64)],
        ),
    ]
}

fn bounds(state: &AppState) -> Vec<MetricFamily> {
    let (journal, journal_limit) = state.journal.fill();
    let (videos, videos_limit) = state.videos.fill();
    let events = &state.observer.events;
    let stream = events.bounds();
    vec![
        gauge(
            "body_budget_free_bytes",
            "Bytes of the request body budget free now.",
            state.body_budget.available() as f64,
        ),
        gauge(
            "body_budget_bytes",
            "Bytes request bodies may hold in memory at once.",
            state.body_budget.total() as f64,
        ),
        gauge(
            "video_cache_bytes",
            "Bytes of rendered videos kept.",
            videos as f64,
        ),
        gauge(
            "video_cache_limit_bytes",
            "Bytes of rendered videos kept at most (--video-cache-mb).",
            videos_limit as f64,
        ),
        gauge(
            "journal_entries",
            "Requests kept in the journal.",
            journal as f64,
        ),
        gauge(
            "journal_limit",
            "Requests the journal keeps at most (--journal-limit).",
            journal_limit as f64,
        ),
        gauge(
            "event_history",
            "Events kept for Last-Event-ID.",
            events.kept() as f64,
        ),
        gauge(
            "event_history_limit",
            "Events kept at most for Last-Event-ID.",
            stream.history as f64,
        ),
        gauge(
            "event_subscribers",
            "Subscribers of the event stream.",
            events.subscribers() as f64,
        ),
        gauge(
            "event_subscribers_limit",
            "Subscribers of the event stream at most.",
            stream.subscribers as f64,
        ),
    ]
}

fn clock(state: &AppState) -> Vec<MetricFamily> {
    let build = family(
        "build_info",
        "The mock's version; always 1.",
        MetricType::GAUGE,
        [(
            vec![("version", env!("CARGO_PKG_VERSION").to_string())],
            1.0,
        )],
    );
    vec![
        gauge(
            "clock_speed",
            "How fast the mock clock runs (simulated seconds per real second).",
            state.clock.speed(),
        ),
        gauge(
            "clock_paused",
            "1 while the mock clock is paused.",
            f64::from(u8::from(state.clock.is_paused())),
        ),
        gauge(
            "clock_seconds",
            "Simulated seconds since the mock started.",
            state.clock.now().since(Default::default()).as_secs_f64(),
        ),
        build,
    ]
}

pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let mut families = traffic(&state);
    families.extend(tasks(&state));
    families.extend(bounds(&state));
    families.extend(clock(&state));
    families.retain(|f| !f.get_metric().is_empty());
    let mut text = Vec::new();
    let encoder = TextEncoder::new();
    match encoder.encode(&families, &mut text) {
        Ok(()) => (
            [(header::CONTENT_TYPE, encoder.format_type().to_string())],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
