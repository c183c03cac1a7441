//! Videos of finished tasks: the frame size and length are worked out (reading the input image
//! or video when the job has one), the MP4 is rendered off the async threads on first download,
//! and the bytes are kept in a bounded cache. Nothing here runs on the submit or poll path.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use tokio::sync::OnceCell;

use crate::{
    net_guard::Outbound,
    sim::job::Framing,
    sim::tasks::Task,
    video::{
        input::{image_size, video_shape},
        render, VideoSpec,
    },
};

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

/// The size, rate and length of `task`'s video, and whether it has sound.
pub async fn spec_for(task: &Task, http: &Outbound) -> VideoSpec {
    let job = &task.job;
    let (mut width, mut height) = match &job.framing {
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
    let mut frames = job.frames;
    if let Some(input) = &job.input_video {
        if let Some(shape) = video_shape(&input.url, http).await {
            if let Some(area) = input.keep_ratio_area {
                (width, height) = fit_area(area, shape.width, shape.height);
            }
            if let Some(longest) = input.keep_length_up_to {
                let seconds = shape.seconds.clamp(0.1, f64::from(longest));
                frames = ((seconds * f64::from(job.fps)).round() as u32).max(1);
            }
        }
    }
    VideoSpec {
        width,
        height,
        fps: job.fps,
        frames,
        seed: task.seed as u64,
        audio: job.audio,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_is_kept_in_the_image_ratio() {
        assert_eq!(fit_area(832 * 480, 1000, 1000), (624, 624));
        assert_eq!(fit_area(832 * 480, 1600, 900), (848, 480));
        assert_eq!(fit_area(1280 * 720, 720, 1280), (720, 1280));
    }
}
