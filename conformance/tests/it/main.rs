//! The conformance tests (the client against the mock, and the external checkers): each file is
//! a module of this one test binary.
//!
//! One binary per crate rather than one per file: each binary links every dependency again
//! and `cargo test` runs binaries one after another, so one binary compiles and links once and
//! runs all its tests side by side. A new file here is a new `mod` line below
//! (`client/tests/it/layout.rs` fails on a file that is not).

mod agreement;
mod byo_http;
mod container;
mod differential;
mod external_checkers;
mod faults;
mod kling;
mod media_agreement;
mod probe;
mod receiver;
mod scenarios;
mod scenarios_errors;
mod scenarios_submit;
mod sdk_peers;
mod watch;
