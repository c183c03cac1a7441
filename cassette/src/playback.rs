//! What a player of a cassette needs of it, read without the rest. The mock replays only each
//! task's endpoint and, per task result, `after_ms`, `status`, the body's `task` and its
//! `extra.seed`; reading the whole [`Cassette`](crate::Cassette) keeps every request, answer,
//! video list and webhook event as JSON trees, many times the file's size. These types read
//! the same YAML and skip everything else as it is parsed.

use serde::Deserialize;
use serde_json::Value;

use crate::{ok_status, read_budget, Spanned};

#[derive(Debug, Deserialize)]
pub struct Playback {
    pub version: Spanned<u32>,
    #[serde(default)]
    pub tasks: Vec<PlaybackTask>,
}

#[derive(Debug, Deserialize)]
pub struct PlaybackTask {
    pub endpoint: Spanned<String>,
    #[serde(default)]
    pub results: Vec<Spanned<PlaybackResult>>,
}

#[derive(Debug, Deserialize)]
pub struct PlaybackResult {
    pub after_ms: u64,
    #[serde(default = "ok_status")]
    pub status: u16,
    pub body: PlaybackBody,
}

/// A task result's body, of which only `task.status`, `task.progress_percent`, `task.reason`
/// and `extra.seed` are kept, each as whatever JSON value it holds (`null` when missing).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlaybackBody {
    pub task: PlaybackState,
    pub extra: PlaybackExtra,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlaybackState {
    pub status: Value,
    pub progress_percent: Value,
    pub reason: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PlaybackExtra {
    pub seed: Value,
}

impl Playback {
    /// Reads a cassette's YAML for playback, with the limits of [`Cassette::from_yaml`](crate::Cassette::from_yaml).
    pub fn from_yaml(text: &str) -> Result<Playback, serde_saphyr::Error> {
        serde_saphyr::from_str_with_options(text, read_budget())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cassette_reads_for_playback_with_the_rest_skipped() {
        let read = Playback::from_yaml(
            "version: 1\nrecorded_by: x\ntasks:\n- endpoint: /v3/async/wan-t2v\n  task_id: t\n  submit: {request: {prompt: a}}\n  results:\n  - after_ms: 5\n    body: {task: {status: TASK_STATUS_SUCCEED}, extra: {seed: '7', debug_info: {}}, videos: [{video_url: /v.mp4}]}\n  webhooks: [{after_ms: 1, body: {}}]\n",
        )
        .unwrap();
        let result = &read.tasks[0].results[0];
        assert_eq!(result.referenced.line(), 8);
        assert_eq!(result.value.status, 200);
        assert_eq!(result.value.body.task.status, "TASK_STATUS_SUCCEED");
        assert_eq!(result.value.body.extra.seed, "7");
    }
}
