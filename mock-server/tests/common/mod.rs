//! Helpers of the mock's tests: start a mock in-process, talk to it over HTTP.
#![allow(dead_code)]

use std::time::Duration;

use novita_mock::{Config, RunningMock};
use reqwest::StatusCode;
use serde_json::Value;

pub const KEY: &str = "qa-key";

pub struct Mock {
    pub server: RunningMock,
    pub http: reqwest::Client,
}

pub async fn start(config: Config) -> Mock {
    let server = novita_mock::spawn(config).await.expect("mock starts");
    Mock {
        server,
        http: reqwest::Client::new(),
    }
}

pub async fn start_default() -> Mock {
    start(Config::for_tests()).await
}

impl Mock {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// POSTs `body` (JSON text) with the test key.
    pub async fn post_raw(
        &self,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(self.url(path))
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", "application/json")
            .body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.expect("mock answers")).await
    }

    pub async fn submit(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_raw(path, &body.to_string(), &[]).await
    }

    /// Submits and returns the new task's id, failing the test otherwise.
    pub async fn submit_ok(&self, path: &str, body: &Value) -> String {
        let (status, answer) = self.submit(path, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["task_id"].as_str().expect("task_id").to_string()
    }

    pub async fn result(&self, task_id: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url("/v3/async/task-result"))
            .query(&[("task_id", task_id)])
            .header("authorization", format!("Bearer {KEY}"))
            .send()
            .await
            .expect("mock answers");
        read(response).await
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.expect("mock answers")).await
    }

    /// Polls until the task reaches `status` (at most ~10 s).
    pub async fn wait_for(&self, task_id: &str, status: &str) -> Value {
        for _ in 0..1000 {
            let (_, body) = self.result(task_id).await;
            if body["task"]["status"] == status {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("task {task_id} never reached {status}");
    }
}

pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts a Novita error answer and returns its message.
pub fn assert_novita_error(answer: &(StatusCode, Value), status: u16, reason: &str) -> String {
    let (got_status, body) = answer;
    assert_eq!(got_status.as_u16(), status, "{body}");
    assert_eq!(body["code"], status, "{body}");
    assert_eq!(body["reason"], reason, "{body}");
    assert_eq!(body["metadata"], serde_json::json!({}), "{body}");
    body["message"].as_str().expect("message").to_string()
}
