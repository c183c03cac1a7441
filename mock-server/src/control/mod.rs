//! The control API under `/_mock` (inspect and drive tasks, the clock, outcomes, the journal,
//! the dashboard), its token guard, and the request journal it reads.

pub(crate) mod journal;
pub(crate) mod routes;
pub(crate) mod token;
