//! Bad input never breaks the mock: arbitrary JSON, and valid bodies with one field replaced
//! by an arbitrary value, sent to every submit endpoint of the spec (each case to each one);
//! arbitrary queries of its reads (task-result). Each test checks that it reached every
//! endpoint. The
//! answer is never a 5xx and is always either an accepted task or Novita's error body.
//! `PROPTEST_CASES` sets the number of cases (the benchmark runner raises it).

use crate::common;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Mutex, OnceLock},
};

use common::{start, Mock};
use novita_mock::Config;
use proptest::{prelude::*, test_runner::TestRunner};
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

/// Fields broken in the valid bodies, besides each body's own.
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

/// One operation of the spec under `/v3/`: its path and, for a submission, the body of its
/// first documented example.
struct Endpoint {
    path: String,
    valid_body: Option<Value>,
    /// For a read: the name of its query parameter.
    query: Option<String>,
}

/// Every operation of `openapi/novita.yaml` under `/v3/`: what the mock serves.
fn endpoints() -> &'static [Endpoint] {
    static ENDPOINTS: OnceLock<Vec<Endpoint>> = OnceLock::new();
    ENDPOINTS.get_or_init(|| {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/novita.yaml"
        ))
        .unwrap();
        let spec: Value = serde_saphyr::from_str(&text).unwrap();
        let mut endpoints = Vec::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            if !path.starts_with("/v3/") {
                continue;
            }
            if let Some(post) = item.get("post") {
                let examples = &post["requestBody"]["content"]["application/json"]["examples"];
                let (_, first) = examples
                    .as_object()
                    .and_then(|e| e.iter().next())
                    .unwrap_or_else(|| panic!("{path}: no request example"));
                endpoints.push(Endpoint {
                    path: path.clone(),
                    valid_body: Some(first["value"].clone()),
                    query: None,
                });
            }
            if let Some(get) = item.get("get") {
                let parameter = get["parameters"][0]["name"].as_str();
                endpoints.push(Endpoint {
                    path: path.clone(),
                    valid_body: None,
                    query: Some(parameter.unwrap_or_else(|| panic!("{path}")).to_string()),
                });
            }
        }
        assert!(
            endpoints.len() > 10,
            "the spec's operations: {}",
            endpoints.len()
        );
        endpoints
    })
}

fn submissions() -> impl Iterator<Item = (&'static str, &'static Value)> {
    endpoints()
        .iter()
        .filter_map(|e| Some((e.path.as_str(), e.valid_body.as_ref()?)))
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

/// Runs `strategy`'s cases (`PROPTEST_CASES` of them), each against every endpoint `case`
/// takes, and checks that every one of them was reached.
fn fuzz<S: Strategy>(
    strategy: S,
    endpoints: &[&'static str],
    case: impl Fn(&'static str, &S::Value) -> Result<(), TestCaseError>,
) {
    let reached: Mutex<BTreeMap<&'static str, u64>> =
        Mutex::new(endpoints.iter().map(|p| (*p, 0)).collect());
    let mut runner = TestRunner::new(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&strategy, |value| {
        for path in endpoints.iter().copied() {
            case(path, &value)?;
            *reached.lock().unwrap().get_mut(path).unwrap() += 1;
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let reached = reached.into_inner().unwrap();
    let missed: Vec<_> = reached.iter().filter(|(_, n)| **n == 0).collect();
    assert!(
        missed.is_empty(),
        "never reached: {missed:?} of {reached:?}"
    );
}

fn submit_paths() -> Vec<&'static str> {
    submissions().map(|(path, _)| path).collect()
}

#[test]
fn the_fuzzed_endpoints_are_every_operation_of_the_spec_and_each_is_served() {
    let fuzzed: BTreeSet<&str> = endpoints().iter().map(|e| e.path.as_str()).collect();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/novita.yaml"
    ))
    .unwrap();
    let spec: Value = serde_saphyr::from_str(&text).unwrap();
    let documented: BTreeSet<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|p| p.starts_with("/v3/"))
        .collect();
    assert_eq!(fuzzed, documented);
    // Each valid body is accepted: the endpoint is served, and the broken bodies start from
    // one it takes.
    for (path, body) in submissions() {
        let (status, answer) = runtime().block_on(mock().submit(path, body));
        assert_eq!(status, 200, "{path} {body} -> {answer}");
    }
}

#[test]
fn arbitrary_json_bodies() {
    fuzz(json_value(), &submit_paths(), |path, body| {
        check_answer(path, &body.to_string())
    });
}

#[test]
fn valid_bodies_with_one_field_broken() {
    fuzz(
        (any::<prop::sample::Index>(), json_value()),
        &submit_paths(),
        |path, (field, value)| {
            let (_, valid) = submissions().find(|(p, _)| *p == path).unwrap();
            let mut body = valid.clone();
            let mut fields: Vec<&str> = FIELDS.to_vec();
            fields.extend(valid.as_object().unwrap().keys().map(String::as_str));
            body[*field.get(&fields)] = value.clone();
            check_answer(path, &body.to_string())
        },
    );
}

#[test]
fn arbitrary_bytes() {
    fuzz(
        prop::collection::vec(any::<u8>(), 0..200),
        &submit_paths(),
        |path, bytes| check_answer(path, &String::from_utf8_lossy(bytes)),
    );
}

#[test]
fn arbitrary_queries_of_the_reads() {
    let reads: Vec<&'static str> = endpoints()
        .iter()
        .filter(|e| e.query.is_some())
        .map(|e| e.path.as_str())
        .collect();
    fuzz(".{0,60}", &reads, |path, query| {
        let endpoint = endpoints().iter().find(|e| e.path == path).unwrap();
        let mock = mock();
        let response = runtime()
            .block_on(
                mock.http
                    .get(mock.url(path))
                    .query(&[(endpoint.query.as_deref().unwrap(), query.as_str())])
                    .header("authorization", "Bearer fuzz")
                    .send(),
            )
            .unwrap();
        let status = response.status();
        prop_assert!(
            status.as_u16() == 400 || status.as_u16() == 404,
            "{path} {query:?} -> {status}"
        );
        Ok(())
    });
}
