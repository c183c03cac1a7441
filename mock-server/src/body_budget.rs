//! What request bodies may hold in memory at once. A body is read whole before it is checked
//! (the journal keeps its start, the handler parses it, and the job may copy an inline image
//! out of the parsed value), so a request holds about [`WORKING_FACTOR`] times its body while
//! it is served, and sixteen clients sending 30 MB images at once would hold well over a
//! gigabyte. Before reading, a request reserves that much for the size its `Content-Length`
//! announces (the largest allowed body when it announces none) and keeps the reservation until
//! its answer is ready; requests past the budget wait their turn, their bytes still in the
//! kernel's socket buffers.
//!
//! Small bodies (every Novita request but those with inline media, and the control API's) have
//! a pool of their own, so a large upload waiting for room never holds them up. Waiting and
//! reading together have a deadline, so a client that announces a large body and then
//! trickles it holds its reservation for [`BODY_DEADLINE`] at most.

use std::{task::Poll, time::Duration};

use axum::body::{Body, HttpBody};
use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::novita_error::NovitaError;

/// Largest request body: a 10 MB image as a base64 data URI fits.
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// Bodies announced up to this size are served from the pool of small bodies.
pub const SMALL_BODY: usize = 256 * 1024;
/// Memory a request holds per byte of its body while it is served: the body, its parsed copy,
/// and the copy of an inline image the job takes before it is read and dropped.
pub const WORKING_FACTOR: usize = 3;
/// Memory for large bodies at once: one body of the largest size, with its copies.
pub const LARGE_BUDGET: usize = WORKING_FACTOR * MAX_BODY;
/// Memory for small bodies at once.
pub const SMALL_BUDGET: usize = 16 * 1024 * 1024;
/// A body that sends nothing for this long is given up.
pub const BODY_IDLE: Duration = Duration::from_secs(30);
/// Waiting for room and reading the body, at most.
pub const BODY_DEADLINE: Duration = Duration::from_secs(60);

/// The budget is counted in KiB, so that any body's reservation fits the semaphore's `u32`.
const UNIT: usize = 1024;

pub struct BodyBudget {
    large: Pool,
    small: Pool,
}

struct Pool {
    permits: Semaphore,
    /// The whole pool in units: no reservation asks for more, or it would wait for ever.
    total: u32,
}

impl Pool {
    fn new(bytes: usize) -> Self {
        let total = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .max(1);
        Pool {
            permits: Semaphore::new(total as usize),
            total,
        }
    }

    fn units(&self, bytes: usize) -> u32 {
        u32::try_from(bytes.saturating_mul(WORKING_FACTOR).div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .min(self.total)
    }

    /// The reservation, when the room is there now. Free permits mean that nobody waits (the
    /// semaphore hands what is released to the first in line), so this jumps no queue.
    fn try_reserve(&self, bytes: usize) -> Option<SemaphorePermit<'_>> {
        self.permits.try_acquire_many(self.units(bytes)).ok()
    }

    async fn reserve(&self, bytes: usize) -> SemaphorePermit<'_> {
        // The semaphore is never closed.
        self.permits
            .acquire_many(self.units(bytes))
            .await
            .expect("the budget's semaphore stays open")
    }

    fn available(&self) -> usize {
        self.permits.available_permits() * UNIT
    }
}

/// Why a body was not read.
#[derive(Debug, PartialEq)]
pub enum Unread {
    /// Larger than [`MAX_BODY`], announced or as sent.
    TooLarge,
    /// The connection failed, went quiet for [`BODY_IDLE`], or the body did not arrive whole
    /// within [`BODY_DEADLINE`].
    Incomplete,
    /// No room in the budget came free within [`BODY_DEADLINE`].
    Busy,
}

impl From<Unread> for NovitaError {
    fn from(unread: Unread) -> Self {
        match unread {
            Unread::TooLarge => NovitaError::body_too_large(MAX_BODY),
            Unread::Incomplete => NovitaError::body_incomplete(BODY_IDLE, BODY_DEADLINE),
            Unread::Busy => NovitaError::busy_with_bodies(),
        }
    }
}

impl Default for BodyBudget {
    fn default() -> Self {
        BodyBudget::new(LARGE_BUDGET, SMALL_BUDGET)
    }
}

impl BodyBudget {
    pub fn new(large: usize, small: usize) -> Self {
        BodyBudget {
            large: Pool::new(large),
            small: Pool::new(small),
        }
    }

    /// Reads `body` whole once the budget has room for it; the permit is the reservation, to
    /// keep while anything made from the body is alive. `body` is axum's, or hyper's as it
    /// arrives (the app reads it without boxing it into axum's first).
    pub async fn read<B: Readable>(
        &self,
        body: B,
    ) -> Result<(Bytes, Option<SemaphorePermit<'_>>), Unread> {
        let hint = body.size_hint();
        if hint.lower() as usize > MAX_BODY {
            return Err(Unread::TooLarge);
        }
        let announced = hint.exact().map(|n| n as usize);
        if announced == Some(0) {
            return Ok((Bytes::new(), None));
        }
        let size = announced.unwrap_or(MAX_BODY);
        let pool = if size <= SMALL_BODY {
            &self.small
        } else {
            &self.large
        };
        // Room is usually there at once: then no timer is set up, nor the clock read (the
        // deadline starts when waiting does). Otherwise the wait goes on under the deadline.
        let (permit, started) = match pool.try_reserve(size) {
            Some(permit) => (permit, None),
            None => {
                let started = tokio::time::Instant::now();
                let permit = tokio::time::timeout(BODY_DEADLINE, pool.reserve(size))
                    .await
                    .map_err(|_| Unread::Busy)?;
                (permit, Some(started))
            }
        };
        let mut reading = std::pin::pin!(read_limited(body, announced.unwrap_or(0)));
        let bytes = match (&mut reading).now_or_never() {
            Some(read) => read?,
            None => {
                let waited = started.map_or(Duration::ZERO, |at| at.elapsed());
                let left = BODY_DEADLINE.saturating_sub(waited);
                tokio::time::timeout(left, reading)
                    .await
                    .map_err(|_| Unread::Incomplete)??
            }
        };
        Ok((bytes, Some(permit)))
    }

    /// Bytes of the whole budget (large and small pools together).
    pub fn total(&self) -> usize {
        (self.large.total as usize + self.small.total as usize) * UNIT
    }

    /// Bytes of the budget free now (large and small pools together).
    pub fn available(&self) -> usize {
        self.large.available() + self.small.available()
    }
}

/// A request body the budget reads.
pub trait Readable: HttpBody<Data = Bytes> + Unpin {}

impl<B: HttpBody<Data = Bytes> + Unpin> Readable for B {}

/// The body's next data (trailers are passed over, as axum's data stream does), `None` at its
/// end; a failed connection, or [`BODY_IDLE`] without a byte, is an incomplete body.
async fn next_chunk<B: Readable>(body: &mut B) -> Result<Option<Bytes>, Unread> {
    let mut data = std::future::poll_fn(|cx| loop {
        match std::task::ready!(std::pin::Pin::new(&mut *body).poll_frame(cx)) {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(chunk) => return Poll::Ready(Ok(Some(chunk))),
                Err(_trailers) => {}
            },
            Some(Err(_)) => return Poll::Ready(Err(Unread::Incomplete)),
            None => return Poll::Ready(Ok(None)),
        }
    });
    // A chunk already there is taken without setting up the idle timer.
    match (&mut data).now_or_never() {
        Some(next) => next,
        None => tokio::time::timeout(BODY_IDLE, data)
            .await
            .map_err(|_| Unread::Incomplete)?,
    }
}

/// A body already read whole (by the journal, within the budget) back as its bytes, without a
/// copy when it is one chunk; checked again against [`MAX_BODY`] all the same.
pub async fn read_back(body: Body) -> Result<Bytes, Unread> {
    let capacity = body.size_hint().exact().unwrap_or(0) as usize;
    read_limited(body, capacity).await
}

async fn read_limited<B: Readable>(mut body: B, capacity: usize) -> Result<Bytes, Unread> {
    // One chunk, the usual case for small bodies, is passed on without a copy.
    let Some(first) = next_chunk(&mut body).await? else {
        return Ok(Bytes::new());
    };
    // A body that says it has ended is not polled again for its end.
    if body.is_end_stream() && first.len() <= MAX_BODY {
        return Ok(first);
    }
    let mut collected: Option<BytesMut> = None;
    loop {
        let Some(next) = next_chunk(&mut body).await? else {
            break;
        };
        let buffer = collected.get_or_insert_with(|| {
            let mut buffer = BytesMut::with_capacity(capacity.clamp(first.len(), MAX_BODY));
            buffer.extend_from_slice(&first);
            buffer
        });
        if buffer.len() + next.len() > MAX_BODY {
            return Err(Unread::TooLarge);
        }
        buffer.extend_from_slice(&next);
    }
    match collected {
        Some(buffer) => Ok(buffer.freeze()),
        None if first.len() > MAX_BODY => Err(Unread::TooLarge),
        None => Ok(first),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(chunks: Vec<Vec<u8>>) -> Body {
        Body::from_stream(futures_util::stream::iter(
            chunks.into_iter().map(Ok::<_, std::io::Error>),
        ))
    }

    #[tokio::test]
    async fn a_body_is_read_whole_and_holds_its_reservation() {
        let budget = BodyBudget::new(64 * UNIT, 12 * UNIT);
        let (bytes, permit) = budget.read(Body::from(vec![7u8; 3000])).await.unwrap();
        assert_eq!(bytes.len(), 3000);
        assert_eq!(
            budget.small.available(),
            3 * UNIT,
            "3000 bytes hold 9 KiB of working memory"
        );
        drop(permit);
        assert_eq!(budget.small.available(), 12 * UNIT);
        let (bytes, _) = budget
            .read(chunked(vec![b"ab".to_vec(), b"cd".to_vec()]))
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"abcd");
        let (bytes, permit) = budget.read(Body::empty()).await.unwrap();
        assert!(
            bytes.is_empty() && permit.is_none(),
            "no body, no reservation"
        );
    }

    #[tokio::test]
    async fn a_request_past_the_budget_waits_for_room() {
        let budget = BodyBudget::new(3 * 600 * UNIT, 3 * UNIT);
        let (_, first) = budget
            .read(Body::from(vec![1u8; 500 * UNIT]))
            .await
            .unwrap();
        let second = budget.read(Body::from(vec![2u8; 300 * UNIT]));
        tokio::pin!(second);
        assert!(
            futures_util::poll!(second.as_mut()).is_pending(),
            "no room until the first answer is ready"
        );
        let (small, _) = budget.read(Body::from(vec![3u8; 100])).await.unwrap();
        assert_eq!(
            small.len(),
            100,
            "a small body does not wait behind large ones"
        );
        drop(first);
        let (bytes, _) = second.await.unwrap();
        assert_eq!(bytes.len(), 300 * UNIT);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_and_trickling_have_a_deadline() {
        let budget = BodyBudget::new(3 * 600 * UNIT, 3 * UNIT);
        let (_, _held) = budget
            .read(Body::from(vec![1u8; 500 * UNIT]))
            .await
            .unwrap();
        // Tokio's paused clock: the deadline passes without real waiting.
        let waited = budget.read(Body::from(vec![2u8; 500 * UNIT])).await;
        assert_eq!(waited.err(), Some(Unread::Busy));

        let budget = BodyBudget::default();
        let trickle = futures_util::stream::unfold(0u32, |n| async move {
            tokio::time::sleep(Duration::from_secs(20)).await;
            Some((Ok::<_, std::io::Error>(Bytes::from_static(b"x")), n + 1))
        });
        let read = budget.read(Body::from_stream(trickle)).await;
        assert_eq!(read.err(), Some(Unread::Incomplete));
        assert_eq!(
            budget.available(),
            LARGE_BUDGET + SMALL_BUDGET,
            "nothing stays reserved"
        );
    }

    #[tokio::test]
    async fn too_large_bodies_are_refused_announced_or_streamed() {
        let budget = BodyBudget::default();
        let announced = Body::from(vec![0u8; MAX_BODY + 1]);
        assert_eq!(budget.read(announced).await.err(), Some(Unread::TooLarge));
        let streamed = chunked(vec![vec![0u8; MAX_BODY], vec![0u8; 1]]);
        assert_eq!(budget.read(streamed).await.err(), Some(Unread::TooLarge));
        assert_eq!(
            budget.available(),
            LARGE_BUDGET + SMALL_BUDGET,
            "nothing stays reserved"
        );
    }

    #[tokio::test]
    async fn a_broken_upload_is_incomplete() {
        let broken = Body::from_stream(futures_util::stream::iter([
            Ok(Bytes::from_static(b"{\"prompt\":")),
            Err(std::io::Error::other("reset")),
        ]));
        let budget = BodyBudget::default();
        assert_eq!(budget.read(broken).await.err(), Some(Unread::Incomplete));
    }
}
