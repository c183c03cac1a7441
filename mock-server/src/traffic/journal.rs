//! The journal of requests the mock received, newest last, bounded in size.

use std::{collections::VecDeque, sync::Mutex};

use axum::http::{Method, Uri};
use serde::{Serialize, Serializer};

/// One request as received. Everything is copied out of the request: a shared slice would
/// keep the server's whole read buffer (or a large upload) alive with the entry.
#[derive(Clone, Debug)]
pub struct JournalEntry {
    pub seq: u64,
    pub at_unix_ms: u64,
    pub method: Method,
    /// The answer's status; `None` when no answer was sent (dropped or stalled).
    pub status: Option<u16>,
    pub scenario: Option<Box<str>>,
    /// The fault injected into the answer's task (`X-Mock-Fault`).
    pub fault: Option<Box<str>>,
    pub duration_ms: u64,
    /// The path and query, then the start of the body (at most [`BODY_LIMIT`] bytes): one
    /// allocation per request.
    data: Box<[u8]>,
    target_len: usize,
}

impl JournalEntry {
    pub fn new(method: Method, uri: &Uri, body: &[u8]) -> Self {
        let target = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
        let body = &body[..body.len().min(BODY_LIMIT)];
        let mut data = Vec::with_capacity(target.len() + body.len());
        data.extend_from_slice(target.as_bytes());
        data.extend_from_slice(body);
        JournalEntry {
            seq: 0,
            at_unix_ms: 0,
            method,
            status: None,
            scenario: None,
            fault: None,
            duration_ms: 0,
            data: data.into_boxed_slice(),
            target_len: target.len(),
        }
    }

    fn target(&self) -> &str {
        // Built from a `&str` in `new`.
        std::str::from_utf8(&self.data[..self.target_len]).unwrap_or_default()
    }

    pub fn path(&self) -> &str {
        let target = self.target();
        target.split_once('?').map_or(target, |(path, _)| path)
    }

    pub fn query(&self) -> Option<&str> {
        self.target().split_once('?').map(|(_, query)| query)
    }

    pub fn body(&self) -> &[u8] {
        &self.data[self.target_len..]
    }
}

/// What `GET /_mock/journal` shows of an entry.
#[derive(Serialize)]
struct EntryView<'a> {
    seq: u64,
    at_unix_ms: u64,
    method: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<&'a str>,
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fault: Option<&'a str>,
    /// The request body as text, cut at 4 KiB.
    #[serde(skip_serializing_if = "str::is_empty")]
    body: &'a str,
    duration_ms: u64,
}

impl Serialize for JournalEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let body = String::from_utf8_lossy(self.body());
        EntryView {
            seq: self.seq,
            at_unix_ms: self.at_unix_ms,
            method: self.method.as_str(),
            path: self.path(),
            query: self.query(),
            status: self.status,
            scenario: self.scenario.as_deref(),
            fault: self.fault.as_deref(),
            body: &body,
            duration_ms: self.duration_ms,
        }
        .serialize(serializer)
    }
}

pub const BODY_LIMIT: usize = 4096;

pub struct Journal {
    limit: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Entries in place (no box each): once the journal is full, recording reuses the slot the
    /// oldest entry leaves, so the deque never grows on the request path.
    entries: VecDeque<JournalEntry>,
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
        inner.entries.push_back(entry);
    }

    /// The newest `limit` entries whose path contains `path_filter`, oldest first.
    pub fn page(&self, path_filter: Option<&str>, limit: usize) -> JournalPage {
        let inner = self.inner.lock().expect("journal lock");
        let mut entries: Vec<JournalEntry> = inner
            .entries
            .iter()
            .rev()
            .filter(|e| path_filter.is_none_or(|p| e.path().contains(p)))
            .take(limit)
            .cloned()
            .collect();
        entries.reverse();
        JournalPage {
            total_recorded: inner.next_seq,
            dropped: inner.dropped,
            entries,
        }
    }

    /// Entries kept now, and the most it keeps.
    pub fn fill(&self) -> (usize, usize) {
        (
            self.inner.lock().expect("journal lock").entries.len(),
            self.limit,
        )
    }

    pub fn clear(&self) {
        *self.inner.lock().expect("journal lock") = Inner::default();
    }
}
