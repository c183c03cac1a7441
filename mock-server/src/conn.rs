//! The server loop: accepts connections and serves HTTP/1.1 on each with hyper, closing those
//! that take too long to send a request's headers (`header_read_timeout_seconds`) or that sit
//! idle between requests (`idle_timeout_seconds`). On shutdown it stops accepting and lets the
//! requests in flight finish.
//!
//! hyper's own `header_read_timeout` is not used: since hyper 1.6 it also runs while a
//! kept-alive connection waits for its next request, so the idle wait could never be longer
//! than the header wait. Each connection keeps its own [`Activity`] instead: what it waits for
//! (headers, or a next request) and since when. A request in flight has no deadline, however
//! long its handler works or its answer streams, as long as the client reads it: an answer the
//! client stops reading for `idle_timeout_seconds` (writes blocked all along) closes the
//! connection, so a stalled download cannot hold its video, or a shutdown, for ever.
//!
//! The watchdog is never woken by a change: waking it twice per request cost a tenth of the
//! throughput. It looks at the phase at least once every `tick` (the shorter timeout) instead.
//! Any deadline is at least a `tick` after the change that set it, so it is never overslept.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{body::Body, extract::Request, response::Response, Router};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    time::Instant,
};
use tower_service::Service;

/// How long connections may wait, from the settings.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

/// What answers the requests of a connection: the router, or what stands in front of it. It
/// gets hyper's body as it is, so that what reads the body itself need not box it first.
pub trait Handle: Clone + Send + Sync + 'static {
    fn handle(self, request: Request<Incoming>) -> impl Future<Output = Response> + Send + 'static;
}

impl Handle for Router {
    async fn handle(mut self, request: Request<Incoming>) -> Response {
        match self.call(request.map(Body::new)).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting and waits
/// for the open connections: idle ones close at once, requests in flight get `drain` to
/// finish, and those still running then are cut, so that a stopping mock always stops.
pub async fn serve(
    listener: TcpListener,
    router: impl Handle,
    timeouts: Timeouts,
    drain: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let (cut, cut_watch) = tokio::sync::watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors (EMFILE) or the like: connections may close
                    // meanwhile, so wait a little and try again, never exit.
                    tracing::error!("accept error: {e}");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        serve_connection(
            stream,
            router.clone(),
            timeouts,
            &graceful,
            cut_watch.clone(),
        );
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = drain.as_secs(),
            "requests still in flight after the shutdown grace were cut"
        );
        let _ = cut.send(());
    }
}

fn serve_connection(
    stream: TcpStream,
    router: impl Handle,
    timeouts: Timeouts,
    graceful: &GracefulShutdown,
    mut cut: tokio::sync::watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::new(timeouts));
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = RequestCounting {
        router,
        activity: activity.clone(),
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The timer is there for hyper's own timeouts; its header timeout is off (see the top).
    builder.timer(TokioTimer::new()).header_read_timeout(None);
    let connection = graceful.watch(builder.serve_connection(io, service));
    tokio::spawn(async move {
        tokio::select! {
            result = connection => {
                if let Err(e) = result {
                    tracing::trace!("connection ended: {e}");
                }
            }
            () = activity.expired() => {
                // Dropping the connection closes the socket.
                tracing::debug!("connection closed: {}", activity.waiting_for());
            }
            _ = cut.changed() => tracing::debug!("connection cut at shutdown"),
        }
    });
}

fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// What a connection waits for, and since when.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// The headers of a request: since the connection opened, or since the first byte of a
    /// later request arrived.
    Headers(Instant),
    /// This many requests are being answered (a handler works, or the answer streams).
    InFlight(usize),
    /// A next request, since the last answer ended.
    Idle(Instant),
}

/// One connection's phase, shared by its socket wrapper, its service and its watchdog.
struct Activity {
    timeouts: Timeouts,
    phase: Mutex<Phase>,
    /// When the connection opened: `write_blocked` counts from here.
    opened: Instant,
    /// Nanoseconds after `opened` (plus one) since which a write has been waiting for the
    /// client to read; zero while writes go through. An atomic, not the phase's lock: it is
    /// touched on every write.
    write_blocked: AtomicU64,
}

impl Activity {
    fn new(timeouts: Timeouts) -> Self {
        let opened = Instant::now();
        Activity {
            timeouts,
            phase: Mutex::new(Phase::Headers(opened)),
            opened,
            write_blocked: AtomicU64::new(0),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes came in: on an idle connection they begin a request, whose headers now have
    /// `header_read` to arrive.
    fn read_some(&self) {
        let mut phase = self.phase();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Headers(Instant::now());
        }
    }

    /// A request's headers are in: no deadline until its answer ends.
    fn begin(self: &Arc<Self>) -> InFlight {
        let mut phase = self.phase();
        *phase = match *phase {
            Phase::InFlight(n) => Phase::InFlight(n + 1),
            _ => Phase::InFlight(1),
        };
        InFlight(self.clone())
    }

    fn end(&self) {
        let mut phase = self.phase();
        if let Phase::InFlight(n) = *phase {
            *phase = if n > 1 {
                Phase::InFlight(n - 1)
            } else {
                Phase::Idle(Instant::now())
            };
        }
    }

    /// A write could not go through (the client's buffers are full), or went through.
    fn write_blocked(&self, blocked: bool) {
        let since = self.write_blocked.load(Ordering::Relaxed);
        if blocked && since == 0 {
            let nanos = self.opened.elapsed().as_nanos();
            let mark = u64::try_from(nanos).unwrap_or(u64::MAX - 1) + 1;
            self.write_blocked.store(mark, Ordering::Relaxed);
        } else if !blocked && since != 0 {
            self.write_blocked.store(0, Ordering::Relaxed);
        }
    }

    /// Since when writes have been waiting for the client, if they are.
    fn blocked_since(&self) -> Option<Instant> {
        match self.write_blocked.load(Ordering::Relaxed) {
            0 => None,
            mark => Some(self.opened + Duration::from_nanos(mark - 1)),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match *self.phase() {
            Phase::Headers(since) => Some(since + self.timeouts.header_read),
            Phase::Idle(since) => Some(since + self.timeouts.idle),
            Phase::InFlight(_) => self.blocked_since().map(|since| since + self.timeouts.idle),
        }
    }

    fn waiting_for(&self) -> &'static str {
        match *self.phase() {
            Phase::Headers(_) => "no complete request headers within the header-read timeout",
            Phase::Idle(_) => "idle past the idle timeout",
            Phase::InFlight(_) if self.blocked_since().is_some() => {
                "the client stopped reading its answer for the idle timeout"
            }
            Phase::InFlight(_) => "request in flight",
        }
    }

    /// Completes once the connection's current deadline passes.
    async fn expired(&self) {
        let tick = self.timeouts.header_read.min(self.timeouts.idle);
        let sleep = tokio::time::sleep(tick);
        tokio::pin!(sleep);
        loop {
            let now = Instant::now();
            let next_look = now + tick;
            match self.deadline() {
                Some(deadline) if deadline <= now => return,
                Some(deadline) => sleep.as_mut().reset(deadline.min(next_look)),
                None => sleep.as_mut().reset(next_look),
            }
            sleep.as_mut().await;
        }
    }
}

/// Marks a request in flight until dropped: with its answer's body once that has been sent,
/// or with the handler's future if the connection goes first.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// The socket, telling its [`Activity`] when bytes come in and when writes block.
struct Watched<S = TcpStream> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    fn wrote<T>(&self, polled: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        self.activity.write_blocked(polled.is_pending());
        polled
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The router as a hyper service, marking each request in flight until its answer is sent.
#[derive(Clone)]
struct RequestCounting<H> {
    router: H,
    activity: Arc<Activity>,
}

impl<H: Handle> hyper::service::Service<Request<Incoming>> for RequestCounting<H> {
    type Response = Response<Counted>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.begin();
        let router = self.router.clone();
        Box::pin(async move {
            let response = router.handle(request).await;
            Ok(response.map(|body| Counted {
                body,
                _in_flight: in_flight,
            }))
        })
    }
}

/// An answer's body, holding its request in flight until hyper is done with it.
struct Counted {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn activity() -> Arc<Activity> {
        Arc::new(Activity::new(Timeouts {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_the_client_stops_reading_ends_the_connection() {
        let activity = activity();
        let _in_flight = activity.begin();
        let (ours, _theirs) = tokio::io::duplex(64);
        let mut socket = Watched {
            inner: ours,
            activity: activity.clone(),
        };
        socket.write_all(&[0; 64]).await.unwrap();
        assert_eq!(activity.deadline(), None, "in flight, the client keeps up");
        // The client reads nothing more: the next write waits, and the idle timeout runs.
        let blocked = socket.write_all(&[1; 64]);
        tokio::pin!(blocked);
        assert!(futures_util::poll!(blocked.as_mut()).is_pending());
        let since = activity.blocked_since().expect("the write is blocked");
        assert_eq!(activity.deadline(), Some(since + Duration::from_secs(60)));
        // Tokio's paused clock moves to the deadline at once.
        activity.expired().await;
        assert!(activity.waiting_for().contains("stopped reading"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_handler_that_works_long_has_no_deadline() {
        let activity = activity();
        let in_flight = activity.begin();
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(activity.deadline(), None);
        drop(in_flight);
        assert!(
            activity.deadline().is_some(),
            "idle once the answer is sent"
        );
    }
}
