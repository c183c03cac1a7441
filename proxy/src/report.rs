//! The drift report: how many exchanges passed, every drift finding (up to a bound), and every
//! time the upstream failed to answer. Written as JSON, summed up for people on exit.

use serde::{Deserialize, Serialize};

use crate::drift::Drift;

/// Drift findings kept; past it they are only counted (`drift_not_listed`).
pub const MAX_DRIFT: usize = 10_000;
/// Upstream failures kept; past it they are only counted.
pub const MAX_UPSTREAM_FAILURES: usize = 1_000;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Request and answer pairs that passed through, relayed webhooks included.
    pub exchanges: u64,
    pub drift: Vec<Drift>,
    /// Drift findings beyond [`MAX_DRIFT`], counted only.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub drift_not_listed: u64,
    /// Times the upstream (or a webhook receiver) could not be reached or broke off; these
    /// are not drift: the spec says nothing of a service that does not answer.
    #[serde(default)]
    pub upstream_failures: Vec<UpstreamFailure>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub upstream_failures_not_listed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamFailure {
    pub method: String,
    pub path: String,
    pub message: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Report {
    pub fn add_drift(&mut self, drift: Drift) {
        if self.drift.len() < MAX_DRIFT {
            self.drift.push(drift);
        } else {
            self.drift_not_listed += 1;
        }
    }

    pub fn add_failure(&mut self, failure: UpstreamFailure) {
        if self.upstream_failures.len() < MAX_UPSTREAM_FAILURES {
            self.upstream_failures.push(failure);
        } else {
            self.upstream_failures_not_listed += 1;
        }
    }

    /// Drift findings seen, listed or not.
    pub fn drift_count(&self) -> u64 {
        self.drift.len() as u64 + self.drift_not_listed
    }

    pub fn failure_count(&self) -> u64 {
        self.upstream_failures.len() as u64 + self.upstream_failures_not_listed
    }

    /// A few lines for a person: the counts, then the places that drifted most.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} exchanges, {} drift findings, {} upstream failures\n",
            self.exchanges,
            self.drift_count(),
            self.failure_count()
        );
        let mut places: Vec<(String, usize)> = Vec::new();
        for drift in &self.drift {
            let place = format!("{} {} {}", drift.method, drift.path, drift.pointer);
            match places.iter_mut().find(|(p, _)| *p == place) {
                Some((_, n)) => *n += 1,
                None => places.push((place, 1)),
            }
        }
        places.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        for (place, n) in places.iter().take(10) {
            text.push_str(&format!("  {n:>5} x {place}\n"));
        }
        if places.len() > 10 {
            text.push_str(&format!("  ... and {} more places\n", places.len() - 10));
        }
        text
    }
}
