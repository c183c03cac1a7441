//! Slow or dropped connections do not stall other clients: a bounded number of connections
//! that send half a request and stop, or vanish mid-body, while normal clients keep working.

use crate::common;

use std::time::Duration;

use common::start_default;
use serde_json::json;
use tokio::{io::AsyncWriteExt, net::TcpStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_do_not_stall_others() {
    let mock = start_default().await;
    let addr = mock.server.addr();
    let mut stalled = Vec::new();
    for i in 0..200 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let partial = if i % 2 == 0 {
            // Headers never finished.
            "POST /v3/async/wan-t2v HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer k\r\n"
                .to_string()
        } else {
            // A body announced but never sent in full.
            "POST /v3/async/wan-t2v HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"prompt\":".to_string()
        };
        stream.write_all(partial.as_bytes()).await.unwrap();
        stalled.push(stream);
    }
    // Connections that drop mid-request.
    for _ in 0..50 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /v3/async/wan-t2v HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"pr")
            .await
            .unwrap();
        drop(stream);
    }
    // A guard only, generous: the mock answers at once unless the slow connections block it.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for _ in 0..50 {
        let response = client
            .post(mock.url("/v3/async/wan-t2v"))
            .header("authorization", "Bearer k")
            .json(&json!({"prompt": "still served"}))
            .send()
            .await
            .expect("served despite the slow connections");
        assert_eq!(response.status(), 200);
    }
    let (_, journal) = mock
        .control(reqwest::Method::GET, "/_mock/journal?limit=0", None)
        .await;
    assert_eq!(
        journal["total_recorded"], 50,
        "half-sent requests are not recorded as requests"
    );
    drop(stalled);
}
