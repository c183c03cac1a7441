//! What the mock keeps of the requests it is sent: the journal QA reads back, and the per-key
//! rate limit of Novita's endpoints.

pub(crate) mod journal;
pub(crate) mod rate_limit;
