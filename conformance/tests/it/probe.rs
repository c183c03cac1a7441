//! `novita endpoints --probe`'s request against the real mock, in-process behind the contract
//! proxy: `{}` sent with `NovitaClient::probe` to every submit operation of the spec (each
//! requires a field, so the spec says `{}` is refused) is answered 400 `INVALID_REQUEST_BODY`,
//! or 404 `MODEL_RETIRED` for a retired operation when the mock rejects them, as the spec
//! documents those answers, and creates no task. How the CLI reads
//! each kind of answer is in `client/tests/it/endpoints.rs`, against wiremock.

use conformance::harness::Harness;
use novita_mock::{Config, Retired};
use novita_video::{NovitaClient, SubmitOperation};
use reqwest::Method;
use serde_json::{json, Value};

/// The mock with retired models served or rejected, behind the contract proxy.
async fn mock(retired: Retired) -> Harness {
    Harness::mock_with(Config {
        retired,
        ..Config::for_tests()
    })
    .await
}

async fn control(h: &Harness, route: &str) -> Value {
    h.control(Method::GET, &format!("/_mock/{route}"), None)
        .await
}

/// Probes every operation and returns (command, status, reason) of each answer.
async fn probe_all(client: &NovitaClient) -> Vec<(&'static str, u16, String)> {
    let empty = json!({});
    let mut answers = Vec::new();
    for operation in SubmitOperation::all() {
        assert!(
            NovitaClient::check_value(operation, &empty).is_err(),
            "{}: the spec refuses {{}}, or the probe would not send it",
            operation.command()
        );
        let answer = client.probe(operation, &empty).await.unwrap();
        let error = answer.novita_error().unwrap_or_else(|| {
            panic!(
                "{}: Novita's error body, got {:?}",
                operation.command(),
                String::from_utf8_lossy(answer.body())
            )
        });
        answers.push((operation.command(), answer.status().as_u16(), error.reason));
    }
    answers
}

/// The mock created no task, and journalled one POST of `{}` per operation.
async fn assert_no_task_and_one_empty_post_each(h: &Harness) {
    let tasks = control(h, "tasks").await;
    assert_eq!(tasks["stored"], 0, "{tasks}");
    assert_eq!(tasks["tasks"], json!([]), "{tasks}");
    let journal = control(h, "journal?path=/v3/async/").await;
    let posts: Vec<(&str, &str)> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["body"].as_str().unwrap()))
        .collect();
    let expected: Vec<(&str, &str)> = SubmitOperation::all()
        .iter()
        .map(|o| (o.path(), "{}"))
        .collect();
    assert_eq!(posts, expected);
    assert_eq!(
        h.assert_answers_match_spec(),
        expected.len(),
        "each answer as the spec documents it"
    );
}

#[tokio::test]
async fn a_mock_that_serves_retired_models_answers_every_probe_400_and_creates_no_task() {
    let h = mock(Retired::Serve).await;
    for (command, status, reason) in probe_all(&h.client).await {
        assert_eq!(
            (status, reason.as_str()),
            (400, "INVALID_REQUEST_BODY"),
            "{command}"
        );
    }
    assert_no_task_and_one_empty_post_each(&h).await;
}

#[tokio::test]
async fn a_mock_that_rejects_retired_models_answers_them_404_and_creates_no_task() {
    let h = mock(Retired::Reject).await;
    let answers = probe_all(&h.client).await;
    for (command, status, reason) in &answers {
        let operation = SubmitOperation::find(command).unwrap();
        let expected = match operation.deprecated() {
            true => (404, "MODEL_RETIRED"),
            false => (400, "INVALID_REQUEST_BODY"),
        };
        assert_eq!((*status, reason.as_str()), expected, "{command}");
    }
    assert!(
        answers.iter().any(|(_, status, _)| *status == 404),
        "the spec has retired operations"
    );
    assert_no_task_and_one_empty_post_each(&h).await;
}
