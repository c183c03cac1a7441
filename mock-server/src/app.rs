//! The router: Novita's endpoints, the control API, videos, and the journal around them.

use std::{
    future::Future,
    sync::{Arc, LazyLock},
    time::Instant,
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{header, request::Parts, HeaderValue, Method, Uri},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use hyper::body::Incoming;
use serde_json::json;

use crate::{
    body_budget::{Readable, MAX_BODY},
    catalogue::Endpoint,
    conn,
    control::{origin, routes, routes::Route, token},
    novita_api::{find_header, forced::NoAnswer, handlers},
    novita_error::NovitaError,
    otel,
    sim::clock::unix_ms_now,
    sim::faults::FAULT_NAME,
    sim::outcomes::SCENARIO_NAME,
    state::AppState,
    traffic::journal::JournalEntry,
    video_links, wire,
};

/// The mock's service: Novita's task routes answered by [`App`] directly, everything else by
/// the router.
pub fn router(state: AppState) -> App {
    let router = routes_of(state.clone());
    // Made at start, not by the first answer.
    wire::prepare_headers();
    let rows = Novita::ALL.map(|novita| state.observer.route(Some(novita.path())));
    App(Arc::new(AppParts {
        // The request span is a router layer: a mock exporting traces routes every request.
        direct: state.otel.is_none(),
        state,
        router,
        rows,
    }))
}

fn routes_of(state: AppState) -> Router {
    state.observer.serve_routes(
        &ROUTE_TEMPLATES
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let mut novita = Router::new();
    for endpoint in Endpoint::ALL {
        novita = novita.route(
            endpoint.path(),
            post(move |state, request| handlers::submit(state, endpoint, request)),
        );
    }
    let novita = novita
        .route(RESULT_PATH, get(handlers::result))
        .route_layer(middleware::from_fn_with_state(state.clone(), origin::guard));
    let [(_, health_path, health_answer), (_, video_path, video_answer)] = open_routes();
    let router = novita
        .route(health_path, health_answer)
        .route(
            video_path,
            video_answer.route_layer(middleware::from_fn_with_state(
                state.clone(),
                origin::host_guard,
            )),
        )
        .route(
            "/favicon.ico",
            get(|| async { axum::http::StatusCode::NO_CONTENT }),
        )
        .nest(
            "/_mock",
            routes::routes()
                .route_layer(middleware::from_fn_with_state(state.clone(), token::guard)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(MAX_BODY));
    // Only a mock that exports traces has the request span's layer: off, it costs nothing.
    let router = match &state.otel {
        Some(traces) => router.layer(middleware::from_fn_with_state(
            traces.clone(),
            otel::spans::request_span,
        )),
        None => router,
    };
    router.with_state(state)
}

/// The mock as the server loop calls it. A submission or a poll would go through the router's
/// machinery (the route's lookup, its extensions, a boxed and moved future per layer) for what
/// a comparison of its path decides: the app answers those itself, in the same steps as the
/// router's layers (counted, read and journaled, the `Host` guard, the handler) and with the
/// same answers (`Content-Length` too, set before hyper adds `Connection: close`). The router
/// keeps the same routes, for the rest of their answers (`Allow` on another method, `HEAD`)
/// and for a mock that exports traces.
#[derive(Clone)]
pub struct App(Arc<AppParts>);

struct AppParts {
    state: AppState,
    router: Router,
    direct: bool,
    /// The request counts' row of each of [`Novita::ALL`], looked up once.
    rows: [usize; Novita::ALL.len()],
}

/// A request for one of Novita's task routes.
#[derive(Clone, Copy)]
enum Novita {
    Submit(Endpoint),
    Result,
}

const RESULT_PATH: &str = "/v3/async/task-result";

impl Novita {
    const ALL: [Novita; Endpoint::ALL.len() + 1] = {
        let mut all = [Novita::Result; Endpoint::ALL.len() + 1];
        let mut i = 0;
        while i < Endpoint::ALL.len() {
            all[i] = Novita::Submit(Endpoint::ALL[i]);
            i += 1;
        }
        all
    };

    /// The route of a request, and its place in [`Novita::ALL`].
    fn of(method: &Method, path: &str) -> Option<(Novita, usize)> {
        if !path.starts_with("/v3/async/") {
            return None;
        }
        if *method == Method::GET {
            return (path == RESULT_PATH).then_some((Novita::Result, Endpoint::ALL.len()));
        }
        if *method != Method::POST {
            return None;
        }
        let at = Endpoint::ALL.iter().position(|e| e.path() == path)?;
        Some((Novita::Submit(Endpoint::ALL[at]), at))
    }

    fn path(self) -> &'static str {
        match self {
            Novita::Submit(endpoint) => endpoint.path(),
            Novita::Result => RESULT_PATH,
        }
    }
}

impl conn::Handle for App {
    async fn handle(self, request: Request<Incoming>) -> Response {
        let app = &self.0;
        let novita = match app.direct {
            true => Novita::of(request.method(), request.uri().path()),
            false => None,
        };
        match novita {
            Some((novita, at)) => app.novita(novita, app.rows[at], request).await,
            None => app.router.clone().handle(request).await,
        }
    }
}

impl AppParts {
    /// Answers `request` to `novita`, counted in the request counts' `route` row.
    async fn novita(&self, novita: Novita, route: usize, request: Request<Incoming>) -> Response {
        let state = &self.state;
        let mut response = counted(
            state,
            route,
            request,
            // The handlers check the origin first, as the router's guard would.
            move |parts: Parts, body| async move {
                match novita {
                    Novita::Submit(endpoint) => {
                        handlers::submit_read(state, endpoint, parts.headers, body, true).await
                    }
                    Novita::Result => {
                        handlers::result_of(state, parts.headers, &parts.uri, true).await
                    }
                }
                .into_response()
            },
        )
        .await;
        set_content_length(&mut response);
        response
    }
}

/// What the router adds to every answer of a route: its `Content-Length`, when the body's
/// size is known. Set here, not left to hyper, which writes its own after the headers it adds.
fn set_content_length(response: &mut Response) {
    let Some(size) = response.body().size_hint().exact() else {
        return;
    };
    // A value already there stays, as with the router. An answer has few headers: walking
    // them costs less than hashing the name.
    let headers = response.headers_mut();
    if !headers.keys().any(|name| name == header::CONTENT_LENGTH) {
        headers.insert(header::CONTENT_LENGTH, wire::content_length(size as usize));
    }
}

/// The routes of the control spec outside the token guard: liveness (open to all) and the
/// video links (which [`router`] puts behind the `Host` guard), in that order.
fn open_routes() -> [Route; 2] {
    [
        routes::route(Method::GET, "/health", health),
        routes::route(Method::GET, "/_mock/videos/{file}", video_links::video),
    ]
}

/// Every route `openapi/mock-control.yaml` describes, as (method, path) and as the router
/// serves them: `/health`, the video links and the control API under `/_mock`.
pub fn control_routes() -> Vec<(String, String)> {
    let open = open_routes()
        .into_iter()
        .map(|(method, path, _)| (method.to_string(), path.to_string()));
    let control = routes::listed()
        .into_iter()
        .map(|(method, path)| (method.to_string(), format!("/_mock{path}")));
    open.chain(control).collect()
}

/// Every route the router serves, as it matches them (`/_mock/tasks/{id}`): what the request
/// metrics are counted by, with one more label for paths that are no route.
static ROUTE_TEMPLATES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut all: Vec<String> = Endpoint::ALL.iter().map(|e| e.path().into()).collect();
    all.push(RESULT_PATH.into());
    all.push("/favicon.ico".into());
    for (_, path) in control_routes() {
        if !all.contains(&path) {
            all.push(path);
        }
    }
    all
});

/// Liveness and the store's counts; open to all, like Novita's own routes.
async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    let mut answer = json!({
        "status": "ok",
        "tasks": state.tasks.len(),
        "evicted": state.tasks.evicted(),
        "task_bytes": state.tasks.bytes(),
        "webhooks_pending": state.scheduler.pending(),
        "webhooks_dropped": state.scheduler.dropped(),
        "body_budget_free": state.body_budget.available(),
        "clock": state.clock.view(),
    });
    if let Some(traces) = &state.otel {
        answer["traces"] = json!({
            "exported": traces.counts().exported(),
            "dropped": traces.counts().dropped(),
        });
    }
    Json(answer)
}

async fn not_found(uri: Uri) -> NovitaError {
    NovitaError::api_not_found(uri.path())
}

/// A known path asked with another method; axum adds the `Allow` header to this answer.
async fn method_not_allowed(method: Method, uri: Uri) -> NovitaError {
    NovitaError::method_not_allowed(method.as_str(), uri.path())
}

/// Counts every answer by route template and status (the observer), around [`journal`].
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>();
    let route = state.observer.route(route.map(MatchedPath::as_str));
    counted(&state, route, request, |parts, bytes| {
        next.run(Request::from_parts(parts, Body::from(bytes)))
    })
    .await
}

/// What the observer counts of a request of `route` (its row) that `answer` answers once
/// [`journal`] has read its body.
async fn counted<B, A, F>(
    state: &AppState,
    route: usize,
    request: Request<B>,
    answer: A,
) -> Response
where
    B: Readable,
    A: FnOnce(Parts, Bytes) -> F,
    F: Future<Output = Response>,
{
    let method = request.method().clone();
    let at_unix_ms = unix_ms_now();
    let response = journal(state, request, answer, at_unix_ms).await;
    state
        .observer
        .request(at_unix_ms, &method, route, answered(&response));
    response
}

/// The status of `response`; `None` when no answer is to be sent (dropped or stalled).
fn answered(response: &Response) -> Option<u16> {
    response
        .extensions()
        .get::<NoAnswer>()
        .is_none()
        .then(|| response.status().as_u16())
}

/// Reads every request's body within the body budget, and records every request to the
/// Novita API (not the control API, videos, health or the browser's favicon request) in the
/// journal, with its body and the status of the answer.
async fn journal<B, A, F>(
    state: &AppState,
    request: Request<B>,
    answer: A,
    at_unix_ms: u64,
) -> Response
where
    B: Readable,
    A: FnOnce(Parts, Bytes) -> F,
    F: Future<Output = Response>,
{
    let path = request.uri().path();
    let journaled = !(path.starts_with("/_mock/") || path == "/health" || path == "/favicon.ico");
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    // Held until the answer is ready: the handler's parsed copies of the body count too.
    let (bytes, _reservation) = match state.body_budget.read(body).await {
        Ok(read) => read,
        Err(unread) => return NovitaError::from(unread).into_response(),
    };
    if !journaled {
        return answer(parts, bytes).await;
    }
    let mut entry = JournalEntry::new(parts.method.clone(), &parts.uri, &bytes);
    entry.scenario = text_of(find_header(&parts.headers, SCENARIO_NAME));
    let response = answer(parts, bytes).await;
    entry.at_unix_ms = at_unix_ms;
    entry.status = answered(&response);
    entry.fault = text_of(find_header(response.headers(), FAULT_NAME));
    entry.duration_ms = started.elapsed().as_millis() as u64;
    state.journal.record(entry);
    response
}

fn text_of(value: Option<&HeaderValue>) -> Option<Box<str>> {
    value.and_then(|v| v.to_str().ok()).map(Box::from)
}
