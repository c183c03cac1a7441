//! Novita's task routes are answered by the app itself, not through the router (issue 33): the
//! answers' heads are the router's (`Content-Length` in its place), and what the router alone
//! answers on those paths (another method, `HEAD`) is unchanged.

use crate::common;

use common::{start_default, Mock, KEY};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const SUBMIT: &str = "/v3/async/wan-t2v";
/// A forced fault: its answer names it in `X-Mock-Fault`.
const FAULTED: &str = "X-Mock-Scenario: stuck-queued\r\n";
const BODY: &str = r#"{"prompt":"A red fox trotting through fresh snow","seed":7}"#;

/// Sends `request` on a new connection (which it closes) and reads the whole answer.
async fn exchange(mock: &Mock, request: &str) -> String {
    let mut stream = TcpStream::connect(mock.server.addr()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8(answer).unwrap()
}

fn post(host: &str, extra: &str) -> String {
    format!(
        "POST {SUBMIT} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
        BODY.len()
    )
}

/// The header names of `answer`'s head in order, and its body.
fn head_and_body(answer: &str) -> (Vec<String>, &str) {
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole head");
    let names = head
        .lines()
        .skip(1)
        .map(|line| line.split_once(':').expect("a header").0.to_string())
        .collect();
    (names, body)
}

fn content_length(answer: &str) -> usize {
    answer
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("a content-length")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn answers_carry_the_routers_content_length_in_its_place() {
    let mock = start_default().await;
    let accepted = exchange(&mock, &post("127.0.0.1", "")).await;
    assert!(accepted.starts_with("HTTP/1.1 200 OK\r\n"), "{accepted}");
    let (names, body) = head_and_body(&accepted);
    // The router's order: its `Content-Length` comes before what hyper adds (`connection`).
    assert_eq!(
        names,
        ["content-type", "content-length", "connection", "date"]
    );
    assert_eq!(content_length(&accepted), body.len());

    let faulted = exchange(&mock, &post("127.0.0.1", FAULTED)).await;
    let (names, body) = head_and_body(&faulted);
    assert_eq!(
        names,
        [
            "content-type",
            "x-mock-fault",
            "content-length",
            "connection",
            "date"
        ]
    );
    assert!(body.contains("task_id"), "{body}");

    let refused = exchange(&mock, &post("evil.example", "")).await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    let (names, body) = head_and_body(&refused);
    assert!(names.contains(&"content-length".to_string()), "{names:?}");
    assert_eq!(content_length(&refused), body.len());
}

#[tokio::test]
async fn other_methods_and_head_are_still_the_routers() {
    let mock = start_default().await;
    let other = format!("GET {SUBMIT} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let other = exchange(&mock, &other).await;
    assert!(other.starts_with("HTTP/1.1 405"), "{other}");
    assert!(other.contains("\r\nallow: POST\r\n"), "{other}");

    let head = format!(
        "HEAD /v3/async/task-result?task_id=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {KEY}\r\nConnection: close\r\n\r\n"
    );
    let head = exchange(&mock, &head).await;
    let (_, body) = head_and_body(&head);
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert!(body.is_empty(), "no body to HEAD: {head}");
}
