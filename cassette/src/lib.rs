//! The cassette: what `novita-proxy` saw of each task, as YAML that `novita-mock --replay`
//! plays back. This crate is the format and nothing else, written once for both sides: its
//! types, its version and its bounds, and ([`secret`]) the rule of what it must never hold. The proxy's recorder writes these types; the mock's
//! replay reads them.
//!
//! Per task: the submit request and answer, each change in its task result with the time since
//! submission, and the webhook events relayed for it.
//!
//! Every member that a reader can do without has a default, so that a cassette cut down by
//! hand still reads. Where the mock names a line in its errors, the value is a [`Spanned`]; it
//! is written as the bare value, and a writer makes one with [`unplaced`].
//!
//! ```
//! use novita_cassette::{unplaced, Cassette, RecordedResult, RecordedTask, VERSION};
//! use serde_json::json;
//!
//! let mut cassette = Cassette::new("an example 1.0");
//! cassette.tasks.push(RecordedTask {
//!     endpoint: unplaced("/v3/async/wan-t2v".to_string()),
//!     task_id: "t-1".into(),
//!     submit: Default::default(),
//!     results: vec![unplaced(RecordedResult {
//!         after_ms: 1200,
//!         status: 200,
//!         body: json!({"task": {"task_id": "t-1", "status": "TASK_STATUS_SUCCEED"}}),
//!     })],
//!     webhooks: Vec::new(),
//! });
//! let yaml = serde_saphyr::to_string(&cassette).unwrap();
//! let read = Cassette::from_yaml(&yaml).unwrap();
//! assert_eq!(read.version.value, VERSION);
//! // A reader can name the line of each task result.
//! let line = yaml.lines().position(|l| l.contains("after_ms: 1200")).unwrap() + 1;
//! assert_eq!(read.tasks[0].results[0].referenced.line(), line as u64);
//! ```

mod playback;

pub use playback::{
    Playback, PlaybackBody, PlaybackExtra, PlaybackResult, PlaybackState, PlaybackTask,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use serde_saphyr::Spanned;

pub mod secret;

/// The version a writer writes and a reader reads.
pub const VERSION: u32 = 1;

/// Tasks a cassette holds at most; a writer counts later ones (`tasks_not_recorded`).
pub const MAX_TASKS: usize = 10_000;
/// Task results kept per task: only changes are kept, and a task that reports every whole
/// percent changes about a hundred times.
pub const MAX_RESULTS_PER_TASK: usize = 200;
/// Webhook events kept per task.
pub const MAX_WEBHOOKS_PER_TASK: usize = 50;
/// What a cassette records at most, counted as the JSON of what it holds.
pub const MAX_RECORDED_BYTES: usize = 32 * 1024 * 1024;
/// Cassette files larger than this are refused by a reader: twice what a writer records, for
/// the indentation and repeated member names of YAML, so that a reader takes whatever a writer
/// recorded within [`MAX_RECORDED_BYTES`] (a test holds the YAML of recorded tasks to it).
pub const MAX_CASSETTE_BYTES: u64 = 2 * MAX_RECORDED_BYTES as u64;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cassette {
    pub version: Spanned<u32>,
    /// The writer and its version, e.g. `novita-proxy 0.1.0`.
    #[serde(default)]
    pub recorded_by: String,
    #[serde(default)]
    pub tasks: Vec<RecordedTask>,
    /// Tasks left out because the cassette was full.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tasks_not_recorded: u64,
    /// Task results and webhook events left out because the cassette was full.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub events_not_recorded: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedTask {
    /// The submit path, e.g. `/v3/async/wan2.7-t2v`.
    pub endpoint: Spanned<String>,
    #[serde(default)]
    pub task_id: String,
    #[serde(default)]
    pub submit: RecordedSubmit,
    #[serde(default)]
    pub results: Vec<Spanned<RecordedResult>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<RecordedWebhook>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordedSubmit {
    pub request: Value,
    pub status: u16,
    pub answer: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedResult {
    /// Milliseconds from the submit answer to this answer.
    pub after_ms: u64,
    #[serde(default = "ok_status")]
    pub status: u16,
    pub body: Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordedWebhook {
    pub after_ms: u64,
    pub body: Value,
    /// What the original receiver answered (`None`: it could not be reached).
    pub receiver_status: Option<u16>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn ok_status() -> u16 {
    200
}

/// A value as a writer makes it: it has no place in a file yet.
pub fn unplaced<T>(value: T) -> Spanned<T> {
    let nowhere = serde_saphyr::Location::UNKNOWN;
    Spanned::new(value, nowhere, nowhere)
}

impl Cassette {
    /// An empty cassette of this [`VERSION`].
    pub fn new(recorded_by: &str) -> Cassette {
        Cassette {
            version: unplaced(VERSION),
            recorded_by: recorded_by.to_string(),
            tasks: Vec::new(),
            tasks_not_recorded: 0,
            events_not_recorded: 0,
        }
    }

    /// Reads a cassette's YAML, with the parser's limits sized to [`MAX_CASSETTE_BYTES`]. The
    /// version is not checked: that is the reader's to judge.
    pub fn from_yaml(text: &str) -> Result<Cassette, serde_saphyr::Error> {
        serde_saphyr::from_str_with_options(text, read_budget())
    }
}

/// The parser's limits, sized to the largest cassette a reader takes. The defaults (250 000
/// nodes, a million events) refuse cassettes of a few thousand tasks, far inside what a writer
/// records; every YAML node takes at least a byte of the file, so a limit of one node and one
/// event per byte of [`MAX_CASSETTE_BYTES`] refuses nothing the size check lets through.
/// Nesting depth and aliases keep their defaults: those are what a YAML bomb uses.
fn read_budget() -> serde_saphyr::Options {
    let per_byte = MAX_CASSETTE_BYTES as usize;
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_nodes: per_byte,
            max_events: 2 * per_byte,
            max_total_scalar_bytes: per_byte,
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A task as the proxy records one from the mock: the submission, five result changes and
    /// a webhook event.
    fn recorded_task(n: usize) -> RecordedTask {
        let task_id = format!("3f0c2d1e-8a4b-4c5d-9e6f-{n:012}");
        let result = |step: u64, status: &str| {
            unplaced(RecordedResult {
                after_ms: step * 1000,
                status: 200,
                body: json!({
                    "task": {"task_id": task_id, "task_type": "WAN_2_7_TXT_TO_VIDEO",
                             "status": status, "progress_percent": step * 25, "eta": 3,
                             "reason": ""},
                    "extra": {"seed": "4242", "enable_nsfw_detection": false,
                              "debug_info": {"request_info": "{\"prompt\":\"a fox\"}",
                                             "submit_time_ms": "1760000000000",
                                             "execute_time_ms": "0", "complete_time_ms": "0"}},
                    "videos": [{"video_url": "/videos/v.mp4", "video_url_ttl": "3600",
                                "video_type": "mp4"}],
                    "images": [],
                }),
            })
        };
        let lifetime = [
            "QUEUED",
            "PROCESSING",
            "PROCESSING",
            "PROCESSING",
            "SUCCEED",
        ];
        RecordedTask {
            endpoint: unplaced("/v3/async/wan2.7-t2v".into()),
            task_id: task_id.clone(),
            submit: RecordedSubmit {
                request: json!({"prompt": "A red fox trotting through fresh snow at dawn.",
                                "duration": 5, "extra": {"webhook": {"url": "/hook"}}}),
                status: 200,
                answer: json!({"task_id": task_id}),
            },
            results: lifetime
                .iter()
                .zip(0..)
                .map(|(status, step)| result(step, &format!("TASK_STATUS_{status}")))
                .collect(),
            webhooks: vec![RecordedWebhook {
                after_ms: 4000,
                body: json!({"event_type": "ASYNC_TASK_RESULT",
                             "payload": {"task": {"task_id": task_id}}}),
                receiver_status: Some(200),
            }],
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let mut cassette = Cassette::new("novita-cassette test");
        cassette.tasks = (0..3).map(recorded_task).collect();
        cassette.events_not_recorded = 2;
        let yaml = serde_saphyr::to_string(&cassette).unwrap();
        let read = Cassette::from_yaml(&yaml).unwrap();
        // Spanned values compare their places too: compare what is written.
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            serde_json::to_value(&cassette).unwrap()
        );
        assert!(read.tasks[1].endpoint.referenced.line() > 1);
    }

    #[test]
    fn a_cut_down_cassette_reads_with_defaults() {
        let read = Cassette::from_yaml(
            "version: 1\ntasks:\n- endpoint: /v3/async/wan-t2v\n  results:\n  - after_ms: 5\n    body: {}\n",
        )
        .unwrap();
        let task = &read.tasks[0];
        assert_eq!(task.endpoint.referenced.line(), 3);
        assert_eq!(task.results[0].value.status, 200);
        assert_eq!((task.task_id.as_str(), task.submit.status), ("", 0));
        assert!(task.webhooks.is_empty());
    }

    #[test]
    fn what_a_writer_records_within_its_bound_a_reader_takes() {
        let task = recorded_task(7);
        let json = serde_json::to_vec(&task.submit.request).unwrap().len()
            + serde_json::to_vec(&task.submit.answer).unwrap().len()
            + task
                .results
                .iter()
                .map(|r| serde_json::to_vec(&r.value.body).unwrap().len())
                .sum::<usize>()
            + serde_json::to_vec(&task.webhooks[0].body).unwrap().len();
        let mut cassette = Cassette::new("novita-proxy 0.1.0");
        cassette.tasks = vec![task; 100];
        let yaml = serde_saphyr::to_string(&cassette).unwrap().len();
        // YAML grows with the tasks as the recorded JSON does: a full cassette is this many
        // times MAX_RECORDED_BYTES.
        let per_recorded_byte = yaml as f64 / (100 * json) as f64;
        assert!(
            per_recorded_byte * (MAX_RECORDED_BYTES as f64) < MAX_CASSETTE_BYTES as f64,
            "{per_recorded_byte:.2} bytes of YAML per byte recorded"
        );
    }
}
