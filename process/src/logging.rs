//! The log lines of a server binary.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Where a binary's log lines go: the mock logs to stdout beside its banner, the proxy to
/// stderr, keeping stdout for what it announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// Sends the process's log lines to `stream`, filtered by `RUST_LOG` (`info` when unset or
/// unreadable). Call it once, first thing in `main`.
pub fn log_to(stream: LogStream) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let terminal = match stream {
        LogStream::Stdout => std::io::stdout().is_terminal(),
        LogStream::Stderr => std::io::stderr().is_terminal(),
    };
    // Colour codes only for a person at a terminal: container and CI logs get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal && std::env::var_os("NO_COLOR").is_none());
    match stream {
        LogStream::Stdout => builder.init(),
        LogStream::Stderr => builder.with_writer(std::io::stderr).init(),
    }
}
