//! Generates the Novita client from `openapi/novita.yaml` at build time.
//!
//! Four files land in `OUT_DIR`:
//! - `codegen.rs`: the progenitor client (builder interface) for the whole spec;
//! - `request_schemas.json`: every submit operation's request schema with its `$ref`s resolved,
//!   which the hand-written layer uses to check a body before it is sent;
//! - `types.rs`: the public `types` module, the generated types with a deprecated alias for the
//!   request of each retired operation;
//! - `submit_operations.rs`: the catalogue of submit operations (command name, path, schema,
//!   summary, deprecation) and the glue that ties each one to its generated request type, so
//!   that a new endpoint in the spec needs no hand-written Rust in the client or the CLI.
//!
//! The copy of the spec handed to progenitor is stripped of keywords that only validate
//! (`default`, `minimum`, `maxLength`, integer `enum`, ...): progenitor would otherwise
//! serialize every default into request bodies and turn length limits into newtypes that also
//! reject responses. Those rules are enforced from `request_schemas.json` instead, so the spec
//! stays the single place where they are written.

use std::{env, fs, path::Path};

use serde_json::{json, Map, Value};

const SPEC: &str = "openapi/novita.yaml";

/// Keywords that only constrain values; they are removed from progenitor's copy of the spec.
const VALIDATION_ONLY: &[&str] = &[
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
];

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");

    let text = fs::read_to_string(SPEC).expect("read openapi/novita.yaml");
    // serde-saphyr's message names the line and column and shows the line itself.
    let spec: Value =
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{SPEC} is not valid YAML: {e}"));
    let out_dir = env::var("OUT_DIR").expect("OUT_DIR is set by cargo");

    let request_schemas = collect_request_schemas(&spec);
    for (name, schema) in request_schemas.as_object().expect("a map of schemas") {
        check_rule_encodings(name, schema);
    }
    fs::write(
        Path::new(&out_dir).join("request_schemas.json"),
        serde_json::to_string_pretty(&request_schemas).expect("serialize request schemas"),
    )
    .expect("write request_schemas.json");
    fs::write(
        Path::new(&out_dir).join("submit_operations.rs"),
        submit_operations_source(&spec),
    )
    .expect("write submit_operations.rs");
    fs::write(
        Path::new(&out_dir).join("types.rs"),
        types_module_source(&spec),
    )
    .expect("write types.rs");

    let mut for_codegen = spec.clone();
    strip_validation_keywords(&mut for_codegen);
    let openapi: openapiv3::OpenAPI =
        serde_json::from_value(for_codegen).expect("openapi/novita.yaml is not OpenAPI 3.0");

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        // The limits the hook in client/observe.rs reads every answer within.
        .with_inner_type(
            "crate::AnswerLimits"
                .parse()
                .expect("a Rust path is a token stream"),
        )
        .with_derive("PartialEq")
        // Response types the service is loose about get hand-written types that accept every
        // form it is known to send (see client/lenient_types.rs).
        .with_replacement("TaskStatus", "crate::TaskStatus", std::iter::empty())
        .with_replacement("NumericString", "crate::NumericString", std::iter::empty())
        .with_replacement("LooseNumber", "crate::LooseNumber", std::iter::empty());
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&openapi)
        .expect("progenitor could not generate the client");
    let ast = syn::parse2(tokens).expect("generated code parses");
    fs::write(
        Path::new(&out_dir).join("codegen.rs"),
        prettyplease::unparse(&ast),
    )
    .expect("write codegen.rs");
}

/// Maps each request schema name (e.g. `WanT2vRequest`) to its fully resolved schema.
fn collect_request_schemas(spec: &Value) -> Value {
    let mut out = Map::new();
    for operation in submit_operations(spec) {
        let schema = json!({ "$ref": operation.reference });
        out.insert(operation.schema, resolve_refs(spec, &schema, 0));
    }
    Value::Object(out)
}

/// Every `POST` operation whose body is a named schema: the ones that create a task.
struct SubmitOperation {
    path: String,
    operation_id: String,
    schema: String,
    /// The `$ref` of the request schema.
    reference: String,
    summary: String,
    deprecated: bool,
    /// `x-retired-on`, `x-replaced-by` and `x-replacement-operation` of a retired operation.
    retired_on: Option<String>,
    replaced_by: Option<String>,
    replacement: Option<String>,
    /// `x-cli-shorthand`: the short command (`t2v`) that stands for this operation.
    shorthand: Option<String>,
    /// `x-status-unverified-since`: since when no page settles whether Novita still serves it.
    unverified_since: Option<String>,
    /// `x-status-source`: where the retired or unverified status comes from.
    status_source: Option<String>,
}

fn submit_operations(spec: &Value) -> Vec<SubmitOperation> {
    let paths = spec["paths"].as_object().expect("spec has paths");
    let mut found = Vec::new();
    for (path, item) in paths {
        let Some(post) = item.get("post") else {
            continue;
        };
        let schema = &post["requestBody"]["content"]["application/json"]["schema"];
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            continue;
        };
        let name = reference.rsplit('/').next().expect("ref has a name");
        assert!(
            name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "{path}: request schema {name} must be a PascalCase name, as progenitor names its type"
        );
        let operation_id = post["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: a submit operation needs an operationId"));
        assert!(
            operation_id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{path}: operationId {operation_id} must be snake_case, as progenitor names its method"
        );
        let settled = post["deprecated"].as_bool() != Some(true)
            && post.get("x-status-unverified-since").is_none();
        assert!(
            settled || post["x-status-source"].is_string(),
            "{path}: a retired or unverified operation needs x-status-source, where its status comes from"
        );
        found.push(SubmitOperation {
            path: path.clone(),
            operation_id: operation_id.to_string(),
            schema: name.to_string(),
            reference: reference.to_string(),
            summary: post["summary"].as_str().unwrap_or_default().to_string(),
            deprecated: post["deprecated"].as_bool().unwrap_or(false),
            retired_on: post["x-retired-on"].as_str().map(str::to_string),
            replaced_by: post["x-replaced-by"].as_str().map(str::to_string),
            replacement: post["x-replacement-operation"].as_str().map(str::to_string),
            shorthand: post["x-cli-shorthand"].as_str().map(str::to_string),
            unverified_since: post["x-status-unverified-since"]
                .as_str()
                .map(str::to_string),
            status_source: post["x-status-source"].as_str().map(str::to_string),
        });
    }
    found
}

/// Rust source for `client/operations.rs` to include: the catalogue, one `SubmitRequest` impl
/// per request type, and the match that turns a checked JSON body into its typed request.
fn submit_operations_source(spec: &Value) -> String {
    let operations = submit_operations(spec);
    let mut out = String::from("// Generated by build.rs from openapi/novita.yaml.\n\n");
    out.push_str("pub(crate) const CATALOGUE: &[SubmitOperation] = &[\n");
    for op in &operations {
        let command = op.path.rsplit('/').next().expect("a path has segments");
        out.push_str(&format!(
            "    SubmitOperation {{ command: {command:?}, path: {path:?}, operation_id: {id:?}, \
             schema: {schema:?}, summary: {summary:?}, deprecated: {deprecated}, \
             retired_on: {retired_on:?}, replaced_by: {replaced_by:?}, \
             replacement: {replacement:?}, shorthand: {shorthand:?}, \
             unverified_since: {unverified_since:?}, status_source: {status_source:?} }},\n",
            path = op.path,
            id = op.operation_id,
            schema = op.schema,
            summary = op.summary,
            deprecated = op.deprecated,
            retired_on = op.retired_on,
            replaced_by = op.replaced_by,
            replacement = op.replacement,
            shorthand = op.shorthand,
            unverified_since = op.unverified_since,
            status_source = op.status_source,
        ));
    }
    out.push_str("];\n\n");
    for op in &operations {
        out.push_str(&format!(
            "submit_request!({schema}, {schema:?}, {id});\n",
            schema = op.schema,
            id = op.operation_id
        ));
    }
    out.push_str(
        "\n/// Sends `body` (already checked) as the typed request of `operation`.\n\
         pub(crate) async fn submit_typed(\n    client: &NovitaClient,\n    \
         operation: &SubmitOperation,\n    body: Value,\n) -> Result<String, Error> {\n    \
         match operation.operation_id {\n",
    );
    for op in &operations {
        out.push_str(&format!(
            "        {id:?} => client.send_checked(&typed::<types::{schema}>(body)?).await,\n",
            id = op.operation_id,
            schema = op.schema
        ));
    }
    out.push_str("        other => unreachable!(\"{other} is not in the catalogue\"),\n    }\n}\n");
    out
}

/// Rust source of the public `types` module: every generated type, and for the request type of
/// a retired operation a deprecated alias in its place, so that code using it gets a
/// compile-time warning (progenitor itself emits no `#[deprecated]`).
fn types_module_source(spec: &Value) -> String {
    let mut out = String::from(
        "// Generated by build.rs from openapi/novita.yaml.\npub use crate::generated::types::*;\n",
    );
    for op in submit_operations(spec).iter().filter(|op| op.deprecated) {
        let command = op.path.rsplit('/').next().expect("a path has segments");
        let mut note = format!("Novita retired {command}");
        if let Some(date) = &op.retired_on {
            note.push_str(&format!(" on {date}"));
        }
        if let Some(name) = &op.replaced_by {
            note.push_str(&format!("; its named replacement is {name}"));
        }
        if let Some(replacement) = &op.replacement {
            note.push_str(&format!(" ({replacement})"));
        }
        out.push_str(&format!(
            "\n/// The request of `{command}`, which Novita has retired: {note}.\n\
             #[deprecated(note = {note:?})]\n\
             pub type {schema} = crate::generated::types::{schema};\n",
            schema = op.schema
        ));
    }
    out
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

/// Removes validation-only keywords from every schema of the spec (component schemas and
/// parameter schemas); examples are left untouched.
fn strip_validation_keywords(spec: &mut Value) {
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
    if map.contains_key("x-novita-rules") {
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

/// Fails the build when a schema's `x-novita-rules` and its plain JSON Schema form (`anyOf` of
/// allowed pairs, `oneOf` of `required`) say different things.
fn check_rule_encodings(name: &str, schema: &Value) {
    for rule in schema["x-novita-rules"].as_array().into_iter().flatten() {
        let fields: Vec<&str> = rule["fields"]
            .as_array()
            .expect("rule fields")
            .iter()
            .map(|f| f.as_str().expect("field name"))
            .collect();
        match rule["rule"].as_str() {
            Some("allowed_pairs") => {
                let from_rule: Vec<Value> = rule["pairs"].as_array().expect("pairs").clone();
                let from_schema: Vec<Value> = schema["anyOf"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{name}: allowed_pairs needs the anyOf form too"))
                    .iter()
                    .filter_map(|branch| {
                        let properties = branch.get("properties")?;
                        Some(Value::Array(
                            fields
                                .iter()
                                .map(|f| properties[*f]["enum"][0].clone())
                                .collect(),
                        ))
                    })
                    .collect();
                assert_eq!(
                    from_rule, from_schema,
                    "{name}: x-novita-rules pairs and anyOf differ"
                );
            }
            Some("exactly_one_of") => {
                let from_schema: Vec<&str> = schema["oneOf"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{name}: exactly_one_of needs the oneOf form too"))
                    .iter()
                    .map(|branch| branch["required"][0].as_str().expect("required field"))
                    .collect();
                assert_eq!(
                    fields, from_schema,
                    "{name}: x-novita-rules fields and oneOf differ"
                );
            }
            Some("at_most_one_of") => {
                // `anyOf` of one `not: {required: [field]}` per field: at least one is absent.
                let from_schema: Vec<&str> = schema["anyOf"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{name}: at_most_one_of needs the anyOf form too"))
                    .iter()
                    .filter_map(|branch| branch["not"]["required"][0].as_str())
                    .collect();
                assert_eq!(
                    fields, from_schema,
                    "{name}: x-novita-rules fields and anyOf of not/required differ"
                );
            }
            other => panic!("{name}: unknown rule {other:?}"),
        }
    }
}
