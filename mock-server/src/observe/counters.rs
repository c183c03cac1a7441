//! The metrics' counters: plain atomics in tables whose every label comes from a fixed list
//! (the routes, the status codes 100 to 599, the webhook results), so that their memory is
//! fixed at start whatever the traffic. Counting is one table lookup and one atomic add; the
//! scrape reads the tables and writes the text (`control/metrics.rs`).

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
};

use rustc_hash::FxBuildHasher;

use super::event::WebhookResult;

/// Slot 0 is "no answer" (the connection was closed instead); slots 1..=500 are 100..=599.
const STATUSES: usize = 501;

/// The label of a path that is no route.
pub const UNMATCHED: &str = "unmatched";

/// Requests by route and status: one row per route template, and a last one for paths that
/// match no route.
pub struct RequestCounts {
    labels: Vec<&'static str>,
    index: HashMap<&'static str, usize, FxBuildHasher>,
    counts: Box<[AtomicU64]>,
}

/// What one row of the request counts holds: (route, status, count); status `None` for no answer.
pub type RequestRow = (&'static str, Option<u16>, u64);

impl RequestCounts {
    /// Counts for `routes` (their templates, as the router matches them) and [`UNMATCHED`].
    pub fn new(routes: &[&'static str]) -> Self {
        let mut labels: Vec<&'static str> = routes.to_vec();
        labels.push(UNMATCHED);
        let index = labels.iter().enumerate().map(|(i, l)| (*l, i)).collect();
        let counts = (0..labels.len() * STATUSES)
            .map(|_| AtomicU64::new(0))
            .collect();
        RequestCounts {
            labels,
            index,
            counts,
        }
    }

    /// The row of `route` (a matched template); `None` is the unmatched row.
    pub fn row(&self, route: Option<&str>) -> usize {
        route
            .and_then(|r| self.index.get(r).copied())
            .unwrap_or(self.labels.len() - 1)
    }

    pub fn label(&self, row: usize) -> &'static str {
        self.labels[row]
    }

    /// Counts one answer of `row` with `status` (`None`: the connection was closed instead).
    pub fn count(&self, row: usize, status: Option<u16>) {
        let slot = status.map_or(0, |s| usize::from(s.clamp(100, 599)) - 99);
        self.counts[row * STATUSES + slot].fetch_add(1, Ordering::Relaxed);
    }

    /// Every (route, status, count) counted at least once.
    pub fn rows(&self) -> Vec<RequestRow> {
        let mut rows = Vec::new();
        for (i, count) in self.counts.iter().enumerate() {
            let count = count.load(Ordering::Relaxed);
            if count > 0 {
                let slot = i % STATUSES;
                let status = (slot > 0).then(|| (slot + 99) as u16);
                rows.push((self.labels[i / STATUSES], status, count));
            }
        }
        rows
    }
}

/// Webhook attempts by result.
#[derive(Default)]
pub struct WebhookCounts([AtomicU64; WebhookResult::ALL.len()]);

impl WebhookCounts {
    pub fn count(&self, result: WebhookResult) {
        self.0[result as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn rows(&self) -> [(WebhookResult, u64); WebhookResult::ALL.len()] {
        WebhookResult::ALL.map(|r| (r, self.0[r as usize].load(Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_of_no_route_counts_in_one_row() {
        let counts = RequestCounts::new(&["/health", "/v3/async/task-result"]);
        for path in ["/nope", "/nope/2", "/health/x"] {
            counts.count(counts.row(Some(path)), Some(404));
        }
        counts.count(counts.row(None), Some(404));
        counts.count(counts.row(Some("/health")), Some(200));
        counts.count(counts.row(Some("/health")), None);
        assert_eq!(
            counts.rows(),
            [
                ("/health", None, 1),
                ("/health", Some(200), 1),
                (UNMATCHED, Some(404), 4)
            ]
        );
    }

    #[test]
    fn statuses_outside_http_stay_within_the_table() {
        let counts = RequestCounts::new(&["/a"]);
        counts.count(0, Some(0));
        counts.count(0, Some(u16::MAX));
        assert_eq!(counts.rows(), [("/a", Some(100), 1), ("/a", Some(599), 1)]);
    }
}
