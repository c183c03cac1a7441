//! The probe: which operations may be probed, with what body, and the one request sent.

use serde_json::{json, Value};

use novita_video::{spec_rules::Schema, Error, NovitaClient, ProbeAnswer, SubmitOperation};

use super::verdict::{classify, Verdict};
use crate::exit::Failure;

/// The body a probe of `operation` sends, or `None` when the spec does not say that `{}` is
/// refused (see the doc of `endpoints`).
pub fn probe_body(operation: &SubmitOperation) -> Option<Value> {
    let body = json!({});
    (requires_something(operation.rules()) && NovitaClient::check_value(operation, &body).is_err())
        .then_some(body)
}

/// Whether the schema requires a field of every body.
fn requires_something(schema: &Schema) -> bool {
    let required = |schema: &Schema| !schema.required.is_empty();
    required(schema)
        || [&schema.one_of, &schema.any_of]
            .into_iter()
            .any(|branches| {
                branches
                    .as_ref()
                    .is_some_and(|branches| !branches.is_empty() && branches.iter().all(required))
            })
}

/// Probes `operation`: `Err` only when the host could not be reached (nothing was sent).
pub async fn probe(
    client: &NovitaClient,
    operation: &'static SubmitOperation,
) -> Result<Verdict, Failure> {
    let Some(body) = probe_body(operation) else {
        return Ok(Verdict::NotProbed);
    };
    let answer: ProbeAnswer = match client.probe(operation, &body).await {
        Ok(answer) => answer,
        Err(Error::SubmissionOutcomeUnknown {
            timed_out_after,
            source,
            ..
        }) => {
            let error = match timed_out_after {
                Some(limit) => format!("nothing within {}s", limit.as_secs_f64()),
                None => source.to_string(),
            };
            return Ok(Verdict::NoAnswer { error });
        }
        Err(error @ (Error::Transport { .. } | Error::Timeout { .. })) => {
            return Err(Failure::network(format!(
                "probing {} at {}: {error}; nothing was sent",
                operation.command(),
                client.base_url()
            )))
        }
        Err(error) => return Err(error.into()),
    };
    Ok(classify(
        answer.status().as_u16(),
        answer.novita_error(),
        answer.body(),
        operation.rules(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_schema_that_requires_a_field_is_probed() {
        let requires = |schema: Value| requires_something(&Schema::read(&schema));
        assert!(requires(json!({"required": ["prompt"]})));
        assert!(requires(
            json!({"oneOf": [{"required": ["image_url"]}, {"required": ["first_clip_url"]}]})
        ));
        assert!(!requires(json!({"properties": {"prompt": {}}})));
        assert!(!requires(json!({"required": []})));
        assert!(!requires(
            json!({"anyOf": [{"required": ["a"]}, {"not": {"required": ["a"]}}]})
        ));
        for operation in SubmitOperation::all() {
            assert_eq!(
                probe_body(operation).is_some(),
                requires_something(operation.rules()),
                "{}: the client's check refuses {{}} wherever the spec requires a field",
                operation.command()
            );
        }
    }
}
