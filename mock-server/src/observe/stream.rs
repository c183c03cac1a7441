//! The event stream's side of the observer: a bounded history that `Last-Event-ID` resumes
//! from, and a broadcast channel to the live subscribers. Publishing never waits on a
//! subscriber: one that falls more than the channel's capacity behind is cut off (it gets a
//! last item saying so) and may reconnect to resume from the history.

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex, OnceLock,
    },
};

use tokio::sync::{
    broadcast::{self, error::RecvError},
    watch,
};

use super::event::{Event, Kind};

/// The bounds of the stream (README: "Event stream").
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Events kept for `Last-Event-ID` to resume from.
    pub history: usize,
    /// Events a subscriber may fall behind before it is cut off.
    pub buffer: usize,
    /// Subscribers at once.
    pub subscribers: usize,
}

pub const BOUNDS: Bounds = Bounds {
    history: 4096,
    buffer: 1024,
    subscribers: 16,
};

struct History {
    next_id: u64,
    events: VecDeque<(u64, Event)>,
}

pub struct EventLog {
    bounds: Bounds,
    /// Set by the first subscriber: until then nothing is kept, so a mock nobody watches pays
    /// one atomic load per event.
    started: AtomicBool,
    subscribers: AtomicUsize,
    /// Subscribers that asked for request events (they are published only while one does).
    request_listeners: AtomicUsize,
    history: Mutex<History>,
    /// Made by the first subscriber: its buffer of `bounds.buffer` slots (about 100 KiB at
    /// the defaults) is not held by a mock nobody watches.
    sender: OnceLock<broadcast::Sender<(u64, Event)>>,
    /// Turns true when the mock stops: every subscription ends.
    closed: watch::Sender<bool>,
}

/// Which events a subscriber wants: kinds as a set of bits, and one task or all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Filter {
    pub kinds: u8,
    pub task: Option<uuid::Uuid>,
}

impl Default for Filter {
    /// Every kind but requests, which a subscriber asks for by name.
    fn default() -> Self {
        Filter {
            kinds: Kind::ALL
                .into_iter()
                .filter(|kind| *kind != Kind::Request)
                .fold(0, |bits, kind| bits | kind.bit()),
            task: None,
        }
    }
}

impl Filter {
    fn wants(&self, event: &Event) -> bool {
        self.kinds & event.kind().bit() != 0 && self.task.is_none_or(|t| event.task == Some(t))
    }

    fn wants_requests(&self) -> bool {
        self.kinds & Kind::Request.bit() != 0
    }
}

/// What a subscription yields.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item {
    Event(u64, Event),
    /// The history no longer holds the events after `last_id`: events up to `oldest` are lost.
    Gap {
        last_id: u64,
        oldest: u64,
    },
    /// The subscriber fell `missed` events behind and is cut off after event `last_id`.
    CutOff {
        missed: u64,
        last_id: u64,
    },
}

/// Refused: as many subscribers as the bound allows are connected.
#[derive(Debug)]
pub struct Full(pub usize);

impl EventLog {
    pub fn new(bounds: Bounds) -> Self {
        EventLog {
            bounds,
            started: AtomicBool::new(false),
            subscribers: AtomicUsize::new(0),
            request_listeners: AtomicUsize::new(0),
            history: Mutex::new(History {
                next_id: 1,
                events: VecDeque::new(),
            }),
            sender: OnceLock::new(),
            closed: watch::Sender::new(false),
        }
    }

    /// Ends every subscription (the mock is stopping), now and from now on.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// Whether events are kept and sent (someone subscribed since the mock started).
    pub fn publishing(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    pub fn wants_requests(&self) -> bool {
        self.request_listeners.load(Ordering::Relaxed) > 0
    }

    pub fn subscribers(&self) -> usize {
        self.subscribers.load(Ordering::Relaxed)
    }

    pub fn kept(&self) -> usize {
        self.lock().events.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Gives `event` the next id, keeps it and sends it to the subscribers.
    pub fn publish(&self, event: Event) {
        if !self.publishing() {
            return;
        }
        let mut history = self.lock();
        let id = history.next_id;
        history.next_id += 1;
        if history.events.len() >= self.bounds.history {
            history.events.pop_front();
        }
        if self.bounds.history > 0 {
            history.events.push_back((id, event));
        }
        // Sent under the lock, so that subscribers see ids in order. Never waits.
        if let Some(sender) = self.sender.get() {
            let _ = sender.send((id, event));
        }
    }

    /// A new subscriber, given the events after `last_id` still in the history first.
    pub fn subscribe(
        self: &Arc<Self>,
        filter: Filter,
        last_id: Option<u64>,
    ) -> Result<Subscription, Full> {
        let max = self.bounds.subscribers;
        self.subscribers
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .map_err(|_| Full(max))?;
        if filter.wants_requests() {
            self.request_listeners.fetch_add(1, Ordering::Relaxed);
        }
        let sender = self
            .sender
            .get_or_init(|| broadcast::channel(self.bounds.buffer.max(1)).0);
        self.started.store(true, Ordering::Relaxed);
        let history = self.lock();
        let receiver = sender.subscribe();
        let mut backlog = VecDeque::new();
        if let Some(last_id) = last_id {
            let oldest = history
                .events
                .front()
                .map_or(history.next_id, |(id, _)| *id);
            if oldest > last_id + 1 && last_id + 1 < history.next_id {
                backlog.push_back(Item::Gap { last_id, oldest });
            }
            backlog.extend(
                history
                    .events
                    .iter()
                    .filter(|(id, event)| *id > last_id && filter.wants(event))
                    .map(|(id, event)| Item::Event(*id, *event)),
            );
        }
        let last_sent = history.next_id - 1;
        drop(history);
        Ok(Subscription {
            log: self.clone(),
            filter,
            backlog,
            receiver,
            closed: self.closed.subscribe(),
            last_sent,
            done: false,
        })
    }
}

/// One subscriber: its backlog from the history, then the live events.
pub struct Subscription {
    log: Arc<EventLog>,
    filter: Filter,
    backlog: VecDeque<Item>,
    receiver: broadcast::Receiver<(u64, Event)>,
    closed: watch::Receiver<bool>,
    /// The id of the newest event this subscriber has been handed (or skipped by its filter).
    last_sent: u64,
    done: bool,
}

impl Subscription {
    /// The next item; `None` once the subscriber was cut off or the mock is gone.
    pub async fn next(&mut self) -> Option<Item> {
        if let Some(item) = self.backlog.pop_front() {
            return Some(item);
        }
        while !self.done {
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                _ = self.closed.wait_for(|closed| *closed) => Err(RecvError::Closed),
            };
            match received {
                Ok((id, event)) => {
                    self.last_sent = id;
                    if self.filter.wants(&event) {
                        return Some(Item::Event(id, event));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    self.done = true;
                    return Some(Item::CutOff {
                        missed,
                        last_id: self.last_sent,
                    });
                }
                Err(RecvError::Closed) => self.done = true,
            }
        }
        None
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.log.subscribers.fetch_sub(1, Ordering::AcqRel);
        if self.filter.wants_requests() {
            self.log.request_listeners.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests;
