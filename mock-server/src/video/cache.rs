//! Videos of finished tasks: the frame size and length are worked out (reading the input image
//! or video when the job has one, once per task), the MP4 is rendered off the async threads on
//! first download, at most [`MAX_RENDERS`] at a time, and the bytes are kept in a cache bounded
//! in bytes. Inline inputs (`data:` URIs) can be resolved at submission instead
//! ([`resolve_inline`]), so a task need not keep them. Nothing else here runs on the submit or
//! poll path.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use tokio::sync::{OnceCell, Semaphore};

use crate::{
    net_guard::Outbound,
    sim::job::{Framing, InputVideo, Job},
    sim::tasks::{Reference, Task, TaskId},
    video::{
        data_uri::is_inline,
        frame::{fit_area, frame, MAX_FPS, MAX_FRAMES},
        input::{image_size, inline_image_size, inline_video_shape, video_shape, VideoShape},
        render, VideoSpec,
    },
};

/// Renders running at once: each holds a picture and its video (about 40 MB at 4K).
pub(crate) const MAX_RENDERS: usize = 2;
/// Input fetches running at once: each may hold up to 100 MiB (an input video).
pub(crate) const MAX_FETCHES: usize = 2;
/// Tasks whose resolved spec is kept, so their input is fetched once; the oldest go first.
pub(crate) const MAX_SPECS: usize = 100_000;

pub struct VideoStore {
    /// Total size of cached videos before the oldest are dropped (`--video-cache-mb`).
    limit: usize,
    cache: Mutex<Cache>,
    specs: Mutex<Specs>,
    renders: Semaphore,
    fetches: Semaphore,
    #[cfg(test)]
    peak_renders: std::sync::atomic::AtomicUsize,
}

/// Rendered videos by spec. An entry is in `entries` from the first download on; it counts in
/// `bytes` (and `order`) once rendered, unless it is larger than the whole cache.
#[derive(Default)]
struct Cache {
    entries: HashMap<VideoSpec, Arc<OnceCell<Bytes>>>,
    order: VecDeque<(VideoSpec, usize)>,
    bytes: usize,
}

/// Resolved specs of tasks that have an input to read, oldest first.
#[derive(Default)]
struct Specs {
    by_task: HashMap<TaskId, Arc<OnceCell<VideoSpec>>>,
    order: VecDeque<TaskId>,
}

impl VideoStore {
    pub fn new(limit: usize) -> Self {
        VideoStore {
            limit,
            cache: Mutex::default(),
            specs: Mutex::default(),
            renders: Semaphore::new(MAX_RENDERS),
            fetches: Semaphore::new(MAX_FETCHES),
            #[cfg(test)]
            peak_renders: Default::default(),
        }
    }

    /// The MP4 of `task`, rendered once per distinct video. An error only for a spec the
    /// renderer refuses, which nothing a request asks for can build (it is clamped first).
    pub async fn video_for(&self, task: &Task, http: &Outbound) -> Result<Bytes, String> {
        let spec = self.spec(task, http).await;
        let cell = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.entries.entry(spec.clone()).or_default().clone()
        };
        let mut rendered_now = false;
        let rendered = cell
            .get_or_try_init(|| {
                rendered_now = true;
                self.render(spec.clone())
            })
            .await
            .cloned();
        match rendered {
            Ok(bytes) => {
                if rendered_now {
                    self.account(&spec, &cell, bytes.len());
                }
                Ok(bytes)
            }
            Err(message) => {
                tracing::error!(task_id = %task.id, ?spec, %message, "video rendering failed");
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                if cache
                    .entries
                    .get(&spec)
                    .is_some_and(|c| Arc::ptr_eq(c, &cell))
                {
                    cache.entries.remove(&spec);
                }
                Err(message)
            }
        }
    }

    /// Renders on a blocking thread once a render slot is free.
    async fn render(&self, spec: VideoSpec) -> Result<Bytes, String> {
        let _slot = self
            .renders
            .acquire()
            .await
            .map_err(|e| format!("no render slot: {e}"))?;
        #[cfg(test)]
        {
            use std::sync::atomic::Ordering::SeqCst;
            let running = MAX_RENDERS - self.renders.available_permits();
            self.peak_renders.fetch_max(running, SeqCst);
        }
        tokio::task::spawn_blocking(move || render(&spec).map(Bytes::from))
            .await
            .map_err(|e| format!("rendering failed: {e}"))?
            .map_err(|e| e.to_string())
    }

    /// The spec of `task`; resolved once per task when it has an input to read.
    async fn spec(&self, task: &Task, http: &Outbound) -> VideoSpec {
        let job = &task.job;
        let reads_input =
            matches!(job.framing, Framing::FromImage { .. }) || job.input_video.is_some();
        if !reads_input {
            return spec_for(task, http).await;
        }
        let cell = {
            let mut specs = self.specs.lock().unwrap_or_else(|e| e.into_inner());
            let specs = &mut *specs;
            match specs.by_task.get(&task.id) {
                Some(cell) => cell.clone(),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    specs.by_task.insert(task.id, cell.clone());
                    specs.order.push_back(task.id);
                    if specs.order.len() > MAX_SPECS {
                        if let Some(oldest) = specs.order.pop_front() {
                            specs.by_task.remove(&oldest);
                        }
                    }
                    cell
                }
            }
        };
        cell.get_or_init(|| async {
            // Never closed; a fetch waits for a slot like a render does.
            let _slot = self.fetches.acquire().await.ok();
            spec_for(task, http).await
        })
        .await
        .clone()
    }

    /// Counts a video just rendered, dropping the oldest to stay within the limit; a video
    /// larger than the whole cache is served but not kept.
    fn account(&self, spec: &VideoSpec, cell: &Arc<OnceCell<Bytes>>, size: usize) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let cache = &mut *cache;
        let ours = cache
            .entries
            .get(spec)
            .is_some_and(|c| Arc::ptr_eq(c, cell));
        if !ours {
            // Cleared while it rendered.
            return;
        }
        if size > self.limit {
            cache.entries.remove(spec);
            return;
        }
        while cache.bytes + size > self.limit {
            let Some((old, old_size)) = cache.order.pop_front() else {
                break;
            };
            cache.entries.remove(&old);
            cache.bytes -= old_size;
        }
        cache.order.push_back((spec.clone(), size));
        cache.bytes += size;
    }

    /// Bytes of rendered videos kept now, and the most it keeps.
    pub fn fill(&self) -> (usize, usize) {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        (cache.bytes, self.limit)
    }

    pub fn clear(&self) {
        *self.cache.lock().unwrap_or_else(|e| e.into_inner()) = Cache::default();
        *self.specs.lock().unwrap_or_else(|e| e.into_inner()) = Specs::default();
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
        } => image_frame(*area, *fallback, image_size(image_url, http).await),
    };
    let mut frames = job.frames;
    if let Some(input) = &job.input_video {
        let taken = from_video(input, job.fps, input_shape(task, &input.url, http).await);
        (width, height) = taken.frame.unwrap_or((width, height));
        frames = taken.frames.unwrap_or(frames);
    }
    let (width, height) = frame(width, height);
    VideoSpec {
        width,
        height,
        fps: job.fps.clamp(1, MAX_FPS),
        frames: frames.clamp(1, MAX_FRAMES),
        seed: task.seed as u64,
        audio: job.audio,
    }
}

/// The shape of the task's input video: the one measured while the task ran when it was held
/// to limits (never fetched again; none when it was refused or is still being measured),
/// else read now (a video edit's input, or a task from an older mock's state file).
async fn input_shape(task: &Task, url: &str, http: &Outbound) -> Option<VideoShape> {
    match task.reference() {
        Reference::None => video_shape(url, http).await,
        Reference::Fits {
            width,
            height,
            seconds,
            ..
        } => Some(VideoShape {
            width,
            height,
            seconds,
        }),
        Reference::Pending | Reference::Refused { .. } => None,
    }
}

/// Resolves the job's inline inputs now, as [`spec_for`] would at download: a `data:` image
/// becomes the fixed frame it gives (or the fallback when it cannot be read), and a `data:`
/// video's shape is applied and the video dropped. http(s) inputs are left for download time.
pub(crate) fn resolve_inline(job: &mut Job) {
    if let Framing::FromImage {
        image_url,
        area,
        fallback,
    } = &job.framing
    {
        if is_inline(image_url) {
            let (width, height) = image_frame(*area, *fallback, inline_image_size(image_url));
            let (width, height) = frame(width, height);
            job.framing = Framing::Fixed { width, height };
        }
    }
    if let Some(input) = job.input_video.take() {
        if !is_inline(&input.url) {
            job.input_video = Some(input);
            return;
        }
        let taken = from_video(&input, job.fps, inline_video_shape(&input.url));
        if let Some((width, height)) = taken.frame {
            let (width, height) = frame(width, height);
            job.framing = Framing::Fixed { width, height };
        }
        job.frames = taken.frames.unwrap_or(job.frames);
    }
}

/// The frame of an image-to-video job: `area` pixels in the image's ratio, or the fallback.
fn image_frame(area: u32, fallback: (u32, u32), image: Option<(usize, usize)>) -> (u32, u32) {
    match image {
        Some((w, h)) => fit_area(area, w, h),
        None => fallback,
    }
}

/// What an output takes from its input video.
struct FromVideo {
    frame: Option<(u32, u32)>,
    frames: Option<u32>,
}

fn from_video(input: &InputVideo, fps: u32, shape: Option<VideoShape>) -> FromVideo {
    let Some(shape) = shape else {
        return FromVideo {
            frame: None,
            frames: None,
        };
    };
    let frame = input
        .keep_ratio_area
        .map(|area| fit_area(area, shape.width, shape.height));
    let frames = input.keep_length_up_to.map(|longest| {
        let seconds = shape.seconds.clamp(0.1, f64::from(longest));
        ((seconds * f64::from(fps)).round() as u32).max(1)
    });
    FromVideo { frame, frames }
}

#[cfg(test)]
mod tests;
