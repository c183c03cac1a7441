//! Valid values and bodies for a schema, with every rule across fields kept.

use novita_video::spec_rules::{Kind, Rule, Schema};
use serde_json::{json, Map, Number, Value};

use super::choices::Choices;
use super::path::Step;
use super::spec::rules;

/// A valid value for `schema`; `force` is a path inside it that must be present.
pub fn valid(schema: &Schema, c: &mut Choices, force: &[Step]) -> Value {
    if let Some(values) = &schema.enumeration {
        return values[c.pick(values.len())].clone();
    }
    match schema.kind {
        Some(Kind::Integer) => {
            let min = schema
                .minimum
                .as_ref()
                .and_then(Number::as_i64)
                .unwrap_or(-5);
            let max = schema
                .maximum
                .as_ref()
                .and_then(Number::as_i64)
                .unwrap_or(min + 100);
            let edges = [min, max, min + (max - min) / 2];
            json!(edges[c.pick(edges.len())])
        }
        Some(Kind::Number) => {
            let min = schema
                .minimum
                .as_ref()
                .and_then(Number::as_f64)
                .unwrap_or(0.0);
            let max = schema
                .maximum
                .as_ref()
                .and_then(Number::as_f64)
                .unwrap_or(min + 10.0);
            let edges = [min, max, (min + max) / 2.0];
            json!(edges[c.pick(edges.len())])
        }
        Some(Kind::Boolean) => json!(c.coin()),
        Some(Kind::String) => {
            if schema.pattern.is_some() || schema.media.is_some() {
                return json!("https://example.com/input.png");
            }
            let (min, max) = lengths(schema);
            let lengths = [min.max(1).min(max), max, min];
            json!("é".repeat(lengths[c.pick(lengths.len())]))
        }
        Some(Kind::Array) => {
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
                valid(item_schema(schema), c, rest)
            });
            Value::Array(items.collect())
        }
        Some(Kind::Object) | None if schema.properties.is_some() => valid_object(schema, c, force),
        _ => json!({}),
    }
}

pub fn lengths(schema: &Schema) -> (usize, usize) {
    let min = schema.min_length.unwrap_or(0) as usize;
    let max = schema.max_length.map_or(min + 40, |m| m as usize);
    (min, max)
}

pub fn item_counts(schema: &Schema) -> (usize, usize) {
    let min = schema.min_items.unwrap_or(0) as usize;
    let max = schema.max_items.map_or(min + 2, |m| m as usize);
    (min, max)
}

/// The schema of an array's items; one that names none takes any item (an empty schema).
pub fn item_schema(schema: &Schema) -> &Schema {
    static ANY: Schema = Schema::ANY;
    schema.items.as_deref().unwrap_or(&ANY)
}

/// The schema of `object`'s member `name` (an empty schema when it names none).
pub fn member<'a>(object: &'a Schema, name: &str) -> &'a Schema {
    static ANY: Schema = Schema::ANY;
    object.property(name).unwrap_or(&ANY)
}

/// A valid object: its required fields, a random choice of the others, `force[0]` for sure,
/// and its rules across fields kept.
pub fn valid_object(schema: &Schema, c: &mut Choices, force: &[Step]) -> Value {
    let forced = match force.first() {
        Some(Step::Key(key)) => Some(key.as_str()),
        _ => None,
    };
    let mut body = Map::new();
    for (name, property) in schema.members() {
        if name == "extra" {
            continue; // covered by the webhook agreement test
        }
        if forced == Some(name) {
            body.insert(name.clone(), valid(property, c, &force[1..]));
        } else if schema.is_required(name) || c.coin() {
            body.insert(name.clone(), valid(property, c, &[]));
        }
    }
    let keep: Vec<String> = forced.map(str::to_string).into_iter().collect();
    keep_rules(schema, &mut body, c, &keep, &[], None);
    Value::Object(body)
}

/// Makes `body` keep every rule across fields of `schema` but the one at `skip`, without
/// removing or changing the fields in `keep`, nor adding those in `banned`.
pub fn keep_rules(
    schema: &Schema,
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
    for (index, (rule, fields)) in all.iter().enumerate() {
        if Some(index) == skip || !matches!(rule, Rule::AtMostOneOf { .. }) {
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
    for (index, (rule, fields)) in all.iter().enumerate() {
        if Some(index) == skip {
            continue;
        }
        match rule {
            Rule::ExactlyOneOf { .. } => {
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
                    let value = valid(member(schema, &stay), c, &[]);
                    body.insert(stay, value);
                }
            }
            Rule::AllowedPairs { pairs, .. } if fields.iter().all(|f| body.contains_key(f)) => {
                let pair = &pairs[c.pick(pairs.len())];
                for (index, field) in fields.iter().enumerate() {
                    body.insert(field.clone(), pair[index].clone());
                }
            }
            _ => {}
        }
    }
}
