//! `novita-proxy`'s contract proxy in front of an upstream that drifts from the spec in the
//! ways a real service could, its webhooks included: each finding pinned with insta, and the
//! answer forwarded as it came.

use crate::common;

use common::{
    advance, client_of, paused_mock, proxy_in_front_of, read_result, submit_t2v, task_detail,
    through_proxy, upstream_answering, KEY,
};
use novita_video::SubmitOperation;
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

#[tokio::test]
async fn a_number_where_the_spec_has_a_string_is_drift() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"task_id": 12345})),
    )
    .await;
    let (status, body, report) = through_proxy(&upstream, submit_t2v).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"task_id":12345}"#),
        "forwarded as it came"
    );
    insta::assert_json_snapshot!("drift_number_for_string", report.drift);
}

#[tokio::test]
async fn a_missing_required_field_is_drift() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"id": "t-1"})),
    )
    .await;
    let (_, _, report) = through_proxy(&upstream, submit_t2v).await;
    insta::assert_json_snapshot!("drift_missing_required_field", report.drift);
}

#[tokio::test]
async fn a_status_the_spec_does_not_list_is_drift() {
    let upstream = upstream_answering(
        "/v3/async/task-result",
        "GET",
        ResponseTemplate::new(418)
            .set_body_json(json!({"code": 418, "reason": "TEAPOT", "message": "short and stout"})),
    )
    .await;
    let (status, _, report) = through_proxy(&upstream, read_result).await;
    assert_eq!(status, 418);
    insta::assert_json_snapshot!("drift_undocumented_status", report.drift);
}

#[tokio::test]
async fn an_error_body_not_in_novitas_shape_is_drift() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(400).set_body_json(json!({"error": "prompt too long"})),
    )
    .await;
    let (status, _, report) = through_proxy(&upstream, submit_t2v).await;
    assert_eq!(status, 400);
    insta::assert_json_snapshot!("drift_undocumented_error_body", report.drift);
}

#[tokio::test]
async fn a_non_json_answer_is_forwarded_as_it_came_and_reported() {
    let page = "<html><body>502 Bad Gateway</body></html>";
    let upstream = upstream_answering(
        "/v3/async/task-result",
        "GET",
        ResponseTemplate::new(500).set_body_raw(page, "text/html"),
    )
    .await;
    let (status, body, report) = through_proxy(&upstream, read_result).await;
    assert_eq!((status, body.as_str()), (500, page));
    insta::assert_json_snapshot!("drift_not_json", report.drift);
}

#[tokio::test]
async fn a_request_that_breaks_the_rules_is_drift_too() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})),
    )
    .await;
    let (_, _, report) = through_proxy(&upstream, |http, base| {
        http.post(format!("{base}/v3/async/wan2.7-t2v"))
            .bearer_auth(KEY)
            .json(&json!({"prompt": "A fox.", "duration": 99}))
    })
    .await;
    insta::assert_json_snapshot!("drift_request_breaks_a_rule", report.drift);
}

#[tokio::test]
async fn a_relayed_webhook_answers_the_upstream_with_the_receivers_status_so_retries_work() {
    let mock = paused_mock().await;
    let receiver = MockServer::start().await;
    // The receiver refuses the first delivery and takes the retry.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let proxy = proxy_in_front_of(mock.url(), true, true).await;
    let client = client_of(proxy.url());
    let t2v = SubmitOperation::find("wan2.7-t2v").expect("in the catalogue");
    let task_id = client
        .submit_value(
            t2v,
            json!({"prompt": "A fox.", "extra": {"webhook": {"url": receiver.uri()}}}),
        )
        .await
        .expect("accepted");
    advance(mock.url(), 100_000.0).await;

    let detail = task_detail(mock.url(), &task_id).await;
    let statuses: Vec<&Value> = detail["webhook"]["attempts"]
        .as_array()
        .expect("the mock's webhook log")
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(503), &json!(200)], "{detail}");
    assert_eq!(receiver.received_requests().await.unwrap().len(), 2);
    let cassette: Value =
        serde_saphyr::from_str(&proxy.contract().cassette_yaml().unwrap()).unwrap();
    let recorded: Vec<&Value> = cassette["tasks"][0]["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["receiver_status"])
        .collect();
    assert_eq!(recorded, [&json!(503), &json!(200)]);
    assert_eq!(proxy.contract().report().drift, []);
}

#[tokio::test]
async fn a_relayed_event_that_breaks_the_webhook_schema_is_drift_and_still_delivered() {
    let upstream = upstream_answering(
        "/v3/async/wan2.7-t2v",
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})),
    )
    .await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&receiver)
        .await;
    let proxy = proxy_in_front_of(&upstream.uri(), false, true).await;
    let http = reqwest::Client::new();
    http.post(format!("{}/v3/async/wan2.7-t2v", proxy.url()))
        .bearer_auth(KEY)
        .json(&json!({"prompt": "A fox.", "extra": {"webhook": {"url": format!("{}/hook", receiver.uri())}}}))
        .send()
        .await
        .unwrap();
    // The upstream was given the proxy's relay address in place of the receiver's.
    let sent: Value = upstream.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    let relay_url = sent["extra"]["webhook"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        relay_url.starts_with(&format!("{}/_proxy/webhooks/", proxy.url())),
        "{relay_url}"
    );

    // The upstream (played here by the test) sends an event whose task id is a number.
    let event = json!({"event_type": "ASYNC_TASK_RESULT", "payload": {"task": {"task_id": 5}}});
    let answer = http.post(&relay_url).json(&event).send().await.unwrap();
    assert_eq!(
        answer.status(),
        202,
        "the receiver's status goes back upstream"
    );
    receiver.verify().await;
    let delivered: Value = receiver.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(delivered, event, "delivered as it came");
    insta::assert_json_snapshot!("drift_webhook_event", proxy.contract().report().drift);

    let unknown = http
        .post(format!("{}/_proxy/webhooks/not-a-token", proxy.url()))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
