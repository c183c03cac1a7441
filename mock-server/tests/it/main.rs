//! The mock server's integration tests: each file is a module of this one test binary.
//!
//! One binary per crate rather than one per file: each binary links every dependency again
//! and `cargo test` runs binaries one after another, so one binary compiles and links once and
//! runs all its tests side by side. A new file here is a new `mod` line below
//! (`client/tests/it/layout.rs` fails on a file that is not).

mod bounds;
mod clock;
mod common;
mod control;
mod control_spec;
mod dashboard;
mod direct;
mod environment;
mod events;
mod faults;
mod fuzz;
mod guards;
mod hostile;
mod inline_media;
mod layers;
mod lifecycle;
mod metrics;
mod prometheus;
mod reference_urls;
mod replay;
mod retired;
mod serving;
mod slow_clients;
mod state_file;
mod state_file_refusals;
#[cfg(feature = "otlp")]
mod traces;
mod validation;
mod video_links;
mod videos;
mod webhooks;
