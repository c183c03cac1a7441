//! Differential property test: bodies for every submit operation, generated from the spec's own
//! request schemas, are judged by the client's check and by the in-process mock. Both must give
//! the same verdict (accepted, or refused naming the same field), and the one the case calls for.
//!
//! The cases are aimed: walking each request schema gives every target the spec offers (a field
//! and a way to break it, or to leave it valid at an edge; a rule across fields and a way to
//! break it), and each target is tried on several bodies that are otherwise random but valid.
//! So every class is reached on every field that has it, however the random draws fall:
//! missing required fields, nulls, wrong types, fractions for integers, integers past either
//! bound, integers outside an integer enum, strings outside an enum, strings one character too
//! short or too long, arrays at and over `maxItems` and under `minItems`, items of the wrong type,
//! unknown fields at the top and inside nested objects and items, integral floats, and across
//! fields: every pair of individually valid values outside `allowed_pairs` (and every listed
//! pair, and pairs with a side left out), both and neither for `exactly_one_of`, both for
//! `at_most_one_of`. The seed is fixed, so a run is repeatable; a failure prints the shrunk
//! body. Disagreements found before are kept below as a regression list.

use std::sync::OnceLock;

use conformance::{
    harness::Harness,
    verdict::{self, Verdict},
};
use novita_mock::Config;
use novita_video::SubmitOperation;
use proptest::{
    collection::vec,
    prelude::*,
    test_runner::{Config as RunConfig, RngAlgorithm, TestCaseError, TestRng, TestRunner},
};
use serde_json::{json, Map, Value};

/// Bodies tried per target: each a different random valid body around the break.
const BODIES_PER_TARGET: u32 = 8;
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

/// One step into a body: a member of an object, or the first item of an array.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    First,
}

/// The field name both sides give for `path`: `loras[0].scale`, `input.prompt`.
fn field_name(path: &[Step]) -> String {
    let mut name = String::new();
    for step in path {
        match step {
            Step::Key(key) if name.is_empty() => name.push_str(key),
            Step::Key(key) => {
                name.push('.');
                name.push_str(key);
            }
            Step::First => name.push_str("[0]"),
        }
    }
    name
}

/// The name of a rule across `fields` of the object at `path`: `width/height`.
fn rule_name(path: &[Step], fields: &[String]) -> String {
    let mut steps = path.to_vec();
    steps.push(Step::Key(fields.join("/")));
    field_name(&steps)
}

/// How a case changes a valid body at its target.
#[derive(Clone, Debug)]
enum Break {
    /// The valid body as it is.
    Nothing,
    /// An unknown member added to the object at the path: ignored by both.
    UnknownField,
    /// The integer written with a fraction of zero (`480.0`): still that integer.
    IntegralFloat,
    Null,
    Missing,
    WrongType,
    /// An integer with a fraction (`1.5`).
    Fraction,
    BelowMinimum,
    AboveMaximum,
    /// A value of the right type outside the enum.
    OutsideEnum(Value),
    /// A string one character shorter than `minLength`.
    TooShort,
    /// A string one character longer than `maxLength`.
    TooLong,
    AtMaxItems,
    OverMaxItems,
    UnderMinItems,
    /// The rule's fields (of the object at the path) set to these values, each valid alone.
    Pair(Vec<Value>),
    /// The rule's fields set to a listed pair, then this one of them left out.
    PairWithout(usize),
    /// Every field of the rule given.
    All,
    /// No field of the rule given.
    Neither,
    /// Only this field of the rule given.
    Only(usize),
}

/// One thing to try: where, how, and the verdict the spec calls for.
#[derive(Clone, Debug)]
struct Target {
    path: Vec<Step>,
    /// For a rule across fields: the fields of the object at `path` it joins.
    rule: Vec<String>,
    how: Break,
    expected: Verdict,
}

impl Target {
    /// A short name for reports: `loras[0].scale: BelowMinimum`.
    fn describe(&self) -> String {
        let at = if self.rule.is_empty() {
            field_name(&self.path)
        } else {
            rule_name(&self.path, &self.rule)
        };
        format!("{at}: {:?}", self.how)
    }
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn rules(schema: &Value) -> impl Iterator<Item = (&str, Vec<String>, &Value)> {
    schema["x-novita-rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            let fields = names(&rule["fields"])
                .into_iter()
                .map(str::to_string)
                .collect();
            (rule["rule"].as_str().unwrap_or_default(), fields, rule)
        })
}

/// Every target the schema of the object at `path` offers, its nested objects and items
/// included. `extra` is left to the webhook agreement test.
fn targets(schema: &Value, path: &[Step], out: &mut Vec<Target>) {
    out.push(Target {
        path: path.to_vec(),
        rule: Vec::new(),
        how: Break::UnknownField,
        expected: Ok(()),
    });
    let required = names(&schema["required"]);
    for (key, property) in schema["properties"].as_object().into_iter().flatten() {
        if path.is_empty() && key == "extra" {
            continue;
        }
        let mut field = path.to_vec();
        field.push(Step::Key(key.clone()));
        let mut add = |how: Break, ok: bool| {
            out.push(Target {
                path: field.clone(),
                rule: Vec::new(),
                expected: if ok { Ok(()) } else { Err(field_name(&field)) },
                how,
            })
        };
        if required.contains(&key.as_str()) {
            add(Break::Missing, false);
        }
        add(Break::Null, false);
        add(Break::WrongType, false);
        match property["type"].as_str() {
            Some("integer") => {
                add(Break::Fraction, false);
                add(Break::IntegralFloat, true);
                if property.get("minimum").is_some() {
                    add(Break::BelowMinimum, false);
                }
                if property.get("maximum").is_some() {
                    add(Break::AboveMaximum, false);
                }
                if let Some(allowed) = property["enum"].as_array() {
                    add(Break::OutsideEnum(json!(integer_outside(allowed))), false);
                }
            }
            Some("number") => {
                if property.get("minimum").is_some() {
                    add(Break::BelowMinimum, false);
                }
                if property.get("maximum").is_some() {
                    add(Break::AboveMaximum, false);
                }
            }
            Some("string") => {
                if property.get("enum").is_some() {
                    add(Break::OutsideEnum(json!("NOT-AN-OPTION")), false);
                }
                if property["minLength"].as_u64().is_some_and(|min| min > 0) {
                    add(Break::TooShort, false);
                }
                if property.get("maxLength").is_some() {
                    add(Break::TooLong, false);
                }
            }
            Some("array") => {
                if property.get("maxItems").is_some() {
                    add(Break::AtMaxItems, true);
                    add(Break::OverMaxItems, false);
                }
                if property["minItems"].as_u64().is_some_and(|min| min > 0) {
                    add(Break::UnderMinItems, false);
                }
                let items = &property["items"];
                if items["type"] == "object" {
                    let mut item = field.clone();
                    item.push(Step::First);
                    for how in [Break::Null, Break::WrongType] {
                        out.push(Target {
                            path: item.clone(),
                            rule: Vec::new(),
                            how,
                            expected: Err(field_name(&item)),
                        });
                    }
                    targets(items, &item, out);
                }
            }
            Some("object") => targets(property, &field, out),
            _ => {}
        }
    }
    for (kind, fields, rule) in rules(schema) {
        let label = Err(rule_name(path, &fields));
        let mut add = |how: Break, expected: Verdict| {
            out.push(Target {
                path: path.to_vec(),
                rule: fields.clone(),
                how,
                expected,
            })
        };
        match kind {
            "allowed_pairs" => {
                let pairs = rule["pairs"].as_array().expect("pairs");
                for values in cross_product(schema, &fields, pairs) {
                    let listed = pairs.contains(&Value::Array(values.clone()));
                    add(
                        Break::Pair(values),
                        if listed { Ok(()) } else { label.clone() },
                    );
                }
                for index in 0..fields.len() {
                    add(Break::PairWithout(index), Ok(()));
                }
            }
            "exactly_one_of" => {
                add(Break::All, label.clone());
                add(Break::Neither, label.clone());
                for index in 0..fields.len() {
                    add(Break::Only(index), Ok(()));
                }
            }
            "at_most_one_of" => {
                add(Break::All, label.clone());
                add(Break::Neither, Ok(()));
                for index in 0..fields.len() {
                    add(Break::Only(index), Ok(()));
                }
            }
            other => panic!("the spec has a rule this test does not know: {other}"),
        }
    }
}

/// An integer near the enum's values that is not one of them, within the field's range when
/// the enum leaves a gap there (`1` for video editing's `[0, 2, ..., 10]`).
fn integer_outside(allowed: &[Value]) -> i64 {
    let values: Vec<i64> = allowed.iter().filter_map(Value::as_i64).collect();
    let low = *values.iter().min().expect("an integer enum");
    (low..).find(|n| !values.contains(n)).expect("a gap")
}

/// Every combination of the values each field of a pair rule may take alone (its enum, or
/// the values the listed pairs use).
fn cross_product(schema: &Value, fields: &[String], pairs: &[Value]) -> Vec<Vec<Value>> {
    let mut combinations: Vec<Vec<Value>> = vec![Vec::new()];
    for (index, field) in fields.iter().enumerate() {
        let mut values: Vec<Value> = match schema["properties"][field]["enum"].as_array() {
            Some(values) => values.clone(),
            None => pairs.iter().map(|pair| pair[index].clone()).collect(),
        };
        values.dedup();
        combinations = combinations
            .into_iter()
            .flat_map(|start| {
                values.iter().map(move |value| {
                    let mut next = start.clone();
                    next.push(value.clone());
                    next
                })
            })
            .collect();
    }
    combinations
}

/// A valid value for `schema`; `force` is a path inside it that must be present.
fn valid(schema: &Value, c: &mut Choices, force: &[Step]) -> Value {
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
            if schema.get("pattern").is_some() || schema.get("x-novita-media").is_some() {
                return json!("https://example.com/input.png");
            }
            let (min, max) = lengths(schema);
            let lengths = [min.max(1).min(max), max, min];
            json!("é".repeat(lengths[c.pick(lengths.len())]))
        }
        Some("array") => {
            let (min, max) = item_counts(schema);
            let mut count = min + c.pick(max.min(min + 2) - min + 1);
            if !force.is_empty() {
                count = count.max(1);
            }
            let items = (0..count).map(|index| {
                let rest = if index == 0 && !force.is_empty() {
                    &force[1..]
                } else {
                    &[]
                };
                valid(&schema["items"], c, rest)
            });
            Value::Array(items.collect())
        }
        Some("object") | None if schema.get("properties").is_some() => {
            valid_object(schema, c, force)
        }
        _ => json!({}),
    }
}

fn lengths(schema: &Value) -> (usize, usize) {
    let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
    let max = schema["maxLength"]
        .as_u64()
        .map_or(min + 40, |m| m as usize);
    (min, max)
}

fn item_counts(schema: &Value) -> (usize, usize) {
    let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
    let max = schema["maxItems"].as_u64().map_or(min + 2, |m| m as usize);
    (min, max)
}

/// A valid object: its required fields, a random choice of the others, `force[0]` for sure,
/// and its rules across fields kept.
fn valid_object(schema: &Value, c: &mut Choices, force: &[Step]) -> Value {
    let required = names(&schema["required"]);
    let forced = match force.first() {
        Some(Step::Key(key)) => Some(key.as_str()),
        _ => None,
    };
    let mut body = Map::new();
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        if name == "extra" {
            continue; // covered by the webhook agreement test
        }
        if forced == Some(name) {
            body.insert(name.clone(), valid(property, c, &force[1..]));
        } else if required.contains(&name.as_str()) || c.coin() {
            body.insert(name.clone(), valid(property, c, &[]));
        }
    }
    let keep: Vec<String> = forced.map(str::to_string).into_iter().collect();
    keep_rules(schema, &mut body, c, &keep, &[], None);
    Value::Object(body)
}

/// Makes `body` keep every rule across fields of `schema` but the one at `skip`, without
/// removing or changing the fields in `keep`, nor adding those in `banned`.
fn keep_rules(
    schema: &Value,
    body: &mut Map<String, Value>,
    c: &mut Choices,
    keep: &[String],
    banned: &[String],
    skip: Option<usize>,
) {
    let all: Vec<_> = rules(schema).collect();
    let kept = |field: &String| keep.contains(field);
    // A field an `at_most_one_of` keeps out must not come in for an `exactly_one_of`.
    let mut banned: Vec<String> = banned.to_vec();
    for (index, (kind, fields, _)) in all.iter().enumerate() {
        if Some(index) == skip || *kind != "at_most_one_of" {
            continue;
        }
        let given: Vec<&String> = fields.iter().filter(|f| body.contains_key(*f)).collect();
        if let Some(first) = given.first() {
            let stay = *given.iter().find(|f| kept(f)).unwrap_or(first);
            for field in fields.iter().filter(|f| *f != stay) {
                assert!(!kept(field), "cannot keep {keep:?} under {fields:?}");
                body.remove(field);
                banned.push(field.clone());
            }
        }
    }
    for (index, (kind, fields, rule)) in all.iter().enumerate() {
        if Some(index) == skip {
            continue;
        }
        match *kind {
            "exactly_one_of" => {
                let given: Vec<&String> = fields.iter().filter(|f| body.contains_key(*f)).collect();
                if given.len() == 1 {
                    continue;
                }
                let open: Vec<&String> = fields.iter().filter(|f| !banned.contains(f)).collect();
                let stay = match fields.iter().find(|f| kept(f)) {
                    Some(field) => field.clone(),
                    None if given.is_empty() => open[c.pick(open.len())].clone(),
                    None => given[c.pick(given.len())].clone(),
                };
                for field in fields.iter().filter(|f| **f != stay) {
                    assert!(!kept(field), "cannot keep {keep:?} under {fields:?}");
                    body.remove(field);
                }
                if !body.contains_key(&stay) {
                    let value = valid(&schema["properties"][&stay], c, &[]);
                    body.insert(stay, value);
                }
            }
            "allowed_pairs" if fields.iter().all(|f| body.contains_key(f)) => {
                let pairs = rule["pairs"].as_array().expect("pairs");
                let pair = &pairs[c.pick(pairs.len())];
                for (index, field) in fields.iter().enumerate() {
                    body.insert(field.clone(), pair[index].clone());
                }
            }
            _ => {}
        }
    }
}

/// The schema of the value at `path`.
fn schema_at<'a>(schema: &'a Value, path: &[Step]) -> &'a Value {
    path.iter().fold(schema, |at, step| match step {
        Step::Key(key) => &at["properties"][key],
        Step::First => &at["items"],
    })
}

fn pointer(path: &[Step]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) => format!("/{key}"),
            Step::First => "/0".to_string(),
        })
        .collect()
}

/// A body for `target`: valid, with what the target names present, then changed as it says.
fn body_for(root: &Value, target: &Target, c: &mut Choices) -> Value {
    let mut body = valid(root, c, &target.path);
    if !target.rule.is_empty() {
        let schema = schema_at(root, &target.path);
        let object = body
            .pointer_mut(&pointer(&target.path))
            .and_then(Value::as_object_mut)
            .expect("the rule's object");
        break_rule(schema, object, target, c);
        return body;
    }
    if let Break::UnknownField = target.how {
        body.pointer_mut(&pointer(&target.path))
            .and_then(Value::as_object_mut)
            .expect("an object")
            .insert("an_unknown_field".into(), json!("ignored by both"));
        return body;
    }
    let Some((Step::Key(_) | Step::First, parent)) = target.path.split_last() else {
        return body; // the whole body, valid
    };
    let schema = schema_at(root, &target.path);
    let slot = body.pointer_mut(&pointer(parent)).expect("the parent");
    let current = slot
        .pointer(&pointer(&target.path[parent.len()..]))
        .cloned()
        .expect("the target is present");
    let changed = broken_value(schema, &current, &target.how, c);
    match (target.path.last(), slot) {
        (Some(Step::Key(key)), Value::Object(object)) => match changed {
            Some(value) => {
                object.insert(key.clone(), value);
            }
            None => {
                object.remove(key);
            }
        },
        (Some(Step::First), Value::Array(items)) => {
            items[0] = changed.expect("an item is replaced, not removed");
        }
        _ => unreachable!("a path into the body"),
    }
    body
}

/// The value `how` puts in place of `current` (`None`: the field goes).
fn broken_value(schema: &Value, current: &Value, how: &Break, c: &mut Choices) -> Option<Value> {
    let integer = schema["type"] == "integer";
    let step = if integer { 1.0 } else { 0.5 };
    Some(match how {
        Break::Nothing | Break::UnknownField => current.clone(),
        Break::Missing => return None,
        Break::Null => Value::Null,
        Break::WrongType => match schema["type"].as_str() {
            Some("integer") | Some("number") => json!("5"),
            Some("string") => json!(7),
            Some("boolean") => json!("true"),
            Some("array") => json!("a list, not"),
            _ => json!(["an object, not"]),
        },
        Break::IntegralFloat => json!(current.as_i64().expect("an integer") as f64),
        Break::Fraction => json!(current.as_f64().expect("a number") + 0.5),
        Break::BelowMinimum => json!(schema["minimum"].as_f64().unwrap() - step),
        Break::AboveMaximum => json!(schema["maximum"].as_f64().unwrap() + step),
        Break::OutsideEnum(value) => value.clone(),
        Break::TooShort => json!("é".repeat(lengths(schema).0 - 1)),
        Break::TooLong => json!("é".repeat(lengths(schema).1 + 1)),
        Break::AtMaxItems | Break::OverMaxItems | Break::UnderMinItems => {
            let (min, max) = item_counts(schema);
            let count = match how {
                Break::AtMaxItems => max,
                Break::OverMaxItems => max + 1,
                _ => min - 1,
            };
            let items = (0..count).map(|_| valid(&schema["items"], c, &[]));
            Value::Array(items.collect())
        }
        Break::Pair(_) | Break::PairWithout(_) | Break::All | Break::Neither | Break::Only(_) => {
            unreachable!("a rule across fields")
        }
    })
}

/// Sets the fields of the target's rule as it says, keeping every other rule.
fn break_rule(schema: &Value, object: &mut Map<String, Value>, target: &Target, c: &mut Choices) {
    let index = rules(schema)
        .position(|(_, fields, _)| fields == target.rule)
        .expect("the target's rule");
    let fields = &target.rule;
    let set =
        |object: &mut Map<String, Value>, field: &String, value: Option<Value>, c: &mut Choices| {
            let value = value.unwrap_or_else(|| valid(&schema["properties"][field], c, &[]));
            object.insert(field.clone(), value);
        };
    let keep: Vec<String> = match &target.how {
        Break::Pair(values) => {
            for (field, value) in fields.iter().zip(values) {
                set(object, field, Some(value.clone()), c);
            }
            fields.clone()
        }
        Break::PairWithout(left_out) => {
            let (_, _, rule) = rules(schema).nth(index).unwrap();
            let pairs = rule["pairs"].as_array().expect("pairs");
            let pair = pairs[c.pick(pairs.len())].clone();
            for (at, field) in fields.iter().enumerate() {
                if at == *left_out {
                    object.remove(field);
                } else {
                    set(object, field, Some(pair[at].clone()), c);
                }
            }
            fields.clone()
        }
        Break::All => {
            for field in fields {
                if !object.contains_key(field) {
                    set(object, field, None, c);
                }
            }
            fields.clone()
        }
        Break::Neither => {
            for field in fields {
                object.remove(field);
            }
            Vec::new()
        }
        Break::Only(only) => {
            for (at, field) in fields.iter().enumerate() {
                if at != *only {
                    object.remove(field);
                } else if !object.contains_key(field) {
                    set(object, field, None, c);
                }
            }
            vec![fields[*only].clone()]
        }
        other => unreachable!("not a rule across fields: {other:?}"),
    };
    // What this case leaves out must stay out while the other rules are kept.
    let banned: Vec<String> = match target.how {
        Break::Neither | Break::Only(_) => fields
            .iter()
            .filter(|f| !keep.contains(f))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    keep_rules(schema, object, c, &keep, &banned, Some(index));
}

/// The mock in-process, on a runtime of its own that outlives the proptest runner. Its clock
/// is paused: the tasks accepted bodies create stay queued and cost nothing.
fn mock() -> &'static (tokio::runtime::Runtime, Harness) {
    static MOCK: OnceLock<(tokio::runtime::Runtime, Harness)> = OnceLock::new();
    MOCK.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let harness = runtime.block_on(Harness::mock_with(Config {
            paused: true,
            ..Config::for_tests()
        }));
        (runtime, harness)
    })
}

fn mock_verdict(operation: &SubmitOperation, body: &Value) -> Verdict {
    let (runtime, h) = mock();
    runtime.block_on(verdict::mock(h, operation, body))
}

fn judge(operation: &SubmitOperation, body: &Value, expected: &Verdict) -> Result<(), String> {
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

/// Every target of every operation: the valid body, then each field's and each rule's.
fn all_targets() -> Vec<(&'static SubmitOperation, Target)> {
    let mut all = Vec::new();
    for operation in SubmitOperation::all() {
        let mut found = vec![Target {
            path: Vec::new(),
            rule: Vec::new(),
            how: Break::Nothing,
            expected: Ok(()),
        }];
        targets(operation.request_schema(), &[], &mut found);
        all.extend(found.into_iter().map(|target| (operation, target)));
    }
    all
}

#[test]
fn client_and_mock_agree_on_generated_bodies() {
    let all = all_targets();
    let mut failures = Vec::new();
    for (index, (operation, target)) in all.iter().enumerate() {
        let config = RunConfig {
            cases: BODIES_PER_TARGET,
            failure_persistence: None,
            ..RunConfig::default()
        };
        let mut seed = SEED;
        seed[..8].copy_from_slice(&(index as u64).to_le_bytes());
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        let schema = operation.request_schema();
        let outcome = runner.run(&vec(any::<u32>(), 64), |numbers| {
            let mut choices = Choices {
                numbers: &numbers,
                next: 0,
            };
            let body = body_for(schema, target, &mut choices);
            judge(operation, &body, &target.expected).map_err(TestCaseError::fail)
        });
        if let Err(failure) = outcome {
            failures.push(format!(
                "{} {}: {failure}",
                operation.command(),
                target.describe()
            ));
        }
    }
    println!(
        "{} targets over {} operations, {} bodies each",
        all.len(),
        SubmitOperation::all().len(),
        BODIES_PER_TARGET
    );
    assert!(
        failures.is_empty(),
        "client and mock disagree with the spec on {} of {} targets (shrunk):\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

/// What the walk finds is what the test claims to reach: every class on every operation that
/// has a field for it, and the pair rules' every combination.
#[test]
fn the_targets_cover_every_class_on_every_operation() {
    let all = all_targets();
    let count = |command: &str, class: &str| {
        all.iter()
            .filter(|(op, t)| op.command() == command && format!("{:?}", t.how).starts_with(class))
            .count()
    };
    assert_eq!(SubmitOperation::all().len(), 14);
    for operation in SubmitOperation::all() {
        for class in ["Nothing", "UnknownField", "Null", "WrongType"] {
            assert!(
                count(operation.command(), class) > 0,
                "{} {class}",
                operation.command()
            );
        }
    }
    // Wan 2.1: 16 width/height combinations, 4 listed; nested unknown fields in `loras[0]`.
    for command in ["wan-t2v", "wan-i2v"] {
        let pairs: Vec<&Target> = all
            .iter()
            .filter(|(op, t)| op.command() == command && matches!(t.how, Break::Pair(_)))
            .map(|(_, t)| t)
            .collect();
        assert_eq!(pairs.len(), 16, "{command}");
        assert_eq!(pairs.iter().filter(|t| t.expected.is_err()).count(), 12);
        assert!(pairs
            .iter()
            .any(|t| matches!(&t.how, Break::Pair(v) if v == &[json!(480), json!(480)])));
        for class in [
            "Missing",
            "Fraction",
            "IntegralFloat",
            "BelowMinimum",
            "AboveMaximum",
            "OutsideEnum",
            "TooShort",
            "TooLong",
            "AtMaxItems",
            "OverMaxItems",
            "PairWithout",
        ] {
            assert!(count(command, class) > 0, "{command} {class}");
        }
        let nested = |t: &Target| t.path.first() == Some(&Step::Key("loras".into()));
        assert!(all.iter().any(|(op, t)| op.command() == command
            && nested(t)
            && matches!(t.how, Break::UnknownField)));
    }
    // Integer enums with a gap inside their range, and one without a range.
    let outside = |command: &str, field: &str| {
        all.iter()
            .find(|(op, t)| {
                op.command() == command
                    && field_name(&t.path) == field
                    && matches!(t.how, Break::OutsideEnum(_))
            })
            .map(|(_, t)| t.how.clone())
    };
    assert!(
        matches!(outside("wan2.7-videoedit", "duration"), Some(Break::OutsideEnum(v)) if v == 1)
    );
    assert!(
        matches!(outside("wan2.6-i2v", "parameters.duration"), Some(Break::OutsideEnum(v)) if v == 6)
    );
    assert!(matches!(outside("wan-t2v", "width"), Some(Break::OutsideEnum(v)) if v == 481));
    // Across fields: exactly_one_of both and neither, at_most_one_of both.
    for command in ["wan2.7-i2v", "kling-v3.0-pro-t2v", "kling-v3.0-pro-i2v"] {
        for class in ["All", "Neither", "Only"] {
            assert!(count(command, class) > 0, "{command} {class}");
        }
    }
    for command in ["kling-v3.0-std-i2v", "kling-v3.0-4k-i2v"] {
        let both = all.iter().any(|(op, t)| {
            op.command() == command && matches!(t.how, Break::All) && t.expected.is_err()
        });
        assert!(both, "{command}");
    }
    // Arrays under minItems and at and over maxItems; nested objects' unknown fields.
    assert!(count("wan2.7-r2v", "UnderMinItems") > 0 && count("wan2.7-r2v", "AtMaxItems") > 0);
    assert!(all.iter().any(|(op, t)| op.command() == "wan2.6-i2v"
        && field_name(&t.path) == "parameters"
        && matches!(t.how, Break::UnknownField)));
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
