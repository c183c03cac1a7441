//! Support code of the conformance suite: the only place where the client and the mock meet.
//!
//! - [`contract`]: the contract proxy of `novita-proxy`: forwards, checks against the spec,
//!   records cassettes;
//! - [`harness`]: a target to test against: the mock in-process (behind a recording proxy), or
//!   any server named by `NOVITA_BASE_URL` and `NOVITA_API_KEY`;
//! - [`proxy`]: records every answer the mock sends, so each can be checked against the spec;
//! - [`spec`]: the spec's component schemas as JSON Schema validators;
//! - [`verdict`]: the client's and the mock's verdicts on one body, to compare.

pub mod contract;
pub mod harness;
pub mod proxy;
pub mod spec;
pub mod verdict;
