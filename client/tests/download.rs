//! Streaming downloads of result videos.

mod common;

use common::{client_for, task_body};
use novita_video::Error;
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

#[tokio::test]
async fn downloads_to_a_file_with_progress_and_without_the_api_key() {
    let server = MockServer::start().await;
    let video: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
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
