//! The cassette recorder: what the proxy saw of each task, kept as exchanges pass and written
//! as the YAML of `novita-cassette` for `novita-mock --replay`.
//!
//! Nothing secret is written: headers are never recorded, what `secrets` calls secret (members
//! named like credentials, the user information of URLs, relay tokens) is blanked, URLs in
//! answers (pre-signed video links) are kept as their path only, and so are URLs with a query
//! in requests. Inline `data:` payloads are shortened.

use std::{collections::HashMap, time::Instant};

use novita_cassette::{
    unplaced, Cassette, RecordedResult, RecordedSubmit, RecordedTask, RecordedWebhook,
    MAX_RECORDED_BYTES, MAX_RESULTS_PER_TASK, MAX_TASKS, MAX_WEBHOOKS_PER_TASK,
};
use serde_json::Value;

use crate::secrets;

/// `data:` URIs longer than this are shortened to their media type and size.
const MAX_DATA_URI: usize = 128;

/// Collects tasks as exchanges pass.
#[derive(Debug, Default)]
pub struct Recorder {
    tasks: Vec<(Instant, RecordedTask)>,
    by_id: HashMap<String, usize>,
    not_recorded: u64,
    events_not_recorded: u64,
    budget: Budget,
}

/// What is recorded so far, as JSON bytes, against [`MAX_RECORDED_BYTES`].
#[derive(Debug, Default)]
struct Budget {
    used: usize,
}

impl Budget {
    /// Takes `size` bytes, if they are left.
    fn take(&mut self, size: usize) -> bool {
        if self.used + size > MAX_RECORDED_BYTES {
            return false;
        }
        self.used += size;
        true
    }
}

impl Recorder {
    /// A submission the upstream accepted: starts a task if the answer names one.
    pub fn submitted(&mut self, endpoint: &str, request: &[u8], status: u16, answer: &[u8]) {
        let Ok(answer) = serde_json::from_slice::<Value>(answer) else {
            return;
        };
        let Some(task_id) = answer["task_id"].as_str().map(str::to_string) else {
            return;
        };
        let request = scrubbed(
            serde_json::from_slice(request).unwrap_or(Value::Null),
            Side::Request,
        );
        let answer = scrubbed(answer, Side::Answer);
        let size = json_size(&request) + json_size(&answer);
        if self.tasks.len() >= MAX_TASKS || !self.budget.take(size) {
            self.not_recorded += 1;
            return;
        }
        self.by_id.insert(task_id.clone(), self.tasks.len());
        self.tasks.push((
            Instant::now(),
            RecordedTask {
                endpoint: unplaced(endpoint.to_string()),
                task_id,
                submit: RecordedSubmit {
                    request,
                    status,
                    answer,
                },
                results: Vec::new(),
                webhooks: Vec::new(),
            },
        ));
    }

    /// A task result: kept when the task's status, progress or reason changed since the last
    /// one kept.
    pub fn result(&mut self, status: u16, body: &[u8]) {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let Some(index) = self.index_of(&body["task"]["task_id"]) else {
            return;
        };
        let (submitted, task) = &mut self.tasks[index];
        let changed = task.results.last().is_none_or(|last| {
            state_of(&last.value.body) != state_of(&body) || last.value.status != status
        });
        if !changed {
            return;
        }
        let full = task.results.len() >= MAX_RESULTS_PER_TASK;
        let body = scrubbed(body, Side::Answer);
        let size = json_size(&body);
        if full || !self.budget.take(size) {
            self.events_not_recorded += 1;
            return;
        }
        task.results.push(unplaced(RecordedResult {
            after_ms: millis_since(*submitted),
            status,
            body,
        }));
    }

    /// A webhook event relayed to its receiver.
    pub fn webhook(&mut self, body: &[u8], receiver_status: Option<u16>) {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let Some(index) = self.index_of(&body["payload"]["task"]["task_id"]) else {
            return;
        };
        let (submitted, task) = &mut self.tasks[index];
        let full = task.webhooks.len() >= MAX_WEBHOOKS_PER_TASK;
        let body = scrubbed(body, Side::Answer);
        if full || !self.budget.take(json_size(&body)) {
            self.events_not_recorded += 1;
            return;
        }
        task.webhooks.push(RecordedWebhook {
            after_ms: millis_since(*submitted),
            body,
            receiver_status,
        });
    }

    fn index_of(&self, task_id: &Value) -> Option<usize> {
        self.by_id.get(task_id.as_str()?).copied()
    }

    pub fn task_count(&self) -> usize {
        self.tasks.len()
    }

    pub fn cassette(&self) -> Cassette {
        Cassette {
            tasks: self.tasks.iter().map(|(_, task)| task.clone()).collect(),
            tasks_not_recorded: self.not_recorded,
            events_not_recorded: self.events_not_recorded,
            ..Cassette::new(&format!("novita-proxy {}", env!("CARGO_PKG_VERSION")))
        }
    }

    pub fn to_yaml(&self) -> String {
        let header =
            "# A cassette recorded by novita-proxy: replay it with `novita-mock --replay FILE`.\n";
        let body = serde_saphyr::to_string(&self.cassette())
            .unwrap_or_else(|e| format!("# the cassette did not serialise: {e}\n"));
        format!("{header}{body}")
    }
}

fn json_size(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |bytes| bytes.len())
}

fn millis_since(at: Instant) -> u64 {
    at.elapsed().as_millis().try_into().unwrap_or(u64::MAX)
}

/// What makes one task result differ from the last for the cassette.
fn state_of(body: &Value) -> (&Value, &Value, &Value) {
    let task = &body["task"];
    (&task["status"], &task["progress_percent"], &task["reason"])
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Request,
    Answer,
}

/// `value` with nothing secret left in it (see the module's notes).
fn scrubbed(mut value: Value, side: Side) -> Value {
    scrub(&mut value, side);
    secrets::blank_value(&mut value);
    value
}

fn scrub(value: &mut Value, side: Side) {
    match value {
        Value::Object(map) => {
            for (name, member) in map.iter_mut() {
                if name == "request_info" {
                    // The task result echoes the request as a JSON string; scrub it as one.
                    if let Some(echo) = member
                        .as_str()
                        .and_then(|t| serde_json::from_str::<Value>(t).ok())
                    {
                        *member = Value::String(scrubbed(echo, Side::Request).to_string());
                    }
                } else {
                    scrub(member, side);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| scrub(item, side)),
        Value::String(text) => {
            if let Some(shorter) = scrubbed_text(text, side) {
                *text = shorter;
            }
        }
        _ => {}
    }
}

fn scrubbed_text(text: &str, side: Side) -> Option<String> {
    if text.starts_with("data:") && text.len() > MAX_DATA_URI {
        let media = text[5..].split([';', ',']).next().unwrap_or_default();
        return Some(format!("data:{media};<{} bytes, not recorded>", text.len()));
    }
    if !(text.starts_with("http://") || text.starts_with("https://")) {
        return None;
    }
    let url = url::Url::parse(text).ok()?;
    (side == Side::Answer || url.query().is_some()).then(|| url.path().to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_and_presigned_links_are_not_kept() {
        let answer = scrubbed(
            json!({
                "videos": [{"video_url": "https://bucket.s3.amazonaws.com/out/a.mp4?X-Amz-Signature=abc"}],
                "extra": {"debug_info": {"request_info": "{\"api_key\":\"sk-1\",\"prompt\":\"x\"}"}},
            }),
            Side::Answer,
        );
        assert_eq!(answer["videos"][0]["video_url"], "/out/a.mp4");
        assert_eq!(
            answer["extra"]["debug_info"]["request_info"],
            r#"{"api_key":"<redacted>","prompt":"x"}"#
        );
        let request = scrubbed(
            json!({
                "Authorization": "Bearer sk-1",
                "image": "https://example.com/cat.png",
                "hook": "https://example.com/hook?token=t",
                "inline": format!("data:image/png;base64,{}", "A".repeat(500)),
            }),
            Side::Request,
        );
        assert_eq!(request["Authorization"], "<redacted>");
        assert_eq!(request["image"], "https://example.com/cat.png");
        assert_eq!(request["hook"], "/hook");
        assert_eq!(
            request["inline"],
            "data:image/png;<522 bytes, not recorded>"
        );
    }

    #[test]
    fn a_full_cassette_counts_what_it_leaves_out() {
        let mut recorder = Recorder::default();
        let request = json!({"prompt": "x".repeat(1024 * 1024)}).to_string();
        for i in 0..40 {
            let answer = json!({"task_id": format!("t{i}")}).to_string();
            recorder.submitted(
                "/v3/async/wan-t2v",
                request.as_bytes(),
                200,
                answer.as_bytes(),
            );
        }
        let cassette = recorder.cassette();
        assert_eq!(cassette.tasks.len(), 31);
        assert_eq!(cassette.tasks_not_recorded, 9);
        recorder.result(200, br#"{"task": {"task_id": "t0", "status": "Q"}}"#);
        assert!(recorder.budget.used <= MAX_RECORDED_BYTES);
    }

    #[test]
    fn only_changes_of_a_task_are_kept() {
        let mut recorder = Recorder::default();
        recorder.submitted("/v3/async/wan-t2v", b"{}", 200, br#"{"task_id":"t1"}"#);
        let result = |status: &str, progress: u32| {
            json!({"task": {"task_id": "t1", "status": status, "progress_percent": progress, "reason": ""}})
                .to_string()
        };
        for (status, progress) in [
            ("Q", 0),
            ("Q", 0),
            ("P", 10),
            ("P", 10),
            ("P", 50),
            ("S", 100),
        ] {
            recorder.result(200, result(status, progress).as_bytes());
        }
        recorder.result(200, br#"{"task": {"task_id": "another"}}"#);
        let cassette = recorder.cassette();
        assert_eq!(cassette.tasks.len(), 1);
        let kept: Vec<_> = cassette.tasks[0]
            .results
            .iter()
            .map(|r| r.value.body["task"]["progress_percent"].as_u64().unwrap())
            .collect();
        assert_eq!(kept, [0, 10, 50, 100]);
    }
}
