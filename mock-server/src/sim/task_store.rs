//! Every task, by id, bounded: at most `max_tasks` tasks and `max_task_bytes` of what they hold.
//! Past a bound the oldest task goes, a finished one first when one is among the oldest few. An
//! evicted task is gone for good: its id answers exactly like an id that never existed.
//!
//! The index is sharded, so a submission write-locks one shard only and readers of the other
//! shards never wait; the submission order is a plain queue beside it.
//!
//! Eviction reads each task's end hint (`sim::end_hint`), an atomic, rather than locking the
//! task for its phase; and it keeps the earliest hint among the oldest few, so that while the
//! clock has not reached it (and no hint has moved earlier since) it knows without looking
//! that none of them has ended, and takes the oldest.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex, RwLock,
    },
    time::Duration,
};

use rustc_hash::FxBuildHasher;

use crate::{
    sim::clock::MockTime,
    sim::counter::saturating_add,
    sim::end_hint,
    sim::tasks::{Task, TaskId},
};

const SHARDS: usize = 64;
/// How far from the oldest end eviction looks for a finished task before taking the oldest.
const EVICTION_SCAN: usize = 64;

/// The limits of the store.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub max_tasks: usize,
    pub max_bytes: usize,
    /// Finished tasks older than this (since they ended) are evicted.
    pub retention: Option<Duration>,
}

/// Ids are random UUIDs, so a fast non-keyed hash is safe here.
type Shard = RwLock<HashMap<TaskId, Arc<Task>, FxBuildHasher>>;

pub struct TaskStore {
    bounds: Bounds,
    shards: Vec<Shard>,
    order: Mutex<Order>,
    bytes: AtomicUsize,
    evicted: AtomicU64,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl TaskStore {
    pub fn new(bounds: Bounds) -> Self {
        TaskStore {
            bounds,
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            order: Mutex::default(),
            bytes: AtomicUsize::new(0),
            evicted: AtomicU64::new(0),
        }
    }

    fn shard(&self, id: TaskId) -> &Shard {
        &self.shards[(id.bits() as usize) % SHARDS]
    }

    fn order(&self) -> std::sync::MutexGuard<'_, Order> {
        self.order.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `task`, then evicts what the bounds no longer allow.
    pub fn insert(&self, task: Arc<Task>, now: MockTime) {
        let footprint = task.footprint();
        write(self.shard(task.id)).insert(task.id, task.clone());
        let mut order = self.order();
        order.push(task);
        let bytes = self.bytes.fetch_add(footprint, Ordering::Relaxed) + footprint;
        let over = order.tasks.len() > self.bounds.max_tasks || bytes > self.bounds.max_bytes;
        if over || self.bounds.retention.is_some() {
            self.evict(&mut order, now);
        }
    }

    fn evict(&self, order: &mut Order, now: MockTime) {
        // The newest task always stays, whatever its size.
        while order.tasks.len() > 1
            && (order.tasks.len() > self.bounds.max_tasks
                || self.bytes.load(Ordering::Relaxed) > self.bounds.max_bytes)
        {
            let victim = order.victim(now);
            if let Some(task) = order.remove(victim) {
                self.forget(&task);
            }
        }
        if let Some(retention) = self.bounds.retention {
            while order.tasks.len() > 1 {
                let oldest = &order.tasks[0];
                let expired = oldest.has_ended(now)
                    && oldest
                        .phase(now)
                        .ended_at()
                        .is_some_and(|end| now.since(end) >= retention);
                if !expired {
                    break;
                }
                if let Some(task) = order.remove(0) {
                    self.forget(&task);
                }
            }
        }
    }

    fn forget(&self, task: &Task) {
        write(self.shard(task.id)).remove(&task.id);
        self.bytes.fetch_sub(task.footprint(), Ordering::Relaxed);
        saturating_add(&self.evicted, 1);
        tracing::debug!(task_id = %task.id, "task evicted");
    }

    /// The task with id `id`; `None` for an id of no stored task, whatever its spelling.
    pub fn get(&self, id: &str) -> Option<Arc<Task>> {
        let id = TaskId::parse(id)?;
        read(self.shard(id)).get(&id).cloned()
    }

    /// The newest `limit` tasks, oldest first.
    pub fn newest(&self, limit: usize) -> Vec<Arc<Task>> {
        let order = self.order();
        let skip = order.tasks.len().saturating_sub(limit);
        order.tasks.iter().skip(skip).cloned().collect()
    }

    /// Tasks stored now.
    pub fn len(&self) -> usize {
        self.order().tasks.len()
    }

    /// Tasks evicted since start (or the last reset).
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Adds `count` to the evictions (those of a previous run, read from a state file).
    pub fn add_evicted(&self, count: u64) {
        saturating_add(&self.evicted, count);
    }

    /// What the stored tasks hold, as counted against `max_task_bytes`.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// How many stored tasks stand in each status at `now`, by status name (read one shard at
    /// a time: a submission waits for one shard at most).
    pub fn by_status(&self, now: MockTime) -> [(&'static str, usize); 4] {
        use crate::sim::phase::{FAILED, PROCESSING, QUEUED, SUCCEED};
        let mut counts = [(QUEUED, 0), (PROCESSING, 0), (SUCCEED, 0), (FAILED, 0)];
        for shard in &self.shards {
            for task in read(shard).values() {
                let status = task.phase(now).status();
                if let Some(count) = counts.iter_mut().find(|(s, _)| *s == status) {
                    count.1 += 1;
                }
            }
        }
        counts
    }

    /// Removes every task, cancelling their pending webhooks.
    pub fn clear(&self) {
        let mut order = self.order();
        for shard in &self.shards {
            write(shard).clear();
        }
        order.window = None;
        for task in order.tasks.drain(..) {
            task.cancel();
        }
        self.bytes.store(0, Ordering::Relaxed);
        self.evicted.store(0, Ordering::Relaxed);
    }
}

/// Submission order, oldest first, and what eviction knows of the oldest [`EVICTION_SCAN`].
#[derive(Default)]
struct Order {
    tasks: VecDeque<Arc<Task>>,
    /// None of the oldest [`EVICTION_SCAN`] tasks ends before the key `earliest`, as long as
    /// no end hint has moved earlier since `end_hint::lowered()` read `lowered`.
    window: Option<Window>,
}

#[derive(Clone, Copy)]
struct Window {
    lowered: u64,
    earliest: u64,
}

impl Order {
    fn push(&mut self, task: Arc<Task>) {
        self.tasks.push_back(task);
        if self.tasks.len() <= EVICTION_SCAN {
            self.entered(self.tasks.len() - 1);
        }
    }

    /// Removes the task at `index`; the one that moves into the oldest few counts in the
    /// window's earliest end (the one removed stays counted: an earliest end too early only
    /// costs a look).
    fn remove(&mut self, index: usize) -> Option<Arc<Task>> {
        let task = self.tasks.remove(index)?;
        self.entered(EVICTION_SCAN - 1);
        Some(task)
    }

    fn entered(&mut self, index: usize) {
        if let (Some(window), Some(task)) = (&mut self.window, self.tasks.get(index)) {
            window.earliest = window.earliest.min(task.end_key());
        }
    }

    /// The index of the task to evict at `now`: the oldest of the oldest [`EVICTION_SCAN`]
    /// that has ended, else the oldest.
    fn victim(&mut self, now: MockTime) -> usize {
        let lowered = end_hint::lowered();
        let still = |w: Window| w.lowered == lowered && end_hint::key(now) < w.earliest;
        if self.window.is_some_and(still) {
            return 0;
        }
        let mut earliest = end_hint::NEVER;
        for (index, task) in self.tasks.iter().take(EVICTION_SCAN).enumerate() {
            if task.has_ended(now) {
                self.window = None;
                return index;
            }
            earliest = earliest.min(task.end_key());
        }
        self.window = Some(Window { lowered, earliest });
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::tasks::test_task;

    fn task(at: MockTime, work_seconds: u64) -> Arc<Task> {
        Arc::new(test_task(at, Duration::from_secs(work_seconds), None, None))
    }

    fn bounds(max_tasks: usize) -> Bounds {
        Bounds {
            max_tasks,
            max_bytes: usize::MAX,
            retention: None,
        }
    }

    #[test]
    fn the_oldest_go_first_and_count_as_evicted() {
        let store = TaskStore::new(bounds(3));
        let now = MockTime::ZERO;
        let tasks: Vec<_> = (0..5).map(|_| task(now, 10)).collect();
        for t in &tasks {
            store.insert(t.clone(), now);
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.evicted(), 2);
        assert!(store.get(&tasks[0].id.to_string()).is_none());
        assert!(store.get(&tasks[1].id.to_string()).is_none());
        assert!(store.get(&tasks[4].id.to_string()).is_some());
        let ids: Vec<_> = store.newest(10).iter().map(|t| t.id).collect();
        assert_eq!(ids, tasks[2..].iter().map(|t| t.id).collect::<Vec<_>>());
        assert_eq!(store.newest(1)[0].id, tasks[4].id);
    }

    #[test]
    fn finished_tasks_go_before_running_ones() {
        let store = TaskStore::new(bounds(2));
        let start = MockTime::ZERO;
        let long = task(start, 100);
        let short = task(start, 1);
        store.insert(long.clone(), start);
        store.insert(short.clone(), start);
        // At 5 s the short task has ended; the long one, older, still runs and stays.
        store.insert(task(start, 100), start + Duration::from_secs(5));
        assert!(store.get(&long.id.to_string()).is_some());
        assert!(store.get(&short.id.to_string()).is_none());
    }

    #[test]
    fn an_end_moved_earlier_is_seen_after_a_look_that_found_none() {
        let store = TaskStore::new(bounds(3));
        let now = MockTime::ZERO;
        let tasks: Vec<_> = (0..6).map(|_| task(now, 100)).collect();
        for t in &tasks[..4] {
            store.insert(t.clone(), now);
        }
        // The fourth found no finished task among the oldest and took the oldest: it now
        // knows the earliest end among them is 101 s away.
        let present = |t: &Arc<Task>| store.get(&t.id.to_string()).is_some();
        assert!(!present(&tasks[0]));
        tasks[2].advance(Duration::from_secs(200));
        store.insert(tasks[4].clone(), now);
        assert!(!present(&tasks[2]), "advanced past its end: it goes first");
        assert!(present(&tasks[1]));
        assert!(tasks[3].force(None, now));
        store.insert(tasks[5].clone(), now);
        assert!(!present(&tasks[3]), "forced: it goes first");
        assert!(present(&tasks[1]));
        // With nothing ended, the oldest goes, and the clock reaching the ends counts.
        store.insert(task(now, 100), now);
        assert!(!present(&tasks[1]));
        let short = task(now, 1);
        store.insert(short.clone(), now);
        assert!(!present(&tasks[4]));
        store.insert(task(now, 100), now + Duration::from_secs(3));
        assert!(!present(&short), "ended at 2 s, while older ones run");
        assert!(present(&tasks[5]));
    }

    #[test]
    fn the_byte_budget_and_retention_bound_the_store_too() {
        let one = task(MockTime::ZERO, 1).footprint();
        let store = TaskStore::new(Bounds {
            max_tasks: 100,
            max_bytes: one * 2,
            retention: None,
        });
        for _ in 0..5 {
            store.insert(task(MockTime::ZERO, 1), MockTime::ZERO);
        }
        assert_eq!(store.len(), 2);
        assert!(store.bytes() <= one * 2);

        let store = TaskStore::new(Bounds {
            max_tasks: 100,
            max_bytes: usize::MAX,
            retention: Some(Duration::from_secs(60)),
        });
        let old = task(MockTime::ZERO, 1);
        store.insert(old.clone(), MockTime::ZERO);
        let later = MockTime::ZERO + Duration::from_secs(100);
        store.insert(task(later, 1), later);
        assert!(
            store.get(&old.id.to_string()).is_none(),
            "ended at 2 s, 98 s ago"
        );
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn clear_forgets_everything() {
        let store = TaskStore::new(bounds(1));
        store.insert(task(MockTime::ZERO, 1), MockTime::ZERO);
        store.insert(task(MockTime::ZERO, 1), MockTime::ZERO);
        store.clear();
        assert_eq!((store.len(), store.evicted(), store.bytes()), (0, 0, 0));
    }
}
