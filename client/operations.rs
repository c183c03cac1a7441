//! The spec's submit operations as data: what a tool needs to offer every endpoint without
//! naming any (the `novita submit` command is built from it), and a way to check and send a
//! body given as JSON. `build.rs` writes the catalogue from `openapi/novita.yaml`.

use serde_json::Value;

use crate::{
    error::{Error, Violation},
    generated::{types, Client},
    submit::{Sent, SubmitRequest},
    validate::{request_schema, violations},
    NovitaClient,
};

/// One operation of the spec that creates a task (`POST /v3/async/...` with a JSON body).
///
/// ```
/// use novita_video::SubmitOperation;
/// let t2v = SubmitOperation::find("wan-t2v").unwrap();
/// assert_eq!(t2v.path(), "/v3/async/wan-t2v");
/// assert_eq!(t2v.operation_id(), "submit_wan_t2v");
/// assert_eq!(t2v.schema_name(), "WanT2vRequest");
/// assert!(t2v.request_schema()["properties"]["prompt"].is_object());
/// assert!(SubmitOperation::all().len() >= 4);
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct SubmitOperation {
    command: &'static str,
    path: &'static str,
    operation_id: &'static str,
    schema: &'static str,
    summary: &'static str,
    deprecated: bool,
}

macro_rules! submit_request {
    ($body:ident, $schema:literal, $operation:ident) => {
        impl SubmitRequest for types::$body {
            const SCHEMA: &'static str = $schema;
            const OPERATION: &'static str = stringify!($operation);

            fn send_raw<'a>(
                &'a self,
                api: &'a Client,
            ) -> impl std::future::Future<Output = Sent> + Send + 'a {
                api.$operation().body(self.clone()).send()
            }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/submit_operations.rs"));

impl SubmitOperation {
    /// Every submit operation of the spec, in the spec's order.
    pub fn all() -> &'static [SubmitOperation] {
        CATALOGUE
    }

    /// The operation whose path ends in `command` (`wan2.7-i2v`), if the spec has it.
    ///
    /// ```
    /// assert!(novita_video::SubmitOperation::find("wan-nothing").is_none());
    /// ```
    pub fn find(command: &str) -> Option<&'static SubmitOperation> {
        CATALOGUE.iter().find(|op| op.command == command)
    }

    /// The last segment of the path, the name a command line uses (`wan-t2v`).
    pub fn command(&self) -> &'static str {
        self.command
    }

    /// The URL path, e.g. `/v3/async/wan-t2v`.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The spec's `operationId`, also the method of the generated client.
    pub fn operation_id(&self) -> &'static str {
        self.operation_id
    }

    /// The request schema's name in the spec, also the generated type's name.
    pub fn schema_name(&self) -> &'static str {
        self.schema
    }

    /// The spec's one-line summary.
    pub fn summary(&self) -> &'static str {
        self.summary
    }

    /// Whether the spec marks the operation `deprecated` (Novita retired the model).
    pub fn deprecated(&self) -> bool {
        self.deprecated
    }

    /// The request schema with every `$ref` resolved, as JSON: its properties, types, ranges,
    /// enums, defaults and descriptions.
    pub fn request_schema(&self) -> &'static Value {
        request_schema(self.schema)
    }
}

/// Decodes a body that passed the check into its generated type.
fn typed<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, Error> {
    serde_json::from_value(body).map_err(|e| Error::InvalidRequest {
        violations: vec![Violation {
            field: "body".into(),
            rule: format!("does not fit the request type: {e}"),
        }],
    })
}

impl NovitaClient {
    /// Checks a JSON body against the rules of `operation`'s request schema, without sending.
    ///
    /// ```
    /// use novita_video::{NovitaClient, SubmitOperation};
    /// let t2v = SubmitOperation::find("wan-t2v").unwrap();
    /// assert!(NovitaClient::check_value(t2v, &serde_json::json!({"prompt": "a fox"})).is_ok());
    /// let error = NovitaClient::check_value(t2v, &serde_json::json!({"prompt": "a fox", "steps": 99}));
    /// assert!(error.unwrap_err().to_string().contains("`steps`"));
    /// ```
    pub fn check_value(operation: &SubmitOperation, body: &Value) -> Result<(), Error> {
        let found = violations(operation.schema, body);
        if found.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidRequest { violations: found })
        }
    }

    /// Submits a JSON body to `operation`: checked like [`NovitaClient::check_value`], then
    /// sent as the generated request type through [`NovitaClient::submit`], with its retries.
    ///
    /// ```no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let t2v = novita_video::SubmitOperation::find("wan-t2v").unwrap();
    /// let task_id = client.submit_value(t2v, serde_json::json!({"prompt": "a fox"})).await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit_value(
        &self,
        operation: &SubmitOperation,
        body: Value,
    ) -> Result<String, Error> {
        Self::check_value(operation, &body)?;
        submit_typed(self, operation, body).await
    }
}
