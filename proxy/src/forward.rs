//! The proxy's two handlers: every request is forwarded to the upstream and its answer sent
//! back as it came (JSON answers up to a cap are read to be checked, anything else streams
//! through); relayed webhook events are checked and forwarded to the receiver the caller named.

use std::{sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{Path, Request, State},
    http::{HeaderMap, HeaderName, StatusCode},
    response::Response,
    routing::post,
    Router,
};
use futures_util::{stream::BoxStream, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use crate::{
    drift::{self, Finding},
    relay::RELAY_PREFIX,
    Contract,
};

/// Request bodies are read up to this size (inline images make submissions large).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// JSON answers are read for checking up to this size. A larger one is forwarded as it streams
/// in, unchecked and unrecorded, and reported as drift (the check could not be made).
pub const MAX_CHECKED_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// How relayed webhook events are named in the report.
pub const WEBHOOK_PATH: &str = "(webhook event)";

pub fn router(contract: Arc<Contract>) -> Router {
    Router::new()
        .route(&format!("{RELAY_PREFIX}{{token}}"), post(relay_event))
        .fallback(forward)
        .with_state(contract)
}

/// Headers that belong to one connection, not to the message: never forwarded.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host"
            | "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

fn copy_headers(from: &HeaderMap, mut to: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    for (name, value) in from {
        // The length is the body's own, set again by the HTTP client (a rewritten body differs).
        // Answers are asked for uncompressed so that the proxy can read them: the caller gets
        // the same body, only not compressed.
        if !is_hop_by_hop(name) && name != "content-length" && name != "accept-encoding" {
            to = to.header(name, value);
        }
    }
    to
}

fn answer_with(status: StatusCode, headers: &HeaderMap, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    for (name, value) in headers {
        if !is_hop_by_hop(name) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// An error answer of the proxy's own, in Novita's error body.
fn proxy_error(status: StatusCode, reason: &str, message: String) -> Response {
    let body =
        json!({"code": status.as_u16(), "reason": reason, "message": message, "metadata": {}});
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

/// A body that fails at once: the caller sees the connection close without an answer, as the
/// proxy did.
fn dropped() -> Response {
    Response::new(Body::from_stream(futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("upstream closed the connection"))
    })))
}

/// One forwarded request, as the report and the recorder name it.
struct Exchange {
    method: String,
    path: String,
    body: Bytes,
    is_submit: bool,
}

async fn forward(State(contract): State<Arc<Contract>>, request: Request) -> Response {
    if let Some(refusal) = not_for_forwarding(&request) {
        return refusal;
    }
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let target = format!(
        "{}{}",
        contract.upstream,
        request.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let headers = request.headers().clone();
    let body = match axum::body::to_bytes(request.into_body(), MAX_REQUEST_BYTES).await {
        Ok(body) => body,
        Err(e) => {
            return proxy_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "REQUEST_TOO_LARGE",
                format!("novita-proxy reads request bodies up to {MAX_REQUEST_BYTES} bytes ({e})"),
            )
        }
    };
    contract.count_exchange();
    let findings = if contract.check_requests {
        drift::check_request(method.as_str(), &path, query.as_deref(), &body)
    } else {
        Vec::new()
    };
    let is_submit = drift::submit_operation(method.as_str(), &path).is_some();
    let sent = match (&contract.relay, is_submit) {
        (Some(relay), true) => relayed_body(relay, &body),
        _ => body.clone(),
    };
    let outgoing = copy_headers(&headers, contract.http.request(method.clone(), &target));
    let exchange = Exchange {
        method: method.to_string(),
        path,
        body,
        is_submit,
    };
    let sent = tokio::time::timeout(contract.upstream_timeout, outgoing.body(sent).send()).await;
    match sent {
        Err(_) => gave_no_answer(&contract, &exchange, findings),
        Ok(Err(e)) if e.is_timeout() => gave_no_answer(&contract, &exchange, findings),
        Ok(Err(e)) => failed_to_answer(&contract, &exchange, &e, findings),
        Ok(Ok(answer)) => answer_back(&contract, &exchange, answer, findings).await,
    }
}

/// The upstream could not be reached, or closed the connection before its answer's headers.
fn failed_to_answer(
    contract: &Contract,
    exchange: &Exchange,
    e: &reqwest::Error,
    findings: Vec<Finding>,
) -> Response {
    let (method, path) = (exchange.method.as_str(), exchange.path.as_str());
    let unreachable = e.is_connect() || e.is_builder();
    let message = if unreachable {
        format!(
            "the upstream {} could not be reached ({e})",
            contract.upstream
        )
    } else {
        format!("the upstream closed the connection without an answer ({e})")
    };
    let message = contract.upstream_failed(method, path, message);
    // The request's own findings still count; status 0 stands for "no answer".
    let status = if unreachable { 502 } else { 0 };
    contract.drifted(method, path, status, findings);
    if unreachable {
        proxy_error(StatusCode::BAD_GATEWAY, "UPSTREAM_UNREACHABLE", message)
    } else {
        dropped()
    }
}

/// The upstream's answer, checked and recorded where it can be read, passed on to the caller.
async fn answer_back(
    contract: &Arc<Contract>,
    exchange: &Exchange,
    answer: reqwest::Response,
    mut findings: Vec<Finding>,
) -> Response {
    let (method, path) = (exchange.method.as_str(), exchange.path.as_str());
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let kind = content_type(&answer_headers);
    // Compressed all the same (the proxy asked for no compression): passed on, not read.
    let coding = answer_headers
        .get("content-encoding")
        .filter(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if coding.is_some() || !drift::is_json(&kind) {
        if let Some(coding) = coding {
            // Drift, so that --fail-on-drift notices an exchange it could not check.
            let coding = coding.to_str().unwrap_or("?");
            findings.push((
                String::new(),
                format!(
                    "the answer came compressed (content-encoding: {coding}) although \
                     novita-proxy asked for none; it was forwarded as it came, not checked"
                ),
            ));
        } else {
            let checked =
                drift::check_answer(&contract.spec, method, path, status.as_u16(), &kind, None);
            findings.extend(checked);
        }
        contract.drifted(method, path, status.as_u16(), findings);
        let stream = watched(contract, method, path, answer.bytes_stream().boxed());
        return answer_with(status, &answer_headers, Body::from_stream(stream));
    }
    let limit = contract.upstream_timeout;
    let bytes = match read_capped(answer).await {
        Capped::Whole(bytes) => bytes,
        Capped::TooLarge { read, rest } => {
            findings.push((String::new(), too_large_to_check()));
            contract.drifted(method, path, status.as_u16(), findings);
            // What was read goes first, then the rest as it comes.
            let read = futures_util::stream::iter(read.into_iter().map(Ok));
            let stream = watched(contract, method, path, read.chain(rest).boxed());
            return answer_with(status, &answer_headers, Body::from_stream(stream));
        }
        Capped::Failed(e) if e.is_timeout() => {
            // Nothing was sent to the caller yet: it can still get a proper answer.
            let message = contract.upstream_failed(method, path, stalled(limit));
            contract.drifted(method, path, 504, findings);
            return proxy_error(StatusCode::GATEWAY_TIMEOUT, "UPSTREAM_TIMEOUT", message);
        }
        Capped::Failed(e) => {
            contract.upstream_failed(method, path, broke_off(&e, limit));
            contract.drifted(method, path, status.as_u16(), findings);
            return dropped();
        }
    };
    let checked = drift::check_answer(
        &contract.spec,
        method,
        path,
        status.as_u16(),
        &kind,
        Some(&bytes),
    );
    findings.extend(checked);
    contract.drifted(method, path, status.as_u16(), findings);
    if status.is_success() {
        if exchange.is_submit {
            contract.record(|r| r.submitted(path, &exchange.body, status.as_u16(), &bytes));
        } else if path == drift::TASK_RESULT_PATH {
            contract.record(|r| r.result(status.as_u16(), &bytes));
        }
    }
    answer_with(status, &answer_headers, Body::from(bytes))
}

/// The proxy's own answer to a request that names no resource of the upstream: a tunnel
/// (`CONNECT host:port`) or the server as a whole (`OPTIONS *`). Neither is forwarded, counted
/// as an exchange or reported.
fn not_for_forwarding(request: &Request) -> Option<Response> {
    let message = if request.method() == axum::http::Method::CONNECT {
        "novita-proxy forwards requests to its upstream and opens no tunnels (CONNECT)"
    } else if !request.uri().path().starts_with('/') {
        // `OPTIONS *` (asterisk form); hyper hands other forms over with a path.
        "novita-proxy answers requests for a path of its upstream, not OPTIONS * or another \
         request without a path"
    } else {
        return None;
    };
    let mut response = proxy_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        message.into(),
    );
    response.headers_mut().insert(
        axum::http::header::ALLOW,
        axum::http::HeaderValue::from_static("GET, HEAD, POST"),
    );
    Some(response)
}

/// The upstream gave no answer's headers within the limit: reported, and a 504 for the caller.
fn gave_no_answer(contract: &Contract, exchange: &Exchange, findings: Vec<Finding>) -> Response {
    let (method, path) = (exchange.method.as_str(), exchange.path.as_str());
    let message = format!(
        "the upstream {} gave no answer within {}s",
        contract.upstream,
        contract.upstream_timeout.as_secs_f64()
    );
    let message = contract.upstream_failed(method, path, message);
    contract.drifted(method, path, 504, findings);
    proxy_error(StatusCode::GATEWAY_TIMEOUT, "UPSTREAM_TIMEOUT", message)
}

fn too_large_to_check() -> String {
    format!(
        "the answer is larger than {MAX_CHECKED_ANSWER_BYTES} bytes, the most novita-proxy reads \
         to check; it was forwarded unchecked"
    )
}

fn stalled(limit: Duration) -> String {
    format!("the answer stalled: no bytes for {}s", limit.as_secs_f64())
}

fn broke_off(error: &reqwest::Error, limit: Duration) -> String {
    if error.is_timeout() {
        stalled(limit)
    } else {
        format!("the answer broke off ({error})")
    }
}

type Chunks = BoxStream<'static, reqwest::Result<Bytes>>;

/// A JSON answer read up to [`MAX_CHECKED_ANSWER_BYTES`].
enum Capped {
    Whole(Bytes),
    /// Past the cap: the chunks read so far, and the rest of the body unread.
    TooLarge {
        read: Vec<Bytes>,
        rest: Chunks,
    },
    Failed(reqwest::Error),
}

async fn read_capped(answer: reqwest::Response) -> Capped {
    let declared = answer.content_length();
    let mut rest = answer.bytes_stream().boxed();
    if declared.is_some_and(|n| n > MAX_CHECKED_ANSWER_BYTES as u64) {
        return Capped::TooLarge {
            read: Vec::new(),
            rest,
        };
    }
    let mut read = Vec::new();
    let mut size = 0;
    while let Some(chunk) = rest.next().await {
        match chunk {
            Ok(chunk) => {
                size += chunk.len();
                read.push(chunk);
                if size > MAX_CHECKED_ANSWER_BYTES {
                    return Capped::TooLarge { read, rest };
                }
            }
            Err(e) => return Capped::Failed(e),
        }
    }
    match <[Bytes; 1]>::try_from(read) {
        Ok([only]) => Capped::Whole(only),
        Err(read) => Capped::Whole(read.concat().into()),
    }
}

/// The body as it streams to the caller; a failure on the way is reported.
fn watched(contract: &Arc<Contract>, method: &str, path: &str, body: Chunks) -> Chunks {
    let watcher = contract.clone();
    let (method, path) = (method.to_string(), path.to_string());
    body.inspect_err(move |e| {
        let message = broke_off(e, watcher.upstream_timeout);
        watcher.upstream_failed(&method, &path, message);
    })
    .boxed()
}

/// The submission with its webhook pointed at the proxy (unchanged when it has none, or is
/// not JSON).
fn relayed_body(relay: &crate::relay::Relay, body: &Bytes) -> Bytes {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return body.clone();
    };
    if relay.rewrite(&mut value) {
        Bytes::from(value.to_string())
    } else {
        body.clone()
    }
}

async fn relay_event(
    State(contract): State<Arc<Contract>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(receiver) = contract.relay.as_ref().and_then(|r| r.receiver(&token)) else {
        return proxy_error(
            StatusCode::NOT_FOUND,
            "RECEIVER_NOT_FOUND",
            "novita-proxy relays no webhook at this address".into(),
        );
    };
    contract.count_exchange();
    let findings: Vec<Finding> = drift::check_webhook(&contract.spec, &body);
    let outgoing = copy_headers(&headers, contract.http.post(&receiver))
        .timeout(std::time::Duration::from_secs(30))
        .body(body.clone());
    match outgoing.send().await {
        Ok(answer) => {
            let status = answer.status();
            let answer_headers = answer.headers().clone();
            let reply = answer.bytes().await.unwrap_or_default();
            contract.drifted("POST", WEBHOOK_PATH, status.as_u16(), findings);
            contract.record(|r| r.webhook(&body, Some(status.as_u16())));
            answer_with(status, &answer_headers, Body::from(reply))
        }
        Err(e) => {
            contract.drifted("POST", WEBHOOK_PATH, 502, findings);
            contract.record(|r| r.webhook(&body, None));
            // The receiver's address may carry a secret in its query: name its host only.
            let host = url::Url::parse(&receiver)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let message = format!("the webhook receiver at {host} could not be reached ({e})");
            let message = contract.upstream_failed("POST", WEBHOOK_PATH, message);
            proxy_error(StatusCode::BAD_GATEWAY, "RECEIVER_UNREACHABLE", message)
        }
    }
}
