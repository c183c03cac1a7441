//! A body for one target: valid around it, then changed at the target as it says.

use novita_video::spec_rules::{Kind, Rule, Schema};
use serde_json::{json, Map, Value};

use super::choices::Choices;
use super::path::{pointer, schema_at, Step};
use super::spec::rules;
use super::target::{Break, Target};
use super::valid::{item_counts, item_schema, keep_rules, lengths, member, valid};

/// A body for `target`: valid, with what the target names present, then changed as it says.
pub fn body_for(root: &Schema, target: &Target, c: &mut Choices) -> Value {
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
pub fn broken_value(
    schema: &Schema,
    current: &Value,
    how: &Break,
    c: &mut Choices,
) -> Option<Value> {
    let integer = schema.kind == Some(Kind::Integer);
    let bound = |n: &Option<serde_json::Number>| n.as_ref().and_then(|n| n.as_f64()).unwrap();
    let step = if integer { 1.0 } else { 0.5 };
    Some(match how {
        Break::Nothing | Break::UnknownField => current.clone(),
        Break::Missing => return None,
        Break::Null => Value::Null,
        Break::WrongType => match schema.kind {
            Some(Kind::Integer) | Some(Kind::Number) => json!("5"),
            Some(Kind::String) => json!(7),
            Some(Kind::Boolean) => json!("true"),
            Some(Kind::Array) => json!("a list, not"),
            _ => json!(["an object, not"]),
        },
        Break::IntegralFloat => json!(current.as_i64().expect("an integer") as f64),
        Break::Fraction => json!(current.as_f64().expect("a number") + 0.5),
        Break::BelowMinimum => json!(bound(&schema.minimum) - step),
        Break::AboveMaximum => json!(bound(&schema.maximum) + step),
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
            let items = (0..count).map(|_| valid(item_schema(schema), c, &[]));
            Value::Array(items.collect())
        }
        Break::Pair(_) | Break::PairWithout(_) | Break::All | Break::Neither | Break::Only(_) => {
            unreachable!("a rule across fields")
        }
    })
}

/// Sets the fields of the target's rule as it says, keeping every other rule.
pub fn break_rule(
    schema: &Schema,
    object: &mut Map<String, Value>,
    target: &Target,
    c: &mut Choices,
) {
    let index = rules(schema)
        .position(|(_, fields)| fields == target.rule)
        .expect("the target's rule");
    let fields = &target.rule;
    let set =
        |object: &mut Map<String, Value>, field: &String, value: Option<Value>, c: &mut Choices| {
            let value = value.unwrap_or_else(|| valid(member(schema, field), c, &[]));
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
            let Some((Rule::AllowedPairs { pairs, .. }, _)) = rules(schema).nth(index) else {
                unreachable!("a pair rule's target")
            };
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
