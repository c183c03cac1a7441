//! Bad input never breaks the mock: arbitrary JSON, and valid bodies with one field replaced
//! by an arbitrary value, sent to every submit endpoint; arbitrary task-result queries. The
//! answer is never a 5xx and is always either an accepted task or Novita's error body.
//! `PROPTEST_CASES` sets the number of cases (the benchmark runner raises it).

mod common;

use std::sync::OnceLock;

use common::{start, Mock};
use novita_mock::Config;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn mock() -> &'static Mock {
    static MOCK: OnceLock<Mock> = OnceLock::new();
    MOCK.get_or_init(|| {
        runtime().block_on(start(Config {
            speed: 1000.0,
            journal_limit: 1000,
            ..Config::for_tests()
        }))
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        (-2i64..20_000).prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("字".repeat(2001))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

const FIELDS: &[&str] = &[
    "prompt",
    "negative_prompt",
    "width",
    "height",
    "seed",
    "steps",
    "guidance_scale",
    "flow_shift",
    "loras",
    "image_url",
    "extra",
    "input",
    "parameters",
    "duration",
    "resolution",
    "first_clip_url",
    "model_name",
];

fn valid_bodies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/v3/async/wan-t2v",
            json!({"prompt": "p", "width": 832, "height": 480, "loras": [{"path": "a", "scale": 1}]}),
        ),
        (
            "/v3/async/wan-i2v",
            json!({"prompt": "p", "image_url": "u", "extra": {"webhook": {"url": "http://127.0.0.1:9/h"}}}),
        ),
        (
            "/v3/async/wan2.6-i2v",
            json!({"input": {"img_url": "u"}, "parameters": {"duration": 5}}),
        ),
        (
            "/v3/async/wan2.7-i2v",
            json!({"image_url": "u", "duration": 5}),
        ),
    ]
}

fn check_answer(path: &str, body: &str) -> Result<(), TestCaseError> {
    let (status, answer) = runtime().block_on(mock().post_raw(path, body, &[]));
    prop_assert!(status.as_u16() < 500, "{path} {body} -> {status} {answer}");
    if status.is_success() {
        prop_assert!(answer["task_id"].is_string(), "{answer}");
    } else {
        prop_assert_eq!(
            answer["code"].as_u64(),
            Some(u64::from(status.as_u16())),
            "{}",
            answer
        );
        prop_assert!(
            answer["reason"].is_string() && answer["message"].is_string(),
            "{}",
            answer
        );
        prop_assert!(answer["metadata"].is_object(), "{}", answer);
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_json_bodies(endpoint in 0usize..4, body in json_value()) {
        let (path, _) = valid_bodies()[endpoint].clone();
        check_answer(path, &body.to_string())?;
    }

    #[test]
    fn valid_bodies_with_one_field_broken(endpoint in 0usize..4, field in 0..FIELDS.len(), value in json_value()) {
        let (path, mut body) = valid_bodies()[endpoint].clone();
        body[FIELDS[field]] = value;
        check_answer(path, &body.to_string())?;
    }

    #[test]
    fn arbitrary_bytes(endpoint in 0usize..4, bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let (path, _) = valid_bodies()[endpoint].clone();
        check_answer(path, &String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn arbitrary_task_result_queries(query in ".{0,60}") {
        let mock = mock();
        let response = runtime().block_on(
            mock.http
                .get(mock.url("/v3/async/task-result"))
                .query(&[("task_id", query.as_str())])
                .header("authorization", "Bearer fuzz")
                .send(),
        ).unwrap();
        let status = response.status();
        prop_assert!(status.as_u16() == 400 || status.as_u16() == 404, "{query:?} -> {status}");
    }
}
