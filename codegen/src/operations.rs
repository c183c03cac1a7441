//! The submit operations of the spec (every `POST` whose body is a named schema), and the Rust
//! the client includes for them: the catalogue with its `SubmitRequest` glue, and the public
//! `types` module with a deprecated alias for the request of each retired operation.

use serde_json::Value;

/// Every `POST` operation whose body is a named schema: the ones that create a task.
pub(crate) struct SubmitOperation {
    pub(crate) path: String,
    pub(crate) operation_id: String,
    pub(crate) schema: String,
    /// The `$ref` of the request schema.
    pub(crate) reference: String,
    pub(crate) summary: String,
    pub(crate) deprecated: bool,
    /// `x-retired-on`, `x-replaced-by` and `x-replacement-operation` of a retired operation.
    pub(crate) retired_on: Option<String>,
    pub(crate) replaced_by: Option<String>,
    pub(crate) replacement: Option<String>,
    /// `x-cli-shorthand`: the short command (`t2v`) that stands for this operation.
    pub(crate) shorthand: Option<String>,
    /// `x-status-unverified-since`: since when no page settles whether Novita still serves it.
    pub(crate) unverified_since: Option<String>,
    /// `x-status-source`: where the retired or unverified status comes from.
    pub(crate) status_source: Option<String>,
}

pub(crate) fn submit_operations(spec: &Value) -> Vec<SubmitOperation> {
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
pub(crate) fn submit_operations_source(spec: &Value) -> String {
    let operations = submit_operations(spec);
    let mut out = String::from(crate::HEADER);
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
        "\n/// Sends `body` (already checked) as the typed request of `operation`. Each arm's future\n\
         /// is boxed: held inline, the fourteen of them made this function's frame overflow a test\n\
         /// thread's 2 MiB stack in debug builds.\n\
         pub(crate) async fn submit_typed(\n    client: &NovitaClient,\n    \
         operation: &SubmitOperation,\n    body: Value,\n) -> Result<String, Error> {\n    \
         match operation.operation_id {\n",
    );
    for op in &operations {
        out.push_str(&format!(
            "        {id:?} => Box::pin(client.send_checked(&typed::<types::{schema}>(body)?)).await,\n",
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
pub(crate) fn types_module_source(spec: &Value) -> String {
    let mut out = format!("{}pub use crate::generated::types::*;\n", crate::HEADER);
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
