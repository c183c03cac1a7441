//! What a download never does: send a link's secrets to the log, fetch a link it cannot
//! trust, or replace anything at `--out` but a regular file of its own.

use crate::common;

use common::{client_for, mp4_bytes, KEY};
use novita_video::{Error, NovitaClient};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// A server that answers every GET with 403.
async fn forbidding_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    server
}

/// The error of downloading `link` to `to` with a client of `server`.
async fn failed_download(server: &MockServer, link: &str, to: std::path::PathBuf) -> Error {
    client_for(server)
        .download_to_file(link, to, |_, _| {})
        .await
        .unwrap_err()
}

#[tokio::test]
async fn errors_name_the_video_link_without_its_signature() {
    let server = forbidding_server().await;
    let dir = tempfile::tempdir().unwrap();
    let signed = format!(
        "{}/v.mp4?X-Amz-Signature=secret123&X-Amz-Credential=me",
        server.uri()
    );
    let error = failed_download(&server, &signed, dir.path().join("v.mp4")).await;
    assert!(matches!(error, Error::Download { .. }), "{error:?}");
    assert!(error.to_string().contains("/v.mp4?…"), "{error}");
    assert!(!error.to_string().contains("secret123"), "{error}");
    // An unreachable link: reqwest's own message would carry the URL too.
    let unreachable = "http://127.0.0.1:9/v.mp4?X-Amz-Signature=secret123";
    let error = failed_download(&server, unreachable, dir.path().join("w.mp4")).await;
    assert!(!error.to_string().contains("secret123"), "{error}");
}

#[tokio::test]
async fn errors_name_the_video_link_without_its_password() {
    let server = forbidding_server().await;
    let dir = tempfile::tempdir().unwrap();
    let with_password = server.uri().replace("http://", "http://qa:hunter2@") + "/v.mp4";
    let error = failed_download(&server, &with_password, dir.path().join("v.mp4")).await;
    assert!(matches!(error, Error::Download { .. }), "{error:?}");
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert!(!error.to_string().contains("qa:"), "{error}");
    assert!(error.to_string().contains("/v.mp4"), "{error}");
}

#[tokio::test]
async fn a_link_that_cannot_be_fetched_is_named_and_nothing_is_sent() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    for (link, why) in [
        ("", "it is empty"),
        ("  ", "it is empty"),
        ("videos/v.mp4", "it is relative, with no host"),
        ("/_mock/videos/v.mp4", "it is relative, with no host"),
        ("file:///etc/passwd", "it is not http or https"),
        ("ftp://host/v.mp4", "it is not http or https"),
        ("http://", "it is not a URL"),
    ] {
        let error = client_for(&server)
            .download_to_file(link, dir.path().join("v.mp4"), |_, _| {})
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::BadVideoLink { why: said, .. } if said == why),
            "{link:?}: {error:?}"
        );
        assert!(!error.to_string().contains("builder error"), "{error}");
        assert!(!dir.path().join("v.mp4").exists(), "{link:?}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn a_base_url_with_credentials_a_query_or_a_fragment_is_refused() {
    for url in [
        "https://user:pw@api.novita.ai",
        "https://user@api.novita.ai",
        "https://api.novita.ai/?key=1",
        "https://api.novita.ai/#top",
    ] {
        let built = NovitaClient::builder().api_key(KEY).base_url(url).build();
        assert!(matches!(built, Err(Error::Config(_))), "{url}");
        if let Err(error) = built {
            assert!(!error.to_string().contains("pw"), "{error}");
        }
    }
    assert!(NovitaClient::builder()
        .api_key(KEY)
        .base_url("https://api.novita.ai/")
        .build()
        .is_ok());
}

#[cfg(unix)]
#[tokio::test]
async fn out_never_replaces_a_link_a_pipe_a_device_or_a_directory() {
    use std::os::unix::fs::FileTypeExt;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4_bytes(1000), "video/mp4"))
        .mount(&server)
        .await;
    let url = format!("{}/v.mp4", server.uri());
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept.txt");
    std::fs::write(&kept, b"precious").unwrap();
    let link = dir.path().join("link.mp4");
    std::os::unix::fs::symlink(&kept, &link).unwrap();
    let fifo = dir.path().join("pipe.mp4");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let subdir = dir.path().join("videos");
    std::fs::create_dir(&subdir).unwrap();
    let client = client_for(&server);
    for (target, kind) in [
        (&link, "symbolic link"),
        (&fifo, "named pipe"),
        (&std::path::PathBuf::from("/dev/null"), "device"),
        (&subdir, "directory"),
    ] {
        let error = client
            .download_to_file(&url, target, |_, _| {})
            .await
            .unwrap_err();
        assert!(error.to_string().contains(kind), "{kind}: {error}");
    }
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&kept).unwrap(), b"precious");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    // Nothing was left beside them: no `videos.part`, no hidden partial file.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[tokio::test]
async fn an_existing_part_file_is_left_alone_and_a_failed_download_leaves_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ok.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4_bytes(1000), "video/mp4"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/gone.mp4"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v.mp4");
    let theirs = dir.path().join("v.mp4.part");
    std::fs::write(&theirs, b"someone else's").unwrap();
    let client = client_for(&server);
    let failed = client
        .download_to_file(&format!("{}/gone.mp4", server.uri()), &out, |_, _| {})
        .await;
    assert!(matches!(failed, Err(Error::Download { .. })), "{failed:?}");
    assert_eq!(std::fs::read(&theirs).unwrap(), b"someone else's");
    let written = client
        .download_to_file(&format!("{}/ok.mp4", server.uri()), &out, |_, _| {})
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap().len() as u64, written);
    assert_eq!(std::fs::read(&theirs).unwrap(), b"someone else's");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no partial file left"
    );
}
