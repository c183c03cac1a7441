//! Bodies for the spec's request schemas, aimed at targets: walking a schema lists every way
//! the spec offers to break a field or a rule across fields, or to keep it at an edge
//! ([`targets`]); [`body_for`] builds a valid body around one target and applies it, with the
//! random part read from [`Choices`]. `tests/differential.rs` tries every target on random
//! bodies; `tests/agreement.rs` tries the rules across fields on the spec's own examples.

use novita_video::SubmitOperation;
use serde_json::{json, Map, Value};

use crate::verdict::Verdict;

/// Reads decisions from a list of numbers: shrinking the list towards zeros makes the body
/// simpler, so a failure shrinks to a small example.
pub struct Choices<'a> {
    numbers: &'a [u32],
    next: usize,
}

impl<'a> Choices<'a> {
    /// Decisions read from `numbers`; past their end every decision is the first choice.
    pub fn new(numbers: &'a [u32]) -> Self {
        Choices { numbers, next: 0 }
    }
}

impl Choices<'_> {
    pub fn pick(&mut self, count: usize) -> usize {
        let n = self.numbers.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        if count == 0 {
            0
        } else {
            n as usize % count
        }
    }

    pub fn coin(&mut self) -> bool {
        self.pick(2) == 1
    }
}

/// One step into a body: a member of an object, or the first item of an array.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(String),
    First,
}

/// The field name both sides give for `path`: `loras[0].scale`, `input.prompt`.
pub fn field_name(path: &[Step]) -> String {
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
pub fn rule_name(path: &[Step], fields: &[String]) -> String {
    let mut steps = path.to_vec();
    steps.push(Step::Key(fields.join("/")));
    field_name(&steps)
}

/// How a case changes a valid body at its target.
#[derive(Clone, Debug)]
pub enum Break {
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
pub struct Target {
    pub path: Vec<Step>,
    /// For a rule across fields: the fields of the object at `path` it joins.
    pub rule: Vec<String>,
    pub how: Break,
    pub expected: Verdict,
}

impl Target {
    /// A short name for reports: `loras[0].scale: BelowMinimum`.
    pub fn describe(&self) -> String {
        let at = if self.rule.is_empty() {
            field_name(&self.path)
        } else {
            rule_name(&self.path, &self.rule)
        };
        format!("{at}: {:?}", self.how)
    }
}

pub fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

pub fn rules(schema: &Value) -> impl Iterator<Item = (&str, Vec<String>, &Value)> {
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

/// A valid value for `schema`; `force` is a path inside it that must be present.
pub fn valid(schema: &Value, c: &mut Choices, force: &[Step]) -> Value {
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

pub fn lengths(schema: &Value) -> (usize, usize) {
    let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
    let max = schema["maxLength"]
        .as_u64()
        .map_or(min + 40, |m| m as usize);
    (min, max)
}

pub fn item_counts(schema: &Value) -> (usize, usize) {
    let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
    let max = schema["maxItems"].as_u64().map_or(min + 2, |m| m as usize);
    (min, max)
}

/// A valid object: its required fields, a random choice of the others, `force[0]` for sure,
/// and its rules across fields kept.
pub fn valid_object(schema: &Value, c: &mut Choices, force: &[Step]) -> Value {
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
pub fn keep_rules(
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
pub fn schema_at<'a>(schema: &'a Value, path: &[Step]) -> &'a Value {
    path.iter().fold(schema, |at, step| match step {
        Step::Key(key) => &at["properties"][key],
        Step::First => &at["items"],
    })
}

pub fn pointer(path: &[Step]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) => format!("/{key}"),
            Step::First => "/0".to_string(),
        })
        .collect()
}

/// A body for `target`: valid, with what the target names present, then changed as it says.
pub fn body_for(root: &Value, target: &Target, c: &mut Choices) -> Value {
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
    schema: &Value,
    current: &Value,
    how: &Break,
    c: &mut Choices,
) -> Option<Value> {
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
pub fn break_rule(
    schema: &Value,
    object: &mut Map<String, Value>,
    target: &Target,
    c: &mut Choices,
) {
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
