//! A service's own `reqwest::Client`, passed in with `ClientBuilder::http_client`, against the
//! real mock (behind the contract proxy): a task submitted, ended by the test on the mock's
//! paused clock, read and its video downloaded. The mock refuses a request without the key, so
//! each answer shows the key was put on the request, not on that client.

use conformance::harness::{Harness, MOCK_KEY};
use novita_mock::Config;
use novita_video::{types::Wan27T2vRequest, NovitaClient, TaskStatus, WaitOptions};
use reqwest::{
    header::{HeaderMap, HeaderValue},
    Method,
};

/// The service's client: a header of its own, redirects off, no timeout.
fn service_client() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert("x-team", HeaderValue::from_static("video"));
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_task_goes_through_a_passed_in_client_from_submission_to_video() {
    let h = Harness::mock_with(Config {
        paused: true,
        api_keys: vec![MOCK_KEY.to_string()],
        ..Config::for_tests()
    })
    .await;
    let client = NovitaClient::builder()
        .api_key(MOCK_KEY)
        .base_url(&h.base_url)
        .http_client(service_client())
        .build()
        .unwrap();
    let request: Wan27T2vRequest = Wan27T2vRequest::builder()
        .prompt("A red fox in fresh snow")
        .try_into()
        .unwrap();
    let task_id = client.submit(&request).await.unwrap();
    let queued = client.task_result(&task_id).await.unwrap();
    assert_eq!(
        queued.task.unwrap().status,
        Some(TaskStatus::Queued),
        "the paused clock holds the task"
    );
    h.control(
        Method::POST,
        &format!("/_mock/tasks/{task_id}/finish"),
        None,
    )
    .await;
    let result = client.wait(&task_id, WaitOptions::default()).await.unwrap();
    let mut video = Vec::new();
    let bytes = client
        .download_video_into(&result, &mut video, |_, _| {})
        .await
        .unwrap();
    assert_eq!(bytes as usize, video.len());
    assert_eq!(&video[4..8], b"ftyp", "an MP4 from the mock");

    let unkeyed = NovitaClient::builder()
        .api_key("not-the-mock-key")
        .base_url(&h.base_url)
        .http_client(service_client())
        .build()
        .unwrap();
    let refused = unkeyed.task_result_once(&task_id).await.unwrap_err();
    assert_eq!(refused.reason(), Some("INVALID_API_KEY"), "{refused:?}");
    assert!(h.assert_answers_match_spec() > 0);
}
