//! The plain requests the runner makes of a server: one task, many tasks, `/health`.

use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

/// Creates one task on `url` (so that GET polls find it) and returns its id.
pub async fn seed_task(http: &reqwest::Client, url: &str) -> String {
    let answer: Value = http
        .post(format!("{url}/v3/async/wan-t2v"))
        .header("authorization", "Bearer bench")
        .json(&json!({"prompt": "seed"}))
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .unwrap_or_default();
    // Prism answers with the documented placeholder, which is no valid URL part.
    answer["task_id"]
        .as_str()
        .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or("probe")
        .to_string()
}

/// Submits `count` small wan-t2v tasks to `url`, 64 at a time; returns how many were accepted.
pub async fn fill(http: &reqwest::Client, url: &str, count: usize) -> usize {
    let url = format!("{url}/v3/async/wan-t2v");
    stream::iter(0..count)
        .map(|i| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let response = http
                    .post(url)
                    .header("authorization", "Bearer bench")
                    .json(&json!({"prompt": format!("fill {i}"), "seed": i}))
                    .send()
                    .await;
                usize::from(response.is_ok_and(|r| r.status().is_success()))
            }
        })
        .buffer_unordered(64)
        .fold(0, |sum, ok| async move { sum + ok })
        .await
}

/// What `/health` answers, or `null` when nothing does.
pub async fn health(http: &reqwest::Client, url: &str) -> Value {
    match http.get(format!("{url}/health")).send().await {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(_) => Value::Null,
    }
}
