//! What request bodies may hold in memory at once. A body is read whole before it is checked
//! (the journal keeps its start, the handler parses it), and a parsed JSON body holds about as
//! much again, so sixteen clients sending 30 MB images at once would hold a gigabyte. Before
//! reading, a request reserves the size its `Content-Length` announces (the largest allowed
//! body when it announces none) from a fixed budget and keeps the reservation until its answer
//! is ready; requests past the budget wait their turn, their bytes still in the kernel's
//! socket buffers. Requests without a body reserve nothing.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Largest request body: a 10 MB image as a base64 data URI fits.
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// Bytes of request bodies held at once: one body of the largest size and many small ones.
pub const BODY_BUDGET: usize = 48 * 1024 * 1024;
/// A body that sends nothing for this long is given up (a client that stalls mid-upload would
/// otherwise hold its reservation for ever).
pub const BODY_IDLE: Duration = Duration::from_secs(30);

/// The budget is counted in KiB, so that any body's reservation fits the semaphore's `u32`.
const UNIT: usize = 1024;

pub struct BodyBudget {
    permits: Semaphore,
    /// The whole budget in units: no reservation asks for more, or it would wait for ever.
    total: u32,
}

/// Why a body was not read.
#[derive(Debug, PartialEq)]
pub enum Unread {
    /// Larger than [`MAX_BODY`], announced or as sent.
    TooLarge,
    /// The connection failed or went quiet for [`BODY_IDLE`] before the body was complete.
    Incomplete,
}

impl Default for BodyBudget {
    fn default() -> Self {
        BodyBudget::new(BODY_BUDGET)
    }
}

impl BodyBudget {
    pub fn new(bytes: usize) -> Self {
        let total = u32::try_from(bytes.div_ceil(UNIT))
            .unwrap_or(u32::MAX)
            .max(1);
        BodyBudget {
            permits: Semaphore::new(total as usize),
            total,
        }
    }

    /// Reads `body` whole once the budget has room for it; the permit is the reservation, to
    /// keep while anything made from the body is alive.
    pub async fn read(&self, body: Body) -> Result<(Bytes, Option<SemaphorePermit<'_>>), Unread> {
        let hint = axum::body::HttpBody::size_hint(&body);
        if hint.lower() as usize > MAX_BODY {
            return Err(Unread::TooLarge);
        }
        let announced = hint.exact().map(|n| n as usize);
        if announced == Some(0) {
            return Ok((Bytes::new(), None));
        }
        let reserve = (announced.unwrap_or(MAX_BODY).div_ceil(UNIT) as u32).min(self.total);
        // The semaphore is never closed.
        let permit = self.permits.acquire_many(reserve).await.ok();
        let bytes = read_limited(body, announced.unwrap_or(0)).await?;
        Ok((bytes, permit))
    }

    /// Bytes of the budget free now.
    pub fn available(&self) -> usize {
        self.permits.available_permits() * UNIT
    }
}

async fn read_limited(body: Body, capacity: usize) -> Result<Bytes, Unread> {
    let mut stream = body.into_data_stream();
    // One chunk, the usual case for small bodies, is passed on without a copy.
    let first = match tokio::time::timeout(BODY_IDLE, stream.next()).await {
        Ok(Some(Ok(chunk))) => chunk,
        Ok(None) => return Ok(Bytes::new()),
        Ok(Some(Err(_))) | Err(_) => return Err(Unread::Incomplete),
    };
    let mut collected: Option<BytesMut> = None;
    loop {
        let next = match tokio::time::timeout(BODY_IDLE, stream.next()).await {
            Ok(Some(Ok(chunk))) => chunk,
            Ok(None) => break,
            Ok(Some(Err(_))) | Err(_) => return Err(Unread::Incomplete),
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
        let budget = BodyBudget::new(4 * UNIT);
        let (bytes, permit) = budget.read(Body::from(vec![7u8; 3000])).await.unwrap();
        assert_eq!(bytes.len(), 3000);
        assert_eq!(budget.available(), UNIT, "3000 bytes reserve 3 KiB");
        drop(permit);
        assert_eq!(budget.available(), 4 * UNIT);
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
        let budget = BodyBudget::new(2 * UNIT);
        let (_, first) = budget.read(Body::from(vec![1u8; 2 * UNIT])).await.unwrap();
        let second = budget.read(Body::from(vec![2u8; UNIT]));
        tokio::pin!(second);
        assert!(
            futures_util::poll!(second.as_mut()).is_pending(),
            "no room until the first answer is ready"
        );
        drop(first);
        let (bytes, _) = second.await.unwrap();
        assert_eq!(bytes.len(), UNIT);
    }

    #[tokio::test]
    async fn too_large_bodies_are_refused_announced_or_streamed() {
        let budget = BodyBudget::default();
        let announced = Body::from(vec![0u8; MAX_BODY + 1]);
        assert_eq!(budget.read(announced).await.err(), Some(Unread::TooLarge));
        let streamed = chunked(vec![vec![0u8; MAX_BODY], vec![0u8; 1]]);
        assert_eq!(budget.read(streamed).await.err(), Some(Unread::TooLarge));
        assert_eq!(budget.available(), BODY_BUDGET, "nothing stays reserved");
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
