//! The state file's document: its types, its version, its size bound, and the checks a file
//! read back must pass before anything of it is restored.

use serde::{Deserialize, Serialize};

use crate::sim::{
    clock::MockTime,
    job::Framing,
    tasks::{Task, TaskId},
    time_bounds,
};

/// State files larger than this are refused, and the oldest tasks are left out of a file that
/// would grow past it.
pub const MAX_STATE_BYTES: usize = 256 * 1024 * 1024;

/// The state file versions this mock reads and writes.
pub const VERSION: u32 = 1;

/// Largest frame side and frame count a saved task may ask for; the rules accept far less.
const MAX_SIDE: u32 = 16_384;
const MAX_FRAMES: u32 = 100_000;

#[derive(Serialize, Deserialize)]
pub struct SavedClock {
    /// The mock clock's reading when the state was saved.
    pub now: MockTime,
    pub paused: bool,
    /// Wall-clock time at mock time zero, so that task times read the same after a restart.
    pub started_unix_ms: u64,
}

#[derive(Serialize, Deserialize)]
pub struct Counters {
    pub evicted: u64,
    pub webhooks_dropped: u64,
}

/// One waiting webhook attempt.
#[derive(Serialize, Deserialize)]
pub struct SavedDue {
    pub task_id: TaskId,
    pub attempt: u32,
    /// When it is due, on the saved mock clock.
    pub at: MockTime,
    pub generation: u64,
}

/// Everything but the tasks, which are written one by one (see `save`).
#[derive(Serialize)]
pub struct Head<'a> {
    pub version: u32,
    pub saved_at_unix_ms: u64,
    pub clock: &'a SavedClock,
    pub counters: &'a Counters,
    pub webhooks: &'a [SavedDue],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    // Both read so that the file's shape is checked; the version was looked at first.
    #[allow(dead_code)]
    version: u32,
    #[allow(dead_code)]
    saved_at_unix_ms: u64,
    pub clock: SavedClock,
    pub counters: Counters,
    pub webhooks: Vec<SavedDue>,
    pub tasks: Vec<Task>,
}

/// Only the version, read first so that a file of another version is named as such.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// Reads a state file's bytes and checks that everything in it is what a mock makes.
pub fn parse(bytes: &[u8]) -> Result<File, String> {
    let version: VersionOnly = serde_json::from_slice(bytes).map_err(json_error)?;
    if version.version != VERSION {
        return Err(format!(
            "version {} is not one this mock reads (it reads {VERSION})",
            version.version
        ));
    }
    let file: File = serde_json::from_slice(bytes).map_err(json_error)?;
    time_bounds::check_instant("clock.now", file.clock.now.since(MockTime::default()))?;
    for task in &file.tasks {
        task.check_restored()?;
        check_job(task)?;
        // Not saved: worked out from what is, once the task is known to be sound.
        task.settle_end_hint();
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

    #[test]
    fn a_clock_past_the_latest_reading_is_refused() {
        let file = |secs: u64| {
            format!(
                r#"{{"version": 1, "saved_at_unix_ms": 0,
                "clock": {{"now": {{"secs": {secs}, "nanos": 0}}, "paused": true, "started_unix_ms": 0}},
                "counters": {{"evicted": 0, "webhooks_dropped": 0}}, "webhooks": [], "tasks": []}}"#
            )
        };
        assert!(parse(file(time_bounds::LATEST.as_secs()).as_bytes()).is_ok());
        let error = parse(file(u64::MAX).as_bytes()).err().unwrap();
        assert_eq!(
            error,
            "clock.now is past 10000000000000000 s, the latest a mock clock reads"
        );
    }
}
