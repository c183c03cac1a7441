//! The API key never shows in `{:?}` of a public type that holds it, nor in the `Display`
//! and `Debug` of any error, even when the service echoes the key back in its answer.

use novita_video::{types::Wan27T2vRequest, Error, NovitaClient, WaitOptions};
use serde_json::json;
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-live-0123456789abcdef-SECRET";

fn assert_hidden(debug: &str) {
    assert!(!debug.contains(KEY), "the key leaked: {debug}");
    assert!(!debug.contains("SECRET"), "part of the key leaked: {debug}");
    assert!(
        !debug.contains("0123456789"),
        "part of the key leaked: {debug}"
    );
}

#[test]
fn the_builder_shows_that_a_key_is_set_but_not_the_key() {
    let builder = NovitaClient::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:8080");
    for debug in [format!("{builder:?}"), format!("{builder:#?}")] {
        assert_hidden(&debug);
    }
    let debug = format!("{builder:?}");
    assert!(debug.contains(r#"api_key: Some("<redacted>")"#), "{debug}");
    assert!(debug.contains("http://127.0.0.1:8080"), "{debug}");
    let without = format!("{:?}", NovitaClient::builder());
    assert!(without.contains("api_key: None"), "{without}");
}

#[test]
fn the_client_and_its_generated_client_hide_the_key() {
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url("http://127.0.0.1:8080")
        .build()
        .unwrap();
    for debug in [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{:?}", client.api()),
        format!("{:#?}", client.api()),
        format!("{:?}", client.clone()),
    ] {
        assert_hidden(&debug);
    }
    assert!(format!("{client:?}").contains(r#"api_key: "<redacted>""#));
}

/// Set in the child process of [`a_builder_from_the_environment_hides_the_key_too`].
const CHILD: &str = "NOVITA_REDACTION_TEST_CHILD";

#[test]
fn a_builder_from_the_environment_hides_the_key_too() {
    // Changing this process's environment would race with the other tests' threads, which
    // read it (reqwest looks for proxy variables): the test runs again in a child process
    // whose environment holds the key from its start.
    if std::env::var_os(CHILD).is_none() {
        // The test's name as the harness knows it: its module path without the binary's name.
        let module = module_path!()
            .split_once("::")
            .map_or("", |(_, module)| module);
        let name = format!("{module}::a_builder_from_the_environment_hides_the_key_too");
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &name, "--test-threads=1"])
            .env(CHILD, "1")
            .env(novita_video::API_KEY_ENV, KEY)
            .env_remove(novita_video::BASE_URL_ENV)
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "the child failed: {shown}");
        assert!(shown.contains("1 passed"), "the child ran no test: {shown}");
        return;
    }
    let builder = NovitaClient::builder_from_env();
    assert_hidden(&format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_hidden(&format!("{client:?}"));
    assert!(format!("{client:?}").contains(r#"api_key: "<redacted>""#));
}

/// A client of `server` with the test's key, no retry waits and a small answer limit.
fn echoing_client(server: &MockServer) -> NovitaClient {
    NovitaClient::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .poll_retry(novita_video::RetryPolicy::never())
        .submit_retry(novita_video::RetryPolicy::never())
        .max_answer_bytes(4096)
        .build()
        .unwrap()
}

/// A server that answers every request with `answer`.
async fn answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(answer.clone())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// The error of reading a task's result from a server that answers `answer`.
async fn read_error(answer: ResponseTemplate) -> Error {
    let server = answering(answer).await;
    echoing_client(&server)
        .task_result("t-1")
        .await
        .unwrap_err()
}

fn error_body(status: u16) -> serde_json::Value {
    json!({
        "code": status, "reason": format!("BAD_KEY_{KEY}"),
        "message": format!("the key {KEY} is not valid"), "metadata": {"key": KEY}
    })
}

fn task(status: &str, task_id: &str) -> serde_json::Value {
    json!({
        "task": {"task_id": task_id, "task_type": "WAN_TXT_TO_VIDEO", "status": status,
                 "reason": format!("refused for {KEY}"), "eta": 0, "progress_percent": 100},
        "extra": {"debug_info": {"request_info": format!("Authorization: Bearer {KEY}")}},
        "images": [],
        "videos": [{"video_url": format!("/v/{KEY}.mp4"), "video_url_ttl": "3600", "video_type": "mp4"}]
    })
}

fn request() -> Wan27T2vRequest {
    Wan27T2vRequest::builder()
        .prompt("a fox")
        .try_into()
        .unwrap()
}

/// Formats `error` every way and looks for the key; returns the error's variant name.
fn assert_error_hides_the_key(error: &Error) -> String {
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
        std::error::Error::source(error).map_or(String::new(), |s| format!("{s} {s:?}")),
    ] {
        assert_hidden(&text);
    }
    format!("{error:?}")
        .split([' ', '(', '{'])
        .next()
        .unwrap()
        .to_string()
}

// Long, as one table: every kind of error the key can reach, and at the end the list of the
// kinds seen, so that a kind that stops being made is seen missing.
#[tokio::test]
async fn no_error_shows_a_key_the_service_echoed() {
    let mut seen = Vec::new();

    // Novita's error JSON, on a submission and on a read.
    let server = answering(ResponseTemplate::new(401).set_body_json(error_body(401))).await;
    let client = echoing_client(&server);
    seen.push(assert_error_hides_the_key(
        &client.submit(&request()).await.unwrap_err(),
    ));
    seen.push(assert_error_hides_the_key(
        &client.task_result("t-1").await.unwrap_err(),
    ));

    // A proxy's HTML page with the key in it.
    let page = format!("<html>invalid key {KEY}</html>");
    let error = read_error(ResponseTemplate::new(502).set_body_string(page.clone())).await;
    seen.push(assert_error_hides_the_key(&error));

    // A 2xx submission answer that is not JSON.
    let server = answering(ResponseTemplate::new(200).set_body_string(page)).await;
    let error = echoing_client(&server)
        .submit(&request())
        .await
        .unwrap_err();
    seen.push(assert_error_hides_the_key(&error));

    // A task result whose field has the wrong type: serde quotes the value.
    let error = read_error(ResponseTemplate::new(200).set_body_json(json!({"task": KEY}))).await;
    seen.push(assert_error_hides_the_key(&error));

    // An answer larger than the limit, starting with the key.
    let big = format!("{KEY}{}", "x".repeat(8192));
    let error = read_error(ResponseTemplate::new(200).set_body_string(big)).await;
    seen.push(assert_error_hides_the_key(&error));

    // A redirect to a URL with the key in its path.
    let error = read_error(
        ResponseTemplate::new(302).insert_header("location", format!("http://elsewhere/{KEY}")),
    )
    .await;
    seen.push(assert_error_hides_the_key(&error));

    // A Retry-After too long to wait for, on an error that echoes the key.
    let server = answering(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "999999")
            .set_body_json(error_body(429)),
    )
    .await;
    let client = NovitaClient::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .build()
        .unwrap();
    seen.push(assert_error_hides_the_key(
        &client.task_result("t-1").await.unwrap_err(),
    ));

    // An answer about another task, named by the key.
    let server =
        answering(ResponseTemplate::new(200).set_body_json(task("TASK_STATUS_SUCCEED", KEY))).await;
    let error = echoing_client(&server)
        .task_result("t-1")
        .await
        .unwrap_err();
    seen.push(assert_error_hides_the_key(&error));

    // A failed task whose reason and result echo the key, waited for and downloaded.
    let server =
        answering(ResponseTemplate::new(200).set_body_json(task("TASK_STATUS_FAILED", "t-1")))
            .await;
    let client = echoing_client(&server);
    let error = client
        .wait("t-1", WaitOptions::default())
        .await
        .unwrap_err();
    seen.push(assert_error_hides_the_key(&error));
    let mut updates = std::pin::pin!(client.watch("t-1", Default::default()));
    let update = futures_util::StreamExt::next(&mut updates)
        .await
        .unwrap()
        .unwrap();
    assert_error_hides_the_key(&update.into_result().unwrap_err());
    let failed = client
        .api()
        .get_task_result()
        .task_id("t-1")
        .send()
        .await
        .unwrap()
        .into_inner();
    let error = client
        .download_video_into(&failed, &mut Vec::new(), |_, _| {})
        .await
        .unwrap_err();
    assert_error_hides_the_key(&error);

    // A video link with the key in its path: refused, then not a video.
    let video = format!("{}/v/{KEY}.mp4", server.uri());
    let forbidden = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&forbidden)
        .await;
    let link = format!("{}/v/{KEY}.mp4", forbidden.uri());
    let error = client
        .download(&link, &mut Vec::new(), |_, _| {})
        .await
        .unwrap_err();
    seen.push(assert_error_hides_the_key(&error));
    let error = client
        .download(&video, &mut Vec::new(), |_, _| {})
        .await
        .unwrap_err();
    seen.push(assert_error_hides_the_key(&error));

    assert_eq!(
        seen,
        [
            "Api",
            "Api",
            "UnexpectedBody",
            "SubmissionAnswerUnreadable",
            "Decode",
            "AnswerTooLarge",
            "Redirected",
            "RetryAfterTooLong",
            "WrongTask",
            "TaskFailed",
            "Download",
            "NotAVideo"
        ],
        "each answer makes the error it is meant to"
    );
}
