//! Tasks and their simulated lifecycle. A task's state is computed from the mock clock when
//! asked, so nothing ticks in the background: QUEUED, then PROCESSING with `progress_percent`
//! rising and `eta` falling, then SUCCEED (or FAILED). The control API can move a task's own
//! clock forward or end it at once; an injected fault can bend the story it tells.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::{Deserialize, Serialize};

use crate::sim::phase::{Phase, SeenStatus, FAILED, QUEUED};
use crate::sim::reference::HeldReference;
pub use crate::sim::reference::Reference;
pub use crate::sim::task_id::TaskId;
pub use crate::sim::webhook_log::{Attempt, Delivery};
use crate::{
    otel::context::TaskTrace, sim::clock::MockTime, sim::end_hint::EndHint, sim::faults::Fault,
    sim::job::Job, sim::replay::Script, sim::time_bounds,
};

/// Every task waits this long (simulated) in the queue before its work starts.
pub const QUEUE_TIME: Duration = Duration::from_secs(1);

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Forced {
    Succeeded,
    Failed(String),
}

/// An outcome forced on the task: how, when and at what progress.
type ForcedEnd = (Forced, MockTime, u32);

#[derive(Serialize, Deserialize)]
struct State {
    /// Simulated time added to this task alone by the control API's `advance`.
    offset: Duration,
    /// Boxed: few tasks are forced, and a box saves 40 bytes on every other one.
    forced: Option<Box<ForcedEnd>>,
    attempts: Vec<Attempt>,
    delivery: Delivery,
    /// The webhook attempt that may run next; an attempt runs only once it is claimed.
    next_attempt: u32,
    /// Bumped when the task's end moves, so that older scheduled checks know they are stale.
    wake_generation: u64,
    /// The `cut-download` fault has struck (it strikes once).
    download_cut: bool,
    /// The status the event stream last told of (not saved: a restored task is told again).
    #[serde(skip)]
    seen: SeenStatus,
    /// A status watch of this task is scheduled.
    #[serde(skip)]
    watched: bool,
    /// The measurement of a reference video given as a URL (absent in older state files).
    #[serde(default)]
    reference: HeldReference,
}

/// Saved whole in the state file (`--state`), script included.
#[derive(Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub job: Job,
    /// The seed used: the requested one, or the random one picked for -1.
    pub seed: i64,
    /// The request body as received.
    pub request_text: Box<str>,
    /// The key that created the task: only it can read the result, as at Novita.
    pub api_key: Arc<str>,
    pub submitted_at: MockTime,
    /// A failure planned by a forced outcome; it strikes halfway through the run.
    pub planned_failure: Option<Box<str>>,
    pub fault: Option<Fault>,
    /// A recorded task this one plays back (`--replay`), instead of the simulated run.
    pub script: Option<Arc<Script>>,
    /// The trace the submission came with (or that traces started for it), continued on the
    /// webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Box<TaskTrace>>,
    state: Mutex<State>,
    /// When the task ends, readable without the lock; worked out again after a restore.
    #[serde(skip)]
    end: EndHint,
}

pub struct NewTask {
    pub job: Job,
    pub seed: i64,
    pub request_text: Box<str>,
    pub api_key: Arc<str>,
    pub planned_failure: Option<String>,
    pub fault: Option<Fault>,
    pub script: Option<Arc<Script>>,
    /// Test mode: the task is born in this terminal status.
    pub born_terminal: Option<String>,
    pub trace: Option<TaskTrace>,
}

impl Task {
    pub fn new(new: NewTask, now: MockTime) -> Self {
        let forced = new.born_terminal.map(|status| {
            Box::new(if status == FAILED {
                (
                    Forced::Failed("test mode: simulated failure".to_string()),
                    now,
                    0,
                )
            } else {
                (Forced::Succeeded, now, 100)
            })
        });
        let delivery = if new.job.webhook.is_some() {
            Delivery::Pending
        } else {
            Delivery::None
        };
        let task = Task {
            id: TaskId::random(),
            job: new.job,
            seed: new.seed,
            request_text: new.request_text,
            api_key: new.api_key,
            submitted_at: now,
            planned_failure: new.planned_failure.map(String::into_boxed_str),
            fault: new.fault,
            script: new.script,
            trace: new.trace.map(Box::new),
            state: Mutex::new(State {
                offset: Duration::ZERO,
                forced,
                attempts: Vec::new(),
                delivery,
                next_attempt: 1,
                wake_generation: 0,
                download_cut: false,
                seen: SeenStatus::of(QUEUED),
                watched: false,
                reference: HeldReference::default(),
            }),
            end: EndHint::default(),
        };
        task.settle_end_hint();
        task
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the data is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) -> Duration {
        self.job.work
    }

    /// When the natural run ends, as an offset from submission (halfway for a planned failure);
    /// `None` for a stuck task, which never ends by itself.
    fn natural_end(&self) -> Option<Duration> {
        if let Some(script) = &self.script {
            return Some(script.end());
        }
        if self.fault.as_ref().is_some_and(Fault::is_stuck) {
            return None;
        }
        Some(if self.planned_failure.is_some() {
            QUEUE_TIME + self.run() / 2
        } else {
            QUEUE_TIME + self.run()
        })
    }

    /// When the task ends if nothing intervenes, as `phase` would tell (a forced end is at
    /// zero: it has ended whatever the time); `None` for a stuck task.
    fn end_instant(&self, state: &State) -> Option<MockTime> {
        if state.forced.is_some() {
            return Some(MockTime::default());
        }
        let instant = |end: Duration| match end.checked_sub(state.offset) {
            Some(left) if !left.is_zero() => self.submitted_at + left,
            _ => MockTime::default(),
        };
        // As `phase_locked`: a reference video being measured holds the task, a refused one
        // ends it when its work would start (a scripted task has no reference video).
        if self.script.is_none() {
            match state.reference.get() {
                Reference::Pending => return None,
                Reference::Refused { .. } if self.fault != Some(Fault::StuckQueued) => {
                    return Some(instant(QUEUE_TIME));
                }
                _ => {}
            }
        }
        self.natural_end().map(instant)
    }

    /// Works the end hint out from the task's state: at creation, and for a task read back
    /// from a state file (whose hint is not saved).
    pub fn settle_end_hint(&self) {
        let state = self.state();
        self.end.set(self.end_instant(&state));
    }

    /// Whether the task has ended at `now`, as `phase(now)` says, mostly without its lock.
    pub fn has_ended(&self, now: MockTime) -> bool {
        self.end
            .ended(now)
            .unwrap_or_else(|| self.phase(now).ended_at().is_some())
    }

    /// The end hint's key ([`crate::sim::end_hint`]): the task has not ended at any instant
    /// whose key is below it.
    pub fn end_key(&self) -> u64 {
        self.end.key()
    }

    pub fn phase(&self, now: MockTime) -> Phase {
        let state = self.state();
        self.phase_locked(&state, now)
    }

    fn phase_locked(&self, state: &State, now: MockTime) -> Phase {
        if let Some((forced, at, progress)) = state.forced.as_deref() {
            return match forced {
                Forced::Succeeded => Phase::Succeeded { at: *at },
                Forced::Failed(reason) => Phase::Failed {
                    reason: reason.clone(),
                    progress: *progress,
                    at: *at,
                },
            };
        }
        let mut elapsed = now.since(self.submitted_at) + state.offset;
        if let Some(script) = &self.script {
            return script.phase(elapsed, (self.submitted_at + script.end()) - state.offset);
        }
        let run = self.run();
        if let Some(failed) = self.reference_phase(state, &mut elapsed) {
            return failed;
        }
        let measuring = *state.reference.get() == Reference::Pending;
        match (self.natural_end(), &self.fault) {
            (Some(end), _) if elapsed >= end && !measuring => {
                // A reference measured after the natural end moves the end to then.
                let measured = state.reference.get().at().unwrap_or_default();
                let at = ((self.submitted_at + end) - state.offset).max(measured);
                return match &self.planned_failure {
                    Some(reason) => Phase::Failed {
                        reason: reason.to_string(),
                        progress: 50,
                        at,
                    },
                    None => Phase::Succeeded { at },
                };
            }
            (None, Some(Fault::StuckQueued)) => elapsed = Duration::ZERO,
            (None, _) => elapsed = elapsed.min(QUEUE_TIME + run / 2),
            _ => {}
        }
        let mut eta = (QUEUE_TIME + run).saturating_sub(elapsed);
        if self.fault == Some(Fault::EtaLies) {
            eta = (QUEUE_TIME + run / 4).saturating_sub(elapsed);
        }
        if elapsed < QUEUE_TIME {
            return Phase::Queued { eta };
        }
        let worked = (elapsed - QUEUE_TIME).as_secs_f64() / run.as_secs_f64().max(1e-9);
        let mut progress = ((worked * 100.0).floor() as u32).min(99);
        if self.fault == Some(Fault::ProgressRegress) && (0.60..0.75).contains(&worked) {
            progress -= 30;
        }
        Phase::Processing { progress, eta }
    }

    /// When the task will end if nothing intervenes; `None` once it has ended, while it is
    /// stuck, or while its reference video is measured.
    pub fn ends_at(&self, now: MockTime) -> Option<MockTime> {
        let state = self.state();
        if self.phase_locked(&state, now).ended_at().is_some() {
            return None;
        }
        self.end_instant(&state)
    }

    /// Moves the task's own clock forward by `by` (simulated seconds).
    /// Its offset stops at `time_bounds::MAX_OFFSET`.
    pub fn advance(&self, by: Duration) {
        let mut state = self.state();
        state.offset = state.offset.saturating_add(by).min(time_bounds::MAX_OFFSET);
        self.end.set(self.end_instant(&state));
    }

    /// Ends the task at `now`, unless it already ended. Returns false when it had.
    pub fn force(&self, failure: Option<String>, now: MockTime) -> bool {
        let mut state = self.state();
        let phase = self.phase_locked(&state, now);
        if phase.ended_at().is_some() {
            return false;
        }
        let progress = match phase {
            Phase::Processing { progress, .. } => progress,
            _ => 0,
        };
        state.forced = Some(Box::new(match failure {
            Some(reason) => (Forced::Failed(reason), now, progress),
            None => (Forced::Succeeded, now, 100),
        }));
        self.end.set(self.end_instant(&state));
        true
    }

    /// For the event stream: the status at `now` if it is not the one last told (it is told
    /// now), and when the status will next change by itself (`None` once ended, or stuck).
    pub fn look(&self, now: MockTime) -> (Option<&'static str>, Option<MockTime>) {
        let mut state = self.state();
        let phase = self.phase_locked(&state, now);
        let status = phase.status();
        let seen = SeenStatus::of(status);
        let changed = (state.seen != seen).then_some(status);
        state.seen = seen;
        let next = match phase {
            Phase::Queued { .. } if self.fault != Some(Fault::StuckQueued) => {
                let queued_for = self.script.as_ref().map_or(QUEUE_TIME, |s| s.started());
                Some((self.submitted_at + queued_for) - state.offset)
            }
            // Its end as the hint has it: none while a reference video is measured.
            Phase::Processing { .. } => self.end_instant(&state),
            _ => None,
        };
        (changed, next.filter(|at| *at > now))
    }

    /// Takes the right to schedule a status watch: false while one is scheduled.
    pub fn claim_watch(&self) -> bool {
        !std::mem::replace(&mut self.state().watched, true)
    }

    /// The scheduled status watch has come due.
    pub fn release_watch(&self) {
        self.state().watched = false;
    }

    /// Marks the scheduled webhook checks of this task stale and returns the new generation.
    pub fn next_wake_generation(&self) -> u64 {
        let mut state = self.state();
        state.wake_generation += 1;
        state.wake_generation
    }

    /// Whether a check scheduled with `generation` is still the current one.
    pub fn is_current_wake(&self, generation: u64) -> bool {
        self.state().wake_generation == generation
    }

    /// Takes the right to run webhook attempt `number`; false if it ran already, or the
    /// delivery is settled.
    pub fn claim_attempt(&self, number: u32) -> bool {
        let mut state = self.state();
        if state.delivery != Delivery::Pending || state.next_attempt != number {
            return false;
        }
        state.next_attempt = number + 1;
        true
    }

    /// Whether a scheduled attempt `number` (with `generation`, for the first) would still run:
    /// a stale check of a moved end, or an attempt already made, would not.
    pub fn wants_attempt(&self, number: u32, generation: u64) -> bool {
        let state = self.state();
        state.delivery == Delivery::Pending
            && state.next_attempt == number
            && (number != 1 || state.wake_generation == generation)
    }

    /// True before the first webhook attempt has been claimed.
    pub fn awaits_first_attempt(&self) -> bool {
        let state = self.state();
        state.delivery == Delivery::Pending && state.next_attempt == 1
    }

    pub fn record_attempt(&self, attempt: Attempt) {
        self.state().attempts.push(attempt);
    }

    pub fn set_delivery(&self, delivery: Delivery) {
        let mut state = self.state();
        if state.delivery == Delivery::Pending {
            state.delivery = delivery;
        }
    }

    pub fn delivery(&self) -> (Delivery, Vec<Attempt>) {
        let state = self.state();
        (state.delivery, state.attempts.clone())
    }

    pub fn delivery_status(&self) -> Delivery {
        self.state().delivery
    }

    /// Gives back the claim on the last webhook attempt taken, which never settled (the mock
    /// stopped while it was in flight); returns the attempt's number, to run again.
    pub fn unclaim_attempt(&self) -> u32 {
        let mut state = self.state();
        state.next_attempt = state.next_attempt.saturating_sub(1).max(1);
        state.next_attempt
    }

    /// Stops a pending webhook delivery (the mock was reset): no further attempt is claimed.
    pub fn cancel(&self) {
        self.set_delivery(Delivery::Cancelled);
    }

    /// When work started (after the queue), if it has.
    pub fn started_at(&self, now: MockTime) -> Option<MockTime> {
        let state = self.state();
        if self.fault == Some(Fault::StuckQueued) && state.forced.is_none() {
            return None;
        }
        let queued_for = self.script.as_ref().map_or(QUEUE_TIME, |s| s.started());
        let start = (self.submitted_at + queued_for) - state.offset;
        (start <= now).then_some(start)
    }

    /// For the `cut-download` fault: how many bytes of a `total`-byte video to send before
    /// closing the connection, the first time only.
    pub fn take_download_cut(&self, total: usize) -> Option<usize> {
        let Some(Fault::CutDownload { bytes }) = &self.fault else {
            return None;
        };
        let mut state = self.state();
        if state.download_cut {
            return None;
        }
        state.download_cut = true;
        let cut = bytes.map_or(total / 2, |b| b as usize);
        Some(cut.min(total.saturating_sub(1)))
    }
}

/// A Wan 2.1 480p task with `work` of simulated work, submitted at `at`: the unit tests' task.
#[cfg(test)]
pub(crate) fn test_task(
    at: MockTime,
    work: Duration,
    planned_failure: Option<&str>,
    fault: Option<Fault>,
) -> Task {
    use crate::{catalogue::Endpoint, sim::job::Framing};
    Task::new(
        NewTask {
            job: Job {
                endpoint: Endpoint::WanT2v,
                seed: Some(1),
                framing: Framing::Fixed {
                    width: 832,
                    height: 480,
                },
                fps: 16,
                frames: 81,
                work,
                webhook: None,
                audio: false,
                input_video: None,
            },
            seed: 1,
            request_text: "{}".into(),
            api_key: Arc::from("k"),
            planned_failure: planned_failure.map(str::to_string),
            fault,
            script: None,
            born_terminal: None,
            trace: None,
        },
        at,
    )
}

mod footprint;
mod reference;
mod restored;
#[cfg(test)]
mod tests;
