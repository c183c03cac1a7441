//! `GET /_mock/events`: what happens in the mock as Server-Sent Events, from the observer.
//! `?task=<id>` keeps one task's events, `?kind=a,b` some kinds (`request` events only when
//! asked for by name); `Last-Event-ID` resumes from the history. A subscriber that falls too
//! far behind gets a last `stream.cut_off` event and the stream ends; past the bound on
//! subscribers the answer is a 503.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    control::body::{bad_request, ControlError, ControlQuery},
    observe::{
        event::Kind,
        stream::{Filter, Full, Item},
    },
    sim::tasks::TaskId,
    state::AppState,
    webhooks::watch,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventsQuery {
    task: Option<String>,
    kind: Option<String>,
    /// The dashboard's token (an `EventSource` cannot send headers); the guard reads it.
    #[allow(dead_code)]
    token: Option<String>,
}

/// The filter a query asks for, or the control API's 400 naming what is wrong.
fn filter(query: &EventsQuery) -> Result<Filter, ControlError> {
    let mut filter = Filter::default();
    if let Some(task) = &query.task {
        let id = TaskId::parse(task)
            .ok_or_else(|| bad_request(format!("task: {task:?} is not a task id")))?;
        filter.task = Some(id.uuid());
    }
    if let Some(kinds) = &query.kind {
        filter.kinds = 0;
        for name in kinds.split(',').map(str::trim) {
            let kind = Kind::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                bad_request(format!(
                    "kind: {name:?} is not a kind of event (known: {})",
                    known.join(", ")
                ))
            })?;
            filter.kinds |= kind.bit();
        }
    }
    Ok(filter)
}

fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ControlError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| bad_request("Last-Event-ID: must be the id of an event (a number)"))
}

fn sse_event(item: Item) -> SseEvent {
    match item {
        Item::Event(id, event) => SseEvent::default()
            .id(id.to_string())
            .data(event.to_json(id).to_string()),
        Item::Gap { last_id, oldest } => SseEvent::default().data(
            json!({
                "kind": "stream.gap",
                "last_id": last_id,
                "oldest": oldest,
                "message": "the history no longer holds every event after last_id; they are lost",
            })
            .to_string(),
        ),
        Item::CutOff { missed, last_id } => SseEvent::default().data(
            json!({
                "kind": "stream.cut_off",
                "missed": missed,
                "last_id": last_id,
                "message": "this subscriber fell too far behind and is cut off; reconnect with Last-Event-ID to resume",
            })
            .to_string(),
        ),
    }
}

pub(super) async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    ControlQuery(query): ControlQuery<EventsQuery>,
) -> Result<Response, ControlError> {
    let filter = filter(&query)?;
    let last_id = last_event_id(&headers)?;
    let first = !state.observer.watching();
    let subscription = state
        .observer
        .events
        .subscribe(filter, last_id)
        .map_err(|Full(max)| {
            ControlError(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the event stream has its {max} subscribers; try again when one leaves"),
            )
        })?;
    if first {
        watch::begin(&state);
    }
    let stream = futures_util::stream::unfold(subscription, |mut subscription| async move {
        let item = subscription.next().await?;
        Some((Ok::<_, Infallible>(sse_event(item)), subscription))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
