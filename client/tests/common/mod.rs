//! Shared helpers of the client's integration tests.
#![allow(dead_code)]

use std::time::Duration;

use novita_video::{NovitaClient, RetryPolicy};
use serde_json::Value;
use wiremock::MockServer;

pub const KEY: &str = "test-key";

/// Retries with millisecond backoffs, so that retry tests run fast.
pub fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        max_retry_after: Duration::from_millis(50),
    }
}

pub fn client_for(server: &MockServer) -> NovitaClient {
    NovitaClient::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .poll_retry(fast_retry(4))
        .submit_retry(fast_retry(3))
        .build()
        .expect("client builds")
}

/// The spec, parsed, for its documented examples.
pub fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/novita.yaml"))
        .unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// The `examples` map at a JSON pointer of the spec.
pub fn examples_at(pointer: &str) -> Vec<(String, Value)> {
    let spec = spec();
    let examples = spec
        .pointer(pointer)
        .unwrap_or_else(|| panic!("no examples at {pointer}"))
        .as_object()
        .unwrap()
        .clone();
    examples
        .into_iter()
        .map(|(name, example)| (name, example["value"].clone()))
        .collect()
}

pub fn task_body(status: &str, progress: f64, eta: f64) -> Value {
    serde_json::json!({
        "task": {"task_id": "t-1", "task_type": "WAN_TXT_TO_VIDEO", "status": status,
                 "reason": "", "eta": eta, "progress_percent": progress},
        "images": [], "videos": []
    })
}
