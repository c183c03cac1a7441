//! The request schemas the client checks bodies against: each submit operation's schema with
//! its `$ref`s resolved, and a check that the spec says each cross-field rule the same way in
//! `x-novita-rules` and in plain JSON Schema.

use serde_json::{json, Map, Value};

use crate::operations::submit_operations;
use crate::spec_rules::{Rule, Schema};

/// Maps each request schema name (e.g. `WanT2vRequest`) to its fully resolved schema.
pub(crate) fn collect_request_schemas(spec: &Value) -> Value {
    let mut out = Map::new();
    for operation in submit_operations(spec) {
        let schema = json!({ "$ref": operation.reference });
        out.insert(operation.schema, resolve_refs(spec, &schema, 0));
    }
    Value::Object(out)
}

/// Inlines every `$ref` (the spec has no recursive schemas; depth is bounded all the same).
fn resolve_refs(spec: &Value, value: &Value, depth: usize) -> Value {
    assert!(depth < 32, "schema nesting too deep; recursive $ref?");
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                let pointer = reference.trim_start_matches('#');
                let target = spec
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("unresolved $ref {reference}"));
                return resolve_refs(spec, target, depth + 1);
            }
            Value::Object(
                map.iter()
                    .filter(|(key, _)| !matches!(key.as_str(), "example" | "examples"))
                    .map(|(key, v)| (key.clone(), resolve_refs(spec, v, depth + 1)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve_refs(spec, v, depth + 1))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Fails the build when a schema's `x-novita-rules` and its plain JSON Schema form (`anyOf` of
/// allowed pairs, `oneOf` of `required`) say different things.
pub(crate) fn check_rule_encodings(name: &str, schema: &Value) {
    let schema = Schema::read(schema);
    for rule in &schema.rules {
        let fields: Vec<&String> = rule.fields().iter().collect();
        match rule {
            Rule::AllowedPairs { pairs, .. } => {
                let from_schema: Vec<Vec<Value>> = schema
                    .any_of
                    .as_ref()
                    .unwrap_or_else(|| panic!("{name}: allowed_pairs needs the anyOf form too"))
                    .iter()
                    .filter(|branch| branch.properties.is_some())
                    .map(|branch| fields.iter().map(|f| first_value(branch, f)).collect())
                    .collect();
                assert_eq!(
                    *pairs, from_schema,
                    "{name}: x-novita-rules pairs and anyOf differ"
                );
            }
            Rule::ExactlyOneOf { .. } => {
                let from_schema: Vec<&String> = schema
                    .one_of
                    .as_ref()
                    .unwrap_or_else(|| panic!("{name}: exactly_one_of needs the oneOf form too"))
                    .iter()
                    .map(|branch| branch.required.first().expect("required field"))
                    .collect();
                assert_eq!(
                    fields, from_schema,
                    "{name}: x-novita-rules fields and oneOf differ"
                );
            }
            Rule::AtMostOneOf { .. } => {
                // `anyOf` of one `not: {required: [field]}` per field: at least one is absent.
                let from_schema: Vec<&String> = schema
                    .any_of
                    .as_ref()
                    .unwrap_or_else(|| panic!("{name}: at_most_one_of needs the anyOf form too"))
                    .iter()
                    .filter_map(|branch| branch.not.as_ref()?.required.first())
                    .collect();
                assert_eq!(
                    fields, from_schema,
                    "{name}: x-novita-rules fields and anyOf of not/required differ"
                );
            }
            Rule::Unknown { name: other, .. } => {
                panic!("{name}: unknown rule {:?}", other.as_deref())
            }
        }
    }
}

/// The first value of the enum of `branch`'s member `field` (null when there is none).
fn first_value(branch: &Schema, field: &str) -> Value {
    let enumeration = branch.property(field).and_then(|p| p.enumeration.as_ref());
    enumeration
        .and_then(|values| values.first())
        .cloned()
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::check_rule_encodings;

    fn pairs(second: i64) -> serde_json::Value {
        json!({
            "x-novita-rules": [{"rule": "allowed_pairs", "fields": ["w", "h"], "pairs": [[1, 2]]}],
            "anyOf": [{"properties": {"w": {"enum": [1]}, "h": {"enum": [second]}}}]
        })
    }

    #[test]
    fn encodings_that_agree_pass() {
        check_rule_encodings("Same", &pairs(2));
        let one_of = json!({
            "x-novita-rules": [{"rule": "exactly_one_of", "fields": ["a", "b"]}],
            "oneOf": [{"required": ["a"]}, {"required": ["b"]}]
        });
        check_rule_encodings("OneOf", &one_of);
        let at_most = json!({
            "x-novita-rules": [{"rule": "at_most_one_of", "fields": ["a", "b"]}],
            "anyOf": [{"not": {"required": ["a"]}}, {"not": {"required": ["b"]}}]
        });
        check_rule_encodings("AtMost", &at_most);
    }

    #[test]
    #[should_panic(expected = "Differ: x-novita-rules pairs and anyOf differ")]
    fn pairs_that_differ_fail_the_build() {
        check_rule_encodings("Differ", &pairs(3));
    }

    #[test]
    #[should_panic(expected = "Odd: unknown rule Some(\"odd\")")]
    fn an_unknown_rule_fails_the_build() {
        check_rule_encodings(
            "Odd",
            &json!({"x-novita-rules": [{"rule": "odd", "fields": []}]}),
        );
    }
}
