//! Stopping on Ctrl-C or SIGTERM (what a terminal, a container runtime and CI send).

use std::future::Future;

/// Completes on Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is called, not
/// when the future is first polled: call it before announcing that the server is up, so that a
/// stop sent right after the announcement is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        if let Some(mut terminate) = terminate {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        // No SIGTERM handler (not Unix, or it could not be installed): Ctrl-C alone.
        let _ = tokio::signal::ctrl_c().await;
    }
}
