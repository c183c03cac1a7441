//! The exact JSON the client sends for each endpoint, and what it refuses to send.

// These tests also cover the endpoints Novita has retired, whose request types are deprecated.
#![allow(deprecated)]

use crate::common;

use common::{client_for, KEY};
use novita_video::{
    types::{
        Lora, RequestExtra, Wan26I2vInput, Wan26I2vParameters, Wan26I2vParametersResolution,
        Wan26I2vParametersShotType, Wan26I2vRequest, Wan27I2vRequest, Wan27I2vRequestResolution,
        WanI2vRequest, WanT2vRequest, WebhookSettings, WebhookTestMode,
        WebhookTestModeReturnTaskStatus,
    },
    Error, NovitaClient, SubmitRequest,
};
use serde_json::{json, Value};
use wiremock::{
    matchers::{header, method, path},
    Mock, MockServer, ResponseTemplate,
};

/// Submits `request` to a wiremock server and returns the body it received.
async fn sent_body<R: SubmitRequest>(endpoint: &str, request: &R) -> Value {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(endpoint))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let task_id = client_for(&server).submit(request).await.unwrap();
    assert_eq!(task_id, "t-1");
    let received = server.received_requests().await.unwrap();
    serde_json::from_slice(&received[0].body).unwrap()
}

fn webhook_extra() -> RequestExtra {
    RequestExtra {
        webhook: Some(WebhookSettings {
            url: "https://example.test/hook".into(),
            test_mode: Some(WebhookTestMode {
                enabled: true,
                return_task_status: WebhookTestModeReturnTaskStatus::TaskStatusSucceed,
            }),
        }),
    }
}

fn t2v_minimal() -> WanT2vRequest {
    WanT2vRequest::builder()
        .prompt("A red fox in fresh snow")
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn t2v_minimal_sends_only_the_prompt() {
    let body = sent_body("/v3/async/wan-t2v", &t2v_minimal()).await;
    insta::assert_json_snapshot!(body, @r#"
    {
      "prompt": "A red fox in fresh snow"
    }
    "#);
}

#[tokio::test]
async fn t2v_full() {
    let request = WanT2vRequest {
        model_name: Some("wan2.1-t2v".into()),
        prompt: "A red fox in fresh snow".into(),
        negative_prompt: Some("blurry".into()),
        width: Some(1280),
        height: Some(720),
        loras: vec![Lora {
            path: "Remade-AI/Painting".into(),
            scale: 1.5,
        }],
        seed: Some(9_999_999_999),
        steps: Some(40),
        guidance_scale: Some(7.5),
        flow_shift: Some(3.0),
        enable_safety_checker: None,
        fast_mode: None,
        extra: Some(webhook_extra()),
    };
    insta::assert_json_snapshot!(sent_body("/v3/async/wan-t2v", &request).await);
}

#[tokio::test]
async fn i2v_minimal_and_full() {
    let minimal: WanI2vRequest = WanI2vRequest::builder()
        .prompt("A panda walks")
        .image_url("https://example.test/panda.jpg")
        .try_into()
        .unwrap();
    insta::assert_json_snapshot!(
        "i2v_minimal",
        sent_body("/v3/async/wan-i2v", &minimal).await
    );
    let full = WanI2vRequest {
        model_name: None,
        prompt: "A panda walks".into(),
        image_url: "https://example.test/panda.jpg".into(),
        negative_prompt: Some("".into()),
        width: Some(480),
        height: Some(832),
        loras: vec![
            Lora {
                path: "a/one".into(),
                scale: 0.0,
            },
            Lora {
                path: "b/two".into(),
                scale: 4.0,
            },
            Lora {
                path:
                    "https://civitai.com/api/download/models/1513385?type=Model&format=SafeTensor"
                        .into(),
                scale: 2.0,
            },
        ],
        seed: Some(-1),
        steps: Some(1),
        guidance_scale: Some(0.0),
        flow_shift: Some(10.0),
        enable_safety_checker: Some(false),
        fast_mode: Some(true),
        extra: Some(webhook_extra()),
    };
    insta::assert_json_snapshot!("i2v_full", sent_body("/v3/async/wan-i2v", &full).await);
}

#[tokio::test]
async fn wan26_minimal_and_full() {
    let minimal = Wan26I2vRequest {
        input: Wan26I2vInput::builder()
            .img_url("https://example.test/kite.png")
            .try_into()
            .unwrap(),
        parameters: None,
        extra: None,
    };
    insta::assert_json_snapshot!(
        "wan26_minimal",
        sent_body("/v3/async/wan2.6-i2v", &minimal).await
    );
    let full = Wan26I2vRequest {
        input: Wan26I2vInput {
            prompt: Some("The kite rises".into()),
            // The header of a 1280x720 PNG: an image the client can measure.
            img_url: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAABQAAAALQCAIAAAAAAAAA".into(),
            template: Some("flying".into()),
            audio_url: Some("https://example.test/a.mp3".into()),
            negative_prompt: Some("rain".into()),
        },
        parameters: Some(Wan26I2vParameters {
            seed: Some(2_147_483_647),
            audio: Some(false),
            duration: Some(15),
            shot_type: Some(Wan26I2vParametersShotType::Multi),
            watermark: Some(true),
            resolution: Some(Wan26I2vParametersResolution::X1080p),
            prompt_extend: Some(false),
        }),
        extra: None,
    };
    insta::assert_json_snapshot!("wan26_full", sent_body("/v3/async/wan2.6-i2v", &full).await);
}

#[tokio::test]
async fn wan27_i2v_minimal_and_full() {
    let minimal: Wan27I2vRequest = Wan27I2vRequest::builder()
        .image_url(Some("https://example.test/first.png".to_string()))
        .try_into()
        .unwrap();
    insta::assert_json_snapshot!(
        "wan27_i2v_minimal",
        sent_body("/v3/async/wan2.7-i2v", &minimal).await
    );
    let full = Wan27I2vRequest {
        prompt: Some("Continue the scene".into()),
        image_url: None,
        first_clip_url: Some("https://example.test/clip.mp4".into()),
        last_frame_url: Some("https://example.test/last.png".into()),
        driving_audio_url: Some("https://example.test/drive.wav".into()),
        negative_prompt: Some("noise".into()),
        duration: Some(15),
        resolution: Some(Wan27I2vRequestResolution::X720p),
        watermark: Some(false),
        prompt_extend: Some(true),
        seed: Some(0),
        extra: None,
    };
    insta::assert_json_snapshot!(
        "wan27_i2v_full",
        sent_body("/v3/async/wan2.7-i2v", &full).await
    );
}

/// A body that breaks a rule is refused before any request leaves the client.
async fn refused<R: SubmitRequest>(request: R) -> Vec<String> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t"})))
        .expect(0)
        .mount(&server)
        .await;
    match client_for(&server).submit(&request).await {
        Err(Error::InvalidRequest { violations }) => {
            violations.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn documented_rules_are_enforced_before_sending() {
    let mut request = t2v_minimal();
    request.prompt = String::new();
    insta::assert_debug_snapshot!(refused(request).await, @r#"
    [
        "`prompt` must be between 1 and 2000 characters long (got 0)",
    ]
    "#);

    let mut request = t2v_minimal();
    request.prompt = "好".repeat(2001);
    request.width = Some(800);
    request.height = Some(600);
    request.seed = Some(10_000_000_000);
    request.steps = Some(0);
    request.guidance_scale = Some(10.5);
    request.flow_shift = Some(0.5);
    request.loras = vec![
        Lora {
            path: "x".into(),
            scale: 1.0
        };
        4
    ];
    insta::assert_debug_snapshot!("t2v_every_rule_broken", refused(request).await);

    let wan27: Wan27I2vRequest = Wan27I2vRequest::builder()
        .image_url(Some("https://example.test/a.png".to_string()))
        .first_clip_url(Some("https://example.test/b.mp4".to_string()))
        .duration(Some(1))
        .try_into()
        .unwrap();
    insta::assert_debug_snapshot!(refused(wan27).await, @r#"
    [
        "`duration` must be between 2 and 15 (got 1)",
        "`image_url/first_clip_url` needs exactly one of `image_url` and `first_clip_url` (got both)",
    ]
    "#);
    let neither: Wan27I2vRequest = Wan27I2vRequest::builder()
        .prompt(Some("p".to_string()))
        .try_into()
        .unwrap();
    assert_eq!(
        refused(neither).await,
        ["`image_url/first_clip_url` needs exactly one of `image_url` and `first_clip_url` (got neither)"]
    );

    let mut wan26 = Wan26I2vRequest {
        input: Wan26I2vInput::builder().img_url("u").try_into().unwrap(),
        parameters: Some(Wan26I2vParameters {
            duration: Some(7),
            seed: Some(-1),
            ..Default::default()
        }),
        extra: None,
    };
    insta::assert_debug_snapshot!(refused(wan26.clone()).await, @r#"
    [
        "`parameters.duration` must be one of 5, 10, 15 (got 7)",
        "`parameters.seed` must be between 0 and 2147483647 (got -1)",
    ]
    "#);
    wan26.parameters = None;
    wan26.input.img_url = String::new();
    assert_eq!(
        refused(wan26).await,
        ["`input.img_url` must be at least 1 characters long (got 0)"]
    );
}

#[tokio::test]
async fn edge_values_are_accepted() {
    for (width, height) in [(480, 832), (832, 480), (720, 1280), (1280, 720)] {
        let mut request = t2v_minimal();
        request.width = Some(width);
        request.height = Some(height);
        request.seed = Some(-1);
        NovitaClient::check(&request).unwrap();
    }
    // With one side missing the service falls back to 832x480; that is not an error.
    let mut request = t2v_minimal();
    request.width = Some(720);
    NovitaClient::check(&request).unwrap();
    request.prompt = "好".repeat(2000);
    request.loras = vec![
        Lora {
            path: "x".into(),
            scale: 4.0
        };
        3
    ];
    NovitaClient::check(&request).unwrap();
}

#[tokio::test]
async fn builder_without_required_field_is_a_typed_error() {
    let server = MockServer::start().await;
    let client = client_for(&server);
    let error = client
        .api()
        .submit_wan_t2v()
        .body(WanT2vRequest::builder())
        .send()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("prompt"), "{error}");
}

#[tokio::test]
async fn probe_sends_a_refused_body_as_it_is_once_and_keeps_any_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/async/wan2.7-t2v"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_raw("slow down", "text/plain"),
        )
        .expect(1)
        .mount(&server)
        .await;
    // `client_for` retries submissions on 429; a probe never does.
    let client = client_for(&server);
    let t2v = novita_video::SubmitOperation::find("wan2.7-t2v").unwrap();
    let refused = json!({"duration": 99});
    assert!(NovitaClient::check_value(t2v, &refused).is_err());
    let answer = client.probe(t2v, &refused).await.unwrap();
    assert_eq!(answer.status(), 429);
    assert_eq!(answer.body(), b"slow down");
    assert!(answer.novita_error().is_none());
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1, "never retried");
    assert_eq!(
        serde_json::from_slice::<Value>(&received[0].body).unwrap(),
        refused
    );
}

#[tokio::test]
async fn a_json_body_with_a_misspelled_field_is_refused_naming_the_field_it_was_meant_to_be() {
    // `submit_value` turned `{"durration": 10}` into a typed request that drops it, and sent
    // the rest: a paid task with the default duration.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"task_id": "t-1"})))
        .expect(0)
        .mount(&server)
        .await;
    let client = client_for(&server);
    let t2v = novita_video::SubmitOperation::find("wan2.7-t2v").unwrap();
    let refusal = |error: Error| match error {
        Error::InvalidRequest { violations } => violations,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let violations = refusal(
        client
            .submit_value(t2v, json!({"prompt": "fox", "durration": 10}))
            .await
            .unwrap_err(),
    );
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "durration");
    assert_eq!(
        violations[0].rule,
        "is not a field of wan2.7-t2v (did you mean `duration`?)"
    );
    let nested = refusal(
        NovitaClient::checked_value(
            t2v,
            json!({"prompt": "fox", "extra": {"webhok": {"url": "https://e.x/h"}}}),
        )
        .unwrap_err(),
    );
    assert_eq!(
        nested[0].to_string(),
        "`extra.webhok` is not a field of wan2.7-t2v (did you mean `webhook`?)"
    );
    let far = refusal(
        NovitaClient::checked_value(t2v, json!({"prompt": "fox", "colour": "red"})).unwrap_err(),
    );
    assert_eq!(far[0].to_string(), "`colour` is not a field of wan2.7-t2v");
    // The spec's own rules say nothing of unknown members: `check_value` reads them as the
    // spec does, as the mock and the contract proxy do.
    assert!(NovitaClient::check_value(t2v, &json!({"prompt": "fox", "colour": "red"})).is_ok());
    // Open objects (Kling's shots, whose members the page does not give) are not judged.
    let kling = novita_video::SubmitOperation::find("kling-v3.0-pro-t2v").unwrap();
    assert!(NovitaClient::checked_value(kling, json!({"multi_prompt": [{"anything": 1}]})).is_ok());
}
