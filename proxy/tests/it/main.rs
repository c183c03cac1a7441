//! The contract proxy's integration tests: each file is a module of this one test binary.
//!
//! One binary per crate rather than one per file: each binary links every dependency again
//! and `cargo test` runs binaries one after another, so one binary compiles and links once and
//! runs all its tests side by side. A new file here is a new `mod` line below
//! (`client/tests/it/layout.rs` fails on a file that is not).

mod common;
mod contract_proxy;
mod drift;
mod forwarding;
mod proxy_binary;
mod refusals;
mod secrets;
