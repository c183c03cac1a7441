//! The simulation behind the API: the mock clock, tasks and their lifecycle, the bounded task
//! store, the scheduler of webhook attempts, and what QA can force (outcomes and faults).

pub(crate) mod clock;
pub(crate) mod counter;
pub(crate) mod end_hint;
pub(crate) mod faults;
pub(crate) mod job;
pub(crate) mod outcomes;
pub(crate) mod phase;
pub(crate) mod reference;
pub(crate) mod reference_pool;
pub(crate) mod replay;
pub(crate) mod scheduler;
pub(crate) mod task_id;
pub(crate) mod task_store;
pub(crate) mod tasks;
pub(crate) mod time_bounds;
pub(crate) mod webhook_log;
