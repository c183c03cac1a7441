//! The answers the hostile server of `hostile` sends: generated statuses, bytes, JSON-ish
//! values of the wrong types, numbers no float holds, odd framing and headers.

use crate::common;

use proptest::prelude::*;
use serde_json::{json, Value};

/// How the body's length is told.
#[derive(Clone, Debug)]
enum Framing {
    /// `Content-Length` as long as the body.
    Exact,
    /// `Content-Length` this much shorter (or 0) than the body.
    Shorter(usize),
    /// `Content-Length` this much longer than the body, which then ends.
    Longer(usize),
    /// No length: the body ends when the connection closes.
    UntilClose,
    /// `Content-Length` that is no number.
    Garbage(String),
    /// Two `Content-Length` headers that disagree.
    Conflicting,
    /// `Transfer-Encoding: chunked`, well formed.
    Chunked,
    /// `Transfer-Encoding: chunked` with a chunk size that is no hex number.
    BrokenChunks,
}

/// One answer, as the server writes it.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    content_type: Option<Vec<u8>>,
    retry_after: Option<String>,
    location: Option<String>,
    framing: Framing,
    body: Vec<u8>,
}

/// The body as text, so that a shrunk failing case reads.
impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field(
                "content_type",
                &self.content_type.as_deref().map(String::from_utf8_lossy),
            )
            .field("retry_after", &self.retry_after)
            .field("location", &self.location)
            .field("framing", &self.framing)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

impl Answer {
    pub fn bytes(&self) -> Vec<u8> {
        let mut out =
            format!("HTTP/1.1 {} Whatever\r\nconnection: close\r\n", self.status).into_bytes();
        let mut header = |name: &str, value: &[u8]| {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        };
        if let Some(content_type) = &self.content_type {
            header("content-type", content_type);
        }
        if let Some(retry_after) = &self.retry_after {
            header("retry-after", retry_after.as_bytes());
        }
        if let Some(location) = &self.location {
            header("location", location.as_bytes());
        }
        let length = self.body.len();
        let body = match &self.framing {
            Framing::Exact => {
                header("content-length", length.to_string().as_bytes());
                self.body.clone()
            }
            Framing::Shorter(less) => {
                header(
                    "content-length",
                    length.saturating_sub(*less).to_string().as_bytes(),
                );
                self.body.clone()
            }
            Framing::Longer(more) => {
                header("content-length", (length + more).to_string().as_bytes());
                self.body.clone()
            }
            Framing::UntilClose => self.body.clone(),
            Framing::Garbage(text) => {
                header("content-length", text.as_bytes());
                self.body.clone()
            }
            Framing::Conflicting => {
                header("content-length", length.to_string().as_bytes());
                header("content-length", (length + 7).to_string().as_bytes());
                self.body.clone()
            }
            Framing::Chunked | Framing::BrokenChunks => {
                header("transfer-encoding", b"chunked");
                let mut chunked = Vec::new();
                for piece in self.body.chunks(97) {
                    match self.framing {
                        Framing::Chunked => {
                            chunked.extend(format!("{:x}\r\n", piece.len()).bytes())
                        }
                        _ => chunked.extend(b"zz\r\n"),
                    }
                    chunked.extend_from_slice(piece);
                    chunked.extend_from_slice(b"\r\n");
                }
                chunked.extend_from_slice(b"0\r\n\r\n");
                chunked
            }
        };
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
        out
    }
}

/// A JSON value of any shape: the wrong type wherever it lands.
fn junk() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "soon",
            "abc",
            "",
            " 12 ",
            "NaN",
            "inf",
            "1e400",
            "-5",
            "t-1",
            "TASK_STATUS_SUCCEED",
            "TASK_STATUS_FAILED",
            "TASK_STATUS_PROCESSING",
            "\u{1b}[2J",
            "http://127.0.0.1:1/v.mp4",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// The value of a field: the right kind sometimes, junk otherwise.
fn field(right: Value) -> impl Strategy<Value = Value> {
    prop_oneof![2 => Just(right), 1 => junk()]
}

/// Numbers as the wire writes them, some that no float holds.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1e400",
            "-1e400",
            "1e20",
            "1.8e19",
            "1.7976931348623157e308",
            "18446744073709551616",
            "-0",
            "1e-400",
            "123456789012345678901234567890",
            "0.0000001",
            "-1",
            "100",
            "\"50\"",
            "\"soon\"",
        ])
        .prop_map(str::to_string),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let task_result = (
        field(json!("t-1")),
        field(json!("TASK_STATUS_PROCESSING")),
        field(json!(50.0)),
        field(json!(3.0)),
        field(json!("")),
        field(json!([{"video_url": "http://127.0.0.1:1/v.mp4", "video_url_ttl": "3600"}])),
    )
        .prop_map(|(task_id, status, progress, eta, reason, videos)| {
            json!({"task": {"task_id": task_id, "status": status, "progress_percent": progress,
                            "eta": eta, "reason": reason}, "videos": videos})
        });
    let submitted = field(json!("t-1")).prop_map(|task_id| json!({"task_id": task_id}));
    let novita_error = (field(json!(429)), field(json!("RATE_LIMIT_EXCEEDED")), field(json!("m")), field(json!({})))
        .prop_map(|(code, reason, message, metadata)| {
            json!({"code": code, "reason": reason, "message": message, "metadata": metadata})
        });
    let as_bytes = |value: Value| value.to_string().into_bytes();
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..600),
        1 => junk().prop_map(as_bytes),
        3 => task_result.prop_map(as_bytes),
        1 => submitted.prop_map(as_bytes),
        1 => novita_error.prop_map(as_bytes),
        3 => (number_text(), number_text(), prop::sample::select(vec![
            "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED", "TASK_STATUS_QUEUED",
        ]))
            .prop_map(|(eta, progress, status)| format!(
                r#"{{"task": {{"task_id": "t-1", "status": "{status}", "eta": {eta}, "progress_percent": {progress}}}, "videos": [{{"video_url": "http://127.0.0.1:1/v.mp4"}}]}}"#
            ).into_bytes()),
        1 => number_text().prop_map(|n| format!(r#"{{"task_id": {n}}}"#).into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(|tail| {
            let mut video = common::mp4_bytes(24);
            video.extend(tail);
            video
        }),
        // Around the client's answer limit in these tests (8 KiB).
        1 => (7_000usize..10_000).prop_map(|n| {
            let mut text = br#"{"task_id": "t-1", "pad": ""#.to_vec();
            text.resize(n, b'x');
            text
        }),
    ]
}

pub fn answer() -> impl Strategy<Value = Answer> {
    // 200 most often: the answers that decode go furthest into the client.
    let status = prop_oneof![
        4 => Just(200u16),
        3 => prop::sample::select(vec![200u16, 201, 202, 204, 301, 302, 303, 307, 308, 400, 401, 404, 413, 429, 500, 502, 503]),
        1 => 200u16..=599,
    ];
    let content_type = prop::option::of(prop_oneof![
        prop::sample::select(vec![
            "application/json",
            "application/json; charset=utf-8",
            "text/html",
            "video/mp4",
            "application/problem+json",
            "",
            "application/octet-stream",
        ])
        .prop_map(|t| t.as_bytes().to_vec()),
        prop::collection::vec(
            any::<u8>().prop_filter("no line breaks", |b| *b != b'\r' && *b != b'\n'),
            0..16
        ),
    ]);
    let retry_after = prop::option::of(prop_oneof![
        prop::sample::select(vec![
            "0",
            "1",
            "99999",
            "18446744073709551615",
            "18446744073709551616",
            "-1",
            "1.5",
            "abc",
            "",
            "Wed, 21 Oct 2015 07:28:00 GMT",
        ])
        .prop_map(str::to_string),
        any::<u64>().prop_map(|n| n.to_string()),
    ]);
    let location = prop::option::of(
        prop::sample::select(vec![
            "/v3/async/task-result?task_id=t-1",
            "/v.mp4",
            "http://127.0.0.1:1/elsewhere?sig=secret",
            "//127.0.0.1:1/x",
            "::::",
            "",
            "https://\u{1b}]0;x\u{7}/",
        ])
        .prop_map(str::to_string),
    );
    let framing = prop_oneof![
        8 => Just(Framing::Exact),
        1 => (1usize..50).prop_map(Framing::Shorter),
        1 => (1usize..50).prop_map(Framing::Longer),
        1 => Just(Framing::UntilClose),
        1 => prop::sample::select(vec!["-1", "abc", "99999999999999999999999", "1 2", ""]).prop_map(|t| Framing::Garbage(t.into())),
        1 => Just(Framing::Conflicting),
        1 => Just(Framing::Chunked),
        1 => Just(Framing::BrokenChunks),
    ];
    (status, content_type, retry_after, location, framing, body()).prop_map(
        |(status, content_type, retry_after, location, framing, body)| Answer {
            status,
            content_type,
            retry_after,
            location,
            framing,
            body,
        },
    )
}
