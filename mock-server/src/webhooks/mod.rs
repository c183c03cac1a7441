//! Webhooks: delivering a finished task's event with retries on the mock clock, and the
//! `send-webhook` command that fires a test event at a receiver.

pub(crate) mod delivery;
pub(crate) mod trigger;
