//! The video link of a finished task: absent before it, expiring like a signed link, and
//! answering ranges, `If-Range` and cut downloads as a file server would.

use crate::common;

use common::{paused, start};
use novita_mock::Config;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn unfinished_unknown_and_expired_videos() {
    let mock = start(Config {
        video_ttl_seconds: 1,
        ..paused()
    })
    .await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "p"}))
        .await;
    let early = mock
        .http
        .get(mock.url(&format!("/_mock/videos/{id}.mp4")))
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 404, "no video before the task succeeds");
    let unknown = mock
        .http
        .get(mock.url("/_mock/videos/nope.mp4"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    mock.control(Method::POST, &format!("/_mock/tasks/{id}/finish"), None)
        .await;
    let result = mock.result(&id).await.1;
    assert_eq!(result["videos"][0]["video_url_ttl"], "1");
    let url = result["videos"][0]["video_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(mock.http.get(&url).send().await.unwrap().status(), 200);
    mock.advance(1.0).await;
    assert_eq!(
        mock.http.get(&url).send().await.unwrap().status(),
        200,
        "still valid at exactly its TTL"
    );
    mock.advance(0.001).await;
    let expired = mock.http.get(&url).send().await.unwrap();
    assert_eq!(expired.status(), 403);
    assert!(expired
        .text()
        .await
        .unwrap()
        .contains("Request has expired"));
}

/// Submits with an `X-Mock-Scenario` header, finishes the task and returns its video link.
async fn finished_link(mock: &common::Mock, scenario: Option<&str>) -> String {
    let body = json!({"prompt": "p", "size": "1280*720", "duration": 2}).to_string();
    let headers: Vec<(&str, &str)> = scenario
        .map(|s| ("x-mock-scenario", s))
        .into_iter()
        .collect();
    let (status, answer) = mock.post_raw("/v3/async/wan2.7-t2v", &body, &headers).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["task_id"].as_str().unwrap().to_string();
    mock.control(Method::POST, &format!("/_mock/tasks/{id}/finish"), None)
        .await;
    mock.result(&id).await.1["videos"][0]["video_url"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn video_links_answer_single_byte_ranges() {
    let mock = start(paused()).await;
    let url = finished_link(&mock, None).await;
    let get = |range: Option<&str>| {
        let mut request = mock.http.get(&url);
        if let Some(range) = range {
            request = request.header("range", range);
        }
        request.send()
    };
    let whole = get(None).await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let whole = whole.bytes().await.unwrap();
    let length = whole.len();

    for (range, start, end) in [
        ("bytes=0-99".to_string(), 0, 100),
        (format!("bytes={}-", length - 10), length - 10, length),
        ("bytes=-16".to_string(), length - 16, length),
        (format!("bytes=100-{}", length + 500), 100, length),
    ] {
        let part = get(Some(&range)).await.unwrap();
        assert_eq!(part.status(), 206, "{range}");
        assert_eq!(
            part.headers()["content-range"],
            format!("bytes {start}-{}/{length}", end - 1).as_str()
        );
        assert_eq!(
            part.headers()["content-length"],
            (end - start).to_string().as_str()
        );
        assert_eq!(part.bytes().await.unwrap(), whole[start..end], "{range}");
    }

    let past = get(Some(&format!("bytes={length}-"))).await.unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{length}").as_str()
    );
    assert!(past.text().await.unwrap().contains("InvalidRange"));

    for ignored in ["bytes=0-1,4-5", "bytes=9-1", "pages=1-2", "bytes=x-"] {
        let answer = get(Some(ignored)).await.unwrap();
        assert_eq!(answer.status(), 200, "{ignored}");
        assert_eq!(answer.bytes().await.unwrap(), whole, "{ignored}");
    }

    let head = mock.http.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        length.to_string().as_str()
    );
    assert_eq!(head.headers()["accept-ranges"], "bytes");
    assert!(head.bytes().await.unwrap().is_empty());
}

/// A range is sent only for the version the client holds: an `If-Range` naming the link's own
/// `ETag` gets the part, any other (another tag, a date) the whole file with 200 (RFC 9110,
/// 13.1.5).
#[tokio::test]
async fn if_range_gets_the_part_only_for_the_same_version() {
    let mock = start(paused()).await;
    let url = finished_link(&mock, None).await;
    let whole = mock.http.get(&url).send().await.unwrap();
    let etag = whole.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let whole = whole.bytes().await.unwrap();

    let same = mock
        .http
        .get(&url)
        .header("range", "bytes=0-99")
        .header("if-range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 206);
    assert_eq!(same.bytes().await.unwrap(), whole[..100]);

    for other in [
        "\"another-version\"",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        &etag[1..],
    ] {
        let answer = mock
            .http
            .get(&url)
            .header("range", "bytes=0-99")
            .header("if-range", other)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "If-Range: {other}");
        assert!(answer.headers().get("content-range").is_none(), "{other}");
        assert_eq!(answer.bytes().await.unwrap(), whole, "If-Range: {other}");
    }
}

/// `Cache-Control: max-age` is what is left of the link's life (`--video-ttl`), so no cache
/// serves the video past the moment the link would answer 403.
#[tokio::test]
async fn max_age_is_what_is_left_of_the_links_life() {
    let mock = start(Config {
        video_ttl_seconds: 120,
        ..paused()
    })
    .await;
    let url = finished_link(&mock, None).await;
    let max_age = |answer: &reqwest::Response| {
        answer.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let fresh = mock.http.get(&url).send().await.unwrap();
    assert_eq!(max_age(&fresh), "private, max-age=120");
    mock.advance(20.0).await;
    let older = mock.http.get(&url).send().await.unwrap();
    assert_eq!(max_age(&older), "private, max-age=100");
}

#[tokio::test]
async fn a_cut_download_strikes_the_first_full_download_not_a_range() {
    let mock = start(paused()).await;
    let url = finished_link(&mock, Some("cut-download:1000")).await;
    let head = mock.http.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let part = mock
        .http
        .get(&url)
        .header("range", "bytes=0-4999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.bytes().await.unwrap().len(),
        5000,
        "a range is not cut"
    );
    let full = mock.http.get(&url).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert!(
        full.bytes().await.is_err(),
        "the first full download is cut"
    );
    let again = mock.http.get(&url).send().await.unwrap();
    assert!(again.bytes().await.is_ok(), "once");
}
