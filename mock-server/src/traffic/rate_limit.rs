//! Novita's requests-per-minute rule, per API key and endpoint, over a sliding minute.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

/// Key and endpoint pairs the rate limiter tracks at most.
pub const MAX_RATE_LIMITED_KEYS: usize = 10_000;
const WINDOW: Duration = Duration::from_secs(60);

type Seen = HashMap<(String, String), VecDeque<Instant>>;

pub struct RateLimiter {
    per_minute: u32,
    seen: Mutex<Seen>,
}

/// Frees a place among the tracked pairs: first every pair quiet for a whole window (it has
/// nothing left to count), else the pair heard from least recently.
fn make_room(seen: &mut Seen, now: Instant) {
    seen.retain(|_, log| log.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
    if seen.len() < MAX_RATE_LIMITED_KEYS {
        return;
    }
    let quietest = seen
        .iter()
        .min_by_key(|(_, log)| log.back().copied())
        .map(|(pair, _)| pair.clone());
    if let Some(pair) = quietest {
        seen.remove(&pair);
    }
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Counts a request; over the limit it is not counted, and the answer is how long until
    /// the oldest request of the window leaves it (at least a second: `Retry-After` counts
    /// whole seconds).
    pub fn allow(&self, key: &str, endpoint: &str, now: Instant) -> Result<(), Duration> {
        let mut seen = self.seen.lock().expect("rate limiter lock");
        let pair = (key.to_string(), endpoint.to_string());
        if !seen.contains_key(&pair) && seen.len() >= MAX_RATE_LIMITED_KEYS {
            make_room(&mut seen, now);
        }
        let log = seen.entry(pair).or_default();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            log.pop_front();
        }
        if log.len() as u32 >= self.per_minute {
            let frees_at = log.front().map_or(now, |oldest| *oldest + WINDOW);
            let wait = frees_at.saturating_duration_since(now);
            return Err(Duration::from_secs(
                wait.as_secs_f64().ceil().max(1.0) as u64
            ));
        }
        log.push_back(now);
        Ok(())
    }

    pub fn clear(&self) {
        self.seen.lock().expect("rate limiter lock").clear();
    }

    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.seen.lock().expect("rate limiter lock").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_twenty_first_request_in_a_minute_is_refused() {
        let limiter = RateLimiter::new(20);
        let start = Instant::now();
        for i in 0..20 {
            assert!(limiter
                .allow("k", "wan-t2v", start + Duration::from_millis(i))
                .is_ok());
        }
        assert_eq!(
            limiter.allow("k", "wan-t2v", start + Duration::from_secs(30)),
            Err(Duration::from_secs(30)),
            "the first request of the window leaves it 30 s later"
        );
        assert!(
            limiter
                .allow("k", "wan-i2v", start + Duration::from_secs(30))
                .is_ok(),
            "per endpoint"
        );
        assert!(
            limiter
                .allow("other", "wan-t2v", start + Duration::from_secs(30))
                .is_ok(),
            "per key"
        );
        assert!(
            limiter
                .allow("k", "wan-t2v", start + Duration::from_secs(61))
                .is_ok(),
            "window slides"
        );
    }

    #[test]
    fn tracked_keys_are_bounded() {
        let limiter = RateLimiter::new(20);
        let start = Instant::now();
        for i in 0..MAX_RATE_LIMITED_KEYS + 50 {
            assert!(limiter.allow(&format!("key-{i}"), "wan-t2v", start).is_ok());
        }
        assert_eq!(limiter.tracked(), MAX_RATE_LIMITED_KEYS);
        // A minute later every old pair is quiet: one sweep frees them all.
        assert!(limiter
            .allow("late", "wan-t2v", start + Duration::from_secs(61))
            .is_ok());
        assert_eq!(limiter.tracked(), 1);
    }
}
