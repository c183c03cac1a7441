//! Webhooks: delivering a finished task's event with retries on the mock clock, and the
//! `send-webhook` command that fires a test event at a receiver, and the status watches that
//! tell the event stream when a task moves.

pub(crate) mod delivery;
pub(crate) mod trigger;
pub(crate) mod watch;
