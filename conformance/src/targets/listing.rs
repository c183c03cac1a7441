//! Walking a request schema for its targets: each field's ways to break or keep at an edge,
//! and each rule across fields.

use novita_video::SubmitOperation;
use serde_json::{json, Value};

use super::path::{field_name, rule_name, Step};
use super::spec::{names, rules};
use super::target::{Break, Target};
use crate::verdict::Verdict;

/// Every target the schema of the object at `path` offers, its nested objects and items
/// included. `extra` is left to the webhook agreement test.
pub fn targets(schema: &Value, path: &[Step], out: &mut Vec<Target>) {
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
        field_targets(property, &field, required.contains(&key.as_str()), out);
    }
    rule_targets(schema, path, out);
}

/// The targets of the field at `field` (its schema `property`), then those inside it.
fn field_targets(property: &Value, field: &[Step], required: bool, out: &mut Vec<Target>) {
    let mut add = |how: Break, ok: bool| {
        out.push(Target {
            path: field.to_vec(),
            rule: Vec::new(),
            expected: if ok { Ok(()) } else { Err(field_name(field)) },
            how,
        })
    };
    if required {
        add(Break::Missing, false);
    }
    add(Break::Null, false);
    add(Break::WrongType, false);
    for (how, ok) in edges(property) {
        add(how, ok);
    }
    match property["type"].as_str() {
        Some("array") => {
            let items = &property["items"];
            if items["type"] == "object" {
                let mut item = field.to_vec();
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
        Some("object") => targets(property, field, out),
        _ => {}
    }
}

/// The ways the field's type and bounds offer to break it or keep it at an edge, each with
/// whether the body stays valid.
fn edges(property: &Value) -> Vec<(Break, bool)> {
    let mut found = Vec::new();
    let mut add = |how: Break, ok: bool| found.push((how, ok));
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
        }
        _ => {}
    }
    found
}

/// The targets of the rules across fields of the object at `path`.
fn rule_targets(schema: &Value, path: &[Step], out: &mut Vec<Target>) {
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
pub fn integer_outside(allowed: &[Value]) -> i64 {
    let values: Vec<i64> = allowed.iter().filter_map(Value::as_i64).collect();
    let low = *values.iter().min().expect("an integer enum");
    (low..).find(|n| !values.contains(n)).expect("a gap")
}

/// Every combination of the values each field of a pair rule may take alone (its enum, or
/// the values the listed pairs use).
pub fn cross_product(schema: &Value, fields: &[String], pairs: &[Value]) -> Vec<Vec<Value>> {
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

/// Every target of every operation: the valid body, then each field's and each rule's.
pub fn all_targets() -> Vec<(&'static SubmitOperation, Target)> {
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
