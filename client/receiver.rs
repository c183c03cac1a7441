//! A ready webhook receiver for axum (the `receiver` feature): it reads at most
//! [`WEBHOOK_BODY_LIMIT`] bytes, confirms the event by fetching its
//! task with the client's own key, drops what it has already handed on, and hands each
//! confirmed final result to the application once, through a channel.
//!
//! ```,no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use novita_video::{receiver::WebhookReceiver, NovitaClient};
//! let client = NovitaClient::builder_from_env().build()?;
//! let (receiver, mut confirmed) = WebhookReceiver::new(client).build();
//! let app = axum::Router::new().route("/novita", receiver.route());
//! tokio::spawn(async move {
//!     while let Some(result) = confirmed.recv().await {
//!         println!("{:?} is done", result.task.and_then(|t| t.task_id));
//!     }
//! });
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! What each delivery is answered, so that Novita retries only what a retry can mend:
//!
//! | delivery | answer | handed on |
//! |---|---|---|
//! | confirmed, first time for this task and final status | 200 | yes |
//! | confirmed, already handed on | 200 | no |
//! | another event type | 200 (acknowledged, ignored) | no |
//! | body over the limit | 413 | no |
//! | not JSON, no task id, unknown or non-final status | 400 / 422 | no |
//! | a task this key does not know (forged, or another account's) | 404 | no |
//! | Novita's answer contradicts the event (forged, or sent early) | 409: Novita retries | no |
//! | Novita could not be asked in time, or the channel is full | 503: Novita retries | no |
//!
//! A 4xx tells a genuine sender that its event is wrong; Novita retries at most five times, so a
//! refusal never loops for ever. A forged event gets the same 4xx, and nothing else.

use std::{
    collections::{HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::{to_bytes, Body},
    extract::State,
    http::StatusCode,
    routing::{post, MethodRouter},
};
use tokio::sync::mpsc;

use crate::{
    confirm::{claim_of_body, Claim, WEBHOOK_BODY_LIMIT},
    generated::types::TaskResultResponse,
    Error, NovitaClient, WebhookRefusal,
};

/// How many (task, final status) pairs the receiver remembers to drop duplicates (default).
pub const DEFAULT_REMEMBERED: usize = 10_000;
/// How many confirmed results wait in the channel for the application (default).
pub const DEFAULT_CHANNEL: usize = 256;
/// How long a delivery may spend asking Novita before it is answered 503 (default): within
/// Novita's 5 s timeout for an answer.
pub const DEFAULT_CONFIRM_DEADLINE: Duration = Duration::from_secs(4);

/// Builds a receiver: [`WebhookReceiver::new`], then [`WebhookReceiver::build`].
pub struct WebhookReceiver {
    client: NovitaClient,
    remembered: usize,
    channel: usize,
    deadline: Duration,
}

impl WebhookReceiver {
    /// A receiver that confirms events with `client` (its key decides which tasks are known).
    pub fn new(client: NovitaClient) -> Self {
        WebhookReceiver {
            client,
            remembered: DEFAULT_REMEMBERED,
            channel: DEFAULT_CHANNEL,
            deadline: DEFAULT_CONFIRM_DEADLINE,
        }
    }

    /// How many handled (task, status) pairs to remember; the oldest is forgotten first.
    pub fn remember(mut self, pairs: usize) -> Self {
        self.remembered = pairs.max(1);
        self
    }

    /// How many confirmed results may wait for the application before deliveries get 503.
    pub fn channel(mut self, capacity: usize) -> Self {
        self.channel = capacity.max(1);
        self
    }

    /// How long one delivery may spend confirming before it is answered 503.
    pub fn confirm_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The handler, and the channel the confirmed results come out of.
    pub fn build(self) -> (Receiver, mpsc::Receiver<TaskResultResponse>) {
        let (sender, results) = mpsc::channel(self.channel);
        let shared = Shared {
            client: self.client,
            handled: Mutex::new(Handled::new(self.remembered)),
            sender,
            deadline: self.deadline,
        };
        (
            Receiver {
                shared: Arc::new(shared),
            },
            results,
        )
    }
}

/// The handler of a built receiver.
#[derive(Clone)]
pub struct Receiver {
    shared: Arc<Shared>,
}

impl Receiver {
    /// A `POST` route for `axum::Router::route`.
    pub fn route<S: Clone + Send + Sync + 'static>(&self) -> MethodRouter<S> {
        post(receive).with_state(self.shared.clone())
    }
}

struct Shared {
    client: NovitaClient,
    handled: Mutex<Handled>,
    sender: mpsc::Sender<TaskResultResponse>,
    deadline: Duration,
}

/// The (task id, final status) pairs already handed on, oldest first, bounded.
struct Handled {
    seen: HashSet<(String, String)>,
    order: VecDeque<(String, String)>,
    limit: usize,
}

impl Handled {
    fn new(limit: usize) -> Self {
        Handled {
            seen: HashSet::new(),
            order: VecDeque::new(),
            limit,
        }
    }

    /// True the first time `pair` is claimed.
    fn claim(&mut self, pair: (String, String)) -> bool {
        if !self.seen.insert(pair.clone()) {
            return false;
        }
        self.order.push_back(pair);
        while self.order.len() > self.limit {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        true
    }

    /// Gives a claim back when the result could not be handed on.
    fn release(&mut self, pair: &(String, String)) {
        if self.seen.remove(pair) {
            self.order.retain(|p| p != pair);
        }
    }
}

async fn receive(State(shared): State<Arc<Shared>>, body: Body) -> (StatusCode, &'static str) {
    let Ok(body) = to_bytes(body, WEBHOOK_BODY_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body over the limit\n");
    };
    let claim = match claim_of_body(&body) {
        Ok(claim) => claim,
        Err(error) => return answer_for(&error),
    };
    let confirmed =
        match tokio::time::timeout(shared.deadline, shared.client.confirm_claim(&claim)).await {
            Ok(Ok(result)) => result,
            Ok(Err(error)) => return answer_for(&error),
            Err(_) => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Novita did not answer in time\n",
                )
            }
        };
    hand_on(&shared, &claim, confirmed)
}

/// Hands a confirmed result on, once per task and final status.
fn hand_on(
    shared: &Shared,
    claim: &Claim,
    confirmed: TaskResultResponse,
) -> (StatusCode, &'static str) {
    let pair = (claim.task_id.clone(), claim.status.as_str().to_string());
    let first = lock(&shared.handled).claim(pair.clone());
    if !first {
        return (StatusCode::OK, "already handled\n");
    }
    match shared.sender.try_send(confirmed) {
        Ok(()) => (StatusCode::OK, "confirmed\n"),
        Err(_) => {
            lock(&shared.handled).release(&pair);
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the application is not keeping up\n",
            )
        }
    }
}

fn lock(handled: &Mutex<Handled>) -> std::sync::MutexGuard<'_, Handled> {
    handled.lock().unwrap_or_else(|e| e.into_inner())
}

fn answer_for(error: &Error) -> (StatusCode, &'static str) {
    match error {
        Error::Webhook { .. } => (StatusCode::BAD_REQUEST, "not a Novita event\n"),
        Error::WebhookRefused { why, .. } => match why {
            WebhookRefusal::TooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "body over the limit\n")
            }
            WebhookRefusal::NotATaskResult { .. } => {
                (StatusCode::OK, "ignored: not a task result\n")
            }
            WebhookRefusal::UnknownTask => (StatusCode::NOT_FOUND, "no such task\n"),
            WebhookRefusal::Contradicted { .. } => (
                StatusCode::CONFLICT,
                "Novita's answer contradicts the event\n",
            ),
            _ => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "not a final task result\n",
            ),
        },
        // The fetch failed (Novita unreachable, 5xx, 429): let Novita retry the delivery.
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Novita could not be asked\n",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(task: &str) -> (String, String) {
        (task.to_string(), "TASK_STATUS_SUCCEED".to_string())
    }

    #[test]
    fn a_pair_is_claimed_once_and_the_oldest_is_forgotten_past_the_bound() {
        let mut handled = Handled::new(2);
        assert!(handled.claim(pair("a")));
        assert!(!handled.claim(pair("a")));
        assert!(handled.claim(pair("b")));
        assert!(handled.claim(pair("c")));
        assert_eq!(handled.seen.len(), 2);
        assert!(handled.claim(pair("a")), "a was forgotten");
        handled.release(&pair("a"));
        assert!(handled.claim(pair("a")), "a released is claimable again");
    }
}
