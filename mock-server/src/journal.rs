//! The journal of requests the mock received, newest last, bounded in size.

use std::{collections::VecDeque, sync::Mutex};

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct JournalEntry {
    pub seq: u64,
    pub at_unix_ms: u64,
    pub method: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The answer's status; `None` when no answer was sent (dropped or stalled).
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// The fault injected into the answer's task (`X-Mock-Fault`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// The request body as text, cut at 4 KiB.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body: String,
    pub duration_ms: u64,
}

pub const BODY_LIMIT: usize = 4096;

pub struct Journal {
    limit: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Boxed so that growing the deque (under the lock, on the request path) moves pointers,
    /// not whole entries: a large journal otherwise stalls every request for milliseconds.
    entries: VecDeque<Box<JournalEntry>>,
    next_seq: u64,
    dropped: u64,
}

/// What `GET /_mock/journal` answers.
#[derive(Serialize)]
pub struct JournalPage {
    pub total_recorded: u64,
    /// Entries pushed out by the size limit (`--journal-limit`).
    pub dropped: u64,
    pub entries: Vec<JournalEntry>,
}

impl Journal {
    pub fn new(limit: usize) -> Self {
        Journal {
            limit: limit.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn record(&self, mut entry: JournalEntry) {
        let mut inner = self.inner.lock().expect("journal lock");
        entry.seq = inner.next_seq;
        inner.next_seq += 1;
        if inner.entries.len() == self.limit {
            inner.entries.pop_front();
            inner.dropped += 1;
        }
        inner.entries.push_back(Box::new(entry));
    }

    /// The newest `limit` entries whose path contains `path_filter`, oldest first.
    pub fn page(&self, path_filter: Option<&str>, limit: usize) -> JournalPage {
        let inner = self.inner.lock().expect("journal lock");
        let mut entries: Vec<JournalEntry> = inner
            .entries
            .iter()
            .rev()
            .filter(|e| path_filter.is_none_or(|p| e.path.contains(p)))
            .take(limit)
            .map(|e| (**e).clone())
            .collect();
        entries.reverse();
        JournalPage {
            total_recorded: inner.next_seq,
            dropped: inner.dropped,
            entries,
        }
    }

    pub fn clear(&self) {
        *self.inner.lock().expect("journal lock") = Inner::default();
    }
}
