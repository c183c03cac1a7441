//! The mock's own clock. Every simulated duration (a task's queue and run, webhook backoff, a
//! video link's lifetime) is measured on it, in simulated seconds. While running it moves at
//! `speed` times real time; tests can pause it, resume it, and move it forward by any amount, so
//! that nothing they check depends on how fast the machine is.

use std::{
    ops::{Add, Sub},
    sync::{
        atomic::{AtomicU64, Ordering},
        RwLock,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};

use crate::sim::time_bounds;

/// A point on the mock's timeline: simulated time since the mock started.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct MockTime(Duration);

impl MockTime {
    #[cfg(test)]
    pub const ZERO: MockTime = MockTime(Duration::ZERO);

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: MockTime) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for MockTime {
    type Output = MockTime;
    fn add(self, rhs: Duration) -> MockTime {
        MockTime(self.0.saturating_add(rhs))
    }
}

impl Sub<Duration> for MockTime {
    type Output = MockTime;
    fn sub(self, rhs: Duration) -> MockTime {
        MockTime(self.0.saturating_sub(rhs))
    }
}

/// `duration` times `factor`, saturating at the longest `Duration` instead of panicking as
/// `Duration::mul_f64` does. `Config::validate` keeps the speed within bounds; this keeps a
/// clock that has run for years, or was advanced far, from ever panicking.
pub fn scale(duration: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(duration.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

pub fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

struct Reading {
    paused: bool,
    /// Mock time at `anchor`; from there it moves at `speed` while running.
    at_anchor: Duration,
    anchor: Instant,
}

pub struct Clock {
    speed: f64,
    reading: RwLock<Reading>,
    /// Wall-clock time at mock time zero: times in results are `started_unix_ms` plus mock time.
    /// Atomic only so that a state file can set it back at start.
    started_unix_ms: AtomicU64,
}

/// What `GET /_mock/clock` answers.
#[derive(Clone, Debug, Serialize)]
pub struct ClockView {
    pub paused: bool,
    pub speed: f64,
    /// Simulated seconds since the mock started.
    pub now_seconds: f64,
    /// The mock's notion of the wall clock (what results and webhook attempts report).
    pub now_unix_ms: u64,
}

impl Clock {
    pub fn new(speed: f64, paused: bool) -> Self {
        Clock {
            speed,
            reading: RwLock::new(Reading {
                paused,
                at_anchor: Duration::ZERO,
                anchor: Instant::now(),
            }),
            started_unix_ms: AtomicU64::new(unix_ms_now()),
        }
    }

    /// Sets the clock back to a saved reading (a state file): at `at`, paused or running from
    /// there, with the same wall-clock time at mock time zero.
    pub fn restore(&self, at: MockTime, paused: bool, started_unix_ms: u64) {
        let mut reading = self.write();
        reading.at_anchor = time_bounds::clamp(at.0);
        reading.anchor = Instant::now();
        reading.paused = paused;
        self.started_unix_ms
            .store(started_unix_ms, Ordering::Relaxed);
    }

    /// Wall-clock milliseconds at mock time zero.
    pub fn started_unix_ms(&self) -> u64 {
        self.started_unix_ms.load(Ordering::Relaxed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Reading> {
        self.reading.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Reading> {
        self.reading.write().unwrap_or_else(|e| e.into_inner())
    }

    fn now_locked(&self, reading: &Reading, real: Instant) -> MockTime {
        if reading.paused {
            return MockTime(reading.at_anchor);
        }
        let elapsed = real.saturating_duration_since(reading.anchor);
        let now = MockTime(reading.at_anchor) + scale(elapsed, self.speed);
        MockTime(time_bounds::clamp(now.0))
    }

    /// How many times faster than real time the clock runs.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn now(&self) -> MockTime {
        self.now_locked(&self.read(), Instant::now())
    }

    pub fn is_paused(&self) -> bool {
        self.read().paused
    }

    /// The wall-clock milliseconds that stand for `at` (equal to the real wall clock at speed 1
    /// for a clock that was never paused or advanced).
    pub fn unix_ms(&self, at: MockTime) -> u64 {
        let since_start = u64::try_from(at.0.as_millis()).unwrap_or(u64::MAX);
        self.started_unix_ms().saturating_add(since_start)
    }

    /// Stops the clock; returns false when it was already stopped.
    pub fn pause(&self) -> bool {
        let real = Instant::now();
        let mut reading = self.write();
        if reading.paused {
            return false;
        }
        reading.at_anchor = self.now_locked(&reading, real).0;
        reading.anchor = real;
        reading.paused = true;
        true
    }

    /// Starts the clock again from where it stopped; returns false when it was running.
    pub fn resume(&self) -> bool {
        let mut reading = self.write();
        if !reading.paused {
            return false;
        }
        reading.anchor = Instant::now();
        reading.paused = false;
        true
    }

    /// Moves the clock to `to`, if that is later than now. Never moves it back, nor past
    /// `time_bounds::LATEST`.
    pub fn jump_to(&self, to: MockTime) {
        let to = MockTime(time_bounds::clamp(to.0));
        let real = Instant::now();
        let mut reading = self.write();
        let now = self.now_locked(&reading, real);
        if to > now {
            reading.at_anchor = to.0;
            reading.anchor = real;
        }
    }

    /// Real time until mock time `at` at the current speed; `None` while paused (only a control
    /// call can bring it closer then), zero when it is already due.
    pub fn real_time_until(&self, at: MockTime) -> Option<Duration> {
        let reading = self.read();
        let now = self.now_locked(&reading, Instant::now());
        if at <= now {
            return Some(Duration::ZERO);
        }
        if reading.paused {
            return None;
        }
        Some(scale(at.since(now), 1.0 / self.speed))
    }

    pub fn view(&self) -> ClockView {
        let now = self.now();
        ClockView {
            paused: self.is_paused(),
            speed: self.speed,
            now_seconds: (now.0.as_secs_f64() * 1000.0).round() / 1000.0,
            now_unix_ms: self.unix_ms(now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_clock_moves_only_when_told() {
        let clock = Clock::new(1000.0, true);
        let start = clock.now();
        assert_eq!(start, MockTime::ZERO);
        assert_eq!(clock.now(), start, "paused: no time passes");
        clock.jump_to(start + Duration::from_secs(7));
        assert_eq!(clock.now(), start + Duration::from_secs(7));
        clock.jump_to(start + Duration::from_secs(3));
        assert_eq!(
            clock.now(),
            start + Duration::from_secs(7),
            "never moves back"
        );
        assert_eq!(clock.real_time_until(start + Duration::from_secs(8)), None);
        assert_eq!(
            clock.real_time_until(start + Duration::from_secs(2)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn pause_and_resume_keep_the_reading() {
        let clock = Clock::new(1.0, false);
        assert!(clock.pause());
        assert!(!clock.pause());
        let frozen = clock.now();
        let before = Instant::now();
        assert!(clock.resume());
        assert!(!clock.resume());
        assert!(clock.now() >= frozen);
        // At least this much real time passes while it runs (a lower bound only).
        let running = Duration::from_millis(2);
        std::thread::sleep(running);
        assert!(clock.pause());
        let really_passed = before.elapsed();
        // Time only moved by as much as really passed between resume and pause (at speed 1):
        // no less than the sleep, no more than passed around them; a microsecond allows for
        // the rounding of the speed's float arithmetic.
        let moved = clock.now().since(frozen);
        assert!(moved >= running, "{moved:?} < {running:?}");
        assert!(
            moved <= really_passed + Duration::from_micros(1),
            "{moved:?} > {really_passed:?}"
        );
        // And it stays where it stopped.
        assert_eq!(clock.now().since(frozen), moved);
    }

    #[test]
    fn extreme_durations_saturate_instead_of_panicking() {
        assert_eq!(scale(Duration::from_secs(2), 1.5), Duration::from_secs(3));
        assert_eq!(scale(Duration::MAX, 1e300), Duration::MAX);
        assert_eq!(scale(Duration::from_secs(1), 1e-300), Duration::ZERO);
        let clock = Clock::new(1.0, true);
        clock.jump_to(MockTime(Duration::MAX));
        assert_eq!(
            clock.now(),
            MockTime(time_bounds::LATEST),
            "it stops at the latest"
        );
        assert_eq!(
            clock.real_time_until(MockTime(Duration::MAX)),
            None,
            "paused, short of it"
        );
        assert_eq!(clock.unix_ms(MockTime(Duration::MAX)), u64::MAX);
    }

    #[test]
    fn unix_times_follow_mock_time() {
        let clock = Clock::new(1.0, true);
        let base = clock.unix_ms(MockTime::ZERO);
        assert_eq!(
            clock.unix_ms(MockTime::ZERO + Duration::from_secs(2)),
            base + 2000
        );
    }
}
