//! The integration tests of the client crate and, with the `cli` feature, of the `novita` CLI:
//! each file is a module of this one test binary.
//!
//! One binary per crate rather than one per file: each binary links every dependency again
//! and `cargo test` runs binaries one after another, so one binary compiles and links once and
//! runs all its tests side by side. A new file here is a new `mod` line below
//! (`client/tests/it/layout.rs` fails on a file that is not).

mod byo_http;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_outcomes;
#[cfg(feature = "cli")]
mod cli_rules;
mod common;
mod decode;
mod download;
mod download_safety;
#[cfg(feature = "cli")]
mod endpoints;
mod errors;
mod errors_submission;
mod hostile;
mod hostile_answers;
mod inline_media;
mod layout;
mod limits;
mod redaction;
mod requests;
mod spec;
mod timeouts;
mod wait;
