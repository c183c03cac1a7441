//! Rules the client and the mock read alike on every submit operation of the spec, taken from
//! the spec's own catalogue: a new operation is covered without touching this file.

use conformance::harness::{spec, Harness};
use novita_video::{Error, NovitaClient, SubmitOperation};
use serde_json::{json, Value};

/// The first example body the spec gives for `operation`.
fn example_body(operation: &SubmitOperation) -> Value {
    let spec = spec();
    let examples = &spec.document()["paths"][operation.path()]["post"]["requestBody"]["content"]
        ["application/json"]["examples"];
    let first = examples
        .as_object()
        .and_then(|all| all.values().next())
        .unwrap_or_else(|| panic!("{} has a request example", operation.path()));
    first["value"].clone()
}

/// The mock's verdict on `body`, sent as it is: `Ok` or the field its error names.
async fn mock_verdict(
    h: &Harness,
    operation: &SubmitOperation,
    body: &Value,
) -> Result<(), String> {
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
    let error: Value = answer.json().await.expect("a Novita error body");
    assert_eq!(
        (status, error["reason"].as_str()),
        (400, Some("INVALID_REQUEST_BODY")),
        "{error}"
    );
    let message = error["message"].as_str().unwrap_or_default();
    Err(message.split(':').next().unwrap_or_default().to_string())
}

fn client_verdict(operation: &SubmitOperation, body: &Value) -> Result<(), String> {
    match NovitaClient::check_value(operation, body) {
        Ok(()) => Ok(()),
        Err(Error::InvalidRequest { violations }) => Err(violations[0].field.clone()),
        Err(other) => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn every_endpoint_takes_extra_webhook_and_both_sides_check_it_alike() {
    let h = Harness::mock().await;
    for operation in SubmitOperation::all() {
        let mut body = example_body(operation);
        assert_eq!(
            client_verdict(operation, &body),
            Ok(()),
            "{}",
            operation.command()
        );
        assert_eq!(
            mock_verdict(&h, operation, &body).await,
            Ok(()),
            "{}",
            operation.command()
        );
        for (url, verdict) in [
            ("https://example.com/hook", Ok(())),
            ("", Err("extra.webhook.url".to_string())),
            (
                "ftp://example.com/hook",
                Err("extra.webhook.url".to_string()),
            ),
        ] {
            body["extra"] = json!({"webhook": {"url": url}});
            let context = format!("{} with webhook {url:?}", operation.command());
            assert_eq!(
                client_verdict(operation, &body),
                verdict,
                "client, {context}"
            );
            assert_eq!(
                mock_verdict(&h, operation, &body).await,
                verdict,
                "mock, {context}"
            );
        }
    }
}
