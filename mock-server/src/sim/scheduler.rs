//! What falls due on the mock clock: webhook attempts, first when a task ends, then each retry
//! after its backoff. One background driver runs what is due while the clock runs; advancing
//! the clock instead runs everything that falls due on the way, in order, before it returns.
//! While the clock is paused only what is due at the paused instant runs (an event of a task
//! that the control API just ended, a test-mode event): no retry fires, no task moves.

use std::{
    cmp::Ordering as CmpOrdering,
    collections::BinaryHeap,
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex, Weak,
    },
    time::Duration,
};

use tokio::sync::{Notify, Semaphore};

use crate::{
    sim::clock::{Clock, MockTime},
    sim::counter::saturating_add,
    sim::tasks::{Task, TaskId},
};

/// What runs the attempts that fall due, handed to the driver and to [`Scheduler::advance`] by
/// whoever assembles the mock: the scheduler only knows when, not what a delivery is.
pub trait RunDue: Send + Sync + 'static {
    /// The clock the attempts are due on.
    fn clock(&self) -> &Clock;
    /// Runs one attempt that fell due.
    fn run(self: Arc<Self>, due: Due) -> impl std::future::Future<Output = ()> + Send + 'static;
}

/// Webhook attempts waiting at most before those of evicted tasks are dropped.
pub const MAX_PENDING_WEBHOOKS: usize = 200_000;
/// Webhook deliveries in flight at once.
pub const MAX_CONCURRENT_WEBHOOKS: usize = 256;

/// The attempt number of a status watch: no webhook attempt, but a look at the task when its
/// status is due to change, for the event stream (scheduled only once someone subscribed).
pub const WATCH: u32 = 0;

/// One webhook attempt of one task, due at `at` (or a [`WATCH`] of its status).
pub struct Due {
    pub at: MockTime,
    seq: u64,
    /// Weak: an evicted task is not kept alive by its pending attempts (they are dropped, and
    /// logged, when they come due).
    pub task: Weak<Task>,
    pub task_id: TaskId,
    pub attempt: u32,
    /// For the first attempt: the task's wake generation when this check was scheduled.
    pub generation: u64,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    /// Reversed, so that the max-heap pops the earliest (then the first scheduled).
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

pub struct Scheduler {
    heap: Mutex<BinaryHeap<Due>>,
    /// Attempts dropped because their task was evicted before they came due.
    dropped: AtomicU64,
    /// Bounds the deliveries in flight while the clock runs.
    deliveries: Arc<Semaphore>,
    seq: AtomicU64,
    /// Status watches in the heap, which [`Scheduler::pending`] leaves out.
    watches: AtomicUsize,
    /// Wakes the driver: something was scheduled, or the clock changed.
    wake: Notify,
    /// Held by an advance while it steps through due attempts, and by the driver while it hands
    /// them out, so that the two never run the same instant's attempts.
    stepping: tokio::sync::Mutex<()>,
    closed: AtomicBool,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler {
            heap: Mutex::default(),
            dropped: AtomicU64::new(0),
            deliveries: Arc::new(Semaphore::new(MAX_CONCURRENT_WEBHOOKS)),
            seq: AtomicU64::new(0),
            watches: AtomicUsize::new(0),
            wake: Notify::new(),
            stepping: tokio::sync::Mutex::new(()),
            closed: AtomicBool::new(false),
        }
    }
}

impl Scheduler {
    fn heap(&self) -> std::sync::MutexGuard<'_, BinaryHeap<Due>> {
        self.heap.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn schedule(&self, at: MockTime, task: &Arc<Task>, attempt: u32, generation: u64) {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut heap = self.heap();
        if heap.len() >= MAX_PENDING_WEBHOOKS {
            // Attempts of evicted tasks can never run: let them go now rather than when due.
            let before = heap.len();
            heap.retain(|due| due.task.strong_count() > 0);
            self.recount_watches(&heap);
            let gone = (before - heap.len()) as u64;
            if gone > 0 {
                tracing::warn!(
                    attempts = gone,
                    "webhooks dropped: their tasks were evicted"
                );
                saturating_add(&self.dropped, gone);
            }
        }
        if attempt == WATCH {
            self.watches.fetch_add(1, Ordering::Relaxed);
        }
        heap.push(Due {
            at,
            seq,
            task: Arc::downgrade(task),
            task_id: task.id,
            attempt,
            generation,
        });
        drop(heap);
        self.wake.notify_one();
    }

    /// Counts an attempt dropped because its task was evicted.
    pub fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `count` to the dropped attempts (those of a previous run, from a state file).
    pub fn add_dropped(&self, count: u64) {
        saturating_add(&self.dropped, count);
    }

    /// The attempts waiting that will still run (their task is stored, the check is not stale),
    /// earliest first: what a state file keeps of the schedule.
    pub fn waiting(&self) -> Vec<(MockTime, Arc<Task>, u32, u64)> {
        let heap = self.heap();
        let mut waiting: Vec<_> = heap
            .iter()
            .filter_map(|d| Some((d.at, d.seq, d.task.upgrade()?, d.attempt, d.generation)))
            .filter(|(_, _, task, attempt, generation)| task.wants_attempt(*attempt, *generation))
            .collect();
        drop(heap);
        waiting.sort_by_key(|(at, seq, ..)| (*at, *seq));
        waiting
            .into_iter()
            .map(|(at, _, task, attempt, generation)| (at, task, attempt, generation))
            .collect()
    }

    /// Deliveries the driver has started that have not finished.
    pub fn in_flight(&self) -> usize {
        MAX_CONCURRENT_WEBHOOKS - self.deliveries.available_permits()
    }

    /// When the earliest waiting webhook attempt is due (status watches left out: a stopping
    /// mock waits for deliveries, not for them). Reads the whole heap once there are watches.
    pub fn next_due(&self) -> Option<MockTime> {
        if self.watches.load(Ordering::Relaxed) == 0 {
            return self.next_at();
        }
        let heap = self.heap();
        heap.iter()
            .filter(|d| d.attempt != WATCH)
            .map(|d| d.at)
            .min()
    }

    /// Attempts dropped since start (or the last reset).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Tells the driver the clock changed.
    pub fn clock_changed(&self) {
        self.wake.notify_one();
    }

    /// Attempts waiting now.
    pub fn pending(&self) -> usize {
        let heap = self.heap();
        heap.len() - self.watches.load(Ordering::Relaxed).min(heap.len())
    }

    fn recount_watches(&self, heap: &BinaryHeap<Due>) {
        let watches = heap.iter().filter(|d| d.attempt == WATCH).count();
        self.watches.store(watches, Ordering::Relaxed);
    }

    /// Takes the earliest due from the heap, keeping the count of watches.
    fn pop(&self, heap: &mut BinaryHeap<Due>) -> Option<Due> {
        let due = heap.pop()?;
        if due.attempt == WATCH {
            self.watches.fetch_sub(1, Ordering::Relaxed);
        }
        Some(due)
    }

    pub fn clear(&self) {
        self.heap().clear();
        self.watches.store(0, Ordering::Relaxed);
        self.dropped.store(0, Ordering::Relaxed);
    }

    fn next_at(&self) -> Option<MockTime> {
        self.heap().peek().map(|d| d.at)
    }

    /// Every attempt due at or before `now`.
    fn pop_due(&self, now: MockTime) -> Vec<Due> {
        let mut heap = self.heap();
        let mut due = Vec::new();
        while heap.peek().is_some_and(|d| d.at <= now) {
            due.extend(self.pop(&mut heap));
        }
        due
    }

    /// The attempts due at the earliest instant, if that is at or before `limit`.
    fn pop_earliest(&self, limit: MockTime) -> Option<(MockTime, Vec<Due>)> {
        let mut heap = self.heap();
        let at = heap.peek().map(|d| d.at).filter(|at| *at <= limit)?;
        let mut due = Vec::new();
        while heap.peek().is_some_and(|d| d.at == at) {
            due.extend(self.pop(&mut heap));
        }
        Some((at, due))
    }

    /// Stops the driver (the mock is gone).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}

/// Runs due attempts in the background until the mock is dropped. Holds the runner weakly,
/// so that it never keeps a stopped mock alive.
pub fn spawn_driver<R: RunDue>(scheduler: Arc<Scheduler>, runner: Weak<R>) {
    tokio::spawn(async move {
        loop {
            let woken = scheduler.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if scheduler.closed.load(Ordering::Acquire) {
                return;
            }
            let Some(runner) = runner.upgrade() else {
                return;
            };
            {
                let _stepping = scheduler.stepping.lock().await;
                for due in scheduler.pop_due(runner.clock().now()) {
                    let Ok(permit) = scheduler.deliveries.clone().acquire_owned().await else {
                        return;
                    };
                    let runner = runner.clone();
                    tokio::spawn(async move {
                        runner.run(due).await;
                        drop(permit);
                    });
                }
            }
            let wait = scheduler
                .next_at()
                .and_then(|at| runner.clock().real_time_until(at));
            drop(runner);
            match wait {
                Some(wait) => {
                    // Sleep at least a millisecond: a due time a hair ahead would spin.
                    let wait = wait.max(Duration::from_millis(1));
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                None => woken.await,
            }
        }
    });
}

impl Scheduler {
    /// Moves `runner`'s clock forward by `by`, running on the way, in order, every attempt
    /// that falls due (and the retries they schedule), each at its own instant. `by` may be
    /// zero: then it only settles what is due now.
    pub async fn advance<R: RunDue>(&self, runner: &Arc<R>, by: Duration) {
        let _stepping = self.stepping.lock().await;
        // Attempts the driver already started finish first: when this returns, everything due
        // by the new time has run, whoever started it.
        if let Ok(all) = self
            .deliveries
            .acquire_many(MAX_CONCURRENT_WEBHOOKS as u32)
            .await
        {
            drop(all);
        }
        let clock = runner.clock();
        let target = clock.now() + by;
        while let Some((at, due)) = self.pop_earliest(target) {
            clock.jump_to(at);
            let runs = due.into_iter().map(|d| runner.clone().run(d));
            futures_util::future::join_all(runs).await;
        }
        clock.jump_to(target);
        self.clock_changed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::tasks::test_task;

    #[test]
    fn status_watches_are_neither_pending_nor_due_attempts() {
        let scheduler = Scheduler::default();
        let task = Arc::new(test_task(
            MockTime::ZERO,
            Duration::from_secs(5),
            None,
            None,
        ));
        let at = |s| MockTime::ZERO + Duration::from_secs(s);
        scheduler.schedule(at(1), &task, WATCH, 0);
        assert_eq!((scheduler.pending(), scheduler.next_due()), (0, None));
        scheduler.schedule(at(6), &task, 1, 0);
        assert_eq!(
            (scheduler.pending(), scheduler.next_due()),
            (1, Some(at(6)))
        );
        assert_eq!(scheduler.pop_due(at(1)).len(), 1);
        assert_eq!(
            (scheduler.pending(), scheduler.next_due()),
            (1, Some(at(6)))
        );
    }
}
