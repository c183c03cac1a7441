//! Validates JSON bodies against the component schemas of `openapi/novita.yaml`.
//!
//! OpenAPI 3.0 schemas are JSON Schema with a few differences; the one this spec uses is
//! `nullable: true`, turned here into `anyOf [schema, {"type": "null"}]`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use serde_json::{json, Map, Value};

pub struct Spec {
    document: Value,
    components: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

pub const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/novita.yaml");

/// The spec as it was when this crate was built: the proxy binary carries it.
const SPEC_TEXT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../openapi/novita.yaml"
));

/// What the spec says an answer of one status to one operation holds.
#[derive(Clone, Debug, PartialEq)]
pub enum AnswerSpec {
    /// The status is documented; its JSON body follows this component schema (`None`: the
    /// spec documents no JSON body for it).
    Documented(Option<String>),
    /// The spec lists other statuses only (these).
    Undocumented(Vec<String>),
}

impl Spec {
    pub fn load() -> Spec {
        let document: Value = serde_saphyr::from_str(SPEC_TEXT)
            .unwrap_or_else(|e| panic!("{SPEC_PATH} is not valid YAML: {e}"));
        let mut schemas = document["components"]["schemas"].clone();
        convert_nullable(&mut schemas);
        Spec {
            components: json!({ "schemas": schemas }),
            document,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The spec loaded once for the whole process: the validators it compiles are kept.
    pub fn shared() -> Arc<Spec> {
        static SPEC: OnceLock<Arc<Spec>> = OnceLock::new();
        SPEC.get_or_init(|| Arc::new(Spec::load())).clone()
    }

    pub fn document(&self) -> &Value {
        &self.document
    }

    fn validator(&self, schema: &str) -> Arc<jsonschema::Validator> {
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
                Arc::new(validator)
            })
            .clone()
    }

    /// Every way `instance` breaks the component schema `schema`.
    pub fn errors(&self, schema: &str, instance: &Value) -> Vec<String> {
        self.violations(schema, instance)
            .into_iter()
            .map(|(pointer, message)| format!("{message} at {pointer}"))
            .collect()
    }

    /// Every way `instance` breaks the component schema `schema`, as (JSON pointer, message).
    pub fn violations(&self, schema: &str, instance: &Value) -> Vec<(String, String)> {
        self.validator(schema)
            .iter_errors(instance)
            .map(|e| (e.instance_path().to_string(), e.to_string()))
            .collect()
    }

    /// The operation `method path` of the spec, if it has one.
    pub fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        self.document["paths"]
            .get(path)?
            .get(method.to_ascii_lowercase())
    }

    /// What the spec says of an answer of `status` to `method path`; `None` when the spec has
    /// no such operation.
    pub fn answer(&self, method: &str, path: &str, status: u16) -> Option<AnswerSpec> {
        let responses = &self.operation(method, path)?["responses"];
        let found = responses
            .get(status.to_string())
            .or_else(|| responses.get(format!("{}XX", status / 100)))
            .or_else(|| responses.get("default"));
        let Some(response) = found else {
            let listed = responses
                .as_object()
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            return Some(AnswerSpec::Undocumented(listed));
        };
        let response = match response.get("$ref").and_then(Value::as_str) {
            Some(reference) => self
                .document
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or(response),
            None => response,
        };
        let schema = response["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .map(str::to_string);
        Some(AnswerSpec::Documented(schema))
    }

    /// The component schema the spec gives for an answer of `status` to `method path`.
    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> Option<String> {
        match self.answer(method, path, status)? {
            AnswerSpec::Documented(schema) => schema,
            AnswerSpec::Undocumented(_) => None,
        }
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
