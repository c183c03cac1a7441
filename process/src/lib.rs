//! What the server binaries (`novita-mock`, `novita-proxy`) do as processes, written once for
//! both: where their log lines go and how they stop. Below both crates, so that the mock
//! needs nothing of the client crate the proxy builds on.

mod logging;
mod signal;

pub use logging::{log_to, LogStream};
pub use signal::shutdown_signal;
