//! The spec's submit operations as data: what a tool needs to offer every endpoint without
//! naming any (the `novita submit` command is built from it), and a way to check and send a
//! body given as JSON. `cargo run -p novita-codegen` writes the catalogue from `openapi/novita.yaml`
//! (`client/generated/submit_operations.rs`).

use serde_json::Value;

use crate::{
    error::{Error, Violation},
    generated::{types, Client},
    spec_rules::Schema,
    submit::{Sent, SubmitRequest},
    validate::{check_body, normalize_integers, request_rules, request_schema, unknown_fields},
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
    retired_on: Option<&'static str>,
    replaced_by: Option<&'static str>,
    replacement: Option<&'static str>,
    shorthand: Option<&'static str>,
    unverified_since: Option<&'static str>,
    status_source: Option<&'static str>,
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

include!("generated/submit_operations.rs");

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

    /// The operation a short command (`t2v`) stands for: the spec marks it with
    /// `x-cli-shorthand`, and moves the mark when Novita's current model changes.
    ///
    /// ```
    /// let t2v = novita_video::SubmitOperation::find_shorthand("t2v").unwrap();
    /// assert_eq!(t2v.command(), "kling-v3.0-pro-t2v");
    /// assert_eq!(t2v.shorthand(), Some("t2v"));
    /// ```
    pub fn find_shorthand(shorthand: &str) -> Option<&'static SubmitOperation> {
        CATALOGUE.iter().find(|op| op.shorthand == Some(shorthand))
    }

    /// The short command that stands for this operation (`x-cli-shorthand`), if any.
    pub fn shorthand(&self) -> Option<&'static str> {
        self.shorthand
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

    /// When Novita retired the operation (`x-retired-on`), e.g. `2026-08-19`.
    pub fn retired_on(&self) -> Option<&'static str> {
        self.retired_on
    }

    /// Since when the pages leave open whether Novita still serves the operation
    /// (`x-status-unverified-since`): a retirement notice that may name it is cut off. Probe it
    /// (`novita endpoints --probe`) before relying on it.
    ///
    /// ```
    /// let t2v = novita_video::SubmitOperation::find("wan2.7-t2v").unwrap();
    /// assert_eq!(t2v.unverified_since(), Some("2026-09-30"));
    /// ```
    pub fn unverified_since(&self) -> Option<&'static str> {
        self.unverified_since
    }

    /// Where the status of a retired or unverified operation comes from (`x-status-source`):
    /// the notice, its address, and who read it so. The spec gives one for each such operation.
    ///
    /// ```
    /// let t2v = novita_video::SubmitOperation::find("wan-t2v").unwrap();
    /// assert!(t2v.status_source().unwrap().contains("https://novita.ai/docs/changelog/"));
    /// let wan27 = novita_video::SubmitOperation::find("wan2.7-t2v").unwrap();
    /// assert!(wan27.status_source().unwrap().contains("third-party gateway"));
    /// assert!(novita_video::SubmitOperation::find("kling-v3.0-pro-t2v").unwrap().status_source().is_none());
    /// ```
    pub fn status_source(&self) -> Option<&'static str> {
        self.status_source
    }

    /// The replacement Novita names (`x-replaced-by`), e.g. `Wan 2.7 Text-to-Video`.
    pub fn replaced_by(&self) -> Option<&'static str> {
        self.replaced_by
    }

    /// The replacement's command when the spec has it (`x-replacement-operation`).
    ///
    /// ```
    /// let t2v = novita_video::SubmitOperation::find("wan-t2v").unwrap();
    /// assert!(t2v.deprecated());
    /// assert_eq!(t2v.replacement(), Some("wan2.7-t2v"));
    /// ```
    pub fn replacement(&self) -> Option<&'static str> {
        self.replacement
    }

    /// One line for a person: what retired the operation and what to use instead.
    ///
    /// ```
    /// let t2v = novita_video::SubmitOperation::find("wan-t2v").unwrap();
    /// assert_eq!(
    ///     t2v.retirement_notice().unwrap(),
    ///     "wan-t2v was retired by Novita on 2026-08-19; its named replacement is Wan 2.7 Text-to-Video (wan2.7-t2v)"
    /// );
    /// assert!(novita_video::SubmitOperation::find("wan2.7-t2v").unwrap().retirement_notice().is_none());
    /// ```
    pub fn retirement_notice(&self) -> Option<String> {
        if !self.deprecated {
            return None;
        }
        let mut notice = format!("{} was retired by Novita", self.command);
        if let Some(date) = self.retired_on {
            notice.push_str(&format!(" on {date}"));
        }
        if let Some(name) = self.replaced_by {
            notice.push_str(&format!("; its named replacement is {name}"));
        }
        if let Some(command) = self.replacement {
            notice.push_str(&format!(" ({command})"));
        }
        Some(notice)
    }

    /// The request schema with every `$ref` resolved, as JSON: its properties, types, ranges,
    /// enums, defaults and descriptions.
    pub fn request_schema(&self) -> &'static Value {
        request_schema(self.schema)
    }

    /// The request schema's rules as this crate reads them (read once for every operation).
    #[doc(hidden)]
    pub fn rules(&self) -> &'static Schema {
        request_rules(self.schema)
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
    /// As in JSON Schema, members the schema does not name break no rule here (the mock and
    /// the contract proxy read the spec so); [`NovitaClient::checked_value`], the path that
    /// sends, refuses them.
    ///
    /// ```
    /// use novita_video::{NovitaClient, SubmitOperation};
    /// let t2v = SubmitOperation::find("wan-t2v").unwrap();
    /// assert!(NovitaClient::check_value(t2v, &serde_json::json!({"prompt": "a fox"})).is_ok());
    /// let error = NovitaClient::check_value(t2v, &serde_json::json!({"prompt": "a fox", "steps": 99}));
    /// assert!(error.unwrap_err().to_string().contains("`steps`"));
    /// ```
    pub fn check_value(operation: &SubmitOperation, body: &Value) -> Result<(), Error> {
        check_body(operation.schema, body)
    }

    /// Checks a JSON body for `operation` and readies it for sending: the body that
    /// [`NovitaClient::submit_checked`] sends without checking it again. Whole numbers written
    /// with a fraction (`480.0`) become integers, as the check reads them.
    ///
    /// Besides the spec's rules ([`NovitaClient::check_value`]), a member the request schema
    /// does not name is refused, with the closest name it does: the typed request would drop
    /// it, and a misspelled `durration` would create a paid task with the default duration.
    /// Objects whose schema lists no members are open and not judged.
    ///
    /// ```
    /// use novita_video::{NovitaClient, SubmitOperation};
    /// let t2v = SubmitOperation::find("wan-t2v").unwrap();
    /// let checked = NovitaClient::checked_value(t2v, serde_json::json!({"prompt": "a fox", "width": 832.0}));
    /// assert_eq!(checked.unwrap().body()["width"], 832);
    /// assert!(NovitaClient::checked_value(t2v, serde_json::json!({"steps": 99})).is_err());
    /// let typo = NovitaClient::checked_value(t2v, serde_json::json!({"prompt": "a fox", "sed": 1}));
    /// assert_eq!(
    ///     typo.unwrap_err().to_string(),
    ///     "request refused before sending: `sed` is not a field of wan-t2v (did you mean `seed`?)"
    /// );
    /// ```
    pub fn checked_value(
        operation: &'static SubmitOperation,
        body: Value,
    ) -> Result<CheckedBody, Error> {
        let mut violations = unknown_fields(operation.rules(), &body, operation.command);
        match Self::check_value(operation, &body) {
            Ok(()) => {}
            Err(Error::InvalidRequest { violations: broken }) => violations.extend(broken),
            Err(other) => return Err(other),
        }
        if !violations.is_empty() {
            return Err(Error::InvalidRequest { violations });
        }
        let mut body = body;
        normalize_integers(operation.rules(), &mut body);
        Ok(CheckedBody { operation, body })
    }

    /// Sends a body that [`NovitaClient::checked_value`] checked, as the generated request type,
    /// with the retries of [`NovitaClient::submit`] and without checking it again.
    pub async fn submit_checked(&self, checked: CheckedBody) -> Result<String, Error> {
        submit_typed(self, checked.operation, checked.body).await
    }

    /// Submits a JSON body to `operation`: checked once, like [`NovitaClient::checked_value`]
    /// (unknown members are refused), then sent as the generated request type with the retries of [`NovitaClient::submit`].
    ///
    /// ```no_run
    /// # async fn run(client: novita_video::NovitaClient) -> Result<(), novita_video::Error> {
    /// let t2v = novita_video::SubmitOperation::find("wan-t2v").unwrap();
    /// let task_id = client.submit_value(t2v, serde_json::json!({"prompt": "a fox"})).await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit_value(
        &self,
        operation: &'static SubmitOperation,
        body: Value,
    ) -> Result<String, Error> {
        self.submit_checked(Self::checked_value(operation, body)?)
            .await
    }
}

/// A JSON body that passed the rules of its operation, ready to send
/// ([`NovitaClient::checked_value`], [`NovitaClient::submit_checked`]).
#[derive(Clone, Debug)]
pub struct CheckedBody {
    operation: &'static SubmitOperation,
    body: Value,
}

impl CheckedBody {
    /// The operation it is for.
    pub fn operation(&self) -> &'static SubmitOperation {
        self.operation
    }

    /// The body as it will be sent.
    pub fn body(&self) -> &Value {
        &self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::CHECKS;
    use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

    async fn accepting() -> (MockServer, NovitaClient) {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"task_id": "t-1"})),
            )
            .mount(&server)
            .await;
        let client = NovitaClient::builder()
            .api_key("k")
            .base_url(server.uri())
            .build()
            .unwrap();
        (server, client)
    }

    fn checks() -> usize {
        CHECKS.with(|checks| checks.get())
    }

    // Single-threaded runtime: the count is this test's own.
    #[tokio::test(flavor = "current_thread")]
    async fn every_path_checks_a_body_once() {
        let (_server, client) = accepting().await;
        let t2v = SubmitOperation::find("wan2.7-t2v").unwrap();
        let before = checks();
        client
            .submit_value(t2v, serde_json::json!({"prompt": "a fox"}))
            .await
            .unwrap();
        assert_eq!(checks() - before, 1, "submit_value");

        let before = checks();
        let checked =
            NovitaClient::checked_value(t2v, serde_json::json!({"prompt": "a fox"})).unwrap();
        client.submit_checked(checked).await.unwrap();
        assert_eq!(checks() - before, 1, "checked_value then submit_checked");

        let request: crate::types::Wan27T2vRequest = crate::types::Wan27T2vRequest::builder()
            .prompt("a fox")
            .try_into()
            .unwrap();
        let before = checks();
        client.submit(&request).await.unwrap();
        assert_eq!(checks() - before, 1, "submit");
    }
}
