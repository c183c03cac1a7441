//! Stopping on Ctrl-C or SIGTERM, for the mock's binary and for tests that start it.

use std::future::Future;

/// Completes on Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is called, not
/// when the future is first polled: call it before announcing that the server is up, so that
/// a stop sent right after the announcement is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let terminated = async {
            #[cfg(unix)]
            if let Some(signal) = terminate.as_mut() {
                signal.recv().await;
                return;
            }
            std::future::pending::<()>().await
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminated => {}
        }
    }
}
