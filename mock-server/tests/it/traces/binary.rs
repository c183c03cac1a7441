//! The mock binary under test, exporting to a receiver of the test, and a webhook receiver
//! that keeps the trace headers it gets.

use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::common::{self, listening_url, Running};

/// The mock binary, paused, exporting to `endpoint` with a short batch delay.
pub struct TracedMock {
    child: Running,
    url: String,
    http: reqwest::Client,
}

impl TracedMock {
    pub fn start(endpoint: &str, extra: &[(&str, &str)]) -> TracedMock {
        let mut command = Command::new(env!("CARGO_BIN_EXE_novita-mock"));
        command
            .env_clear()
            .env("NOVITA_MOCK_ADDR", "127.0.0.1:0")
            .env("NOVITA_MOCK_PAUSED", "true")
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_SERVICE_NAME", "mock-under-test")
            .env("OTEL_BSP_SCHEDULE_DELAY", "20")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = Running(command.spawn().expect("the mock starts"));
        let (url, lines) = listening_url(&mut child.0);
        // Keep reading the log so that the mock never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        TracedMock {
            child,
            url,
            http: reqwest::Client::new(),
        }
    }

    /// SIGTERM, and waits for the mock to exit (having saved its state and sent its spans).
    pub fn stop(mut self) {
        let pid = self.child.0.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        assert!(self.child.0.wait().unwrap().success());
    }

    pub async fn submit(&self, body: &Value, headers: &[(&str, &str)]) -> String {
        let mut request = self
            .http
            .post(format!("{}/v3/async/wan-t2v", self.url))
            .bearer_auth("any-key")
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("the mock answers");
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        answer["task_id"].as_str().expect("a task id").to_string()
    }

    pub async fn advance(&self, seconds: f64) {
        let response = self
            .http
            .post(format!("{}/_mock/clock/advance", self.url))
            .json(&json!({ "seconds": seconds }))
            .send()
            .await
            .expect("the mock answers");
        assert_eq!(response.status(), 200);
    }

    pub async fn result(&self, task_id: &str) -> Value {
        let response = self
            .http
            .get(format!(
                "{}/v3/async/task-result?task_id={task_id}",
                self.url
            ))
            .bearer_auth("any-key")
            .send()
            .await
            .expect("the mock answers");
        response.json().await.unwrap()
    }

    pub async fn health(&self) -> Value {
        let response = self.http.get(format!("{}/health", self.url)).send().await;
        response.expect("the mock answers").json().await.unwrap()
    }
}

/// A webhook receiver that keeps every request.
pub async fn webhook_receiver() -> wiremock::MockServer {
    common::receiver(0).await
}

pub fn hooked(receiver: &wiremock::MockServer) -> Value {
    json!({"prompt": "a traced cat", "extra": {"webhook": {"url": format!("{}/hook", receiver.uri())}}})
}

/// The `traceparent` and `tracestate` of each webhook the receiver got.
pub async fn webhook_contexts(receiver: &wiremock::MockServer) -> Vec<(String, Option<String>)> {
    let header = |r: &wiremock::Request, name: &str| {
        r.headers.get(name).map(|v| v.to_str().unwrap().to_string())
    };
    receiver
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                header(r, "traceparent").expect("the webhook has a traceparent"),
                header(r, "tracestate"),
            )
        })
        .collect()
}
