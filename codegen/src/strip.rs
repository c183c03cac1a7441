//! The copy of the spec handed to progenitor is stripped of keywords that only validate
//! (`default`, `minimum`, `maxLength`, integer `enum`, ...): progenitor would otherwise
//! serialize every default into request bodies and turn length limits into newtypes that also
//! reject responses. Those rules are enforced from `request_schemas.json` instead, so the spec
//! stays the single place where they are written.

use serde_json::Value;

use crate::spec_rules::{RULES_KEY, VALIDATION_ONLY};

/// Removes validation-only keywords from every schema of the spec (component schemas and
/// parameter schemas); examples are left untouched.
pub(crate) fn strip_validation_keywords(spec: &mut Value) {
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            strip_schema(schema);
        }
    }
    if let Some(paths) = spec.pointer_mut("/paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for operation in item
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                let Some(parameters) = operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for parameter in parameters {
                    if let Some(schema) = parameter.get_mut("schema") {
                        strip_schema(schema);
                    }
                }
            }
        }
    }
}

fn strip_schema(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    for keyword in VALIDATION_ONLY {
        map.remove(*keyword);
    }
    // Cross-field rules: `x-novita-rules` says them for this crate, `anyOf`/`oneOf` for generic
    // tools; neither describes the shape of the type.
    if map.contains_key(RULES_KEY) {
        map.remove("anyOf");
        map.remove("oneOf");
    }
    // An integer enum (widths, durations) is a range rule, not a Rust enum worth generating.
    if map.get("type").and_then(Value::as_str) == Some("integer") {
        map.remove("enum");
    }
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" => {
                for property in child
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|m| m.values_mut())
                {
                    strip_schema(property);
                }
            }
            "items" | "additionalProperties" => strip_schema(child),
            "allOf" | "oneOf" | "anyOf" => {
                for sub in child.as_array_mut().into_iter().flatten() {
                    strip_schema(sub);
                }
            }
            _ => {}
        }
    }
}
