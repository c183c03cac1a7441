//! The bounds on reference-video checks: how many may wait, how many fetch at once, and a way
//! to wait until none is left (an advance of the clock waits, so that what it shows includes
//! every measurement of the tasks submitted before it).

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use tokio::sync::{Notify, Semaphore, SemaphorePermit};

/// Reference videos fetched at once: each holds up to its limit (10 MiB) in memory.
pub const MAX_REFERENCE_FETCHES: usize = 2;
/// Checks waiting or running at most; a task past the bound fails at once, saying so.
pub const MAX_WAITING_REFERENCES: usize = 1000;

pub struct ReferenceChecks {
    fetches: Semaphore,
    /// Checks entered and not finished.
    waiting: AtomicUsize,
    /// Told when the last check finishes.
    idle: Notify,
}

/// One check's place in the pool, given back when it is dropped.
pub struct Ticket {
    checks: Arc<ReferenceChecks>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.checks.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.checks.idle.notify_waiters();
        }
    }
}

impl ReferenceChecks {
    pub fn new() -> Arc<Self> {
        Arc::new(ReferenceChecks {
            fetches: Semaphore::new(MAX_REFERENCE_FETCHES),
            waiting: AtomicUsize::new(0),
            idle: Notify::new(),
        })
    }

    /// A place for one more check; `None` when [`MAX_WAITING_REFERENCES`] are taken.
    pub fn enter(self: &Arc<Self>) -> Option<Ticket> {
        self.waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_WAITING_REFERENCES).then_some(n + 1)
            })
            .ok()?;
        Some(Ticket {
            checks: self.clone(),
        })
    }

    /// Waits for a free fetch slot (never closed).
    pub async fn fetch_slot(&self) -> Option<SemaphorePermit<'_>> {
        self.fetches.acquire().await.ok()
    }

    /// Checks entered and not finished.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Returns once no check is waiting or running.
    pub async fn settled(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.waiting() == 0 {
                return;
            }
            idle.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pool_is_bounded_and_settles_when_the_last_check_ends() {
        let checks = ReferenceChecks::new();
        checks.settled().await;
        let mut tickets: Vec<Ticket> = (0..MAX_WAITING_REFERENCES)
            .map(|_| checks.enter().expect("a place"))
            .collect();
        assert!(checks.enter().is_none(), "past the bound");
        let slots: Vec<_> =
            futures_util::future::join_all((0..MAX_REFERENCE_FETCHES).map(|_| checks.fetch_slot()))
                .await;
        assert!(slots.iter().all(Option::is_some));
        assert!(
            checks.fetches.try_acquire().is_err(),
            "every fetch slot taken"
        );
        drop(slots);
        let settled = tokio::spawn({
            let checks = checks.clone();
            async move { checks.settled().await }
        });
        tickets.truncate(1);
        assert!(checks.enter().is_some(), "a place again");
        assert!(!settled.is_finished());
        drop(tickets);
        settled.await.unwrap();
        assert_eq!(checks.waiting(), 0);
    }
}
