//! Holding a task read back from a state file to what a mock makes.

use super::{time_bounds, MockTime, Task};

impl Task {
    /// Checks a task read back from a state file: every duration it holds is one a mock makes
    /// (`time_bounds`), far from the limits where the arithmetic of its phases would overflow.
    pub fn check_restored(&self) -> Result<(), String> {
        let state = self.state();
        let id = self.id;
        let task = format!("task {id}");
        time_bounds::check_run(&task, self.job.work)?;
        if let Some(script) = &self.script {
            time_bounds::check_run(&task, script.end())?;
        }
        time_bounds::check_offset(&task, state.offset)?;
        time_bounds::check_instant(
            &format!("task {id}'s submission"),
            self.submitted_at.since(MockTime::default()),
        )?;
        if let Some(fault) = &self.fault {
            fault.validate().map_err(|e| format!("task {id}: {e}"))?;
        }
        state
            .reference
            .get()
            .check_restored()
            .map_err(|e| format!("task {id}: {e}"))?;
        if let Some(at) = state.reference.get().at() {
            time_bounds::check_instant(
                &format!("task {id}'s reference measurement"),
                at.since(MockTime::default()),
            )?;
        }
        // What a task can hold and the store's byte budget does not count: its webhook
        // attempts (one try, at most 20 retries, one duplicate) and a replayed script's steps.
        const MAX_ATTEMPTS: usize = 22;
        if state.attempts.len() > MAX_ATTEMPTS
            || state
                .attempts
                .iter()
                .any(|a| a.error.as_ref().is_some_and(|e| e.len() > 4096))
        {
            return Err(format!(
                "task {id}: more webhook attempts than a mock makes"
            ));
        }
        if self
            .script
            .as_ref()
            .is_some_and(|s| s.steps() > crate::sim::replay::MAX_STEPS)
        {
            return Err(format!(
                "task {id}: its replayed script is longer than a cassette holds"
            ));
        }
        Ok(())
    }
}
