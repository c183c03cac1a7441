//! Helpers of the mock's tests: start a mock in-process, talk to it over HTTP.
#![allow(dead_code)]

use novita_mock::{Config, RunningMock};
use reqwest::StatusCode;
use serde_json::Value;

pub mod control_spec;
mod mp4_boxes;
pub mod sse;

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

    /// A call to the control API (or `/health`) whose answer is checked against the control
    /// spec (`openapi/mock-control.yaml`) before the test sees it.
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        checked(&method, request.send().await.expect("mock answers")).await
    }

    /// Moves the mock clock forward by `seconds` of simulated time; when it answers, every
    /// webhook attempt that fell due on the way has run. Returns the clock's reading.
    pub async fn advance(&self, seconds: f64) -> Value {
        let (status, clock) = self
            .control(
                reqwest::Method::POST,
                "/_mock/clock/advance",
                Some(serde_json::json!({ "seconds": seconds })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{clock}");
        clock
    }

    /// Moves the clock ten minutes forward (past the end of any job and webhook retry, short of
    /// a video link's default hour) and returns the task's result, which must be in `status`.
    /// No waiting on real time.
    pub async fn run_to_end(&self, task_id: &str, status: &str) -> Value {
        self.advance(600.0).await;
        let (_, body) = self.result(task_id).await;
        assert_eq!(body["task"]["status"], status, "{body}");
        body
    }

    /// The task's webhook log once everything due by now has run.
    pub async fn webhook_log(&self, task_id: &str) -> Value {
        self.advance(0.0).await;
        let (_, detail) = self
            .control(
                reqwest::Method::GET,
                &format!("/_mock/tasks/{task_id}"),
                None,
            )
            .await;
        detail["webhook"].clone()
    }
}

/// The test configuration with the mock clock paused: tasks stay where they are until the test
/// moves the clock.
pub fn paused() -> Config {
    Config {
        paused: true,
        ..Config::for_tests()
    }
}

/// [`paused`] at speed 1, for tests that read `eta`: it is said in wall seconds, the mock's
/// remaining time divided by its speed, and at speed 1 the two are the same.
pub fn paused_at_speed_1() -> Config {
    Config {
        speed: 1.0,
        ..paused()
    }
}

pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Reads an answer of `/health` or a control route, sent to a `method` request, after checking
/// its status, media type and JSON body against the control spec; the body as `read` gives it.
pub async fn checked(method: &reqwest::Method, response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let path = response.url().path().to_string();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let body = response.bytes().await.expect("the answer's body arrives");
    control_spec::spec().check_answer(
        method.as_str(),
        &path,
        status.as_u16(),
        content_type.as_deref(),
        &body,
    );
    let text = String::from_utf8_lossy(&body);
    let value = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()));
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

/// A webhook receiver that answers 500 to its first `failures` calls, then 200.
pub async fn receiver(failures: u64) -> wiremock::MockServer {
    receiver_answering(&[(500, failures)], 200).await
}

/// A webhook receiver that answers each `(status, times)` in turn, then `then` to every later
/// call.
pub async fn receiver_answering(answers: &[(u16, u64)], then: u16) -> wiremock::MockServer {
    use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    for &(status, times) in answers.iter().filter(|(_, times)| *times > 0) {
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(times)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(then))
        .mount(&server)
        .await;
    server
}

/// A webhook receiver that gives `answer` to every call and, when it is dropped, fails the
/// test unless it had exactly `calls` calls.
pub async fn receiver_expecting(
    answer: wiremock::ResponseTemplate,
    calls: u64,
) -> wiremock::MockServer {
    use wiremock::{matchers::method, Mock, MockServer};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .expect(calls)
        .mount(&server)
        .await;
    server
}

/// A Wan 2.1 text-to-video body with `prompt` and a webhook to `server`.
pub fn hooked(server: &wiremock::MockServer, prompt: &str) -> Value {
    serde_json::json!({"prompt": prompt, "extra": {"webhook": {"url": format!("{}/hook", server.uri())}}})
}

#[path = "../../../src/video/test_images.rs"]
mod test_images;
pub use mp4_boxes::{mp4, mp4_box};
#[allow(unused_imports)] // not every test file builds images
pub use test_images::png_header;

/// A child process killed when the test ends, however it ends.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the child's standard output up to its `listening on` line; returns the URL and the
/// lines still to come.
pub fn listening_url(
    child: &mut std::process::Child,
) -> (
    String,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
) {
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("novita-mock listening on ") {
            return (url.trim().to_string(), lines);
        }
    }
    panic!("the mock never said it was listening");
}

/// A paused mock that keeps its state in `path`, with room for 4 tasks.
pub fn with_state(path: &std::path::Path) -> Config {
    Config {
        state: Some(path.to_path_buf()),
        max_tasks: 4,
        ..paused()
    }
}
