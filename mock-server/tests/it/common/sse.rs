//! A small reader of Server-Sent Events for the event stream's tests.
#![allow(dead_code)] // each test file uses part of it

use serde_json::Value;

/// One event as received: its id (when it has one) and its data, parsed.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: Option<u64>,
    pub data: Value,
}

pub struct EventReader {
    response: reqwest::Response,
    buffer: String,
}

impl EventReader {
    pub fn new(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"].to_str().unwrap();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        EventReader {
            response,
            buffer: String::new(),
        }
    }

    /// The next event with data (keep-alive comments are skipped); `None` when the stream ends.
    /// Waits on the mock, not on a timer: the caller has made the event happen first.
    pub async fn next(&mut self) -> Option<Received> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = value.trim().parse().ok();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if !data.is_empty() {
                    let data = serde_json::from_str(&data).expect("event data is JSON");
                    return Some(Received { id, data });
                }
                continue;
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next `n` events, failing the test if the stream ends first.
    pub async fn take(&mut self, n: usize) -> Vec<Received> {
        let mut events = Vec::new();
        for _ in 0..n {
            events.push(self.next().await.expect("the stream goes on"));
        }
        events
    }
}
