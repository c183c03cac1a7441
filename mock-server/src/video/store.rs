//! Videos of finished tasks: the frame size is worked out (reading the input image's size
//! when the job has one), the MP4 is rendered off the async threads on first download, and
//! the bytes are kept in a bounded cache. Nothing here runs on the submit or poll path.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine;
use bytes::Bytes;
use tokio::sync::OnceCell;

use crate::{
    net_guard::Outbound,
    sim::job::Framing,
    sim::tasks::Task,
    video::{render, VideoSpec},
};

/// Largest input image read to learn its size.
const IMAGE_LIMIT: usize = 20 * 1024 * 1024;
const IMAGE_TIMEOUT: Duration = Duration::from_secs(5);

pub struct VideoStore {
    /// Total size of cached videos before the oldest are dropped (`--video-cache-mb`).
    limit: usize,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<VideoSpec, Arc<OnceCell<Bytes>>>,
    order: VecDeque<(VideoSpec, usize)>,
    bytes: usize,
}

impl VideoStore {
    pub fn new(limit: usize) -> Self {
        VideoStore {
            limit,
            cache: Mutex::default(),
        }
    }

    /// The MP4 of `task`, rendered once per distinct video.
    pub async fn video_for(&self, task: &Task, http: &Outbound) -> Result<Bytes, String> {
        let spec = spec_for(task, http).await;
        let cell = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.entries.entry(spec.clone()).or_default().clone()
        };
        let mut rendered_now = false;
        let bytes = cell
            .get_or_try_init(|| {
                rendered_now = true;
                let spec = spec.clone();
                async move {
                    tokio::task::spawn_blocking(move || Bytes::from(render(&spec)))
                        .await
                        .map_err(|e| format!("rendering failed: {e}"))
                }
            })
            .await?
            .clone();
        if rendered_now {
            self.account(spec, bytes.len());
        }
        Ok(bytes)
    }

    fn account(&self, spec: VideoSpec, size: usize) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.order.push_back((spec, size));
        cache.bytes += size;
        while cache.bytes > self.limit && cache.order.len() > 1 {
            let (old, old_size) = cache.order.pop_front().expect("non-empty");
            cache.entries.remove(&old);
            cache.bytes -= old_size;
        }
    }

    pub fn clear(&self) {
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Cache::default();
    }
}

/// The size, rate and length of `task`'s video.
pub async fn spec_for(task: &Task, http: &Outbound) -> VideoSpec {
    let (width, height) = match &task.job.framing {
        Framing::Fixed { width, height } => (*width, *height),
        Framing::FromImage {
            image_url,
            area,
            fallback,
        } => match image_size(image_url, http).await {
            Some((w, h)) => fit_area(*area, w, h),
            None => *fallback,
        },
    };
    VideoSpec {
        width,
        height,
        fps: task.job.fps,
        frames: task.job.frames,
        seed: task.seed as u64,
    }
}

/// About `area` pixels in the aspect ratio `w:h`, each side a multiple of 16.
pub fn fit_area(area: u32, w: usize, h: usize) -> (u32, u32) {
    let ratio = w as f64 / h as f64;
    let width = (f64::from(area) * ratio).sqrt();
    let height = width / ratio;
    let round = |side: f64| ((side / 16.0).round().max(1.0) as u32) * 16;
    (round(width), round(height))
}

/// Width and height of the image at `url` (http(s) or a `data:` URI), if it can be read.
async fn image_size(url: &str, http: &Outbound) -> Option<(usize, usize)> {
    let bytes = if let Some(data) = url.strip_prefix("data:") {
        let (_, payload) = data.split_once(";base64,")?;
        base64::engine::general_purpose::STANDARD
            .decode(payload.trim())
            .ok()?
    } else {
        fetch_limited(url, http).await?
    };
    let size = imagesize::blob_size(&bytes).ok()?;
    (size.width > 0 && size.height > 0).then_some((size.width, size.height))
}

async fn fetch_limited(url: &str, http: &Outbound) -> Option<Vec<u8>> {
    let request = http
        .get(url)
        .inspect_err(|refused| {
            tracing::warn!(%refused, "input image not fetched; the video keeps the requested size")
        })
        .ok()?;
    let mut response = request.timeout(IMAGE_TIMEOUT).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > IMAGE_LIMIT {
            return None;
        }
    }
    Some(bytes)
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

    #[test]
    fn area_is_kept_in_the_image_ratio() {
        assert_eq!(fit_area(832 * 480, 1000, 1000), (624, 624));
        assert_eq!(fit_area(832 * 480, 1600, 900), (848, 480));
        assert_eq!(fit_area(1280 * 720, 720, 1280), (720, 1280));
    }
}
