//! The video URL serves a real MP4 whose size, rate and length match the request, made once
//! and cached; its link's life and ranges are in `video_links`.

use crate::common;

use std::io::Cursor;

use common::{paused, png_header, start};
use novita_mock::Config;
use reqwest::Method;
use serde_json::{json, Value};
use wiremock::{matchers::path, Mock, MockServer, ResponseTemplate};

struct Probe {
    width: u16,
    height: u16,
    fps: f64,
    frames: u32,
    seconds: f64,
    /// The sound track's codec and length, when there is one.
    audio: Option<(mp4::MediaType, f64)>,
}

fn probe(bytes: &[u8]) -> Probe {
    let reader =
        mp4::Mp4Reader::read_header(Cursor::new(bytes), bytes.len() as u64).expect("a valid MP4");
    let track = reader
        .tracks()
        .values()
        .find(|t| matches!(t.track_type(), Ok(mp4::TrackType::Video)))
        .expect("a video track");
    assert_eq!(track.media_type().unwrap(), mp4::MediaType::H264);
    let audio = reader
        .tracks()
        .values()
        .find(|t| matches!(t.track_type(), Ok(mp4::TrackType::Audio)))
        .map(|t| (t.media_type().unwrap(), t.duration().as_secs_f64()));
    Probe {
        width: track.width(),
        height: track.height(),
        fps: track.frame_rate(),
        frames: track.sample_count(),
        seconds: track.duration().as_secs_f64(),
        audio,
    }
}

async fn finished_video(mock: &common::Mock, path: &str, body: Value) -> (String, Vec<u8>) {
    let id = mock.submit_ok(path, &body).await;
    let (_, finished) = mock
        .control(Method::POST, &format!("/_mock/tasks/{id}/finish"), None)
        .await;
    assert_eq!(finished["status"], "TASK_STATUS_SUCCEED");
    let result = mock.result(&id).await.1;
    let url = result["videos"][0]["video_url"]
        .as_str()
        .unwrap()
        .to_string();
    let response = mock.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "video/mp4");
    (id, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn wan21_video_is_five_seconds_at_16_fps_in_the_requested_size() {
    let mock = start(paused()).await;
    let (_, bytes) = finished_video(
        &mock,
        "/v3/async/wan-t2v",
        json!({"prompt": "p", "width": 720, "height": 1280}),
    )
    .await;
    let video = probe(&bytes);
    assert_eq!((video.width, video.height), (720, 1280));
    assert_eq!(video.fps, 16.0);
    assert_eq!(video.frames, 81);
    assert!((video.seconds - 5.0625).abs() < 0.01, "{}", video.seconds);
    let (_, bytes) = finished_video(&mock, "/v3/async/wan-t2v", json!({"prompt": "p"})).await;
    let video = probe(&bytes);
    assert_eq!((video.width, video.height), (832, 480));
    assert!(video.audio.is_none(), "Wan 2.1 videos are silent");
}

#[tokio::test]
async fn wan27_i2v_video_follows_duration_and_resolution() {
    let mock = start(paused()).await;
    let body = json!({"first_clip_url": "https://example.test/c.mp4", "duration": 3, "resolution": "720P"});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-i2v", body).await;
    let video = probe(&bytes);
    assert_eq!((video.width, video.height), (1280, 720));
    assert_eq!(video.fps, 24.0);
    assert!((video.seconds - 3.0).abs() < 0.01);
    let (codec, seconds) = video.audio.expect("Wan 2.7 videos have sound");
    assert_eq!(codec, mp4::MediaType::AAC);
    assert!((seconds - 3.0).abs() < 0.05, "{seconds}");
}

#[tokio::test]
async fn wan27_t2v_video_has_the_asked_size_length_and_a_sound_track() {
    let mock = start(paused()).await;
    let body = json!({"prompt": "p", "size": "1088*832", "duration": 2});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-t2v", body).await;
    let video = probe(&bytes);
    assert_eq!((video.width, video.height), (1088, 832));
    assert_eq!(video.frames, 48);
    assert!(video.audio.is_some());
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-t2v", json!({"prompt": "p"})).await;
    let video = probe(&bytes);
    assert_eq!(
        (video.width, video.height),
        (1920, 1080),
        "the documented default size"
    );
    assert!(
        (video.seconds - 5.0).abs() < 0.01,
        "the documented default duration"
    );
}

#[tokio::test]
async fn wan27_r2v_without_audio_gives_a_silent_video() {
    let mock = start(paused()).await;
    let media = json!([{"url": "https://example.test/a.png", "type": "reference_image"}]);
    let body =
        json!({"prompt": "character1 waves", "media": media, "size": "720*1280", "audio": false});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-r2v", body).await;
    let video = probe(&bytes);
    assert_eq!((video.width, video.height), (720, 1280));
    assert!(video.audio.is_none(), "audio: false gives no sound track");
    let body = json!({"prompt": "character1 waves", "media": media});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-r2v", body).await;
    assert!(probe(&bytes).audio.is_some(), "sound by default");
}

#[tokio::test]
async fn wan27_videoedit_keeps_the_inputs_ratio_and_length_unless_told() {
    let mock = start(paused()).await;
    // An input clip: a 9:16, 3-second video the mock itself made.
    let body = json!({"prompt": "p", "size": "720*1280", "duration": 3});
    let (_, clip) = finished_video(&mock, "/v3/async/wan2.7-t2v", body).await;
    let server = MockServer::start().await;
    Mock::given(path("/clip.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(clip, "video/mp4"))
        .mount(&server)
        .await;
    let clip_url = format!("{}/clip.mp4", server.uri());

    let body = json!({"video_url": clip_url, "prompt": "clay style"});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-videoedit", body).await;
    let video = probe(&bytes);
    assert_eq!(
        (video.width, video.height),
        (1088, 1920),
        "9:16 at about 1080P's area"
    );
    assert!(
        (video.seconds - 3.0).abs() < 0.05,
        "the input's length: {}",
        video.seconds
    );
    assert!(video.audio.is_some());

    let body = json!({"video_url": clip_url, "ratio": "4:3", "resolution": "720P", "duration": 2});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-videoedit", body).await;
    let video = probe(&bytes);
    assert_eq!(
        (video.width, video.height),
        (1104, 832),
        "the page's 4:3 size at 720P"
    );
    assert!((video.seconds - 2.0).abs() < 0.01);

    let body = json!({"video_url": "https://example.test/unreadable.mp4"});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-videoedit", body).await;
    let video = probe(&bytes);
    assert_eq!(
        (video.width, video.height),
        (1920, 1080),
        "16:9 when the input cannot be read"
    );
    assert!((video.seconds - 5.0).abs() < 0.01);
}

/// Runs `program` with `args`, or says why it cannot: missing tools are skipped locally and
/// fail in CI, where `.ci/run` installs ffmpeg.
fn run_tool(program: &str, args: &[&str]) -> Option<std::process::Output> {
    match std::process::Command::new(program).args(args).output() {
        Ok(output) => Some(output),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("{program} is not installed; CI must install it (apt-get install ffmpeg)")
        }
        Err(_) => {
            eprintln!("SKIPPED: {program} is not installed (apt-get install ffmpeg)");
            None
        }
    }
}

#[tokio::test]
async fn ffmpeg_reads_and_decodes_both_tracks() {
    let mock = start(paused()).await;
    let body = json!({"prompt": "p", "size": "1280*720", "duration": 2});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-t2v", body).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t2v.mp4");
    std::fs::write(&file, bytes).unwrap();
    let file = file.to_str().unwrap();
    let Some(probed) = run_tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name",
            "-of",
            "csv=p=0",
            file,
        ],
    ) else {
        return;
    };
    let streams = String::from_utf8_lossy(&probed.stdout);
    assert!(
        probed.status.success(),
        "{}",
        String::from_utf8_lossy(&probed.stderr)
    );
    assert_eq!(
        streams.lines().collect::<Vec<_>>(),
        ["h264,video", "aac,audio"]
    );
    let decoded = run_tool("ffmpeg", &["-v", "error", "-i", file, "-f", "null", "-"]).unwrap();
    assert!(decoded.status.success());
    assert_eq!(
        String::from_utf8_lossy(&decoded.stderr),
        "",
        "no decoding errors"
    );
}

#[tokio::test]
async fn i2v_keeps_the_input_images_aspect_ratio() {
    let images = MockServer::start().await;
    Mock::given(path("/square.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(png_header(1000, 1000), "image/png"))
        .mount(&images)
        .await;
    let mock = start(paused()).await;
    let body = json!({"prompt": "p", "image_url": format!("{}/square.png", images.uri())});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan-i2v", body).await;
    let video = probe(&bytes);
    assert_eq!(
        video.width, video.height,
        "a square image gives a square video"
    );
    let area = f64::from(video.width) * f64::from(video.height);
    assert!(
        (area / (832.0 * 480.0) - 1.0).abs() < 0.1,
        "480p tier keeps its pixel count"
    );

    // A data URI works too (Wan 2.6 accepts them); a portrait image gives a portrait video.
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(png_header(900, 1600));
    let body = json!({"input": {"img_url": format!("data:image/png;base64,{data}")}, "parameters": {"resolution": "720P", "duration": 5}});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan2.6-i2v", body).await;
    let video = probe(&bytes);
    assert_eq!((video.width, video.height), (720, 1280));
    assert_eq!(video.frames, 120);

    // An image that cannot be read falls back to the requested tier.
    let body = json!({"prompt": "p", "image_url": format!("{}/missing.png", images.uri()), "width": 1280, "height": 720});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan-i2v", body).await;
    let video = probe(&bytes);
    assert_eq!((video.width, video.height), (1280, 720));
}

#[tokio::test]
async fn same_seed_and_parameters_give_the_same_video() {
    let mock = start(paused()).await;
    let body = json!({"prompt": "p", "seed": 7});
    let (_, first) = finished_video(&mock, "/v3/async/wan-t2v", body.clone()).await;
    let (_, again) = finished_video(&mock, "/v3/async/wan-t2v", body).await;
    let (_, other) = finished_video(
        &mock,
        "/v3/async/wan-t2v",
        json!({"prompt": "p", "seed": 8}),
    )
    .await;
    assert_eq!(first, again);
    assert_ne!(first, other);
}

#[tokio::test]
async fn an_input_image_is_fetched_once_however_often_the_video_is_downloaded() {
    let images = MockServer::start().await;
    Mock::given(path("/wide.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(png_header(1600, 900), "image/png"))
        .mount(&images)
        .await;
    let mock = start(paused()).await;
    let body = json!({"prompt": "p", "image_url": format!("{}/wide.png", images.uri())});
    let (id, first) = finished_video(&mock, "/v3/async/wan-i2v", body).await;
    let url = mock.result(&id).await.1["videos"][0]["video_url"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..3 {
        let again = mock
            .http
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(again, first);
    }
    assert_eq!(images.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_extreme_input_image_gives_a_bounded_video() {
    // 45 bytes of PNG header saying 1 x 100 000 000 px: once a 231 MB video.
    let images = MockServer::start().await;
    Mock::given(path("/thin.png"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(png_header(1, 100_000_000), "image/png"),
        )
        .mount(&images)
        .await;
    let mock = start(Config {
        video_cache_mb: 1,
        ..paused()
    })
    .await;
    let body = json!({"prompt": "p", "image_url": format!("{}/thin.png", images.uri()), "width": 1280, "height": 720});
    let (_, bytes) = finished_video(&mock, "/v3/async/wan-i2v", body).await;
    let video = probe(&bytes);
    assert_eq!((video.width, video.height), (336, 2688), "1:8 at most");
    assert!(bytes.len() < 2 * 1024 * 1024, "{} bytes", bytes.len());
}

/// An MP4 whose moov holds a zero-size child, or a 64-bit size under meta: the inputs that
/// hung and aborted the mock. The edit still finishes with the requested shape, and the mock
/// keeps answering.
#[tokio::test]
async fn hostile_input_mp4s_neither_hang_nor_kill_the_mock() {
    let bx = common::mp4_box;
    let mut zero = 0u32.to_be_bytes().to_vec();
    zero.extend_from_slice(b"trak");
    let mut meta = 1u32.to_be_bytes().to_vec();
    meta.extend_from_slice(b"meta");
    meta.extend_from_slice(&0x0004_0000_0000_0000u64.to_be_bytes());
    meta.extend_from_slice(&[0; 12]);
    let mvhd = bx(b"mvhd", &[0; 100]);
    let ftyp = bx(b"ftyp", b"isom\0\0\x02\0isom");
    let looping = [ftyp.clone(), bx(b"moov", &[mvhd.clone(), zero].concat())].concat();
    let aborting = [
        ftyp,
        bx(b"moov", &[mvhd, bx(b"udta", &meta), meta.clone()].concat()),
    ]
    .concat();
    let server = MockServer::start().await;
    for (name, file) in [("/loop.mp4", looping), ("/abort.mp4", aborting)] {
        Mock::given(path(name))
            .respond_with(ResponseTemplate::new(200).set_body_raw(file, "video/mp4"))
            .mount(&server)
            .await;
    }
    let mock = start(paused()).await;
    for name in ["loop.mp4", "abort.mp4"] {
        let body = json!({"video_url": format!("{}/{name}", server.uri()), "prompt": "p"});
        let (_, bytes) = finished_video(&mock, "/v3/async/wan2.7-videoedit", body).await;
        let video = probe(&bytes);
        assert_eq!((video.width, video.height), (1920, 1080), "{name}: 16:9");
        assert!((video.seconds - 5.0).abs() < 0.01, "{name}: 5 s");
    }
    let health = mock.http.get(mock.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
