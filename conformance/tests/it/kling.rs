//! Kling 3.0 end to end through the client's JSON path (the one `novita submit` takes): every
//! example of the seven operations is checked, submitted, ended through the control API (the
//! mock clock is paused: nothing waits on real time), waited for and downloaded, and the MP4 is
//! read back: its length, frame and sound track are what the spec says the body asks for.

use std::io::Cursor;

use conformance::{
    harness::Harness,
    media::{data_uri, png},
};
use novita_mock::Config;
use novita_video::{NovitaClient, SubmitOperation, WaitOptions};
use reqwest::Method;
use serde_json::{json, Value};

/// What the video must be, worked out from the body as the spec's notes describe it.
#[derive(Debug, PartialEq)]
struct Expected {
    seconds: u32,
    sound: bool,
    frame: (u16, u16),
}

/// The tier's 16:9 frame (x-inferred in the spec: 720p, 1080p, 2160p).
fn landscape(command: &str, body: &Value) -> (u16, u16) {
    let pro = command.contains("-pro-") || body["model_name"] == "kling-v3-0-pro";
    if command.contains("-4k-") {
        (3840, 2160)
    } else if pro {
        (1920, 1080)
    } else {
        (1280, 720)
    }
}

/// A frame taken from an input's ratio: sides in whole macroblocks of 16 pixels.
fn in_blocks((width, height): (u16, u16)) -> (u16, u16) {
    let block = |side: u16| (f64::from(side) / 16.0).round() as u16 * 16;
    (block(width), block(height))
}

fn expected(command: &str, body: &Value, reference_seconds: u32) -> Expected {
    let (long, short) = landscape(command, body);
    let seconds = body["duration"].as_u64().unwrap_or(5) as u32;
    if command.ends_with("motion-control") {
        let by_video = body["character_orientation"] == "video";
        return Expected {
            seconds: if by_video { reference_seconds } else { 5 },
            sound: body["keep_original_sound"].as_bool().unwrap_or(true),
            // The reference video and the test image are both 16:9 at the tier's pixels.
            frame: in_blocks((long, short)),
        };
    }
    if command.contains("-i2v") {
        // The first frame's ratio (16:9 here) at the tier's pixels.
        return Expected {
            seconds,
            sound: body["sound"].as_bool().unwrap_or(false),
            frame: in_blocks((long, short)),
        };
    }
    let frame = match body["aspect_ratio"].as_str() {
        Some("9:16") => (short, long),
        Some("1:1") => {
            let side = ((f64::from(long) * f64::from(short)).sqrt() / 16.0).round() as u16 * 16;
            (side, side)
        }
        _ => (long, short),
    };
    Expected {
        seconds,
        sound: body["sound"].as_bool().unwrap_or(false),
        frame,
    }
}

fn read(bytes: &[u8]) -> (Expected, f64) {
    let reader =
        mp4::Mp4Reader::read_header(Cursor::new(bytes), bytes.len() as u64).expect("a valid MP4");
    let video = reader
        .tracks()
        .values()
        .find(|t| matches!(t.track_type(), Ok(mp4::TrackType::Video)))
        .expect("a video track");
    let sound = reader
        .tracks()
        .values()
        .any(|t| matches!(t.track_type(), Ok(mp4::TrackType::Audio)));
    let seconds = video.duration().as_secs_f64();
    let found = Expected {
        seconds: seconds.round() as u32,
        sound,
        frame: (video.width(), video.height()),
    };
    (found, video.frame_rate())
}

/// Submits `body` as the CLI does, ends the task, waits and downloads its video.
async fn video_of(h: &Harness, operation: &'static SubmitOperation, body: Value) -> Vec<u8> {
    let checked = NovitaClient::checked_value(operation, body).expect("the example is valid");
    let task_id = h.client.submit_checked(checked).await.expect("accepted");
    h.control(
        Method::POST,
        &format!("/_mock/tasks/{task_id}/finish"),
        None,
    )
    .await;
    let result = h
        .client
        .wait(&task_id, WaitOptions::default())
        .await
        .expect("finished");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("video.mp4");
    h.client
        .download_video(&result, &file, |_, _| {})
        .await
        .expect("downloaded");
    std::fs::read(&file).unwrap()
}

#[tokio::test]
async fn every_kling_example_gives_a_video_of_the_asked_length_frame_and_sound() {
    let h = Harness::mock_with(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await;
    // A reference motion video from the mock itself: 7 seconds of standard 16:9.
    let t2v = SubmitOperation::find("kling-v3.0-std-t2v").unwrap();
    let reference = video_of(&h, t2v, json!({"prompt": "a dancer", "duration": 7})).await;
    let reference_uri = data_uri("video/mp4", &reference);
    let spec = conformance::harness::spec();
    let mut checked = 0;
    for operation in SubmitOperation::all()
        .iter()
        .filter(|op| op.command().starts_with("kling-"))
    {
        let examples = &spec.document()["paths"][operation.path()]["post"]["requestBody"]
            ["content"]["application/json"]["examples"];
        for (name, example) in examples.as_object().expect("examples") {
            let mut body = example["value"].clone();
            // Inline inputs, so that the mock reads them without a network.
            for field in ["image", "end_image"] {
                if body.get(field).is_some() {
                    body[field] = json!(data_uri("image/png", &png(1600, 900)));
                }
            }
            if body.get("video").is_some() {
                body["video"] = json!(reference_uri);
            }
            let want = expected(operation.command(), &body, 7);
            let (found, fps) = read(&video_of(&h, operation, body).await);
            assert_eq!(found, want, "{} {name}", operation.command());
            assert_eq!(fps, 30.0, "{} {name}", operation.command());
            checked += 1;
        }
    }
    assert_eq!(checked, 14, "two examples for each of the seven operations");
}

/// The `novita` binary beside this test's own (`cargo test --workspace --all-features` builds
/// it). Without it the test says so and passes, unless `CI` is set.
fn novita_binary() -> Option<std::path::PathBuf> {
    let deps = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let binary = deps
        .parent()?
        .join(format!("novita{}", std::env::consts::EXE_SUFFIX));
    if binary.is_file() {
        return Some(binary);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run cargo test --workspace --all-features",
        binary.display()
    );
    eprintln!("SKIPPED: {} is not built", binary.display());
    None
}

#[tokio::test]
async fn the_cli_submits_waits_and_downloads_a_kling_video_from_the_spec_alone() {
    let Some(novita) = novita_binary() else {
        return;
    };
    // Fast, not paused: the CLI waits by polling, and the clock must move for it. The video
    // links last a simulated year, so that no machine is too slow to download in time.
    let mock = novita_mock::spawn(Config {
        speed: 1000.0,
        video_ttl_seconds: 365 * 86_400,
        ..Config::for_tests()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (sound, seconds) in [("true", 4), ("false", 3)] {
        let out = dir.path().join(format!("kling-{sound}.mp4"));
        let run = tokio::process::Command::new(&novita)
            .args(["--base-url", mock.url(), "--api-key", "test-key"])
            .args(["submit", "kling-v3.0-pro-t2v", "--prompt", "a heron"])
            .args(["--duration", &seconds.to_string(), "--sound", sound])
            .args(["--aspect_ratio", "9:16", "--wait", "--out"])
            .arg(&out)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{stderr}");
        let (found, _) = read(&std::fs::read(&out).unwrap());
        let want = Expected {
            seconds,
            sound: sound == "true",
            frame: (1080, 1920),
        };
        assert_eq!(found, want, "{stderr}");
    }
}
