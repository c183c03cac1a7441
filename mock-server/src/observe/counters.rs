//! The metrics' counters: plain atomics in tables whose every label comes from a fixed list
//! (the routes, the status codes 100 to 599, the webhook results), so that their memory is
//! bounded at start whatever the traffic. A route's row of statuses (4 KiB) is made when the
//! route is first answered: a mock holds the rows of the routes it serves, not all 36 (140
//! KiB). Counting is one table lookup and one atomic add; the scrape reads the tables and
//! writes the text (`control/metrics.rs`).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        OnceLock,
    },
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
    /// A row per label, each made on its first count.
    counts: Box<[OnceLock<Row>]>,
}

/// One route's counts, by status slot.
type Row = Box<[AtomicU64]>;

/// What one row of the request counts holds: (route, status, count); status `None` for no answer.
pub type RequestRow = (&'static str, Option<u16>, u64);

impl RequestCounts {
    /// Counts for `routes` (their templates, as the router matches them) and [`UNMATCHED`].
    pub fn new(routes: &[&'static str]) -> Self {
        let mut labels: Vec<&'static str> = routes.to_vec();
        labels.push(UNMATCHED);
        let index = labels.iter().enumerate().map(|(i, l)| (*l, i)).collect();
        let counts = labels.iter().map(|_| OnceLock::new()).collect();
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
        let row =
            self.counts[row].get_or_init(|| (0..STATUSES).map(|_| AtomicU64::new(0)).collect());
        row[slot].fetch_add(1, Ordering::Relaxed);
    }

    /// Every (route, status, count) counted at least once.
    pub fn rows(&self) -> Vec<RequestRow> {
        let mut rows = Vec::new();
        for (label, row) in self.labels.iter().zip(&self.counts) {
            let Some(row) = row.get() else { continue };
            for (slot, count) in row.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                if count > 0 {
                    let status = (slot > 0).then(|| (slot + 99) as u16);
                    rows.push((*label, status, count));
                }
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
