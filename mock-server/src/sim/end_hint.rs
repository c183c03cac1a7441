//! When a task ends, kept in one atomic beside its locked state, so that "has it ended?" is a
//! load and a comparison (the store's eviction asks it of many tasks per submission). The hint
//! is the mock instant at which the task ends if nothing intervenes: the task sets it when it
//! is made, and again under its lock whenever its end moves (its own clock advanced, an
//! outcome forced, its reference video awaited or measured). The mock clock never moves back
//! and a task's end moves later only while it has not ended (a reference video awaited at
//! submission holds it until measured), so a task that has ended stays ended, as its phase
//! says. A later end only makes an earliest hint kept by a reader too early, which is safe:
//! the reader then looks at the tasks themselves.
//!
//! A hint is a key: nanoseconds of mock time plus one, so that 0 can mean "not known" (a task
//! read back from a state file before [`EndHint::set`]). Keys stop at [`FAR`] (about 584
//! years of mock time): there the hint is no longer exact, and [`EndHint::ended`] answers
//! `None` so that the task works its phase out instead.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::sim::clock::MockTime;

/// The key of an end not known yet.
const UNKNOWN: u64 = 0;
/// The key of every instant at or past `FAR - 1` nanoseconds: inexact.
pub const FAR: u64 = u64::MAX - 1;
/// The key of a task that never ends by itself (stuck).
pub const NEVER: u64 = u64::MAX;

/// Counts the times any hint moved earlier, in any store: a reader that kept the earliest
/// hint of some tasks knows it still holds while this count is unchanged.
static LOWERED: AtomicU64 = AtomicU64::new(0);

/// The count of hints moved earlier so far; read it before the hints it covers.
pub fn lowered() -> u64 {
    LOWERED.load(Ordering::SeqCst)
}

/// The key of instant `at` (see the module's doc).
pub fn key(at: MockTime) -> u64 {
    let nanos = at.since(MockTime::default()).as_nanos();
    u64::try_from(nanos).map_or(FAR, |n| n.saturating_add(1).min(FAR))
}

/// A task's end, as a key.
#[derive(Debug)]
pub struct EndHint(AtomicU64);

impl Default for EndHint {
    /// Not known: [`EndHint::ended`] answers `None` until it is set.
    fn default() -> Self {
        EndHint(AtomicU64::new(UNKNOWN))
    }
}

impl EndHint {
    /// A hint of `end`; `None` for a task that never ends by itself.
    #[cfg(test)]
    pub fn new(end: Option<MockTime>) -> Self {
        EndHint(AtomicU64::new(end.map_or(NEVER, key)))
    }

    /// Sets the hint to `end`; called under the task's lock whenever its end moves.
    pub fn set(&self, end: Option<MockTime>) {
        let new = end.map_or(NEVER, key);
        let old = self.0.swap(new, Ordering::SeqCst);
        if new < old {
            LOWERED.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// The hint as a key: a task whose key is above `key(now)` has not ended at `now`.
    pub fn key(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Whether the task has ended at `now`; `None` when the hint cannot tell (not known, or
    /// both instants past [`FAR`]).
    pub fn ended(&self, now: MockTime) -> Option<bool> {
        let hint = self.key();
        if hint == UNKNOWN {
            return None;
        }
        let now = key(now);
        if now < hint {
            Some(false)
        } else if hint < FAR {
            Some(true)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(seconds: u64) -> MockTime {
        MockTime::ZERO + Duration::from_secs(seconds)
    }

    #[test]
    fn a_hint_tells_whether_its_end_has_come() {
        let hint = EndHint::new(Some(at(5)));
        assert_eq!(hint.ended(at(4)), Some(false));
        assert_eq!(
            hint.ended(at(5) - Duration::from_nanos(1)),
            Some(false),
            "exact to the nanosecond"
        );
        assert_eq!(hint.ended(at(5)), Some(true));
        assert_eq!(EndHint::new(None).ended(at(u64::MAX / 4)), Some(false));
        assert_eq!(EndHint::default().ended(at(1)), None, "not known");
        let zero = EndHint::new(Some(MockTime::ZERO));
        assert_eq!(zero.ended(MockTime::ZERO), Some(true));
    }

    #[test]
    fn far_instants_are_left_to_the_phase() {
        let far = at(600 * 365 * 24 * 3600);
        let hint = EndHint::new(Some(far));
        assert_eq!(hint.key(), FAR);
        assert_eq!(hint.ended(at(1)), Some(false));
        assert_eq!(hint.ended(far), None);
        // A near end is still exact when the clock is far.
        assert_eq!(EndHint::new(Some(at(1))).ended(far), Some(true));
    }

    #[test]
    fn only_an_earlier_end_counts_as_lowered() {
        let hint = EndHint::new(Some(at(10)));
        let before = lowered();
        hint.set(Some(at(3)));
        let after = lowered();
        assert!(after > before);
        assert_eq!(hint.ended(at(3)), Some(true));
        hint.set(None);
        hint.set(Some(at(3)));
        assert!(lowered() > after, "from never to 3 s is earlier");
    }
}
