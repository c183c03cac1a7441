//! Novita's requests-per-minute rule, per API key and endpoint, over a sliding minute.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

const WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    per_minute: u32,
    seen: Mutex<HashMap<(String, String), VecDeque<Instant>>>,
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

    /// Counts a request; false when it is over the limit (and then it is not counted).
    pub fn allow(&self, key: &str, endpoint: &str, now: Instant) -> bool {
        let mut seen = self.seen.lock().expect("rate limiter lock");
        let log = seen
            .entry((key.to_string(), endpoint.to_string()))
            .or_default();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            log.pop_front();
        }
        if log.len() as u32 >= self.per_minute {
            return false;
        }
        log.push_back(now);
        true
    }

    pub fn clear(&self) {
        self.seen.lock().expect("rate limiter lock").clear();
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
            assert!(limiter.allow("k", "wan-t2v", start + Duration::from_millis(i)));
        }
        assert!(!limiter.allow("k", "wan-t2v", start + Duration::from_secs(30)));
        assert!(
            limiter.allow("k", "wan-i2v", start + Duration::from_secs(30)),
            "per endpoint"
        );
        assert!(
            limiter.allow("other", "wan-t2v", start + Duration::from_secs(30)),
            "per key"
        );
        assert!(
            limiter.allow("k", "wan-t2v", start + Duration::from_secs(61)),
            "window slides"
        );
    }
}
