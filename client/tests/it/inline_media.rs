//! Media sent inline (`data:` URIs) are measured before sending and held to the spec's
//! `x-novita-media`: what cannot be measured, or contradicts its media type, is refused with
//! the field named, and nothing is sent. The hostile media are a few bytes built here.

use crate::common;

use base64::{engine::general_purpose::STANDARD, Engine};
use common::client_for;
use novita_video::{types::KlingStdI2vRequest, Error, NovitaClient, SubmitOperation};
use serde_json::json;
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

/// The start of a PNG of `width` x `height`: signature, then the IHDR chunk.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&width.to_be_bytes());
    png.extend_from_slice(&height.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    png
}

/// The start of a baseline JPEG of `width` x `height`.
fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xc0, 0, 17, 8];
    jpeg.extend_from_slice(&height.to_be_bytes());
    jpeg.extend_from_slice(&width.to_be_bytes());
    jpeg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
    jpeg
}

fn uri(media_type: &str, bytes: &[u8]) -> String {
    format!("data:{media_type};base64,{}", STANDARD.encode(bytes))
}

/// The client's verdict on a Kling 3.0 standard image-to-video body whose `image` is `image`:
/// `Ok`, or the field and rule of the first violation.
fn verdict_on_image(image: &str) -> Result<(), (String, String)> {
    let operation = SubmitOperation::find("kling-v3.0-std-i2v").unwrap();
    let body = json!({"image": image, "prompt": "a kite over the dunes"});
    match NovitaClient::check_value(operation, &body) {
        Ok(()) => Ok(()),
        Err(Error::InvalidRequest { violations }) => {
            Err((violations[0].field.clone(), violations[0].rule.clone()))
        }
        Err(other) => panic!("unexpected {other}"),
    }
}

#[test]
fn inline_images_that_cannot_be_measured_or_contradict_their_type_are_refused() {
    let percent_encoded: String = png(1000, 1000)
        .iter()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let hostile = [
        ("an empty payload", "data:image/png;base64,".to_string()),
        ("a bare data:", "data:".to_string()),
        ("no payload at all", "data:image/png;base64".to_string()),
        (
            "capital DATA: of a small PNG",
            format!("DATA:image/png;base64,{}", STANDARD.encode(png(100, 100))),
        ),
        (
            "a PNG signature alone",
            uri("image/png", b"\x89PNG\r\n\x1a\n"),
        ),
        (
            "a PNG cut to 16 bytes",
            uri("image/png", &png(1000, 1000)[..16]),
        ),
        (
            "a PNG cut inside its height",
            uri("image/png", &png(1000, 1000)[..22]),
        ),
        ("a truncated GIF", uri("image/gif", b"GIF89a\x00\x02")),
        (
            "a whole GIF header",
            uri("image/gif", b"GIF89a\x00\x02\x00\x02\x00\x00"),
        ),
        (
            "a percent-encoded PNG",
            format!("data:image/png,{percent_encoded}"),
        ),
        (
            "a PNG labelled image/gif",
            uri("image/gif", &png(1000, 1000)),
        ),
        (
            "a PNG labelled image/jpeg",
            uri("image/jpeg", &png(1000, 1000)),
        ),
        (
            "a JPEG labelled image/png",
            uri("image/png", &jpeg(1000, 1000)),
        ),
        (
            "a PNG labelled video/mp4",
            uri("video/mp4", &png(1000, 1000)),
        ),
        (
            "a 4294967295 x 4294967295 PNG",
            uri("image/png", &png(u32::MAX, u32::MAX)),
        ),
        ("a PNG whose IHDR is renamed", {
            let mut bytes = png(1000, 1000);
            bytes[12..16].copy_from_slice(b"XXXX");
            uri("image/png", &bytes)
        }),
        (
            "text that is no image",
            uri("", b"just some words, not an image"),
        ),
        ("not base64", "data:image/png;base64,@@@@".to_string()),
    ];
    for (what, image) in hostile {
        let verdict = verdict_on_image(&image);
        assert!(
            matches!(&verdict, Err((field, _)) if field == "image"),
            "{what}: {verdict:?}"
        );
    }
    let fine = [
        ("a PNG", uri("image/png", &png(1000, 1000))),
        (
            "capital DATA: and BASE64",
            format!("DATA:IMAGE/PNG;BASE64,{}", STANDARD.encode(png(1000, 1000))),
        ),
        (
            "a PNG with parameters",
            format!(
                "data:image/png;name=kite.png;base64,{}",
                STANDARD.encode(png(1000, 1000))
            ),
        ),
        ("an unlabelled PNG", uri("", &png(1000, 1000))),
        (
            "a JPEG labelled image/jpg",
            uri("image/jpg", &jpeg(1000, 1000)),
        ),
        (
            "a PNG at the PNG's largest side",
            uri("image/png", &png(i32::MAX as u32, i32::MAX as u32 / 2)),
        ),
        ("a URL", "https://example.com/kite.png".to_string()),
    ];
    for (what, image) in fine {
        assert_eq!(verdict_on_image(&image), Ok(()), "{what}");
    }
}

#[test]
fn each_refusal_says_what_was_wrong() {
    let rule = |image: String| verdict_on_image(&image).unwrap_err().1;
    insta::assert_snapshot!(
        [
            rule("data:image/png;base64,".into()),
            rule("data:image/png,%89PNG".into()),
            rule(uri("image/png", &png(1000, 1000)[..16])),
            rule(uri("image/gif", &png(1000, 1000))),
            rule(uri("", b"just some words, not an image")),
            rule(uri("image/png", &png(u32::MAX, u32::MAX))),
        ]
        .join("\n"),
        @r#"
    must hold data (got an empty data URI)
    must be a base64 data URI (data:<type>;base64,<data>); other encodings are not read
    must be an image whose size can be read (its PNG header is cut, damaged or gives sides the format does not allow)
    holds png data but is labelled "image/gif"; the media type must match the data
    must be an image in jpeg, png (got data that is not an image)
    must be an image whose size can be read (its PNG header is cut, damaged or gives sides the format does not allow)
    "#
    );
}

#[tokio::test]
async fn a_typed_request_with_an_unreadable_image_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t"})))
        .expect(0)
        .mount(&server)
        .await;
    let request: KlingStdI2vRequest = KlingStdI2vRequest::builder()
        .image(uri("image/png", b"\x89PNG\r\n\x1a\n"))
        .prompt("a kite")
        .try_into()
        .unwrap();
    match client_for(&server).submit(&request).await {
        Err(Error::InvalidRequest { violations }) => {
            assert_eq!(violations[0].field, "image", "{violations:?}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A box of `kind` around `body`.
fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// The boxes of an MP4 that give its shape: `ftyp`, then `moov` with an `mvhd` of `millis`
/// milliseconds and one video track of `width` x `height`; `padding` bytes of `mdat` after.
fn mp4(width: u32, height: u32, millis: u32, padding: usize) -> Vec<u8> {
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&millis.to_be_bytes());
    let mut tkhd = vec![0u8; 84];
    tkhd[76..80].copy_from_slice(&(width << 16).to_be_bytes());
    tkhd[80..84].copy_from_slice(&(height << 16).to_be_bytes());
    let mut hdlr = vec![0u8; 24];
    hdlr[8..12].copy_from_slice(b"vide");
    let trak = bx(
        b"trak",
        &[bx(b"tkhd", &tkhd), bx(b"mdia", &bx(b"hdlr", &hdlr))].concat(),
    );
    let moov = bx(b"moov", &[bx(b"mvhd", &mvhd), trak].concat());
    [
        bx(b"ftyp", b"isom\0\0\x02\0isom"),
        moov,
        bx(b"mdat", &vec![0; padding]),
    ]
    .concat()
}

/// The client's verdict on a motion-control body whose reference `video` is `video`.
fn verdict_on_video(video: &str) -> Result<(), (String, String)> {
    let operation = SubmitOperation::find("kling-v3.0-motion-control").unwrap();
    let body = json!({
        "image": uri("image/png", &png(1000, 1000)),
        "video": video,
        "model_name": "kling-v3-0-std",
        "character_orientation": "video",
    });
    match NovitaClient::check_value(operation, &body) {
        Ok(()) => Ok(()),
        Err(Error::InvalidRequest { violations }) => {
            Err((violations[0].field.clone(), violations[0].rule.clone()))
        }
        Err(other) => panic!("unexpected {other}"),
    }
}

#[test]
fn motion_control_reference_videos_are_held_to_the_documented_limits() {
    let video = |width, height, millis| uri("video/mp4", &mp4(width, height, millis, 64));
    let mut cut = mp4(1280, 720, 5000, 0);
    cut.truncate(cut.len() - 20);
    let mut huge_box = mp4(1280, 720, 5000, 0);
    huge_box[..4].copy_from_slice(&u32::MAX.to_be_bytes());
    let hostile = [
        ("2 seconds", video(1280, 720, 2000)),
        ("2.999 seconds", video(1280, 720, 2999)),
        ("31 seconds", video(1280, 720, 31_000)),
        ("30.001 seconds", video(1280, 720, 30_001)),
        ("200x200", video(200, 200, 5000)),
        ("299 pixels high", video(1280, 299, 5000)),
        ("video/webm", uri("video/webm", &mp4(1280, 720, 5000, 64))),
        (
            "a PNG labelled video/mp4",
            uri("video/mp4", &png(1000, 1000)),
        ),
        (
            "a PNG labelled image/png",
            uri("image/png", &png(1000, 1000)),
        ),
        (
            "11 MB",
            uri("video/mp4", &mp4(1280, 720, 5000, 11 * 1000 * 1000)),
        ),
        ("one byte over 10 MiB", {
            let head = mp4(1280, 720, 5000, 0).len();
            uri(
                "video/mp4",
                &mp4(1280, 720, 5000, 10 * 1024 * 1024 + 1 - head),
            )
        }),
        ("an empty video", "data:video/mp4;base64,".to_string()),
        ("a moov cut short", uri("video/mp4", &cut)),
        ("a box past the end", uri("video/mp4", &huge_box)),
        ("no length", video(1280, 720, 0)),
    ];
    for (what, value) in hostile {
        let verdict = verdict_on_video(&value);
        assert!(
            matches!(&verdict, Err((field, _)) if field == "video"),
            "{what}: {verdict:?}"
        );
    }
    let fine = [
        ("3 seconds", video(1280, 720, 3000)),
        ("30 seconds", video(1280, 720, 30_000)),
        ("300x300", video(300, 300, 5000)),
        ("a MOV", uri("video/quicktime", &mp4(720, 1280, 12_000, 64))),
        ("unlabelled", uri("", &mp4(1280, 720, 5000, 64))),
        ("exactly 10 MiB", {
            let head = mp4(1280, 720, 5000, 0).len();
            uri("video/mp4", &mp4(1280, 720, 5000, 10 * 1024 * 1024 - head))
        }),
        ("a URL", "https://example.com/dance.mp4".to_string()),
    ];
    for (what, value) in fine {
        assert_eq!(verdict_on_video(&value), Ok(()), "{what}");
    }
    insta::assert_snapshot!(
        [
            verdict_on_video(&video(1280, 720, 2000)).unwrap_err().1,
            verdict_on_video(&video(200, 200, 5000)).unwrap_err().1,
            verdict_on_video(&uri("video/webm", b"")).unwrap_err().1,
            verdict_on_video(&uri("video/webm", &mp4(1280, 720, 5000, 0))).unwrap_err().1,
            verdict_on_video(&uri("video/mp4", &png(1000, 1000))).unwrap_err().1,
        ]
        .join("\n"),
        @r#"
    must be a video of 3 to 30 seconds (got 2.00)
    must be a video whose sides are at least 300 pixels (got 200x200)
    must hold data (got an empty data URI)
    must be a video in mp4, mov (got "video/webm" data)
    must be a video in mp4, mov that can be measured (got data whose size and length cannot be read)
    "#
    );
}
