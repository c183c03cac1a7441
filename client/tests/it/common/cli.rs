//! Runs the `novita` binary (feature `cli`) and keeps what it printed.

use serde_json::{json, Value};
use tokio::process::Command;
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// The key the CLI tests give `novita` in `NOVITA_API_KEY`.
pub const CLI_KEY: &str = "cli-key";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub async fn novita(server: &MockServer, args: &[&str]) -> Run {
    novita_at(&server.uri(), args).await
}

pub async fn novita_at(base_url: &str, args: &[&str]) -> Run {
    novita_with(Some(base_url), Some(CLI_KEY), args).await
}

/// `novita ARGS` with `NOVITA_BASE_URL` and `NOVITA_API_KEY` set as given, or unset.
pub async fn novita_with(base_url: Option<&str>, key: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_novita"));
    command.args(args);
    for (name, value) in [("NOVITA_BASE_URL", base_url), ("NOVITA_API_KEY", key)] {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().await.expect("novita runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A server that answers every submission with task `t-42`.
pub async fn accepting_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-42"})))
        .mount(&server)
        .await;
    server
}

/// Mounts the result of task `t-42` on `server`: `status` with `reason` (see [`result_body`]).
pub async fn serves_result(server: &MockServer, status: &str, reason: &str) {
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(result_body(server, status, reason)))
        .mount(server)
        .await;
}

/// Task `t-42` as Novita gives it: `status` with `reason`, and the video at `/v.mp4` of
/// `server` when it succeeded.
fn result_body(server: &MockServer, status: &str, reason: &str) -> Value {
    json!({
        "task": {"task_id": "t-42", "status": status, "reason": reason, "eta": 0, "progress_percent": 100},
        "videos": if status == "TASK_STATUS_SUCCEED" {
            json!([{"video_url": format!("{}/v.mp4", server.uri()), "video_url_ttl": "3600", "video_type": "mp4"}])
        } else { json!([]) }
    })
}

/// The JSON bodies of `requests`, in order.
pub fn sent_bodies(requests: &[wiremock::Request]) -> Vec<Value> {
    requests
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}
