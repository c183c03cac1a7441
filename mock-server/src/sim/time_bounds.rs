//! How far the mock's times reach: one rule that the running mock keeps (its clock stops at
//! [`LATEST`], a task's own offset at [`MAX_OFFSET`], a replayed run is at most [`MAX_RUN`]) and
//! the state file's reader checks with [`check_instant`], [`check_run`] and [`check_offset`],
//! so that whatever a mock saves, a mock restores. Each bound is far beyond real use, and
//! their sum stays far below where the arithmetic of a task's phases would overflow.

use std::time::Duration;

const YEAR: u64 = 365 * 24 * 3600;

/// The latest reading of the mock clock, about 317 million years: it stops there. At the top
/// speed (`--speed 1000000`) a running clock takes over 300 years to reach it.
pub const LATEST: Duration = Duration::from_secs(10_000_000_000_000_000);

/// The longest run of a task: its simulated work, or the end of the recorded task it replays.
pub const MAX_RUN: Duration = Duration::from_secs(YEAR);

/// The most the control API moves one task's own clock (`/_mock/tasks/ID/advance`), in sum.
pub const MAX_OFFSET: Duration = Duration::from_secs(100 * YEAR);

/// `at`, or [`LATEST`] if it is later.
pub fn clamp(at: Duration) -> Duration {
    at.min(LATEST)
}

/// An instant read back (a clock reading, a submission time), as mock time since zero.
pub fn check_instant(what: &str, at: Duration) -> Result<(), String> {
    if at > LATEST {
        return Err(format!(
            "{what} is past {} s, the latest a mock clock reads",
            LATEST.as_secs()
        ));
    }
    Ok(())
}

/// A run read back (a task's work, a recorded task's end).
pub fn check_run(what: &str, run: Duration) -> Result<(), String> {
    if run > MAX_RUN {
        return Err(format!(
            "{what} runs {} s, longer than the year a mock task runs at most",
            run.as_secs()
        ));
    }
    Ok(())
}

/// A task's own offset read back.
pub fn check_offset(what: &str, offset: Duration) -> Result<(), String> {
    if offset > MAX_OFFSET {
        return Err(format!(
            "{what} was advanced {} s, more than the century a mock allows",
            offset.as_secs()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_together_stay_far_from_overflow() {
        let sum = LATEST + MAX_RUN + MAX_OFFSET;
        assert!(sum.as_secs() < u64::MAX / 1000, "in milliseconds too");
        assert!(check_instant("now", LATEST).is_ok());
        assert!(check_instant("now", LATEST + Duration::from_secs(1)).is_err());
        assert!(check_run("task", MAX_RUN).is_ok());
        assert!(check_offset("task", MAX_OFFSET + Duration::from_nanos(1)).is_err());
        assert_eq!(clamp(Duration::MAX), LATEST);
    }
}
