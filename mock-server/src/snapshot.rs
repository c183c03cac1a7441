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
//! control-API offset or forced end, webhook attempts and delivery). Webhook instants are on
//! the saved mock clock, which is restored with them. The journal, the video cache, queued
//! outcomes and rate-limit windows are not kept.
//!
//! The file is written to a temporary file beside it, synced, then renamed over it, so a crash
//! mid-write leaves the previous file whole. It holds API keys: it is created readable by its
//! owner only.

use std::{
    collections::HashSet,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use serde::{Deserialize, Serialize};

use crate::{
    sim::{
        clock::{unix_ms_now, MockTime},
        job::Framing,
        tasks::{Delivery, Task, TaskId},
    },
    state::AppState,
};

/// State files larger than this are refused, and the oldest tasks are left out of a file that
/// would grow past it.
pub const MAX_STATE_BYTES: usize = 256 * 1024 * 1024;

/// The state file versions this mock reads and writes.
const VERSION: u32 = 1;

/// Largest frame side and frame count a saved task may ask for; the rules accept far less.
const MAX_SIDE: u32 = 16_384;
const MAX_FRAMES: u32 = 100_000;

#[derive(Serialize, Deserialize)]
struct SavedClock {
    /// The mock clock's reading when the state was saved.
    now: MockTime,
    paused: bool,
    /// Wall-clock time at mock time zero, so that task times read the same after a restart.
    started_unix_ms: u64,
}

#[derive(Serialize, Deserialize)]
struct Counters {
    evicted: u64,
    webhooks_dropped: u64,
}

/// One waiting webhook attempt.
#[derive(Serialize, Deserialize)]
struct SavedDue {
    task_id: TaskId,
    attempt: u32,
    /// When it is due, on the saved mock clock.
    at: MockTime,
    generation: u64,
}

/// Everything but the tasks, which are written one by one (see [`save`]).
#[derive(Serialize)]
struct Head<'a> {
    version: u32,
    saved_at_unix_ms: u64,
    clock: &'a SavedClock,
    counters: &'a Counters,
    webhooks: &'a [SavedDue],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    // Both read so that the file's shape is checked; the version was looked at first.
    #[allow(dead_code)]
    version: u32,
    #[allow(dead_code)]
    saved_at_unix_ms: u64,
    clock: SavedClock,
    counters: Counters,
    webhooks: Vec<SavedDue>,
    tasks: Vec<Task>,
}

/// Only the version, read first so that a file of another version is named as such.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// A state file read at start, to restore once the mock's state exists.
pub struct Saved {
    path: PathBuf,
    file: File,
}

/// What a save or a restore came to, for the log.
#[derive(Debug, Default, PartialEq)]
pub struct Counts {
    pub tasks: usize,
    pub webhooks: usize,
    /// Tasks left out: past the store's bounds at a restore, past the file's size at a save.
    pub left_out: usize,
}

impl Saved {
    /// Reads the state file at `path`; `None` when there is none yet (its directory may be
    /// missing too). The error is one line naming the file and the reason.
    pub fn load(path: &Path) -> Result<Option<Saved>, String> {
        let fail = |reason: String| format!("state file {}: {reason}", path.display());
        let size = match std::fs::metadata(path) {
            Ok(metadata) => metadata.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fail(format!("cannot read it ({e})"))),
        };
        if size > MAX_STATE_BYTES as u64 {
            return Err(fail(format!(
                "{size} bytes is more than the {MAX_STATE_BYTES} the mock reads"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read it ({e})")))?;
        let file = parse(&bytes).map_err(fail)?;
        Ok(Some(Saved {
            path: path.to_path_buf(),
            file,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the saved state into a new mock's `state`: the clock first, then the tasks (the
    /// newest the store's bounds allow), the waiting webhook attempts, the counters.
    pub fn restore(self, state: &AppState) -> Counts {
        let File {
            clock,
            counters,
            webhooks,
            tasks,
            ..
        } = self.file;
        let paused = clock.paused || state.config.paused;
        state
            .clock
            .restore(clock.now, paused, clock.started_unix_ms);
        let now = state.clock.now();
        let total = tasks.len();
        // Newest first, to keep the newest `max_tasks` and the first copy of a repeated id.
        let mut seen = HashSet::new();
        let mut kept: Vec<Task> = tasks
            .into_iter()
            .rev()
            .filter(|task| seen.insert(task.id))
            .take(state.config.max_tasks)
            .collect();
        kept.reverse();
        for task in kept {
            state.tasks.insert(Arc::new(task), now);
        }
        let mut counts = Counts {
            tasks: state.tasks.len(),
            webhooks: 0,
            left_out: total - state.tasks.len(),
        };
        let mut scheduled = HashSet::new();
        let mut dropped = counters.webhooks_dropped;
        for due in webhooks {
            let key = due.task_id.to_string();
            match state.tasks.get(&key) {
                Some(task) => {
                    state
                        .scheduler
                        .schedule(due.at, &task, due.attempt, due.generation);
                    scheduled.insert(due.task_id);
                    counts.webhooks += 1;
                }
                None => dropped += 1,
            }
        }
        for task in state.tasks.newest(usize::MAX) {
            if task.delivery_status() != Delivery::Pending || scheduled.contains(&task.id) {
                continue;
            }
            if !task.awaits_first_attempt() {
                // Its last attempt was in flight when the mock stopped: it runs again now.
                let attempt = task.unclaim_attempt();
                if attempt > 1 {
                    state.scheduler.schedule(now, &task, attempt, 0);
                    counts.webhooks += 1;
                    continue;
                }
            }
            crate::webhooks::delivery::schedule(state, &task);
        }
        state.tasks.add_evicted(counters.evicted);
        state.scheduler.add_dropped(dropped);
        counts
    }
}

fn parse(bytes: &[u8]) -> Result<File, String> {
    let version: VersionOnly = serde_json::from_slice(bytes).map_err(json_error)?;
    if version.version != VERSION {
        return Err(format!(
            "version {} is not one this mock reads (it reads {VERSION})",
            version.version
        ));
    }
    let file: File = serde_json::from_slice(bytes).map_err(json_error)?;
    for task in &file.tasks {
        task.check_restored()?;
        check_job(task)?;
    }
    Ok(file)
}

/// serde_json's message names the line and column itself.
fn json_error(e: serde_json::Error) -> String {
    e.to_string()
}

/// The frame a saved task asks for stays within what a renderer can be asked.
fn check_job(task: &Task) -> Result<(), String> {
    let job = &task.job;
    let (width, height) = match &job.framing {
        Framing::Fixed { width, height } => (*width, *height),
        Framing::FromImage { fallback, .. } => *fallback,
    };
    let area = match &job.framing {
        Framing::FromImage { area, .. } => *area,
        Framing::Fixed { .. } => 0,
    };
    let fits = (1..=MAX_SIDE).contains(&width)
        && (1..=MAX_SIDE).contains(&height)
        && area <= MAX_SIDE * MAX_SIDE / 4
        && (1..=120).contains(&job.fps)
        && job.frames <= MAX_FRAMES;
    if fits {
        Ok(())
    } else {
        Err(format!(
            "task {}: its video frame or length is out of range",
            task.id
        ))
    }
}

/// Writes `state` to `path` atomically. Run once the mock has stopped serving and its webhook
/// driver is closed; an attempt still in flight is saved as not yet made.
pub fn save(state: &AppState, path: &Path) -> Result<Counts, String> {
    let fail = |reason: String| format!("state file {}: {reason}", path.display());
    let now = state.clock.now();
    let clock = SavedClock {
        now,
        paused: state.clock.is_paused(),
        started_unix_ms: state.clock.started_unix_ms(),
    };
    let counters = Counters {
        evicted: state.tasks.evicted(),
        webhooks_dropped: state.scheduler.dropped(),
    };
    let tasks = state.tasks.newest(usize::MAX);
    let mut encoded = Vec::with_capacity(tasks.len());
    for task in &tasks {
        encoded.push(serde_json::to_vec(&**task).map_err(|e| fail(e.to_string()))?);
    }
    let waiting = state.scheduler.waiting();
    let mut webhooks: Vec<SavedDue> = waiting
        .iter()
        .map(|(at, task, attempt, generation)| SavedDue {
            task_id: task.id,
            attempt: *attempt,
            at: *at,
            generation: *generation,
        })
        .collect();
    let head_of = |webhooks: &[SavedDue]| {
        serde_json::to_vec(&Head {
            version: VERSION,
            saved_at_unix_ms: unix_ms_now(),
            clock: &clock,
            counters: &counters,
            webhooks,
        })
    };
    // Leave out the oldest tasks until the document fits the size the mock reads back.
    let head_len = head_of(&webhooks).map_err(|e| fail(e.to_string()))?.len();
    let mut total = head_len + 16 + encoded.iter().map(|t| t.len() + 1).sum::<usize>();
    let mut skip = 0;
    while total > MAX_STATE_BYTES && skip < encoded.len() {
        total -= encoded[skip].len() + 1;
        skip += 1;
    }
    if skip > 0 {
        let kept: HashSet<TaskId> = tasks[skip..].iter().map(|t| t.id).collect();
        webhooks.retain(|due| kept.contains(&due.task_id));
        tracing::warn!(
            left_out = skip,
            "the oldest tasks do not fit in the state file's {MAX_STATE_BYTES} bytes"
        );
    }
    let mut document = head_of(&webhooks).map_err(|e| fail(e.to_string()))?;
    document.pop(); // the head's closing brace: the tasks follow
    document.extend_from_slice(b",\"tasks\":[");
    for (i, task) in encoded[skip..].iter().enumerate() {
        if i > 0 {
            document.push(b',');
        }
        document.extend_from_slice(task);
    }
    document.extend_from_slice(b"]}\n");
    write_atomically(path, &document).map_err(|e| fail(format!("cannot write it ({e})")))?;
    Ok(Counts {
        tasks: tasks.len() - skip,
        webhooks: webhooks.len(),
        left_out: skip,
    })
}

/// Writes `bytes` to a temporary file in `path`'s directory, syncs it, renames it over `path`
/// and syncs the directory: `path` is the old file or the new one, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(&dir) {
        // The rename is durable once the directory is synced; failing that is not fatal.
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Endpoint;

    #[test]
    fn endpoints_read_back_under_their_saved_names() {
        for endpoint in Endpoint::ALL {
            let saved = serde_json::to_string(&endpoint).unwrap();
            assert_eq!(serde_json::from_str::<Endpoint>(&saved).unwrap(), endpoint);
        }
    }

    #[test]
    fn a_file_of_another_version_or_shape_is_refused_by_name() {
        assert_eq!(
            parse(br#"{"version": 99}"#).err().unwrap(),
            "version 99 is not one this mock reads (it reads 1)"
        );
        let broken = parse(b"{\"version\": 1, ").err().unwrap();
        assert!(broken.contains("line 1 column"), "{broken}");
        assert!(parse(br#"{"version": 1}"#).is_err());
    }

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
        save(&state, &path).unwrap();
        let saved = std::fs::read_to_string(&path).unwrap();
        assert!(parse(saved.as_bytes()).is_ok(), "the seed is a good file");
        crate::fuzzing::text_parser("state file", &[saved], |text| {
            if let Ok(file) = parse(text.as_bytes()) {
                let fresh =
                    AppState::new(crate::Config::for_tests(), "http://mock".into()).unwrap();
                let _ = Saved {
                    path: PathBuf::new(),
                    file,
                }
                .restore(&fresh);
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
        save(&state, &path).unwrap();
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

    #[test]
    fn an_interrupted_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("state.json");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, [std::ffi::OsString::from("state.json")]);
    }
}
