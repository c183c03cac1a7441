//! Nothing lost under load and faults: many tasks with webhooks, a receiver that is down and
//! comes back, and one that never does.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{extract::State, http::StatusCode, routing::post, Router};
use futures_util::{stream, StreamExt};
use novita_mock::Config;
use serde::Serialize;
use serde_json::{json, Value};

type Seen = Arc<Mutex<HashMap<String, u32>>>;

/// A webhook receiver that counts events per task id and answers 200.
async fn receiver_on(listener: tokio::net::TcpListener) -> (Seen, tokio::task::JoinHandle<()>) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State(seen): State<Seen>, body: axum::body::Bytes| async move {
                    let event: Value = serde_json::from_slice(&body).unwrap_or_default();
                    if let Some(id) = event
                        .pointer("/payload/task/task_id")
                        .and_then(Value::as_str)
                    {
                        *seen.lock().unwrap().entry(id.to_string()).or_default() += 1;
                    }
                    StatusCode::OK
                },
            ),
        )
        .with_state(seen.clone());
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (seen, handle)
}

#[derive(Debug, Serialize)]
pub struct LoadCheck {
    pub tasks: usize,
    pub seconds: f64,
    pub submit_failures: usize,
    pub server_errors: usize,
    pub not_terminal: usize,
    pub webhooks_missing: usize,
    pub webhooks_duplicated: usize,
    pub journal_recorded: u64,
    pub journal_expected: u64,
    pub passed: bool,
}

/// `tasks` submissions over 64 connections, each with a webhook; then every result is read.
pub async fn load_with_webhooks(tasks: usize) -> LoadCheck {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let (seen, _receiver) = receiver_on(listener).await;
    let mock = novita_mock::spawn(Config {
        speed: 100.0,
        ..Config::for_tests()
    })
    .await
    .unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let started = Instant::now();
    let outcomes = submit_all(&http, mock.url(), &hook, tasks).await;
    let server_errors = outcomes
        .iter()
        .filter(|o| matches!(o, Err(s) if *s >= 500))
        .count();
    let ids: Vec<String> = outcomes.into_iter().filter_map(Result::ok).collect();
    let submit_failures = tasks - ids.len();

    // Every webhook within a minute.
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().unwrap().len() < ids.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let statuses = statuses_of(&http, mock.url(), &ids).await;
    let not_terminal = statuses
        .iter()
        .filter(|s| s.as_str() != "TASK_STATUS_SUCCEED")
        .count();
    let seen = seen.lock().unwrap().clone();
    let webhooks_missing = ids.iter().filter(|id| !seen.contains_key(*id)).count();
    let webhooks_duplicated = seen.values().filter(|count| **count > 1).count();
    let journal = json_of(http.get(format!("{}/_mock/journal?limit=0", mock.url()))).await;
    let journal_recorded = journal["total_recorded"].as_u64().unwrap_or(0);
    let journal_expected = (tasks * 2) as u64;
    LoadCheck {
        tasks,
        seconds: started.elapsed().as_secs_f64(),
        submit_failures,
        server_errors,
        not_terminal,
        webhooks_missing,
        webhooks_duplicated,
        journal_recorded,
        journal_expected,
        passed: submit_failures == 0
            && server_errors == 0
            && not_terminal == 0
            && webhooks_missing == 0
            && webhooks_duplicated == 0
            && journal_recorded == journal_expected,
    }
}

/// `tasks` submissions with a webhook to `hook`, 64 at a time: each task's id, or the status
/// of its refusal (0: no answer).
async fn submit_all(
    http: &reqwest::Client,
    mock: &str,
    hook: &str,
    tasks: usize,
) -> Vec<Result<String, u16>> {
    let submit_url = format!("{mock}/v3/async/wan-t2v");
    let body = json!({"prompt": "load", "extra": {"webhook": {"url": hook}}}).to_string();
    stream::iter(0..tasks)
        .map(|_| {
            let (http, url, body) = (http.clone(), submit_url.clone(), body.clone());
            async move {
                let response = http
                    .post(url)
                    .header("authorization", "Bearer load")
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|_| 0u16)?;
                let status = response.status().as_u16();
                let value: Value = response.json().await.map_err(|_| status)?;
                value["task_id"].as_str().map(str::to_string).ok_or(status)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await
}

/// The status of each task in `ids`, read 64 at a time (empty where none could be read).
async fn statuses_of(http: &reqwest::Client, mock: &str, ids: &[String]) -> Vec<String> {
    let result_url = format!("{mock}/v3/async/task-result");
    stream::iter(ids.to_vec())
        .map(|id| {
            let (http, url) = (http.clone(), result_url.clone());
            async move {
                let response = http
                    .get(url)
                    .query(&[("task_id", id)])
                    .header("authorization", "Bearer load")
                    .send()
                    .await;
                match response {
                    Ok(r) => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["task"]["status"].as_str().map(str::to_string))
                        .unwrap_or_default(),
                    Err(_) => String::new(),
                }
            }
        })
        .buffer_unordered(64)
        .collect()
        .await
}

#[derive(Debug, Serialize)]
pub struct OutageCheck {
    pub tasks: usize,
    pub delivered_after_recovery: usize,
    pub gave_up_when_never_back: usize,
    pub silently_dropped: usize,
    pub passed: bool,
}

/// Receivers that are down: one comes back within the retry budget, one never does.
pub async fn receiver_outage(tasks: usize) -> OutageCheck {
    // Speed 10: retries after 0.1, 0.2, 0.4, 0.8 and 1.6 s (3.1 s in all).
    let mock = novita_mock::spawn(Config {
        speed: 10.0,
        ..Config::for_tests()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let back_later = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let back_addr = back_later.local_addr().unwrap();
    drop(back_later);
    let never = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..tasks * 2 {
        let addr = if i % 2 == 0 { back_addr } else { never };
        let body = json!({"prompt": "outage", "extra": {"webhook": {"url": format!("http://{addr}/hook")}}});
        let response = json_of(
            http.post(format!("{}/v3/async/wan-t2v", mock.url()))
                .header("authorization", "Bearer outage")
                .json(&body),
        )
        .await;
        ids.push((
            i % 2 == 0,
            response["task_id"].as_str().unwrap().to_string(),
        ));
    }
    // Jobs end after 0.7 s; the receiver comes back 1.5 s in, during the retries.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let listener = tokio::net::TcpListener::bind(back_addr).await.unwrap();
    let (_seen, _server) = receiver_on(listener).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (mut delivered, mut gave_up, mut dropped) = (0, 0, 0);
    for (comes_back, id) in &ids {
        let detail = json_of(http.get(format!("{}/_mock/tasks/{id}", mock.url()))).await;
        match (
            comes_back,
            detail["webhook"]["delivery"].as_str().unwrap_or_default(),
        ) {
            (true, "delivered") => delivered += 1,
            (false, "gave_up") => gave_up += 1,
            _ => dropped += 1,
        }
    }
    OutageCheck {
        tasks: tasks * 2,
        delivered_after_recovery: delivered,
        gave_up_when_never_back: gave_up,
        silently_dropped: dropped,
        passed: delivered == tasks && gave_up == tasks,
    }
}

/// Sends a request to the mock and reads its JSON answer; the runner stops on any failure.
async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request
        .send()
        .await
        .expect("the mock answers")
        .json()
        .await
        .expect("a JSON answer")
}
