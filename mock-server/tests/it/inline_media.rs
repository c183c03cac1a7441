//! Media sent inline (`data:` URIs) are measured at submission: what cannot be measured, or
//! contradicts its media type, is refused with Novita's 400 body naming the field, as the
//! documented limits are. The hostile media are a few bytes built here.

use crate::common;

use base64::{engine::general_purpose::STANDARD, Engine};
use common::{assert_novita_error, mp4, png_header, start_default, Mock};
use serde_json::json;

const KLING_I2V: &str = "/v3/async/kling-v3.0-std-i2v";

fn uri(media_type: &str, bytes: &[u8]) -> String {
    format!("data:{media_type};base64,{}", STANDARD.encode(bytes))
}

/// The start of a baseline JPEG of `width` x `height`.
fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xc0, 0, 17, 8];
    jpeg.extend_from_slice(&height.to_be_bytes());
    jpeg.extend_from_slice(&width.to_be_bytes());
    jpeg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
    jpeg
}

/// The mock's answer to a Kling 3.0 image-to-video body whose `image` is `image`: `None`
/// when accepted, else the message of its 400 `INVALID_REQUEST_BODY`.
async fn refusal(mock: &Mock, image: &str) -> Option<String> {
    let body = json!({"image": image, "prompt": "a kite over the dunes"});
    let answer = mock.submit(KLING_I2V, &body).await;
    if answer.0.is_success() {
        return None;
    }
    Some(assert_novita_error(&answer, 400, "INVALID_REQUEST_BODY"))
}

#[tokio::test]
async fn inline_images_that_cannot_be_measured_or_contradict_their_type_are_refused() {
    let mock = start_default().await;
    let png = png_header(1000, 1000);
    let percent_encoded: String = png.iter().map(|b| format!("%{b:02X}")).collect();
    let mut renamed = png.clone();
    renamed[12..16].copy_from_slice(b"XXXX");
    let hostile = [
        ("an empty payload", "data:image/png;base64,".to_string()),
        ("a bare data:", "data:".to_string()),
        ("no payload at all", "data:image/png;base64".to_string()),
        (
            "capital DATA: of a small PNG",
            format!(
                "DATA:image/png;base64,{}",
                STANDARD.encode(png_header(100, 100))
            ),
        ),
        ("a PNG signature alone", uri("image/png", &png[..8])),
        ("a PNG cut to 16 bytes", uri("image/png", &png[..16])),
        ("a PNG cut inside its height", uri("image/png", &png[..22])),
        ("a truncated GIF", uri("image/gif", b"GIF89a\x00\x02")),
        (
            "a percent-encoded PNG",
            format!("data:image/png,{percent_encoded}"),
        ),
        ("a PNG labelled image/gif", uri("image/gif", &png)),
        ("a PNG labelled image/jpeg", uri("image/jpeg", &png)),
        (
            "a JPEG labelled image/png",
            uri("image/png", &jpeg(1000, 1000)),
        ),
        ("a PNG labelled video/mp4", uri("video/mp4", &png)),
        (
            "a 4294967295 x 4294967295 PNG",
            uri("image/png", &png_header(u32::MAX, u32::MAX)),
        ),
        ("a PNG whose IHDR is renamed", uri("image/png", &renamed)),
        (
            "text that is no image",
            uri("", b"just some words, not an image"),
        ),
    ];
    for (what, image) in hostile {
        let message = refusal(&mock, &image).await;
        assert!(
            message.as_deref().is_some_and(|m| m.starts_with("image: ")),
            "{what}: {message:?}"
        );
    }
    let fine = [
        ("a PNG", uri("image/png", &png)),
        (
            "capital DATA: and BASE64",
            format!("DATA:IMAGE/PNG;BASE64,{}", STANDARD.encode(&png)),
        ),
        (
            "a PNG with parameters",
            format!(
                "data:image/png;name=kite.png;base64,{}",
                STANDARD.encode(&png)
            ),
        ),
        ("an unlabelled PNG", uri("", &png)),
        (
            "a JPEG labelled image/jpg",
            uri("image/jpg", &jpeg(1000, 1000)),
        ),
        (
            "a PNG at the PNG's largest side",
            uri(
                "image/png",
                &png_header(i32::MAX as u32, i32::MAX as u32 / 2),
            ),
        ),
        ("a URL", "https://example.com/kite.png".to_string()),
    ];
    for (what, image) in fine {
        assert_eq!(refusal(&mock, &image).await, None, "{what}");
    }
}

#[tokio::test]
async fn each_refusal_says_what_was_wrong() {
    let mock = start_default().await;
    let png = png_header(1000, 1000);
    let mut messages = Vec::new();
    for image in [
        "data:image/png;base64,".to_string(),
        "data:image/png,%89PNG".to_string(),
        uri("image/png", &png[..16]),
        uri("image/gif", &png),
        uri("", b"just some words, not an image"),
        uri("image/png", &png_header(u32::MAX, u32::MAX)),
    ] {
        messages.push(refusal(&mock, &image).await.unwrap());
    }
    assert_eq!(
        messages,
        [
            "image: the data URI holds no data",
            "image: a data URI must be base64: data:<type>;base64,<data>",
            "image: the size of this PNG image cannot be read (its header is cut, damaged or gives sides the format does not allow)",
            "image: it holds PNG data but is labelled \"image/gif\"; the media type must match the data",
            "image: its data is not an image; use JPEG or PNG",
            "image: the size of this PNG image cannot be read (its header is cut, damaged or gives sides the format does not allow)",
        ]
    );
}

const MOTION_CONTROL: &str = "/v3/async/kling-v3.0-motion-control";

/// The mock's answer to a motion-control body whose reference `video` is `video`: `None`
/// when accepted, else the message of its 400 `INVALID_REQUEST_BODY`.
async fn video_refusal(mock: &Mock, video: &str) -> Option<String> {
    let body = json!({
        "image": uri("image/png", &png_header(1000, 1000)),
        "video": video,
        "model_name": "kling-v3-0-std",
        "character_orientation": "video",
    });
    let answer = mock.submit(MOTION_CONTROL, &body).await;
    if answer.0.is_success() {
        return None;
    }
    Some(assert_novita_error(&answer, 400, "INVALID_REQUEST_BODY"))
}

#[tokio::test]
async fn motion_control_reference_videos_are_held_to_the_documented_limits() {
    let mock = start_default().await;
    let video = |width, height, millis| uri("video/mp4", &mp4(width, height, millis, 64));
    let head = mp4(1280, 720, 5000, 0).len();
    let mut cut = mp4(1280, 720, 5000, 0);
    cut.truncate(cut.len() - 20);
    let png = png_header(1000, 1000);
    let hostile = [
        ("2 seconds", video(1280, 720, 2000)),
        ("2.999 seconds", video(1280, 720, 2999)),
        ("31 seconds", video(1280, 720, 31_000)),
        ("30.001 seconds", video(1280, 720, 30_001)),
        ("200x200", video(200, 200, 5000)),
        ("299 pixels high", video(1280, 299, 5000)),
        ("video/webm", uri("video/webm", &mp4(1280, 720, 5000, 64))),
        ("a PNG labelled video/mp4", uri("video/mp4", &png)),
        ("a PNG labelled image/png", uri("image/png", &png)),
        (
            "one byte over 10 MiB",
            uri(
                "video/mp4",
                &mp4(1280, 720, 5000, 10 * 1024 * 1024 + 1 - head),
            ),
        ),
        ("an empty video", "data:video/mp4;base64,".to_string()),
        ("a moov cut short", uri("video/mp4", &cut)),
        ("no length", video(1280, 720, 0)),
    ];
    for (what, value) in hostile {
        let message = video_refusal(&mock, &value).await;
        assert!(
            message.as_deref().is_some_and(|m| m.starts_with("video: ")),
            "{what}: {message:?}"
        );
    }
    let fine = [
        ("3 seconds", video(1280, 720, 3000)),
        ("30 seconds", video(1280, 720, 30_000)),
        ("300x300", video(300, 300, 5000)),
        ("a MOV", uri("video/quicktime", &mp4(720, 1280, 12_000, 64))),
        ("unlabelled", uri("", &mp4(1280, 720, 5000, 64))),
        (
            "exactly 10 MiB",
            uri("video/mp4", &mp4(1280, 720, 5000, 10 * 1024 * 1024 - head)),
        ),
        ("a URL", "http://127.0.0.1:9/dance.mp4".to_string()),
    ];
    for (what, value) in fine {
        assert_eq!(video_refusal(&mock, &value).await, None, "{what}");
    }
    let mut messages = Vec::new();
    for value in [
        video(1280, 720, 2000),
        video(200, 200, 5000),
        uri("video/webm", &mp4(1280, 720, 5000, 0)),
        uri("video/mp4", &png),
    ] {
        messages.push(video_refusal(&mock, &value).await.unwrap());
    }
    assert_eq!(
        messages,
        [
            "video: the video lasts 2.00 seconds; it must last 3 to 30 seconds",
            "video: the video is 200x200 pixels; width and height must be at least 300",
            "video: it holds \"video/webm\" data; use MP4 or MOV",
            "video: the size and length of this video cannot be read; use MP4 or MOV",
        ]
    );
}
