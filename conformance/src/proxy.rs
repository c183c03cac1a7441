//! A recording proxy between the client and the mock: it forwards every request and keeps
//! every answer, so the suite can check each body against the spec. When the mock closes a
//! connection without an answer, the proxy does the same.

use std::sync::{Arc, Mutex};

use axum::{
    body::Body,
    extract::{Request, State},
    response::Response,
    Router,
};
use bytes::Bytes;

/// One answer that passed through.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
}

#[derive(Clone)]
struct Upstream {
    base: String,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
}

pub struct RecordingProxy {
    url: String,
    log: Arc<Mutex<Vec<Exchange>>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl RecordingProxy {
    pub async fn start(upstream: &str) -> RecordingProxy {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Upstream {
            base: upstream.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
            log: log.clone(),
        };
        let app = Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        RecordingProxy {
            url,
            log,
            _shutdown: tx,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().expect("proxy log").clone()
    }
}

async fn forward(State(upstream): State<Upstream>, request: Request) -> Response {
    let method = request.method().clone();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let path = request.uri().path().to_string();
    let headers = request.headers().clone();
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let mut outgoing = upstream
        .http
        .request(method.clone(), format!("{}{path_and_query}", upstream.base));
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.body(body).send().await {
        Ok(answer) => answer,
        Err(_) => return dropped(),
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let Ok(bytes) = answer.bytes().await else {
        return dropped();
    };
    let content_type = answer_headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    upstream.log.lock().expect("proxy log").push(Exchange {
        method: method.to_string(),
        path,
        status: status.as_u16(),
        content_type,
        body: bytes.clone(),
    });
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &answer_headers {
        if name != "content-length" && name != "transfer-encoding" {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

/// A body that fails at once: the client sees the connection close without an answer.
fn dropped() -> Response {
    Response::new(Body::from_stream(futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("upstream closed the connection"))
    })))
}
