//! Reading the media a request points at, to shape its video: an input image's size, an input
//! video's size and length. Fetches go through the network guard, with a size cap and a
//! timeout; `data:` URIs are read in place (never fetched). Input MP4s are read by our own
//! box walker (`boxes`), never by a general parser. What cannot be read leaves the requested
//! shape in place.

use std::time::Duration;

pub use super::boxes::VideoShape;
use crate::{
    net_guard::{self, Outbound},
    video::{
        boxes,
        data_uri::{is_inline, DataUri},
    },
};

/// Largest input image read to learn its size (the pages allow 20 MB).
const IMAGE_LIMIT: usize = 20 * 1024 * 1024;
/// Largest input video read (the pages allow 100 MB).
const VIDEO_LIMIT: usize = 100 * 1024 * 1024;
/// The whole fetch of an input, from connecting to the last byte.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Width and height of the image at `url` (http(s) or a `data:` URI), if it can be read.
pub async fn image_size(url: &str, http: &Outbound) -> Option<(usize, usize)> {
    if is_inline(url) {
        return inline_image_size(url);
    }
    let bytes = fetch_limited(url, http, IMAGE_LIMIT).await?;
    let size = imagesize::blob_size(&bytes).ok()?;
    positive((size.width, size.height))
}

/// Width and height of the image in a `data:` URI, read from its header alone.
pub fn inline_image_size(uri: &str) -> Option<(usize, usize)> {
    let image = DataUri::parse(uri)?.image()?;
    if image.len > IMAGE_LIMIT {
        return None;
    }
    positive(image.size?)
}

fn positive((width, height): (usize, usize)) -> Option<(usize, usize)> {
    (width > 0 && height > 0).then_some((width, height))
}

async fn fetch_limited(url: &str, http: &Outbound, limit: usize) -> Option<Vec<u8>> {
    match fetch(url, http, limit).await {
        Ok(fetched) => Some(fetched.bytes),
        Err(NotFetched::Failed(why)) => {
            tracing::warn!(%why, "input media not read; the video keeps the requested shape");
            None
        }
        Err(NotFetched::TooLarge(_)) => None,
    }
}

/// A body fetched whole within its limit, and the media type its answer named.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// Why a fetch gave no body.
#[derive(Debug, PartialEq)]
pub enum NotFetched {
    /// Refused by the network guard, failed, timed out, or answered with an error status.
    Failed(String),
    /// Over the limit: the length the answer announced, when it did.
    TooLarge(Option<usize>),
}

/// GETs `url` through the network guard, within [`FETCH_TIMEOUT`] for the whole answer,
/// reading at most `limit` bytes of it (an announced length over the limit is not read).
pub async fn fetch(url: &str, http: &Outbound, limit: usize) -> Result<Fetched, NotFetched> {
    let failed = |e: reqwest::Error| {
        NotFetched::Failed(match net_guard::find_refusal(&e) {
            Some(refused) => refused.to_string(),
            None if e.is_timeout() => {
                format!("no whole answer within {} s", FETCH_TIMEOUT.as_secs())
            }
            // Without the URL, which may carry a user name and password.
            None => net_guard::describe(&e.without_url()),
        })
    };
    let request = http
        .get(url)
        .map_err(|refused| NotFetched::Failed(refused.to_string()))?;
    let mut response = request
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(failed)?;
    let status = response.status();
    if !status.is_success() {
        return Err(NotFetched::Failed(format!(
            "the server answered HTTP {}",
            status.as_u16()
        )));
    }
    let announced = response
        .content_length()
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if announced.is_some_and(|n| n > limit) {
        return Err(NotFetched::TooLarge(announced));
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Sized from the announced length (within the limit), so the buffer does not double past it.
    let mut bytes = Vec::with_capacity(announced.unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > limit {
            return Err(NotFetched::TooLarge(None));
        }
    }
    Ok(Fetched {
        bytes,
        content_type,
    })
}

/// Width, height and length of the MP4 (or MOV) video at `url`, if it can be read.
pub async fn video_shape(url: &str, http: &Outbound) -> Option<VideoShape> {
    if is_inline(url) {
        return inline_video_shape(url);
    }
    boxes::video_shape(&fetch_limited(url, http, VIDEO_LIMIT).await?)
}

/// Width, height and length of the MP4 (or MOV) video in `bytes`, if the box walker reads it.
pub fn bytes_video_shape(bytes: &[u8]) -> Option<VideoShape> {
    boxes::video_shape(bytes)
}

/// Width, height and length of the video in a `data:` URI (measured before it is decoded).
pub fn inline_video_shape(uri: &str) -> Option<VideoShape> {
    data_video_shape(&DataUri::parse(uri)?, VIDEO_LIMIT)
}

/// Width, height and length of the video in `uri`, if it decodes to at most `limit` bytes
/// (measured before it is decoded) and the box walker reads it.
pub fn data_video_shape(uri: &DataUri<'_>, limit: usize) -> Option<VideoShape> {
    if uri.decoded_len()? > limit {
        return None;
    }
    boxes::video_shape(&uri.decode()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::video::test_images::png_header;

    #[tokio::test]
    async fn input_images_at_refused_addresses_are_not_fetched() {
        use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_bytes(png_header(200, 100)))
            .mount(&server)
            .await;
        let port = server.address().port();
        let http = Outbound::new(false).unwrap();
        let loopback = format!("http://127.0.0.1:{port}/x.png");
        assert_eq!(image_size(&loopback, &http).await, Some((200, 100)));
        // Linux connects 0.0.0.0 to this host: without the guard this would reach the server.
        let unspecified = format!("http://0.0.0.0:{port}/x.png");
        assert_eq!(image_size(&unspecified, &http).await, None);
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    }

    /// A local server that answers every request with `answer` (a whole HTTP/1.1 response).
    async fn answering(answer: &'static [u8]) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v.mp4", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(answer).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn a_fetch_says_why_it_gave_no_body() {
        let http = &Outbound::new(false).unwrap();
        let fetched = |answer| async move { fetch(&answering(answer).await, http, 10).await };
        let announced: &[u8] =
            b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\nconnection: close\r\n\r\n01234567890";
        assert_eq!(
            fetched(announced).await.err(),
            Some(NotFetched::TooLarge(Some(11)))
        );
        // Chunked, with no length announced: read up to the limit, then given up.
        let chunked: &[u8] = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n6\r\n012345\r\n5\r\n67890\r\n0\r\n\r\n";
        assert_eq!(
            fetched(chunked).await.err(),
            Some(NotFetched::TooLarge(None))
        );
        let missing: &[u8] =
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let why = NotFetched::Failed("the server answered HTTP 404".into());
        assert_eq!(fetched(missing).await.err(), Some(why));
        let fine: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: 10\r\nconnection: close\r\n\r\n0123456789";
        let body = fetched(fine).await.ok().unwrap();
        assert_eq!(
            (body.bytes.len(), body.content_type.as_deref()),
            (10, Some("video/mp4"))
        );
    }

    #[tokio::test]
    async fn a_video_data_uri_gives_its_size_and_length() {
        let spec = crate::video::VideoSpec {
            width: 320,
            height: 240,
            fps: 24,
            frames: 72,
            seed: 1,
            audio: true,
        };
        let mp4 = crate::video::render(&spec).unwrap();
        let uri = format!(
            "data:video/mp4;base64,{}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mp4)
        );
        let shape = video_shape(&uri, &Outbound::new(false).unwrap())
            .await
            .unwrap();
        assert_eq!((shape.width, shape.height), (320, 240));
        assert!((shape.seconds - 3.0).abs() < 0.01, "{shape:?}");
        assert_eq!(
            video_shape("data:video/mp4;base64,AAAA", &Outbound::new(false).unwrap()).await,
            None
        );
    }
}
