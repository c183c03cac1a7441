//! Counters that stop at their top instead of wrapping.

use std::sync::atomic::{AtomicU64, Ordering};

/// Adds `count` to `counter`, stopping at `u64::MAX` rather than wrapping to zero (a counter
/// read back from a state file may start anywhere).
pub fn saturating_add(counter: &AtomicU64, count: u64) {
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
        Some(n.saturating_add(count))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_at_its_top_stays_there() {
        let counter = AtomicU64::new(u64::MAX - 1);
        saturating_add(&counter, 5);
        assert_eq!(counter.load(Ordering::Relaxed), u64::MAX);
    }
}
