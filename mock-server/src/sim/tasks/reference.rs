//! A task's reference video (Kling motion control, given as a URL): awaited at submission,
//! measured while the task runs, and what its measurement makes of the task's phase.

use std::time::Duration;

use super::{Fault, Phase, Reference, State, Task, QUEUE_TIME};

impl Task {
    /// What the reference video's measurement makes of the task at `elapsed`: failed from
    /// the start of its work when the video was refused; held at that start while it is
    /// measured (`elapsed` goes no further).
    pub(super) fn reference_phase(&self, state: &State, elapsed: &mut Duration) -> Option<Phase> {
        let never_starts = self.fault == Some(Fault::StuckQueued);
        match state.reference.get() {
            Reference::Refused { reason, at } if !never_starts && *elapsed >= QUEUE_TIME => {
                let starts = (self.submitted_at + QUEUE_TIME) - state.offset;
                Some(Phase::Failed {
                    reason: reason.clone(),
                    progress: 0,
                    at: starts.max(*at),
                })
            }
            Reference::Pending => {
                *elapsed = (*elapsed).min(QUEUE_TIME);
                None
            }
            _ => None,
        }
    }

    /// Marks the task as waiting for its reference video's measurement.
    pub fn await_reference(&self) {
        let mut state = self.state();
        state.reference.set(Reference::Pending);
        self.end.set(self.end_instant(&state));
    }

    /// Records the measurement of the reference video; false when none was awaited.
    pub fn measure_reference(&self, measured: Reference) -> bool {
        let mut state = self.state();
        if *state.reference.get() != Reference::Pending {
            return false;
        }
        state.reference.set(measured);
        self.end.set(self.end_instant(&state));
        true
    }

    /// Where the measurement of the reference video stands.
    pub fn reference(&self) -> Reference {
        self.state().reference.get().clone()
    }
}
