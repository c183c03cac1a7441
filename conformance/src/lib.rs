//! Support code of the conformance suite: the only place where the client and the mock meet.
//!
//! - [`harness`]: a target to test against: the mock in-process (behind `novita-proxy`'s
//!   contract proxy, which checks every answer against the spec), or any server named by
//!   `NOVITA_BASE_URL` and `NOVITA_API_KEY`;
//! - [`media`]: inline images (a PNG header of any size) and `data:` URIs;
//! - [`targets`]: bodies generated from the spec's request schemas, each aimed at one way to
//!   break a rule or keep it at an edge;
//! - [`verdict`]: the client's and the mock's verdicts on one body, to compare.
//!
//! The forwarding and the check of answers against the spec are `novita-proxy`'s: the suite
//! has no recorder or schema check of its own.

pub mod harness;
pub mod media;
pub mod targets;
pub mod verdict;
