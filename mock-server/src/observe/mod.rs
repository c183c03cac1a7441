//! The mock's one seam for "something happened": the request journal, the submission handler,
//! the webhook sender and the status watches call it, and both the metrics (`/_mock/metrics`)
//! and the event stream (`/_mock/events`) read what it keeps. Each call is cheap: an atomic
//! add for the counters, and for the stream one atomic load while nobody has subscribed.
//! It sits below everything that calls it and imports only the catalogue.

pub(crate) mod counters;
pub(crate) mod event;
pub(crate) mod stream;

use std::sync::{Arc, OnceLock};

use axum::http::Method;

use counters::{RequestCounts, WebhookCounts};
use event::{Event, What};
use stream::EventLog;

pub struct Observer {
    /// Set once, by whoever builds the router, from the routes it serves.
    requests: OnceLock<RequestCounts>,
    pub webhooks: WebhookCounts,
    pub events: Arc<EventLog>,
}

impl Default for Observer {
    fn default() -> Self {
        Observer::with_bounds(stream::BOUNDS)
    }
}

impl Observer {
    pub fn with_bounds(bounds: stream::Bounds) -> Self {
        Observer {
            requests: OnceLock::new(),
            webhooks: WebhookCounts::default(),
            events: Arc::new(EventLog::new(bounds)),
        }
    }

    /// Names the routes requests are counted by (their templates); the first call wins.
    pub fn serve_routes(&self, routes: &[&'static str]) {
        self.requests.get_or_init(|| RequestCounts::new(routes));
    }

    pub fn requests(&self) -> Option<&RequestCounts> {
        self.requests.get()
    }

    /// The row of the request counts for `route`, the template the router matched (`None`
    /// for a path of no route).
    pub fn route(&self, route: Option<&str>) -> usize {
        self.requests.get().map_or(0, |counts| counts.row(route))
    }

    /// A request of `row` (see [`Observer::route`]) was answered with `status` (`None`: the
    /// connection was closed instead).
    pub fn request(&self, at_unix_ms: u64, method: &Method, row: usize, status: Option<u16>) {
        let Some(counts) = self.requests.get() else {
            return;
        };
        counts.count(row, status);
        if self.events.wants_requests() {
            self.events.publish(Event {
                at_unix_ms,
                task: None,
                what: What::Request {
                    method: method_name(method),
                    route: counts.label(row),
                    status,
                },
            });
        }
    }

    /// Something happened to a task (created, a new status, a webhook attempt).
    pub fn task(&self, at_unix_ms: u64, task: uuid::Uuid, what: What) {
        if let What::WebhookAttempt { result, .. } = what {
            self.webhooks.count(result);
        }
        self.events.publish(Event {
            at_unix_ms,
            task: Some(task),
            what,
        });
    }

    /// Whether task events are wanted now (someone has subscribed since start): the status
    /// watches run only then.
    pub fn watching(&self) -> bool {
        self.events.publishing()
    }
}

/// A request's method as static text; a method outside HTTP's own is `OTHER`.
fn method_name(method: &Method) -> &'static str {
    [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PATCH,
        Method::TRACE,
        Method::CONNECT,
    ]
    .iter()
    .zip([
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT",
    ])
    .find_map(|(known, name)| (known == method).then_some(name))
    .unwrap_or("OTHER")
}
