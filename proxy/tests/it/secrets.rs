//! What the proxy writes (cassette, report) never holds a secret in clear: members named like
//! credentials, the user information of URLs, and the webhook relay's tokens, which would let
//! whoever reads the cassette forge events to the receiver.

use crate::common::{task_detail, KEY};
use novita_mock::Config;
use novita_proxy::{ContractProxy, ProxyOptions};
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

async fn recording_proxy(upstream: &str, relay: bool) -> ContractProxy {
    let options = ProxyOptions {
        upstream: upstream.to_string(),
        record: true,
        ..ProxyOptions::default()
    };
    ContractProxy::start(options, relay)
        .await
        .expect("the proxy starts")
}

/// Values that must not be found in anything the proxy writes.
const SECRETS: &[&str] = &[
    "sk-in-x-api-key",
    "pk-in-private-key",
    "nk-in-novita-key",
    "in-capital-key",
    "in-passwd",
    "in-pwd",
    "in-credentials",
    "in-auth",
    "in-bearer",
    "in-session",
    "in-cookie",
    "in-signature",
    "hunter2",
];

#[tokio::test]
async fn members_named_like_secrets_and_userinfo_are_not_written() {
    let upstream = MockServer::start().await;
    let echo = json!({
        "task": {"task_id": "t-1", "status": "TASK_STATUS_QUEUED"},
        "extra": {"session": "in-session", "cookie": "in-cookie", "signature": "in-signature"},
    });
    Mock::given(method("POST"))
        .and(path("/v3/async/wan2.7-t2v"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})))
        .mount(&upstream)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/async/task-result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(echo))
        .mount(&upstream)
        .await;
    let proxy = recording_proxy(&upstream.uri(), false).await;
    let http = reqwest::Client::new();
    let request = json!({
        "prompt": "A fox.",
        "x-api-key": "sk-in-x-api-key",
        "private_key": "pk-in-private-key",
        "novita_key": "nk-in-novita-key",
        "KEY": "in-capital-key",
        "passwd": "in-passwd",
        "pwd": "in-pwd",
        "credentials": {"user": "in-credentials"},
        "auth": "in-auth",
        "bearer": "in-bearer",
        "extra": {"webhook": {"url": "https://me:hunter2@hooks.example/in"}},
    });
    let submitted = http
        .post(format!("{}/v3/async/wan2.7-t2v", proxy.url()))
        .bearer_auth(KEY)
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let result = http
        .get(format!("{}/v3/async/task-result?task_id=t-1", proxy.url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(result.status(), 200);

    let yaml = proxy.contract().cassette_yaml().unwrap();
    let report = serde_json::to_string(&proxy.contract().report()).unwrap();
    for secret in SECRETS {
        assert!(!yaml.contains(secret), "{secret} in the cassette:\n{yaml}");
        assert!(
            !report.contains(secret),
            "{secret} in the report:\n{report}"
        );
    }
    let cassette: Value = serde_saphyr::from_str(&yaml).unwrap();
    let kept = &cassette["tasks"][0]["submit"]["request"];
    assert_eq!(kept["prompt"], "A fox.", "the rest is kept");
    assert_eq!(kept["private_key"], "<redacted>");
    assert_eq!(
        kept["extra"]["webhook"]["url"],
        "https://redacted@hooks.example/in"
    );
}

#[tokio::test]
async fn the_relay_token_is_not_recorded_and_a_forged_event_is_not_relayed() {
    let mock = novita_mock::spawn(Config {
        paused: true,
        ..Config::for_tests()
    })
    .await
    .expect("the mock starts");
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let proxy = recording_proxy(mock.url(), true).await;
    let http = reqwest::Client::new();
    let submitted: Value = http
        .post(format!("{}/v3/async/wan2.7-t2v", proxy.url()))
        .bearer_auth(KEY)
        .json(&json!({"prompt": "A fox.", "extra": {"webhook": {"url": format!("{}/hook", receiver.uri())}}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let task_id = submitted["task_id"].as_str().unwrap();
    let advanced = http
        .post(format!("{}/_mock/clock/advance", mock.url()))
        .json(&json!({"seconds": 100_000}))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    let result = http
        .get(format!("{}/v3/async/task-result", proxy.url()))
        .query(&[("task_id", task_id)])
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(result.status(), 200);
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);

    // The token the upstream was given, as the mock kept it.
    let detail = task_detail(mock.url(), task_id).await;
    let relay_url = detail.to_string();
    let token = relay_url
        .split("/_proxy/webhooks/")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphanumeric()).next())
        .expect("the mock was given the relay address")
        .to_string();
    assert!(token.len() >= 16, "{token}");

    let yaml = proxy.contract().cassette_yaml().unwrap();
    assert!(yaml.contains("/_proxy/webhooks/"), "recorded:\n{yaml}");
    assert!(
        !yaml.contains(&token),
        "the relay token was recorded:\n{yaml}"
    );

    // Whoever reads the cassette tries every relay address it holds.
    let event = json!({"event_type": "ASYNC_TASK_RESULT", "payload": {"task": {"task_id": task_id, "status": "TASK_STATUS_FAILED"}}});
    for piece in yaml.split("/_proxy/webhooks/").skip(1) {
        let read: String = piece
            .chars()
            .take_while(|c| !c.is_whitespace() && !"\"'?#,}".contains(*c))
            .collect();
        let forged = http
            .post(format!(
                "{}/_proxy/webhooks/{}",
                proxy.url(),
                read.replace('<', "%3C").replace('>', "%3E")
            ))
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 404, "relayed with {read:?}");
    }
    assert_eq!(
        receiver.received_requests().await.unwrap().len(),
        1,
        "no forged event reached the receiver"
    );
}

#[tokio::test]
async fn an_upstream_password_is_not_written_to_the_report() {
    // Nothing listens on port 1 of loopback: the upstream cannot be reached.
    let proxy = recording_proxy("http://qa:hunter2@127.0.0.1:1", false).await;
    let answer = reqwest::Client::new()
        .get(format!("{}/v3/async/task-result?task_id=t", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    let body = answer.text().await.unwrap();
    let report = serde_json::to_string(&proxy.contract().report()).unwrap();
    assert!(report.contains("redacted@127.0.0.1:1"), "{report}");
    assert!(!report.contains("hunter2"), "{report}");
    assert!(!body.contains("hunter2"), "{body}");
}
