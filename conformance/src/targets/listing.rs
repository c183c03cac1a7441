//! Walking a request schema for its targets: each field's ways to break or keep at an edge,
//! and each rule across fields.

use novita_video::spec_rules::{Kind, Rule, Schema};
use novita_video::SubmitOperation;
use serde_json::{json, Value};

use super::path::{field_name, rule_name, Step};
use super::spec::rules;
use super::target::{Break, Target};
use super::valid::member;
use crate::verdict::Verdict;

/// Every target the schema of the object at `path` offers, its nested objects and items
/// included. `extra` is left to the webhook agreement test.
pub fn targets(schema: &Schema, path: &[Step], out: &mut Vec<Target>) {
    out.push(Target {
        path: path.to_vec(),
        rule: Vec::new(),
        how: Break::UnknownField,
        expected: Ok(()),
    });
    for (key, property) in schema.members() {
        if path.is_empty() && key == "extra" {
            continue;
        }
        let mut field = path.to_vec();
        field.push(Step::Key(key.clone()));
        field_targets(property, &field, schema.is_required(key), out);
    }
    rule_targets(schema, path, out);
}

/// The targets of the field at `field` (its schema `property`), then those inside it.
fn field_targets(property: &Schema, field: &[Step], required: bool, out: &mut Vec<Target>) {
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
    match property.kind {
        Some(Kind::Array) => {
            let items = super::valid::item_schema(property);
            if items.kind == Some(Kind::Object) {
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
        Some(Kind::Object) => targets(property, field, out),
        _ => {}
    }
}

/// The ways the field's type and bounds offer to break it or keep it at an edge, each with
/// whether the body stays valid.
fn edges(property: &Schema) -> Vec<(Break, bool)> {
    let mut found = Vec::new();
    let mut add = |how: Break, ok: bool| found.push((how, ok));
    match property.kind {
        Some(Kind::Integer) => {
            add(Break::Fraction, false);
            add(Break::IntegralFloat, true);
            if property.minimum.is_some() {
                add(Break::BelowMinimum, false);
            }
            if property.maximum.is_some() {
                add(Break::AboveMaximum, false);
            }
            if let Some(allowed) = &property.enumeration {
                add(Break::OutsideEnum(json!(integer_outside(allowed))), false);
            }
        }
        Some(Kind::Number) => {
            if property.minimum.is_some() {
                add(Break::BelowMinimum, false);
            }
            if property.maximum.is_some() {
                add(Break::AboveMaximum, false);
            }
        }
        Some(Kind::String) => {
            if property.enumeration.is_some() {
                add(Break::OutsideEnum(json!("NOT-AN-OPTION")), false);
            }
            if property.min_length.is_some_and(|min| min > 0) {
                add(Break::TooShort, false);
            }
            if property.max_length.is_some() {
                add(Break::TooLong, false);
            }
        }
        Some(Kind::Array) => {
            if property.max_items.is_some() {
                add(Break::AtMaxItems, true);
                add(Break::OverMaxItems, false);
            }
            if property.min_items.is_some_and(|min| min > 0) {
                add(Break::UnderMinItems, false);
            }
        }
        _ => {}
    }
    found
}

/// The targets of the rules across fields of the object at `path`.
fn rule_targets(schema: &Schema, path: &[Step], out: &mut Vec<Target>) {
    for (rule, fields) in rules(schema) {
        let label = Err(rule_name(path, fields));
        let mut add = |how: Break, expected: Verdict| {
            out.push(Target {
                path: path.to_vec(),
                rule: fields.to_vec(),
                how,
                expected,
            })
        };
        match rule {
            Rule::AllowedPairs { pairs, .. } => {
                for values in cross_product(schema, fields, pairs) {
                    let listed = pairs.contains(&values);
                    add(
                        Break::Pair(values),
                        if listed { Ok(()) } else { label.clone() },
                    );
                }
                for index in 0..fields.len() {
                    add(Break::PairWithout(index), Ok(()));
                }
            }
            Rule::ExactlyOneOf { .. } => {
                add(Break::All, label.clone());
                add(Break::Neither, label.clone());
                for index in 0..fields.len() {
                    add(Break::Only(index), Ok(()));
                }
            }
            Rule::AtMostOneOf { .. } => {
                add(Break::All, label.clone());
                add(Break::Neither, Ok(()));
                for index in 0..fields.len() {
                    add(Break::Only(index), Ok(()));
                }
            }
            Rule::Unknown { name, .. } => {
                let other = name.as_deref().unwrap_or_default();
                panic!("the spec has a rule this test does not know: {other}")
            }
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
pub fn cross_product(schema: &Schema, fields: &[String], pairs: &[Vec<Value>]) -> Vec<Vec<Value>> {
    let mut combinations: Vec<Vec<Value>> = vec![Vec::new()];
    for (index, field) in fields.iter().enumerate() {
        let mut values: Vec<Value> = match &member(schema, field).enumeration {
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
        targets(operation.rules(), &[], &mut found);
        all.extend(found.into_iter().map(|target| (operation, target)));
    }
    all
}
