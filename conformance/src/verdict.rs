//! The two readings of the pages, asked about one body: the client's check before sending, and
//! the mock's answer. Each verdict is `Ok` (accepted) or the field the refusal names, so that
//! tests can require both to be the same.

use novita_video::{Error, NovitaClient, SubmitOperation};
use serde_json::Value;

use crate::harness::Harness;

/// Accepted, or refused naming this field (anything else is described instead).
pub type Verdict = Result<(), String>;

/// The client's verdict: its check against the spec's rules, first violation's field.
pub fn client(operation: &SubmitOperation, body: &Value) -> Verdict {
    match NovitaClient::check_value(operation, body) {
        Ok(()) => Ok(()),
        Err(Error::InvalidRequest { violations }) => Err(violations[0].field.clone()),
        Err(other) => Err(format!("unexpected: {other}")),
    }
}

/// The mock's verdict on `body`, sent as it is: `Ok` on a 2xx, the field its 400
/// `INVALID_REQUEST_BODY` names, or a description of any other answer.
pub async fn mock(h: &Harness, operation: &SubmitOperation, body: &Value) -> Verdict {
    let answer = h
        .http
        .post(format!("{}{}", h.base_url, operation.path()))
        .bearer_auth(&h.api_key)
        .json(body)
        .send()
        .await
        .expect("the mock answers");
    if answer.status().is_success() {
        return Ok(());
    }
    let status = answer.status().as_u16();
    let error: Value = answer.json().await.unwrap_or_default();
    if status != 400 || error["reason"] != "INVALID_REQUEST_BODY" {
        return Err(format!("unexpected: {status} {error}"));
    }
    let message = error["message"].as_str().unwrap_or_default();
    Err(message.split(':').next().unwrap_or_default().to_string())
}

/// Both readings of the pages, the client's check and the mock, give `expected` on `body`.
pub async fn assert_both_give(
    h: &Harness,
    operation: &SubmitOperation,
    body: &Value,
    expected: &Verdict,
    context: &str,
) {
    assert_eq!(&client(operation, body), expected, "client, {context}");
    assert_eq!(&mock(h, operation, body).await, expected, "mock, {context}");
}
