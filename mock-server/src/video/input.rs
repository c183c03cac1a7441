//! Reading the media a request points at, to shape its video: an input image's size, an input
//! video's size and length. Fetches go through the network guard, with a size cap and a
//! timeout; what cannot be read leaves the requested shape in place.

use std::time::Duration;

use base64::Engine;

use crate::net_guard::Outbound;

/// Largest input image read to learn its size (the pages allow 20 MB).
const IMAGE_LIMIT: usize = 20 * 1024 * 1024;
/// Largest input video read (the pages allow 100 MB).
const VIDEO_LIMIT: usize = 100 * 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// What the output of a video edit may take from its input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoShape {
    pub width: usize,
    pub height: usize,
    pub seconds: f64,
}

/// The payload of a base64 `data:` URI; `None` for anything else.
pub fn data_uri_bytes(text: &str) -> Option<Vec<u8>> {
    let (_, payload) = text.strip_prefix("data:")?.split_once(";base64,")?;
    base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .ok()
}

/// The bytes at `url`: a `data:` URI's payload, or an http(s) body of at most `limit` bytes.
async fn read(url: &str, http: &Outbound, limit: usize) -> Option<Vec<u8>> {
    if url.starts_with("data:") {
        return data_uri_bytes(url).filter(|bytes| bytes.len() <= limit);
    }
    fetch_limited(url, http, limit).await
}

/// Width and height of the image at `url` (http(s) or a `data:` URI), if it can be read.
pub async fn image_size(url: &str, http: &Outbound) -> Option<(usize, usize)> {
    let bytes = read(url, http, IMAGE_LIMIT).await?;
    let size = imagesize::blob_size(&bytes).ok()?;
    (size.width > 0 && size.height > 0).then_some((size.width, size.height))
}

async fn fetch_limited(url: &str, http: &Outbound, limit: usize) -> Option<Vec<u8>> {
    let request = http
        .get(url)
        .inspect_err(|refused| {
            tracing::warn!(%refused, "input media not fetched; the video keeps the requested shape")
        })
        .ok()?;
    let mut response = request.timeout(FETCH_TIMEOUT).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > limit {
            return None;
        }
    }
    Some(bytes)
}

/// Width, height and length of the MP4 (or MOV) video at `url`, if it can be read.
pub async fn video_shape(url: &str, http: &Outbound) -> Option<VideoShape> {
    let bytes = read(url, http, VIDEO_LIMIT).await?;
    let size = bytes.len() as u64;
    let reader = mp4::Mp4Reader::read_header(std::io::Cursor::new(bytes), size).ok()?;
    let seconds = reader.duration().as_secs_f64();
    let video = reader
        .tracks()
        .values()
        .find(|track| matches!(track.track_type(), Ok(mp4::TrackType::Video)))?;
    let (width, height) = (usize::from(video.width()), usize::from(video.height()));
    (width > 0 && height > 0 && seconds > 0.0).then_some(VideoShape {
        width,
        height,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of a PNG of `width` x `height`: all that is read to learn its size.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        png.extend_from_slice(&width.to_be_bytes());
        png.extend_from_slice(&height.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        png
    }

    #[tokio::test]
    async fn input_images_at_refused_addresses_are_not_fetched() {
        use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_bytes(png_header(200, 100)))
            .mount(&server)
            .await;
        let port = server.address().port();
        let http = Outbound::new(false);
        let loopback = format!("http://127.0.0.1:{port}/x.png");
        assert_eq!(image_size(&loopback, &http).await, Some((200, 100)));
        // Linux connects 0.0.0.0 to this host: without the guard this would reach the server.
        let unspecified = format!("http://0.0.0.0:{port}/x.png");
        assert_eq!(image_size(&unspecified, &http).await, None);
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
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
        let mp4 = crate::video::render(&spec);
        let uri = format!(
            "data:video/mp4;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(mp4)
        );
        let shape = video_shape(&uri, &Outbound::new(false)).await.unwrap();
        assert_eq!((shape.width, shape.height), (320, 240));
        assert!((shape.seconds - 3.0).abs() < 0.01, "{shape:?}");
        assert_eq!(
            video_shape("data:video/mp4;base64,AAAA", &Outbound::new(false)).await,
            None
        );
    }
}
