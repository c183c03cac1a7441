//! What a stored task holds, as the store's byte budget counts it.

use std::mem::size_of;

use super::{ForcedEnd, Reference, Task};

impl Task {
    /// Memory this task holds, roughly: what the store's byte budget counts. Worked out from
    /// what the task is made with, so that eviction gives back what insertion took: the boxes
    /// its state may take later are counted when the job says they come (a born-ended test-mode
    /// task's forced end, the measurement of an input video); a control API's forced end, like
    /// the webhook attempts, is not.
    pub fn footprint(&self) -> usize {
        let born_ended = self
            .job
            .webhook
            .as_ref()
            .is_some_and(|w| w.test_mode.is_some());
        let forced = if born_ended {
            size_of::<ForcedEnd>()
        } else {
            0
        };
        let measured = self
            .job
            .input_video
            .as_ref()
            .map_or(0, |_| size_of::<Reference>());
        size_of::<Task>()
            + self.request_text.len()
            + self.job.heap_bytes()
            + self.planned_failure.as_ref().map_or(0, |r| r.len())
            + self.trace.as_ref().map_or(0, |t| t.heap_bytes())
            + forced
            + measured
    }
}
