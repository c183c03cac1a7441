//! When `watch` (and `wait`, built on it) asks for a task's result next.
//!
//! A fixed interval either hammers the service (the official Python SDK asks every 0.5 s) or
//! answers late (its CLI asks every 3 s). Novita tells us how long a task has left (`eta`) and
//! how far it is (`progress_percent`); we sleep until just after the expected end, never longer
//! than `max_interval`, and fall back to a gentle geometric backoff when neither is known.

use std::time::Duration;

/// What one poll saw.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Observation {
    /// Seconds left according to the service (`eta`); 0 or absent when unknown.
    pub eta_seconds: Option<f64>,
    /// 0..100.
    pub progress_percent: Option<f64>,
    /// Time since the watch started.
    pub elapsed: Duration,
}

/// Bounds of the poll interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Pacing {
    pub min_interval: Duration,
    pub max_interval: Duration,
}

/// Floor of the interval when nothing is known about the task's remaining time.
const BLIND_FLOOR: Duration = Duration::from_secs(1);
/// Sleep a little past the estimate so that the next poll finds the task finished.
const OVERSHOOT: f64 = 1.01;
const OVERSHOOT_FLAT: Duration = Duration::from_millis(50);

/// Estimates the remaining time from `eta`, or from the progress rate between two polls.
pub(crate) fn estimate_remaining(
    previous: Option<&Observation>,
    now: &Observation,
) -> Option<Duration> {
    if let Some(eta) = now.eta_seconds.filter(|eta| eta.is_finite() && *eta > 0.0) {
        return Some(Duration::from_secs_f64(eta.min(86_400.0)));
    }
    let (prev, previous_progress) = previous.and_then(|p| p.progress_percent.map(|pp| (p, pp)))?;
    let progress = now.progress_percent?;
    let gained = progress - previous_progress;
    let took = now.elapsed.checked_sub(prev.elapsed)?.as_secs_f64();
    if gained <= 0.0 || took <= 0.0 || progress >= 100.0 {
        return None;
    }
    let seconds = (100.0 - progress) / gained * took;
    Some(Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// How long to sleep before the next poll.
pub(crate) fn next_delay(
    previous: Option<&Observation>,
    now: &Observation,
    pacing: &Pacing,
) -> Duration {
    let delay = match estimate_remaining(previous, now) {
        Some(remaining) => remaining.mul_f64(OVERSHOOT) + OVERSHOOT_FLAT,
        // Nothing known: wait a tenth of the time waited so far, so a late poll is late by at
        // most about 10% of the job's length.
        None => (now.elapsed / 10).max(BLIND_FLOOR.max(pacing.min_interval)),
    };
    delay.clamp(
        pacing.min_interval,
        pacing.max_interval.max(pacing.min_interval),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACING: Pacing = Pacing {
        min_interval: Duration::from_millis(250),
        max_interval: Duration::from_secs(10),
    };

    fn seen(eta: Option<f64>, progress: Option<f64>, elapsed_ms: u64) -> Observation {
        Observation {
            eta_seconds: eta,
            progress_percent: progress,
            elapsed: Duration::from_millis(elapsed_ms),
        }
    }

    #[test]
    fn sleeps_just_past_the_eta() {
        let delay = next_delay(None, &seen(Some(4.0), Some(20.0), 1_000), &PACING);
        assert_eq!(delay, Duration::from_millis(4_090));
    }

    #[test]
    fn long_eta_is_capped_by_max_interval() {
        assert_eq!(
            next_delay(None, &seen(Some(300.0), None, 0), &PACING),
            PACING.max_interval
        );
    }

    #[test]
    fn tiny_eta_is_floored_by_min_interval() {
        assert_eq!(
            next_delay(None, &seen(Some(0.01), None, 0), &PACING),
            PACING.min_interval
        );
    }

    #[test]
    fn progress_rate_is_used_when_eta_is_missing() {
        let before = seen(Some(0.0), Some(20.0), 2_000);
        let now = seen(Some(0.0), Some(40.0), 4_000);
        // 20 points in 2 s, 60 to go: 6 s, plus the overshoot.
        assert_eq!(
            estimate_remaining(Some(&before), &now),
            Some(Duration::from_secs(6))
        );
    }

    #[test]
    fn blind_backoff_grows_with_time_waited() {
        assert_eq!(next_delay(None, &seen(None, None, 0), &PACING), BLIND_FLOOR);
        assert_eq!(
            next_delay(None, &seen(None, None, 50_000), &PACING),
            Duration::from_secs(5)
        );
        assert_eq!(
            next_delay(None, &seen(None, None, 500_000), &PACING),
            PACING.max_interval
        );
    }
}
