use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine};

use super::*;
use crate::video::test_images::png_header;
use crate::{
    sim::{clock::MockTime, tasks::test_task},
    video::frame,
};

fn task_with(job: impl FnOnce(&mut Job)) -> Task {
    let mut task = test_task(MockTime::ZERO, Duration::from_secs(1), None, None);
    job(&mut task.job);
    task
}

fn fixed(width: u32, height: u32, frames: u32) -> impl FnOnce(&mut Job) {
    move |job| {
        job.framing = Framing::Fixed { width, height };
        job.frames = frames;
    }
}

/// A baseline JPEG's start: SOI, then the frame header with the size.
fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xc0, 0, 17, 8];
    jpeg.extend_from_slice(&height.to_be_bytes());
    jpeg.extend_from_slice(&width.to_be_bytes());
    jpeg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
    jpeg
}

fn data_uri(kind: &str, bytes: &[u8]) -> String {
    format!("data:{kind};base64,{}", STANDARD.encode(bytes))
}

fn from_image(url: String) -> impl FnOnce(&mut Job) {
    move |job| {
        job.framing = Framing::FromImage {
            image_url: url.into(),
            area: 1920 * 1080,
            fallback: (1920, 1080),
        }
    }
}

fn cached_bytes(store: &VideoStore) -> (usize, usize, usize) {
    let cache = store.cache.lock().unwrap();
    let counted: usize = cache.order.iter().map(|(_, size)| size).sum();
    assert_eq!(counted, cache.bytes);
    (cache.bytes, cache.order.len(), cache.entries.len())
}

#[tokio::test]
async fn a_video_larger_than_the_cache_is_served_but_not_kept() {
    let store = VideoStore::new(1024 * 1024);
    let http = Outbound::new(false).unwrap();
    let big = store
        .video_for(&task_with(fixed(3840, 2160, 2)), &http)
        .await
        .unwrap();
    assert!(big.len() > 1024 * 1024, "{}", big.len());
    assert_eq!(cached_bytes(&store), (0, 0, 0), "served, not kept");
    let small = store
        .video_for(&task_with(fixed(64, 48, 2)), &http)
        .await
        .unwrap();
    assert_eq!(cached_bytes(&store), (small.len(), 1, 1));
}

#[tokio::test]
async fn the_cache_never_counts_more_than_its_limit() {
    let http = Outbound::new(false).unwrap();
    let one = render(&VideoSpec {
        width: 320,
        height: 240,
        fps: 16,
        frames: 81,
        seed: 1,
        audio: false,
    })
    .unwrap()
    .len();
    let limit = one * 5 / 2;
    let store = VideoStore::new(limit);
    for seed in 0..10 {
        let mut task = task_with(fixed(320, 240, 81));
        task.seed = seed;
        store.video_for(&task, &http).await.unwrap();
        let (bytes, kept, entries) = cached_bytes(&store);
        assert!(bytes <= limit, "{bytes} > {limit}");
        assert_eq!((kept, entries), (2.min(seed as usize + 1), kept));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renders_run_at_most_two_at_once() {
    let store = Arc::new(VideoStore::new(64 * 1024 * 1024));
    let http = Arc::new(Outbound::new(false).unwrap());
    let downloads: Vec<_> = (0..8)
        .map(|seed| {
            let (store, http) = (store.clone(), http.clone());
            tokio::spawn(async move {
                let mut task = task_with(fixed(1280, 720, 24));
                task.seed = seed;
                store.video_for(&task, &http).await.unwrap().len()
            })
        })
        .collect();
    for download in downloads {
        assert!(download.await.unwrap() > 0);
    }
    let peak = store.peak_renders.load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=MAX_RENDERS).contains(&peak), "{peak} renders at once");
    assert_eq!(cached_bytes(&store).1, 8);
}

#[tokio::test]
async fn an_input_image_is_fetched_once_per_task() {
    use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png_header(900, 1600)))
        .mount(&server)
        .await;
    let http = Outbound::new(false).unwrap();
    let store = VideoStore::new(64 * 1024 * 1024);
    let task = task_with(from_image(format!("{}/portrait.png", server.uri())));
    let requests = || async { server.received_requests().await.unwrap().len() };
    let first = store.video_for(&task, &http).await.unwrap();
    assert_eq!(requests().await, 1);
    assert_eq!(store.video_for(&task, &http).await.unwrap(), first);
    assert_eq!(requests().await, 1, "the second download does not fetch");
    store.clear();
    store.video_for(&task, &http).await.unwrap();
    assert_eq!(requests().await, 2, "clear() forgets the specs");
}

#[tokio::test]
async fn the_spec_map_keeps_the_newest_tasks() {
    let http = Outbound::new(false).unwrap();
    let store = VideoStore::new(1024 * 1024);
    // An address the guard refuses: nothing is fetched, the fallback is kept.
    let first = task_with(from_image("http://0.0.0.0:9/x.png".to_string()));
    store.spec(&first, &http).await;
    for _ in 0..MAX_SPECS {
        let task = task_with(from_image("http://0.0.0.0:9/x.png".to_string()));
        store.spec(&task, &http).await;
    }
    let specs = store.specs.lock().unwrap();
    assert_eq!(specs.by_task.len(), MAX_SPECS);
    assert_eq!(specs.order.len(), MAX_SPECS);
    assert!(!specs.by_task.contains_key(&first.id), "the oldest went");
}

#[tokio::test]
async fn extreme_image_shapes_give_frames_within_the_limits() {
    let http = Outbound::new(false).unwrap();
    for (width, height) in [(1, 100_000_000), (1, (1 << 31) - 1), (u32::MAX, 1), (1, 1)] {
        let task = task_with(from_image(data_uri(
            "image/png",
            &png_header(width, height),
        )));
        let spec = spec_for(&task, &http).await;
        assert!(frame::check(&spec).is_ok(), "{width}x{height}: {spec:?}");
        assert!(spec.width.max(spec.height) <= frame::MAX_SIDE);
    }
    let task = task_with(from_image(data_uri(
        "image/png",
        &png_header(1, 100_000_000),
    )));
    let spec = spec_for(&task, &http).await;
    assert_eq!((spec.width, spec.height), (480, 3840), "1:8 at most");
}

#[tokio::test]
async fn inline_images_are_resolved_to_the_frame_the_download_would_use() {
    let http = Outbound::new(false).unwrap();
    let uri = data_uri("image/png", &png_header(900, 1600));
    let task = task_with(from_image(uri));
    let mut job = task.job.clone();
    resolve_inline(&mut job);
    assert_eq!(
        job.framing,
        Framing::Fixed {
            width: 1088,
            height: 1920
        }
    );
    let resolved = task_with(|j| *j = job);
    assert_eq!(
        spec_for(&resolved, &http).await,
        spec_for(&task, &http).await
    );

    // An inline image that cannot be read gives the fallback; a URL is left for later.
    let mut job = task_with(from_image("data:image/png;base64,AAAA".into())).job;
    resolve_inline(&mut job);
    assert_eq!(
        job.framing,
        Framing::Fixed {
            width: 1920,
            height: 1080
        }
    );
    let mut job = task_with(from_image("https://example.test/a.png".into())).job;
    let before = job.clone();
    resolve_inline(&mut job);
    assert_eq!(job, before);
}

#[tokio::test]
async fn inline_videos_are_resolved_and_dropped() {
    let http = Outbound::new(false).unwrap();
    let clip = render(&VideoSpec {
        width: 720,
        height: 1280,
        fps: 24,
        frames: 72,
        seed: 1,
        audio: true,
    })
    .unwrap();
    let edit = |url: String, keep_ratio_area, keep_length_up_to| {
        task_with(move |job| {
            job.fps = 24;
            job.frames = 120;
            job.framing = Framing::Fixed {
                width: 1920,
                height: 1080,
            };
            job.input_video = Some(Box::new(InputVideo {
                url,
                keep_ratio_area,
                keep_length_up_to,
            }));
        })
    };
    let uri = data_uri("video/mp4", &clip);
    for (area, length) in [(Some(1920 * 1080), Some(10)), (None, None), (None, Some(2))] {
        let task = edit(uri.clone(), area, length);
        let mut job = task.job.clone();
        resolve_inline(&mut job);
        assert_eq!(job.input_video, None, "the 30 MB URI is not kept");
        let resolved = task_with(|j| *j = job);
        assert_eq!(
            spec_for(&resolved, &http).await,
            spec_for(&task, &http).await
        );
    }
    let mut job = edit(uri, Some(1920 * 1080), Some(10)).job;
    resolve_inline(&mut job);
    assert_eq!(
        (job.framing, job.frames),
        (
            Framing::Fixed {
                width: 1088,
                height: 1920
            },
            72
        )
    );
    // Unreadable: the requested shape stays; an http(s) video is left for download time.
    let mut job = edit("data:video/mp4;base64,AAAA".into(), Some(1), Some(10)).job;
    resolve_inline(&mut job);
    assert_eq!((job.input_video, job.frames), (None, 120));
    let mut job = edit("https://example.test/c.mp4".into(), None, Some(10)).job;
    resolve_inline(&mut job);
    assert!(job.input_video.is_some());
}

#[test]
fn fuzz_image_shapes() {
    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let http = Outbound::new(false).unwrap();
    let extreme = prop_oneof![
        Just(0u32),
        Just(1),
        Just(u32::MAX),
        Just((1 << 31) - 1),
        Just(100_000_000),
        1u32..10_000,
        any::<u32>(),
    ];
    let header = prop_oneof![
        (extreme.clone(), extreme).prop_map(|(w, h)| png_header(w, h)),
        (any::<u16>(), any::<u16>()).prop_map(|(w, h)| jpeg_header(w, h)),
    ];
    let area = prop_oneof![Just(0u32), Just(u32::MAX), 1u32..=3840 * 2160];
    let input = (header, area, 0usize..40);
    let mut runner = TestRunner::new(proptest::test_runner::Config {
        failure_persistence: None,
        ..Default::default()
    });
    let cases = runner.config().cases;
    runner
        .run(&input, |(image, area, cut)| {
            let image = &image[..image.len().saturating_sub(cut)];
            let task = task_with(|job| {
                job.framing = Framing::FromImage {
                    image_url: data_uri("image/png", image).into(),
                    area,
                    fallback: (1280, 720),
                }
            });
            let mut job = task.job.clone();
            resolve_inline(&mut job);
            let fixed = matches!(job.framing, Framing::Fixed { .. });
            prop_assert!(fixed, "not resolved");
            let resolved = task_with(|j| *j = job);
            let spec = runtime.block_on(spec_for(&task, &http));
            prop_assert_eq!(&runtime.block_on(spec_for(&resolved, &http)), &spec);
            prop_assert!(frame::check(&spec).is_ok(), "{:?}", spec);
            Ok(())
        })
        .unwrap();
    println!("fuzz image_shapes: {cases} cases, no crash");
}
