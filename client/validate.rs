//! Checks a request body against the rules of its schema in `openapi/novita.yaml` before it is
//! sent. `cargo run -p novita-codegen` resolves each submit operation's request schema into
//! `client/generated/request_schemas.json`, which [`crate::spec_rules`] reads once into typed
//! rules (`type`, `required`, `enum`, ranges, lengths, `pattern`, item counts, `x-novita-media`
//! and the spec's own `x-novita-rules`); this module holds a body to them and words what it breaks.

use std::{collections::HashMap, sync::OnceLock};

use serde_json::{Map, Number, Value};

use crate::spec_rules::{Kind, Rule, Schema};
use crate::Violation;

static REQUEST_SCHEMAS: &str = include_str!("generated/request_schemas.json");

fn schemas() -> &'static Map<String, Value> {
    static PARSED: OnceLock<Map<String, Value>> = OnceLock::new();
    PARSED.get_or_init(|| {
        serde_json::from_str(REQUEST_SCHEMAS)
            .expect("novita-codegen writes a JSON object of schemas")
    })
}

/// The resolved request schema named `schema_name`.
///
/// # Panics
/// When `schema_name` is not a request schema of the spec: that is a bug in this crate.
pub(crate) fn request_schema(schema_name: &str) -> &'static Value {
    schemas()
        .get(schema_name)
        .unwrap_or_else(|| panic!("no request schema named {schema_name} in the spec"))
}

/// The rules of the request schema named `schema_name`, read once for every schema.
///
/// # Panics
/// When `schema_name` is not a request schema of the spec: that is a bug in this crate.
pub(crate) fn request_rules(schema_name: &str) -> &'static Schema {
    static READ: OnceLock<HashMap<&'static str, Schema>> = OnceLock::new();
    let read = READ.get_or_init(|| {
        let read = |(name, schema): (&'static String, _)| (name.as_str(), Schema::read(schema));
        schemas().iter().map(read).collect()
    });
    read.get(schema_name)
        .unwrap_or_else(|| panic!("no request schema named {schema_name} in the spec"))
}

#[cfg(test)]
thread_local! {
    /// Bodies checked on this thread: the unit tests count that each path checks once.
    pub(crate) static CHECKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// `Ok` when `body` keeps every rule of the request schema `schema_name`, else the typed error
/// listing each broken rule.
pub(crate) fn check_body(schema_name: &str, body: &Value) -> Result<(), crate::Error> {
    #[cfg(test)]
    CHECKS.with(|checks| checks.set(checks.get() + 1));
    let found = violations(schema_name, body);
    if found.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::InvalidRequest { violations: found })
    }
}

/// Every rule `body` breaks under the request schema `schema_name` (empty when it is valid).
///
/// # Panics
/// When `schema_name` is not a request schema of the spec: that is a bug in this crate.
pub(crate) fn violations(schema_name: &str, body: &Value) -> Vec<Violation> {
    let schema = request_rules(schema_name);
    let mut found = Vec::new();
    check(schema, body, "", &mut found);
    found
}

/// The members of `body` that `schema` does not name, each as a violation that suggests the
/// closest name it does (`durration`: did you mean `duration`?). `of` names the request in the
/// rule (`wan2.7-t2v`). Objects whose schema lists no members (open objects) are not judged.
///
/// The spec's rules allow unknown members, as JSON Schema does; a body given as JSON is held
/// to this stricter rule because its typed request would drop them unsent.
pub(crate) fn unknown_fields(schema: &Schema, body: &Value, of: &str) -> Vec<Violation> {
    let mut found = Vec::new();
    unknown_in(schema, body, "", of, &mut found);
    found
}

fn unknown_in(schema: &Schema, value: &Value, path: &str, of: &str, found: &mut Vec<Violation>) {
    match value {
        Value::Object(members) => {
            let Some(properties) = &schema.properties else {
                return;
            };
            for (name, member) in members {
                let member_path = join_path(path, name);
                match schema.property(name) {
                    Some(property) => unknown_in(property, member, &member_path, of, found),
                    None => {
                        let hint = properties
                            .iter()
                            .map(|(known, _)| known)
                            .map(|known| (strsim::damerau_levenshtein(name, known), known))
                            .filter(|(distance, _)| *distance <= 2)
                            .min()
                            .map(|(_, known)| format!(" (did you mean `{known}`?)"))
                            .unwrap_or_default();
                        push(found, &member_path, format!("is not a field of {of}{hint}"));
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = &schema.items {
                for (index, item_value) in items.iter().enumerate() {
                    unknown_in(item, item_value, &format!("{path}[{index}]"), of, found);
                }
            }
        }
        _ => {}
    }
}

fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

fn push(found: &mut Vec<Violation>, field: &str, rule: String) {
    let field = if field.is_empty() { "body" } else { field };
    found.push(Violation {
        field: field.to_string(),
        rule,
    });
}

fn check(schema: &Schema, value: &Value, path: &str, found: &mut Vec<Violation>) {
    if let Some(expected) = schema.kind {
        if !has_type(value, expected) {
            push(
                found,
                path,
                format!("must be {} (got {})", article(expected), describe(value)),
            );
            return;
        }
    }
    if let Some(allowed) = &schema.enumeration {
        if !allowed.contains(value) && !allowed.iter().any(|a| same_number(a, value)) {
            let list: Vec<String> = allowed.iter().map(show).collect();
            push(
                found,
                path,
                format!("must be one of {} (got {})", list.join(", "), show(value)),
            );
        }
    }
    match value {
        Value::Number(_) => check_range(schema, value, path, found),
        Value::String(text) => {
            check_length(schema, text, path, found);
            check_pattern(schema, text, path, found);
            if let Some(limits) = &schema.media {
                if let Some(problem) = crate::media::media_problem(limits, text) {
                    push(found, path, problem);
                }
            }
        }
        Value::Array(items) => {
            if let Some(max) = schema.max_items {
                if items.len() as u64 > max {
                    push(
                        found,
                        path,
                        format!("must have at most {max} items (got {})", items.len()),
                    );
                }
            }
            if let Some(min) = schema.min_items {
                if (items.len() as u64) < min {
                    push(
                        found,
                        path,
                        format!("must have at least {min} items (got {})", items.len()),
                    );
                }
            }
            if let Some(item_schema) = &schema.items {
                for (index, item) in items.iter().enumerate() {
                    check(item_schema, item, &format!("{path}[{index}]"), found);
                }
            }
        }
        Value::Object(fields) => check_object(schema, fields, path, found),
        Value::Bool(_) | Value::Null => {}
    }
}

fn check_object(
    schema: &Schema,
    fields: &Map<String, Value>,
    path: &str,
    found: &mut Vec<Violation>,
) {
    let present = |name: &str| fields.contains_key(name);
    for name in &schema.required {
        if !present(name) {
            push(found, &join_path(path, name), "is required".to_string());
        }
    }
    for (name, value) in fields {
        if let Some(property) = schema.property(name) {
            check(property, value, &join_path(path, name), found);
        }
    }
    for rule in &schema.rules {
        check_rule(rule, fields, path, found);
    }
}

fn check_rule(rule: &Rule, fields: &Map<String, Value>, path: &str, found: &mut Vec<Violation>) {
    let names = rule.fields();
    // A null is already reported as a wrong type; the rule looks at real values only.
    let given: Vec<&Value> = names
        .iter()
        .filter_map(|n| fields.get(n).filter(|v| !v.is_null()))
        .collect();
    let label = join_path(path, &names.join("/"));
    match rule {
        Rule::AllowedPairs { pairs, .. } => {
            // Only a complete pair is checked: with either one missing the service uses its default pair.
            if given.len() != names.len() {
                return;
            }
            let matches = pairs.iter().any(|pair| {
                pair.len() == given.len()
                    && pair
                        .iter()
                        .zip(&given)
                        .all(|(a, b)| same_number(a, b) || a == *b)
            });
            if !matches {
                let allowed: Vec<String> = pairs
                    .iter()
                    .map(|p| p.iter().map(show).collect::<Vec<_>>().join("x"))
                    .collect();
                let got: Vec<String> = given.iter().map(|v| show(v)).collect();
                push(
                    found,
                    &label,
                    format!(
                        "must be one of the pairs {} (got {})",
                        allowed.join(", "),
                        got.join("x")
                    ),
                );
            }
        }
        Rule::ExactlyOneOf { .. } => {
            if given.len() != 1 {
                let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                let got = if given.is_empty() { "neither" } else { "both" };
                push(
                    found,
                    &label,
                    format!("needs exactly one of {} (got {got})", quoted.join(" and ")),
                );
            }
        }
        Rule::AtMostOneOf { .. } => {
            if given.len() > 1 {
                let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                push(
                    found,
                    &label,
                    format!("takes at most one of {} (got both)", quoted.join(" and ")),
                );
            }
        }
        Rule::Unknown { name, .. } => push(
            found,
            &label,
            format!("has an unknown rule {:?} in the spec", name.as_deref()),
        ),
    }
}

fn check_range(schema: &Schema, value: &Value, path: &str, found: &mut Vec<Violation>) {
    let Some(number) = value.as_f64() else {
        return;
    };
    let (minimum, maximum) = (&schema.minimum, &schema.maximum);
    let below = minimum
        .as_ref()
        .and_then(Number::as_f64)
        .is_some_and(|min| number < min);
    let above = maximum
        .as_ref()
        .and_then(Number::as_f64)
        .is_some_and(|max| number > max);
    if below || above {
        let range = match (minimum, maximum) {
            (Some(min), Some(max)) => format!("between {min} and {max}"),
            (Some(min), None) => format!("at least {min}"),
            (None, Some(max)) => format!("at most {max}"),
            (None, None) => unreachable!("a bound was broken"),
        };
        push(
            found,
            path,
            format!("must be {range} (got {})", show(value)),
        );
    }
}

fn check_pattern(schema: &Schema, text: &str, path: &str, found: &mut Vec<Violation>) {
    let Some(pattern) = schema.pattern.as_deref() else {
        return;
    };
    // ECMA 262 syntax, as JSON Schema specifies; `regress` implements exactly that.
    match regress::Regex::new(pattern) {
        Ok(regex) if regex.find(text).is_some() => {}
        Ok(_) => push(found, path, format!("must match {pattern} (got {text:?})")),
        Err(e) => push(
            found,
            path,
            format!("has a pattern the spec cannot compile: {e}"),
        ),
    }
}

fn check_length(schema: &Schema, text: &str, path: &str, found: &mut Vec<Violation>) {
    // Novita counts characters (a Chinese character counts as one), not bytes.
    let length = text.chars().count() as u64;
    let (min, max) = (schema.min_length, schema.max_length);
    if min.is_some_and(|m| length < m) || max.is_some_and(|m| length > m) {
        let range = match (min, max) {
            (Some(min), Some(max)) => format!("between {min} and {max}"),
            (Some(min), None) => format!("at least {min}"),
            (None, Some(max)) => format!("at most {max}"),
            (None, None) => unreachable!("a bound was broken"),
        };
        push(
            found,
            path,
            format!("must be {range} characters long (got {length})"),
        );
    }
}

fn has_type(value: &Value, expected: Kind) -> bool {
    match expected.name() {
        // As JSON Schema and the tools built on it (schemathesis, jsonschema) read the spec,
        // 5.0 is an integer; `normalize_integers` writes it as 5 before a typed request is built.
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(is_whole),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// A whole number small enough to be held exactly as an integer.
fn is_whole(f: f64) -> bool {
    f.fract() == 0.0 && f.abs() < 9.0e15
}

/// Rewrites every integral float that the schema types as an integer (`480.0`) as an integer
/// (`480`), so that a checked body fits the generated types.
pub(crate) fn normalize_integers(schema: &Schema, value: &mut Value) {
    match value {
        Value::Number(n) if schema.kind == Some(Kind::Integer) => {
            if let Some(f) = n
                .as_f64()
                .filter(|f| !n.is_i64() && !n.is_u64() && is_whole(*f))
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => {
            let Some(item_schema) = &schema.items else {
                return;
            };
            for item in items {
                normalize_integers(item_schema, item);
            }
        }
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if let Some(property) = schema.property(name) {
                    normalize_integers(property, field);
                }
            }
        }
        _ => {}
    }
}

fn same_number(a: &Value, b: &Value) -> bool {
    matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

fn article(kind: Kind) -> String {
    match kind.name() {
        "integer" => "an integer".into(),
        kind @ ("object" | "array") => format!("an {kind}"),
        other => format!("a {other}"),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
