//! What `novita-proxy`'s contract proxy forwards untouched: requests and their headers,
//! compressed, large and streamed answers, answers past its check cap; and how it answers for
//! an upstream that is down or stalls.

use crate::common;

use common::{proxy_in_front_of, read_result, submit_t2v, through_proxy, upstream_answering, KEY};
use novita_proxy::{report::Report, ContractProxy, ProxyOptions};
use serde_json::{json, Value};
use wiremock::{
    matchers::{header, method, path},
    Mock, MockServer, ResponseTemplate,
};

#[tokio::test]
async fn requests_reach_the_upstream_unchanged_headers_included() {
    let upstream = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/async/wan2.7-t2v"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("x-mock-scenario", "slow-day"))
        .and(header("x-custom", "kept"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"task_id": "t-1"}))
                .insert_header("x-request-id", "r-9"),
        )
        .expect(1)
        .mount(&upstream)
        .await;
    let proxy = proxy_in_front_of(&upstream.uri(), false, false).await;
    let answer = submit_t2v(&reqwest::Client::new(), proxy.url())
        .header("accept-encoding", "gzip")
        .header("x-mock-scenario", "slow-day")
        .header("x-custom", "kept")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["x-request-id"], "r-9");
    assert_eq!(answer.text().await.unwrap(), r#"{"task_id":"t-1"}"#);
    upstream.verify().await;
    let sent = &upstream.received_requests().await.unwrap()[0];
    assert_eq!(
        serde_json::from_slice::<Value>(&sent.body).unwrap(),
        json!({"prompt": "A red fox."})
    );
    assert!(
        sent.headers.get("accept-encoding").is_none(),
        "the proxy asks for answers it can read"
    );
    assert_eq!(proxy.contract().report().drift, []);
}

#[tokio::test]
async fn a_compressed_answer_is_passed_on_unread_and_reported_unchecked() {
    let compressed = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    let upstream = upstream_answering(
        "/v3/async/task-result",
        "GET",
        ResponseTemplate::new(200)
            .set_body_raw(compressed.clone(), "application/json")
            .insert_header("content-encoding", "gzip"),
    )
    .await;
    let proxy = proxy_in_front_of(&upstream.uri(), false, false).await;
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["content-encoding"], "gzip");
    assert_eq!(answer.bytes().await.unwrap().to_vec(), compressed);
    let report = proxy.contract().report();
    assert_eq!(report.exchanges, 1);
    // Drift, so that --fail-on-drift notices an exchange that was never checked.
    assert_eq!(report.drift.len(), 1, "{report:?}");
    let finding = &report.drift[0];
    assert_eq!((finding.status, finding.pointer.as_str()), (200, ""));
    assert!(
        finding
            .message
            .contains("compressed (content-encoding: gzip)")
            && finding.message.contains("not checked"),
        "{}",
        finding.message
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_in_novitas_shape_and_no_drift() {
    // A port that was free a moment ago: nothing listens there.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let proxy = proxy_in_front_of(&upstream, false, false).await;
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["code"], 502);
    assert_eq!(body["reason"], "UPSTREAM_UNREACHABLE");
    assert!(
        body["message"].as_str().unwrap().contains(&upstream),
        "{body}"
    );
    let report = proxy.contract().report();
    assert_eq!(report.drift, []);
    assert_eq!(report.upstream_failures.len(), 1);
    assert_eq!(report.upstream_failures[0].path, "/v3/async/task-result");
}

#[tokio::test]
async fn a_large_video_streams_through_unchanged() {
    let video: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let upstream = upstream_answering(
        "/videos/v.mp4",
        "GET",
        ResponseTemplate::new(200).set_body_raw(video.clone(), "video/mp4"),
    )
    .await;
    let (status, _, report) = through_proxy(&upstream, |http, base| {
        http.get(format!("{base}/videos/v.mp4"))
    })
    .await;
    assert_eq!(status, 200);
    assert_eq!(report.exchanges, 1);
    assert_eq!(report.drift, []);
    let proxy = proxy_in_front_of(&upstream.uri(), false, false).await;
    let bytes = reqwest::get(format!("{}/videos/v.mp4", proxy.url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes == video, "the video changed on its way");
}

/// A loopback upstream that answers every connection with `head`, then `body` in pieces
/// framed as chunked transfer encoding when `chunked` (so no length is declared), then goes
/// silent without closing when `hang`, until the test ends.
async fn raw_upstream(head: &'static str, body: Vec<u8>, chunked: bool, hang: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(head.as_bytes()).await;
                for piece in body.chunks(64 * 1024) {
                    let framed = if chunked {
                        [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat()
                    } else {
                        piece.to_vec()
                    };
                    if socket.write_all(&framed).await.is_err() {
                        return;
                    }
                }
                if hang {
                    // Never ends the body: the proxy's own limit must cut it. The test's
                    // runtime drops this task when the test ends.
                    std::future::pending::<()>().await;
                } else if chunked {
                    let _ = socket.write_all(b"0\r\n\r\n").await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

/// A task result that is valid JSON and larger than the proxy's check cap.
fn huge_task_result() -> Vec<u8> {
    let padding = "x".repeat(novita_proxy::forward::MAX_CHECKED_ANSWER_BYTES + 1024);
    serde_json::to_vec(&json!({
        "task": {"task_id": "t-1", "status": "TASK_STATUS_SUCCEED"},
        "videos": [], "padding": padding,
    }))
    .unwrap()
}

fn assert_reported_unchecked(report: &Report) {
    assert_eq!(report.upstream_failures, []);
    assert_eq!(report.drift.len(), 1, "{report:?}");
    let drift = &report.drift[0];
    assert_eq!(
        (drift.path.as_str(), drift.status, drift.pointer.as_str()),
        ("/v3/async/task-result", 200, "")
    );
    assert!(
        drift.message.contains("forwarded unchecked"),
        "{}",
        drift.message
    );
}

#[tokio::test]
async fn a_json_answer_past_the_cap_arrives_whole_and_is_reported_unchecked() {
    let body = huge_task_result();
    let upstream = upstream_answering(
        "/v3/async/task-result",
        "GET",
        ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
    )
    .await;
    let proxy = proxy_in_front_of(&upstream.uri(), true, false).await;
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/json");
    assert!(answer.bytes().await.unwrap() == body, "the answer changed");
    assert_reported_unchecked(&proxy.contract().report());
}

#[tokio::test]
async fn a_chunked_json_answer_past_the_cap_arrives_whole_and_is_reported_unchecked() {
    // No length declared: the proxy finds out while reading.
    let body = huge_task_result();
    let upstream = raw_upstream(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        body.clone(),
        true,
        false,
    )
    .await;
    let proxy = proxy_in_front_of(&upstream, false, false).await;
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.bytes().await.unwrap() == body, "the answer changed");
    assert_reported_unchecked(&proxy.contract().report());
}

async fn proxy_with_timeout(upstream: &str) -> ContractProxy {
    let options = ProxyOptions {
        upstream: upstream.to_string(),
        upstream_timeout: std::time::Duration::from_secs(1),
        ..ProxyOptions::default()
    };
    ContractProxy::start(options, false).await.unwrap()
}

async fn assert_504(proxy: &ContractProxy, message: &str) {
    let answer = read_result(&reqwest::Client::new(), proxy.url())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 504);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["code"], 504);
    assert_eq!(body["reason"], "UPSTREAM_TIMEOUT");
    assert!(
        body["message"].as_str().unwrap().contains(message),
        "{body}"
    );
    let report = proxy.contract().report();
    assert_eq!(report.drift, [], "a silent upstream is no drift");
    assert_eq!(report.upstream_failures.len(), 1, "{report:?}");
    assert_eq!(report.upstream_failures[0].path, "/v3/async/task-result");
    assert!(
        report.upstream_failures[0].message.contains(message),
        "{:?}",
        report.upstream_failures
    );
}

#[tokio::test]
async fn an_upstream_that_never_answers_is_a_504_in_novitas_shape() {
    // It takes the connection and the request, and says nothing.
    let upstream = raw_upstream("", Vec::new(), false, true).await;
    let proxy = proxy_with_timeout(&upstream).await;
    assert_504(&proxy, "gave no answer within 1s").await;
}

#[tokio::test]
async fn a_json_answer_that_stalls_before_its_end_is_a_504_too() {
    let upstream = raw_upstream(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n",
        br#"{"task": {"#.to_vec(),
        false,
        true,
    )
    .await;
    let proxy = proxy_with_timeout(&upstream).await;
    assert_504(&proxy, "no bytes for 1s").await;
}

#[tokio::test]
async fn a_zero_upstream_timeout_is_refused() {
    let options = ProxyOptions {
        upstream: "http://127.0.0.1:9".into(),
        upstream_timeout: std::time::Duration::ZERO,
        ..ProxyOptions::default()
    };
    assert!(ContractProxy::start(options, false).await.is_err());
}
