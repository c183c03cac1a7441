//! Holds the answers of `/health` and the control API to `openapi/mock-control.yaml`: the status
//! must be one the spec lists for the operation, the media type one it gives for that status,
//! and a JSON body must match its schema. Tests reach it through `Mock::control` and `checked`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use serde_json::{json, Map, Value};

pub const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/mock-control.yaml");

pub struct ControlSpec {
    document: Value,
    /// The component schemas, read as JSON Schema (see `as_json_schema`).
    components: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// The spec, read once per test binary.
pub fn spec() -> &'static ControlSpec {
    static SPEC: OnceLock<ControlSpec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(SPEC_PATH).expect("the control spec is readable");
        let document: Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{SPEC_PATH} is not valid YAML: {e}"));
        let mut schemas = document["components"]["schemas"].clone();
        as_json_schema(&mut schemas);
        ControlSpec {
            components: json!({ "schemas": schemas }),
            document,
            validators: Mutex::new(HashMap::new()),
        }
    })
}

impl ControlSpec {
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Every (METHOD, path template) the spec describes.
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for (path, item) in self.document["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                if HTTP_METHODS.contains(&method.as_str()) {
                    found.push((method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        found
    }

    /// The path template of the spec that `path` (without its query) falls under; a template
    /// with more fixed segments wins.
    pub fn template(&self, path: &str) -> Option<String> {
        let asked: Vec<&str> = path.split('/').collect();
        let paths = self.document["paths"].as_object()?;
        paths
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                let fits = parts.len() == asked.len()
                    && parts
                        .iter()
                        .zip(&asked)
                        .all(|(part, seg)| part == seg || is_parameter(part));
                let fixed = parts.iter().filter(|part| !is_parameter(part)).count();
                fits.then_some((fixed, template))
            })
            .max_by_key(|(fixed, _)| *fixed)
            .map(|(_, template)| template.clone())
    }

    /// Panics, saying what is wrong, unless an answer of `status` with `content_type` and
    /// `body` to `method path` is one the spec allows.
    pub fn check_answer(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) {
        let asked = format!("{method} {path} answered {status}");
        let template = self
            .template(path)
            .unwrap_or_else(|| panic!("{asked}: the control spec has no path for it"));
        let operation = &self.document["paths"][&template][method.to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "{asked}: the control spec has no {method} {template}"
        );
        let responses = &operation["responses"];
        let response = responses.get(status.to_string()).unwrap_or_else(|| {
            panic!(
                "{asked}: the spec lists only {:?} for {method} {template}; body: {}",
                responses.as_object().map(|r| r.keys().collect::<Vec<_>>()),
                String::from_utf8_lossy(body)
            )
        });
        let response = self.resolve(response);
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            assert!(
                body.is_empty(),
                "{asked}: the spec gives this answer no body, got {}",
                String::from_utf8_lossy(body)
            );
            return;
        };
        let media = content_type
            .and_then(|value| value.split(';').next())
            .map(|media| media.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let Some(described) = content.get(&media) else {
            panic!(
                "{asked}: Content-Type {content_type:?}, the spec gives {:?}; body: {}",
                content.keys().collect::<Vec<_>>(),
                String::from_utf8_lossy(body)
            );
        };
        if media != "application/json" {
            return;
        }
        let instance: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
            panic!(
                "{asked}: the body is not JSON ({e}): {}",
                String::from_utf8_lossy(body)
            )
        });
        let key = format!("{method} {template} {status}");
        let validator = self.validator(&key, &described["schema"]);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{e} at {:?}", e.instance_path().to_string()))
            .collect();
        assert!(
            errors.is_empty(),
            "{asked}: the body breaks the control spec:\n  {}\nbody: {instance}",
            errors.join("\n  ")
        );
    }

    /// A response or other object, through its `$ref` when it is one.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => self
                .document
                .pointer(reference.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("{reference} names nothing in the control spec")),
            None => value,
        }
    }

    fn validator(&self, key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().expect("validator cache");
        cache
            .entry(key.to_string())
            .or_insert_with(|| {
                let mut schema = schema.clone();
                as_json_schema(&mut schema);
                let root = json!({ "allOf": [schema], "components": self.components });
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft7)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("the schema of {key} does not compile: {e}"));
                Arc::new(validator)
            })
            .clone()
    }
}

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn is_parameter(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// Turns the OpenAPI 3.0 keywords that differ from JSON Schema into JSON Schema: `nullable:
/// true` becomes `anyOf [schema, null]`, and a boolean `exclusiveMaximum`/`exclusiveMinimum`
/// (which qualifies `maximum`/`minimum`) becomes the number itself.
fn as_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                as_json_schema(child);
            }
            for (exclusive, bound) in [
                ("exclusiveMaximum", "maximum"),
                ("exclusiveMinimum", "minimum"),
            ] {
                match map.get(exclusive) {
                    Some(Value::Bool(true)) => {
                        let limit = map.remove(bound).expect("an exclusive bound has its limit");
                        map.insert(exclusive.into(), limit);
                    }
                    Some(Value::Bool(false)) => {
                        map.remove(exclusive);
                    }
                    _ => {}
                }
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(map));
                let mut wrapped = Map::new();
                wrapped.insert("anyOf".into(), json!([inner, { "type": "null" }]));
                *map = wrapped;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_json_schema),
        _ => {}
    }
}
