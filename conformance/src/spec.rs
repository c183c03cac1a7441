//! Validates JSON bodies against the component schemas of `openapi/novita.yaml`.
//!
//! OpenAPI 3.0 schemas are JSON Schema with a few differences; the one this spec uses is
//! `nullable: true`, turned here into `anyOf [schema, {"type": "null"}]`.

use std::{collections::HashMap, sync::Mutex};

use serde_json::{json, Map, Value};

pub struct Spec {
    document: Value,
    components: Value,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

pub const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/novita.yaml");

impl Spec {
    pub fn load() -> Spec {
        let text = std::fs::read_to_string(SPEC_PATH).expect("read the spec");
        let document: Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{SPEC_PATH} is not valid YAML: {e}"));
        let mut schemas = document["components"]["schemas"].clone();
        convert_nullable(&mut schemas);
        Spec {
            components: json!({ "schemas": schemas }),
            document,
            validators: Mutex::new(HashMap::new()),
        }
    }

    pub fn document(&self) -> &Value {
        &self.document
    }

    fn validator(&self, schema: &str) -> std::sync::Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().expect("validator cache");
        cache
            .entry(schema.to_string())
            .or_insert_with(|| {
                let root = json!({
                    "allOf": [{ "$ref": format!("#/components/schemas/{schema}") }],
                    "components": self.components,
                });
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft7)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"));
                std::sync::Arc::new(validator)
            })
            .clone()
    }

    /// Every way `instance` breaks the component schema `schema`.
    pub fn errors(&self, schema: &str, instance: &Value) -> Vec<String> {
        self.validator(schema)
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// The component schema the spec gives for an answer of `status` to `method path`.
    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> Option<String> {
        let operation = self.document["paths"]
            .get(path)?
            .get(method.to_ascii_lowercase())?;
        let responses = &operation["responses"];
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get(format!("{}XX", status / 100)))?;
        let response = match response.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.document.pointer(reference.trim_start_matches('#'))?,
            None => response,
        };
        let reference = response["content"]["application/json"]["schema"]["$ref"].as_str()?;
        Some(reference.rsplit('/').next()?.to_string())
    }
}

fn convert_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                convert_nullable(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(map));
                let mut wrapped = Map::new();
                wrapped.insert("anyOf".into(), json!([inner, { "type": "null" }]));
                *map = wrapped;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_nullable),
        _ => {}
    }
}
