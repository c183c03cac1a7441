//! Streaming downloads of result videos: progress, no key sent, nothing left behind when the
//! answer is an error, not a video, or stalls.

use crate::common;

use std::time::Duration;

use common::{client_for, drip_server, fast_retry, mp4_bytes, ok_head, task_body, KEY};
use novita_video::{Error, NovitaClient};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

#[tokio::test]
async fn downloads_to_a_file_with_progress_and_without_the_api_key() {
    let server = MockServer::start().await;
    let video = mp4_bytes(300_000);
    Mock::given(method("GET"))
        .and(path("/v/out.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(video.clone(), "video/mp4"))
        .expect(1)
        .mount(&server)
        .await;
    let mut result: novita_video::types::TaskResultResponse =
        serde_json::from_value(task_body("TASK_STATUS_SUCCEED", 100.0, 0.0)).unwrap();
    result.videos.push(novita_video::types::VideoOutput {
        video_url: Some(format!("{}/v/out.mp4", server.uri())),
        video_url_ttl: Some("3600".parse::<i64>().unwrap().into()),
        video_type: Some("mp4".into()),
    });
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.mp4");
    let mut updates = Vec::new();
    let written = client_for(&server)
        .download_video(&result, &target, |done, total| updates.push((done, total)))
        .await
        .unwrap();
    assert_eq!(written, video.len() as u64);
    assert_eq!(std::fs::read(&target).unwrap(), video);
    assert_eq!(updates.first(), Some(&(0, Some(video.len() as u64))));
    assert_eq!(
        updates.last(),
        Some(&(video.len() as u64, Some(video.len() as u64)))
    );
    assert!(updates.windows(2).all(|w| w[0].0 <= w[1].0));
    let received = server.received_requests().await.unwrap();
    assert!(
        received[0].headers.get("authorization").is_none(),
        "signed links must not get our key"
    );
}

#[tokio::test]
async fn an_expired_link_is_an_error_and_leaves_no_file() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_raw("<Error>Request has expired</Error>", "application/xml"),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.mp4");
    let url = format!("{}/v/old.mp4", server.uri());
    let error = client_for(&server)
        .download_to_file(&url, &target, |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Download { status, .. } if status.as_u16() == 403));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_result_without_video_is_reported() {
    let server = MockServer::start().await;
    let result = serde_json::from_value(task_body("TASK_STATUS_SUCCEED", 100.0, 0.0)).unwrap();
    let error = client_for(&server)
        .download_video(&result, "/nonexistent/x.mp4", |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NoVideo { ref task_id } if task_id == "t-1"));
}

/// Fetches `body` with `content_type` to a file through a wiremock, and returns the outcome and
/// the names left in the folder.
async fn download_answer(content_type: &str, body: &[u8]) -> (Result<u64, Error>, Vec<String>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_vec(), content_type))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let outcome = client_for(&server)
        .download_to_file(
            &format!("{}/v/fox.mp4", server.uri()),
            dir.path().join("fox.mp4"),
            |_, _| {},
        )
        .await;
    let left = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    (outcome, left)
}

#[tokio::test]
async fn a_json_error_behind_a_200_is_not_saved_as_the_video() {
    // What a storage gateway sent once: 16 bytes of JSON, status 200.
    let body = br#"{"code":404,"x"}"#;
    let (outcome, left) = download_answer("application/json", body).await;
    match outcome {
        Err(Error::NotAVideo {
            status,
            content_type,
            body_start,
            ..
        }) => {
            assert_eq!(status.as_u16(), 200);
            assert_eq!(content_type, "application/json");
            assert_eq!(body_start, r#"{"code":404,"x"}"#);
        }
        other => panic!("expected NotAVideo, got {other:?}"),
    }
    assert_eq!(left, Vec::<String>::new(), "nothing at --out, no .part");
}

#[tokio::test]
async fn document_content_types_are_refused_even_with_video_bytes() {
    for content_type in [
        "application/json; charset=utf-8",
        "application/problem+json",
        "application/xml",
        "text/html",
        "text/plain",
        "application/xhtml+xml",
    ] {
        let (outcome, left) = download_answer(content_type, &mp4_bytes(4096)).await;
        assert!(
            matches!(outcome, Err(Error::NotAVideo { .. })),
            "{content_type}: {outcome:?}"
        );
        assert!(left.is_empty(), "{content_type}: {left:?}");
    }
}

#[tokio::test]
async fn bytes_that_cannot_start_an_mp4_are_refused_and_shown_bounded() {
    let page = format!("<html><body>{}</body></html>", "x".repeat(5000));
    // A page, a box type cut short, nothing, and a gzip header.
    let bodies: [&[u8]; 4] = [
        page.as_bytes(),
        b"\0\0\0\x18ftx",
        b"",
        b"\x1f\x8b\x08\0\0\0\0\0\0\x03",
    ];
    for body in bodies {
        let (outcome, left) = download_answer("application/octet-stream", body).await;
        let Err(error @ Error::NotAVideo { .. }) = outcome else {
            panic!("{body:?}: {outcome:?}");
        };
        let Error::NotAVideo { body_start, .. } = &error else {
            unreachable!()
        };
        assert!(body_start.len() <= novita_video::DOWNLOAD_BODY_START_LIMIT);
        assert!(left.is_empty());
        let message = error.to_string();
        assert!(message.contains("HTTP 200"), "{message}");
        assert!(message.contains("application/octet-stream"), "{message}");
    }
    let (outcome, _) = download_answer("video/mp4", page.as_bytes()).await;
    let message = outcome.unwrap_err().to_string();
    assert!(message.contains("<html><body>xxx"), "{message}");
}

#[tokio::test]
async fn every_first_box_an_mp4_or_mov_starts_with_is_taken() {
    for kind in [b"ftyp", b"moov", b"mdat", b"free", b"wide"] {
        let mut body = vec![0, 0, 0, 8];
        body.extend_from_slice(kind);
        body.extend_from_slice(&[0, 0, 0, 8, b'f', b'r', b'e', b'e']);
        for content_type in ["video/mp4", "video/quicktime", "binary/octet-stream", ""] {
            let (outcome, left) = download_answer(content_type, &body).await;
            assert_eq!(
                outcome.unwrap(),
                body.len() as u64,
                "{kind:?} {content_type}"
            );
            assert_eq!(left, ["fox.mp4"]);
        }
    }
}

#[tokio::test]
async fn a_download_that_stalls_is_a_timeout_and_leaves_no_file() {
    // The head and the first 64 bytes of a video, then silence.
    let video = mp4_bytes(1_000_000);
    let url = drip_server(
        ok_head("video/mp4", video.len()),
        video[..64].to_vec(),
        64,
        Duration::from_secs(60),
    )
    .await;
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(&url)
        .download_idle_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let error = client
        .download_to_file(&format!("{url}/v.mp4"), dir.path().join("v.mp4"), |_, _| {})
        .await
        .unwrap_err();
    match &error {
        Error::Timeout { what, limit, .. } => {
            assert!(what.contains("download"), "{what}");
            assert_eq!(*limit, Duration::from_secs(1));
        }
        other => panic!("expected a Timeout, got {other:?}"),
    }
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_slow_download_that_keeps_moving_is_not_cut_by_the_request_timeout() {
    // 24 pieces 100 ms apart: longer in all than the request timeout, never silent for long.
    let video = mp4_bytes(24 * 1024);
    let url = drip_server(
        ok_head("video/mp4", video.len()),
        video.clone(),
        1024,
        Duration::from_millis(100),
    )
    .await;
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(&url)
        .timeout(Duration::from_secs(1))
        .download_idle_timeout(Duration::from_secs(20))
        .poll_retry(fast_retry(1))
        .build()
        .unwrap();
    let mut received = Vec::new();
    let written = client
        .download(&format!("{url}/v.mp4"), &mut received, |_, _| {})
        .await
        .unwrap();
    assert_eq!(written, video.len() as u64);
    assert!(received == video);
}

#[tokio::test]
async fn only_a_task_that_succeeded_has_a_video_to_download() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4_bytes(1000), "video/mp4"))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v.mp4");
    for status in [
        "TASK_STATUS_PROCESSING",
        "TASK_STATUS_QUEUED",
        "TASK_STATUS_FAILED",
        "TASK_STATUS_PONDERING",
    ] {
        // A result that carries a link although the task has not succeeded.
        let mut body = task_body(status, 40.0, 3.0);
        body["videos"] = serde_json::json!([{"video_url": format!("{}/v.mp4", server.uri())}]);
        let result: novita_video::types::TaskResultResponse = serde_json::from_value(body).unwrap();
        let error = client_for(&server)
            .download_video(&result, &file, |_, _| {})
            .await
            .unwrap_err();
        match status {
            "TASK_STATUS_FAILED" => assert!(matches!(error, Error::TaskFailed { .. }), "{error:?}"),
            _ => assert!(
                matches!(error, Error::NotFinished { .. }),
                "{status}: {error:?}"
            ),
        }
        assert_eq!(error.task_id(), Some("t-1"));
        assert!(!file.exists(), "nothing written for {status}");
    }
    server.verify().await;
}
