//! Differential property test: bodies for every submit operation, generated from the spec's own
//! request schemas, valid or broken in exactly one rule, are judged by the client's check and by
//! the in-process mock. Both must give the same verdict (accepted, or refused naming the same
//! field), and the one the broken rule calls for. The seed is fixed, so a run is repeatable; a
//! failure prints the shrunk choices and the body. Disagreements found before are kept below as
//! a regression list.

use std::sync::OnceLock;

use conformance::{
    harness::Harness,
    verdict::{self, Verdict},
};
use novita_video::SubmitOperation;
use proptest::{
    collection::vec,
    prelude::*,
    test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner},
};
use serde_json::{json, Map, Value};

/// Cases per run: enough to reach every field of every operation, well under a minute.
const CASES: u32 = 4000;
const SEED: [u8; 32] = *b"novita-video differential test!!";

/// Reads decisions from a list of numbers: shrinking the list towards zeros makes the body
/// simpler, so a failure shrinks to a small example.
struct Choices<'a> {
    numbers: &'a [u32],
    next: usize,
}

impl Choices<'_> {
    fn pick(&mut self, count: usize) -> usize {
        let n = self.numbers.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        if count == 0 {
            0
        } else {
            n as usize % count
        }
    }

    fn coin(&mut self) -> bool {
        self.pick(2) == 1
    }
}

/// A valid value for `schema`.
fn valid(schema: &Value, c: &mut Choices) -> Value {
    if let Some(values) = schema["enum"].as_array() {
        return values[c.pick(values.len())].clone();
    }
    match schema["type"].as_str() {
        Some("integer") => {
            let min = schema["minimum"].as_i64().unwrap_or(-5);
            let max = schema["maximum"].as_i64().unwrap_or(min + 100);
            let edges = [min, max, min + (max - min) / 2];
            json!(edges[c.pick(edges.len())])
        }
        Some("number") => {
            let min = schema["minimum"].as_f64().unwrap_or(0.0);
            let max = schema["maximum"].as_f64().unwrap_or(min + 10.0);
            let edges = [min, max, (min + max) / 2.0];
            json!(edges[c.pick(edges.len())])
        }
        Some("boolean") => json!(c.coin()),
        Some("string") => {
            let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
            let max = schema["maxLength"]
                .as_u64()
                .map_or(min + 40, |m| m as usize);
            if schema.get("pattern").is_some() || schema.get("x-novita-media").is_some() {
                return json!("https://example.com/input.png");
            }
            let lengths = [min.max(1).min(max), max, min];
            let length = lengths[c.pick(lengths.len())];
            json!("é".repeat(length))
        }
        Some("array") => {
            let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
            let max = schema["maxItems"].as_u64().map_or(min + 2, |m| m as usize);
            let count = min + c.pick(max.min(min + 2) - min + 1);
            Value::Array((0..count).map(|_| valid(&schema["items"], c)).collect())
        }
        Some("object") | None if schema.get("properties").is_some() => valid_object(schema, c),
        _ => json!({}),
    }
}

fn valid_object(schema: &Value, c: &mut Choices) -> Value {
    let required: Vec<&str> = names(&schema["required"]);
    let mut body = Map::new();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        if name == "extra" {
            continue; // covered by the webhook agreement test
        }
        if required.contains(&name.as_str()) || c.coin() {
            body.insert(name.clone(), valid(property, c));
        }
    }
    for rule in schema["x-novita-rules"].as_array().into_iter().flatten() {
        let fields = names(&rule["fields"]);
        match rule["rule"].as_str() {
            Some("allowed_pairs") => {
                let pairs = rule["pairs"].as_array().expect("pairs");
                let pair = &pairs[c.pick(pairs.len())];
                for (index, field) in fields.iter().enumerate() {
                    body.insert(field.to_string(), pair[index].clone());
                }
            }
            Some("exactly_one_of") => {
                let keep = c.pick(fields.len());
                for (index, field) in fields.iter().enumerate() {
                    if index == keep {
                        let value = valid(&schema["properties"][*field], c);
                        body.insert(field.to_string(), value);
                    } else {
                        body.remove(*field);
                    }
                }
            }
            Some("at_most_one_of") => {
                // Keep the last one given, so that a field another rule needs stays.
                let given: Vec<&str> = fields
                    .iter()
                    .copied()
                    .filter(|f| body.contains_key(*f))
                    .collect();
                for field in given.iter().rev().skip(1) {
                    body.remove(*field);
                }
            }
            _ => {}
        }
    }
    Value::Object(body)
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Every field present in `body` with its schema, as (JSON pointer, field name, schema).
fn present<'a>(
    schema: &'a Value,
    body: &Value,
    pointer: &str,
    name: &str,
    out: &mut Vec<(String, String, &'a Value, bool)>,
) {
    let required = names(&schema["required"]);
    for (key, property) in schema["properties"].as_object().into_iter().flatten() {
        let Some(value) = body.get(key) else { continue };
        let child = if name.is_empty() {
            key.clone()
        } else {
            format!("{name}.{key}")
        };
        let child_pointer = format!("{pointer}/{key}");
        let crossed = schema["x-novita-rules"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|rule| names(&rule["fields"]).contains(&key.as_str()));
        out.push((
            child_pointer.clone(),
            child.clone(),
            property,
            crossed || !required.contains(&key.as_str()),
        ));
        if value.is_object() {
            present(property, value, &child_pointer, &child, out);
        }
        if let Some(first) = value.get(0) {
            let item_name = format!("{child}[0]");
            present(
                &property["items"],
                first,
                &format!("{child_pointer}/0"),
                &item_name,
                out,
            );
        }
    }
}

/// Breaks one rule of one present field, or none; returns the field that must be named.
fn break_one(schema: &Value, body: &mut Value, c: &mut Choices) -> Result<(), String> {
    let mut fields = Vec::new();
    present(schema, body, "", "", &mut fields);
    if fields.is_empty() || c.pick(4) == 0 {
        if c.coin() {
            body["an_unknown_field"] = json!("ignored by both"); // still valid
        }
        return Ok(());
    }
    let (pointer, field, property, optional) = fields[c.pick(fields.len())].clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let slot = body
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent");
    let kind = property["type"].as_str().unwrap_or("object");
    let broken = match (c.pick(6), kind) {
        (0, _) if !optional => {
            slot.remove(key);
            return Err(field);
        }
        (1, _) => Value::Null,
        (2, "integer") => json!(property["minimum"].as_f64().unwrap_or(0.0) + 0.5),
        (2, "string") => json!(7),
        (3, "integer") | (3, "number") => {
            match (property["minimum"].as_f64(), property["maximum"].as_f64()) {
                (_, Some(max)) => json!(max + 1.0),
                (Some(min), None) => json!(min - 1.0),
                _ => json!("not a number"),
            }
        }
        (3, "string") => match (property["enum"].as_array(), property["maxLength"].as_u64()) {
            (Some(_), _) => json!("NOT-AN-OPTION"),
            (None, Some(max)) => json!("x".repeat(max as usize + 1)),
            _ => json!(["a list"]),
        },
        (4, "integer") => {
            // An integral float is still the integer: valid for both.
            let current = slot[key].as_i64().unwrap_or(0);
            slot.insert(key.to_string(), json!(current as f64));
            return Ok(());
        }
        (_, "boolean") => json!("true"),
        (_, "array") => json!("a list, not"),
        (_, "object") => json!([]),
        (_, _) => json!({"an": "object"}),
    };
    slot.insert(key.to_string(), broken);
    Err(field)
}

/// The mock in-process, on a runtime of its own that outlives the proptest runner.
fn mock() -> &'static (tokio::runtime::Runtime, Harness) {
    static MOCK: OnceLock<(tokio::runtime::Runtime, Harness)> = OnceLock::new();
    MOCK.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let harness = runtime.block_on(Harness::mock());
        (runtime, harness)
    })
}

fn mock_verdict(operation: &SubmitOperation, body: &Value) -> Verdict {
    let (runtime, h) = mock();
    runtime.block_on(verdict::mock(h, operation, body))
}

fn judge(
    operation: &SubmitOperation,
    body: &Value,
    expected: &Result<(), String>,
) -> Result<(), String> {
    let client = verdict::client(operation, body);
    let mock = mock_verdict(operation, body);
    if &client == expected && &mock == expected {
        Ok(())
    } else {
        Err(format!(
            "{}: expected {expected:?}, client {client:?}, mock {mock:?}\nbody: {body}",
            operation.command()
        ))
    }
}

#[test]
fn client_and_mock_agree_on_generated_bodies() {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED));
    let operations = SubmitOperation::all();
    let strategy = (0..operations.len(), vec(any::<u32>(), 64));
    let outcome = runner.run(&strategy, |(index, numbers)| {
        let operation = &operations[index];
        let mut choices = Choices {
            numbers: &numbers,
            next: 0,
        };
        let schema = operation.request_schema();
        let mut body = valid(schema, &mut choices);
        let expected = break_one(schema, &mut body, &mut choices);
        judge(operation, &body, &expected).map_err(TestCaseError::fail)
    });
    if let Err(failure) = outcome {
        panic!("client and mock disagree (shrunk):\n{failure}");
    }
}

/// Disagreements found before, settled (see openapi/README.md, "Choices the pages leave open"): each must
/// stay agreed.
#[test]
fn settled_disagreements_stay_settled() {
    let find = |command| SubmitOperation::find(command).expect("in the spec");
    let refused = |field: &str| Err(field.to_string());
    let cases: Vec<(&str, Value, Result<(), String>)> = vec![
        // Integral floats are integers, as JSON Schema reads the spec; 5.5 is not.
        (
            "wan-t2v",
            json!({"prompt": "p", "width": 480.0, "height": 832}),
            Ok(()),
        ),
        (
            "wan2.7-t2v",
            json!({"prompt": "p", "duration": 5.0}),
            Ok(()),
        ),
        (
            "wan2.7-t2v",
            json!({"prompt": "p", "duration": 5.5}),
            refused("duration"),
        ),
        // Text past a "cut off" limit is refused by both.
        (
            "wan2.6-i2v",
            json!({"input": {"img_url": "u", "prompt": "x".repeat(2001)}}),
            refused("input.prompt"),
        ),
        (
            "wan2.7-t2v",
            json!({"prompt": "x".repeat(1501)}),
            refused("prompt"),
        ),
        // Fields of the current Wan 2.1 pages, and of an older i2v copy.
        (
            "wan-t2v",
            json!({"prompt": "p", "enable_safety_checker": "yes"}),
            refused("enable_safety_checker"),
        ),
        (
            "wan-t2v",
            json!({"prompt": "p", "fast_mode": 1}),
            refused("fast_mode"),
        ),
        (
            "wan-i2v",
            json!({"prompt": "p", "image_url": "u", "model_name": 3}),
            refused("model_name"),
        ),
        (
            "wan-i2v",
            json!({"prompt": "p", "image_url": "u", "model_name": "wan2.1-i2v"}),
            Ok(()),
        ),
        // Empty URLs name nothing.
        (
            "wan-i2v",
            json!({"prompt": "p", "image_url": ""}),
            refused("image_url"),
        ),
        (
            "wan2.7-videoedit",
            json!({"video_url": ""}),
            refused("video_url"),
        ),
        // extra.webhook is read on every endpoint.
        (
            "wan2.7-i2v",
            json!({"image_url": "u", "extra": {"webhook": {"url": "ftp://x"}}}),
            refused("extra.webhook.url"),
        ),
        // A blank webhook URL, and whitespace the spec's pattern reads as whitespace.
        (
            "wan-t2v",
            json!({"prompt": "p", "extra": {"webhook": {"url": "https://a\u{feff}b"}}}),
            refused("extra.webhook.url"),
        ),
    ];
    let mut failures = Vec::new();
    for (command, body, expected) in cases {
        if let Err(failure) = judge(find(command), &body, &expected) {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
