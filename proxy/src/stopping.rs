//! Serving until a stop signal, then letting requests in flight finish within a grace: an
//! upstream that drips an answer forever must not keep the proxy from writing its files before
//! the container runtime's SIGKILL.

use std::{
    future::{Future, IntoFuture},
    time::Duration,
};

use axum::Router;
use tokio::net::TcpListener;

/// Largest `--shutdown-grace`, in seconds (the mock's bound too).
pub const MAX_SHUTDOWN_GRACE_SECONDS: u64 = 600;
/// Default `--shutdown-grace`, in seconds: well within the 10 s a container runtime gives.
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 5;

/// How serving ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Every request in flight finished within the grace.
    Drained,
    /// The grace ran out with requests still in flight; they were cut.
    GraceRanOut,
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and gives the
/// requests in flight `grace` to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<Stopped> {
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = stopping.send(());
    };
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .into_future();
    tokio::pin!(served);
    let grace_after_signal = async move {
        if stopped.await.is_err() {
            // The server ended on its own before any signal: nothing to time.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = &mut served => result.map(|()| Stopped::Drained),
        () = grace_after_signal => Ok(Stopped::GraceRanOut),
    }
}
