//! `openapi/mock-control.yaml` describes exactly the routes the mock serves for QA: every
//! control route of the router is in it, and it has no route the router lacks.

mod common;

use std::collections::BTreeSet;

use common::control_spec::spec;
use serde_json::Value;

#[test]
fn the_spec_and_the_router_have_the_same_control_routes() {
    let served: BTreeSet<(String, String)> = novita_mock::control_routes().into_iter().collect();
    let described: BTreeSet<(String, String)> = spec().operations().into_iter().collect();
    let missing: Vec<_> = served.difference(&described).collect();
    let extra: Vec<_> = described.difference(&served).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "routes of the router missing from openapi/mock-control.yaml: {missing:?}\n\
         routes of the spec the router does not serve: {extra:?}"
    );
    assert!(
        served.len() >= 19,
        "the table lists every route: {served:?}"
    );
}

/// `operationId` is the method name a generated client gives the route: one each, unique, in
/// snake_case, so that the Python client's names can follow it.
#[test]
fn every_operation_has_a_unique_snake_case_id() {
    let mut seen = BTreeSet::new();
    for (method, path) in spec().operations() {
        let operation = &spec().document()["paths"][&path][method.to_ascii_lowercase()];
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        let snake = id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        assert!(snake, "{method} {path}: {id} is not snake_case");
        assert!(seen.insert(id.to_string()), "{id} is used twice");
    }
}

/// Every JSON answer the spec lists has a schema, and every operation says how a token refusal
/// and the body reader's refusals look (or, for the open routes, that it needs no token).
#[test]
fn every_answer_is_described() {
    for (method, path) in spec().operations() {
        let operation = &spec().document()["paths"][&path][method.to_ascii_lowercase()];
        let responses = operation["responses"].as_object().expect("responses");
        let open = operation.get("security") == Some(&Value::Array(Vec::new()));
        let expected: &[&str] = if open {
            &["413", "429"]
        } else {
            &["401", "403", "413", "429"]
        };
        for status in expected {
            assert!(
                responses.contains_key(*status),
                "{method} {path} does not list {status}"
            );
        }
        for (status, response) in responses {
            let response = match response.get("$ref").and_then(Value::as_str) {
                Some(reference) => spec()
                    .document()
                    .pointer(reference.trim_start_matches('#'))
                    .expect("the reference names a response"),
                None => response,
            };
            if let Some(json) = response.pointer("/content/application~1json") {
                assert!(
                    json.get("schema").is_some(),
                    "{method} {path} {status}: a JSON answer without a schema"
                );
            }
        }
    }
}
