//! The control API under `/_mock` (inspect and drive tasks, the clock, outcomes, the journal,
//! the dashboard), its token guard, and the request journal it reads.

mod body;
mod events;
mod metrics;
pub(crate) mod origin;
pub(crate) mod routes;
mod task_routes;
pub(crate) mod token;
