//! The state file (`--state FILE`, `state:` in a scenario file): what a stopping mock saves
//! and a starting one reads back, so that a redeployed mock keeps its tasks, its clock, its
//! pending webhook attempts and its counters. A versioned JSON document:
//!
//! ```json
//! {"version": 1, "saved_at_unix_ms": 0,
//!  "clock": {"now": {"secs": 12, "nanos": 0}, "paused": true, "started_unix_ms": 0},
//!  "counters": {"evicted": 0, "webhooks_dropped": 0},
//!  "webhooks": [{"task_id": "…", "attempt": 2, "at": {"secs": 14, "nanos": 0}, "generation": 0}],
//!  "tasks": [{"id": "…", "job": {…}, "seed": 1, "request_text": "…", …}]}
//! ```
//!
//! Tasks are listed oldest first, each whole (its job, request, key, fault, replayed script,
//! control-API offset or forced end, webhook attempts and delivery, and the measurement of a
//! reference video given as a URL, absent in older files). Webhook instants are on
//! the saved mock clock, which is restored with them. The journal, the video cache, queued
//! outcomes and rate-limit windows are not kept.
//!
//! `format` is the document and the checks a file read back passes; `place` holds the file for
//! one mock from start to shutdown (lock, writable folder, leftovers, bounded read); `restore`
//! puts it into a new mock within that mock's bounds; `save` writes it, through
//! `novita_files::write_atomically`: a temporary file beside it, synced, renamed over it, so a
//! crash mid-write leaves the previous file whole. It holds API keys: it is created readable by
//! its owner only.

mod format;
mod place;
mod restore;
mod save;

pub use place::StateFile;
pub use restore::{Restored, Saved};

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{snapshot::format::parse, state::AppState};

    #[tokio::test]
    async fn fuzz_state_file() {
        use crate::sim::tasks::test_task;
        let state = AppState::new(
            crate::Config {
                paused: true,
                ..crate::Config::for_tests()
            },
            "http://mock".into(),
        )
        .unwrap();
        let now = state.clock.now();
        for work in [1, 30] {
            let task = Arc::new(test_task(
                now,
                std::time::Duration::from_secs(work),
                None,
                None,
            ));
            state.tasks.insert(task, now);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save::save(&state, &path).unwrap();
        let saved = std::fs::read_to_string(&path).unwrap();
        assert!(parse(saved.as_bytes()).is_ok(), "the seed is a good file");
        crate::fuzzing::text_parser("state file", &[saved], |text| {
            if let Ok(file) = parse(text.as_bytes()) {
                let fresh =
                    AppState::new(crate::Config::for_tests(), "http://mock".into()).unwrap();
                let _ = Saved { file }.restore(&fresh);
            }
        });
    }

    #[tokio::test]
    async fn a_task_holding_more_than_a_mock_makes_is_refused() {
        use crate::sim::tasks::test_task;
        let state = AppState::new(crate::Config::for_tests(), "http://mock".into()).unwrap();
        let now = state.clock.now();
        state.tasks.insert(
            Arc::new(test_task(
                now,
                std::time::Duration::from_secs(1),
                None,
                None,
            )),
            now,
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save::save(&state, &path).unwrap();
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let attempt = serde_json::json!({"attempt": 1, "at_unix_ms": 0, "duration_ms": 0, "status": 500, "delivered": false, "duplicate": false});
        let attempts =
            find_key(&mut file["tasks"][0], "attempts").expect("tasks save their attempts");
        *attempts = serde_json::Value::Array(vec![attempt; 1000]);
        let error = parse(file.to_string().as_bytes()).err().expect("refused");
        assert!(
            error.contains("more webhook attempts than a mock makes"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_file_without_reference_measurements_loads_and_an_oversized_one_is_refused() {
        use crate::sim::tasks::{test_task, Reference};
        let state = AppState::new(crate::Config::for_tests(), "http://mock".into()).unwrap();
        let now = state.clock.now();
        let task = test_task(now, std::time::Duration::from_secs(1), None, None);
        state.tasks.insert(Arc::new(task), now);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        save::save(&state, &path).unwrap();
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let reference =
            find_key(&mut file["tasks"][0], "reference").expect("tasks save their reference");
        assert_eq!(*reference, serde_json::json!("none"));

        // A file of a mock from before the member: its tasks measured nothing.
        let mut older = file.clone();
        assert!(remove_key(&mut older["tasks"][0], "reference"));
        let saved = parse(older.to_string().as_bytes()).expect("an older file loads");
        let fresh = AppState::new(crate::Config::for_tests(), "http://mock".into()).unwrap();
        Saved { file: saved }.restore(&fresh);
        assert_eq!(fresh.tasks.newest(1)[0].reference(), Reference::None);

        // A failure reason longer than a mock writes.
        let long = serde_json::json!({"refused": {"reason": "x".repeat(5000), "at": {"secs": 1, "nanos": 0}}});
        *find_key(&mut file["tasks"][0], "reference").unwrap() = long;
        let error = parse(file.to_string().as_bytes()).err().expect("refused");
        assert!(
            error.contains("failure reason is over 4096 bytes"),
            "{error}"
        );
    }

    /// Removes the first member named `key`, however deep; whether there was one.
    fn remove_key(value: &mut serde_json::Value, key: &str) -> bool {
        let serde_json::Value::Object(map) = value else {
            return false;
        };
        map.remove(key).is_some() || map.values_mut().any(|v| remove_key(v, key))
    }

    fn find_key<'v>(
        value: &'v mut serde_json::Value,
        key: &str,
    ) -> Option<&'v mut serde_json::Value> {
        let serde_json::Value::Object(map) = value else {
            return None;
        };
        if map.contains_key(key) {
            return map.get_mut(key);
        }
        map.values_mut().find_map(|v| find_key(v, key))
    }
}
