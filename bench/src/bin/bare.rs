//! The ceiling for HTTP on this machine: axum answering every GET and POST with a fixed JSON
//! body, nothing else. The benchmark reports the mock as a fraction of it.
//!
//! `bare 127.0.0.1:PORT`

use axum::{http::header, response::IntoResponse, Router};

const BODY: &str = r#"{"task_id":"00000000-0000-0000-0000-000000000000"}"#;

async fn fixed() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], BODY)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("bare listening on http://{}", listener.local_addr()?);
    axum::serve(listener, Router::new().fallback(fixed)).await
}
