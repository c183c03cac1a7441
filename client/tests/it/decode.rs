//! Every documented response shape, and the quirks Novita is known for, decodes.

// These tests also cover the endpoints Novita has retired, whose request types are deprecated.
#![allow(deprecated)]

use crate::common;

use common::examples_at;
use novita_video::{
    parse_webhook,
    types::{TaskResultResponse, Wan27I2vRequest, WanI2vRequest, WanT2vRequest},
    NovitaClient, TaskStatus, WebhookNotification,
};
use serde_json::json;

fn decode(value: serde_json::Value) -> TaskResultResponse {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"))
}

#[test]
fn documented_task_result_examples_decode() {
    let examples = examples_at(
        "/paths/~1v3~1async~1task-result/get/responses/200/content/application~1json/examples",
    );
    assert_eq!(examples.len(), 2);
    for (name, value) in examples {
        let result = decode(value);
        insta::assert_json_snapshot!(format!("task_result_example_{name}"), result);
    }
}

#[test]
fn wan_example_reads_as_documented() {
    let examples = examples_at(
        "/paths/~1v3~1async~1task-result/get/responses/200/content/application~1json/examples",
    );
    let (_, wan) = examples.iter().find(|(n, _)| n == "wan_succeeded").unwrap();
    let result = decode(wan.clone());
    let task = result.task.unwrap();
    assert_eq!(task.status, Some(TaskStatus::Succeed));
    assert_eq!(task.progress_percent.unwrap().as_f64(), Some(100.0));
    assert!(result.extra.is_none());
    assert!(result.audios.is_empty());
    let video = &result.videos[0];
    assert_eq!(video.video_url_ttl.as_ref().unwrap().as_u64(), Some(3600));
    assert_eq!(video.video_type.as_deref(), Some("mp4"));
}

#[test]
fn generic_example_keeps_string_seed_and_empty_times() {
    let examples = examples_at(
        "/paths/~1v3~1async~1task-result/get/responses/200/content/application~1json/examples",
    );
    let (_, generic) = examples
        .iter()
        .find(|(n, _)| n == "generic_succeeded")
        .unwrap();
    let result = decode(generic.clone());
    let extra = result.extra.unwrap();
    assert_eq!(extra.seed.unwrap().as_i64(), Some(158_881_667));
    let debug = extra.debug_info.unwrap();
    assert_eq!(debug.submit_time_ms.unwrap().as_i64(), None);
    assert_eq!(
        result.images[0].image_url_ttl.as_ref().unwrap().as_u64(),
        Some(3600)
    );
    assert!(result.images[0].nsfw_detection_result.is_some());
}

#[test]
fn documented_webhook_event_parses() {
    let examples = examples_at(
        "/paths/~1v3~1async~1wan-t2v/post/callbacks/taskResult/{$request.body#~1extra~1webhook~1url}/post/requestBody/content/application~1json/examples",
    );
    for (_, value) in examples {
        let event = parse_webhook(value.to_string().as_bytes()).unwrap();
        assert_eq!(
            event.task_id(),
            Some("f6aec953-2e81-4e8b-938e-2ceab54d6df9")
        );
        let WebhookNotification::TaskResult(result) = event else {
            panic!("not a task result")
        };
        assert!(result.images[0].nsfw_detection_result.is_none());
        assert_eq!(
            result.extra.unwrap().webhook["url"],
            "https://your-webhook-endpoint-url"
        );
    }
}

#[test]
fn other_webhook_event_types_are_reported_not_refused() {
    let event = parse_webhook(br#"{"event_type":"BILLING_NOTICE","payload":{"x":1}}"#).unwrap();
    assert_eq!(
        event,
        WebhookNotification::Other {
            event_type: "BILLING_NOTICE".into(),
            payload: json!({"x": 1})
        }
    );
    let error = parse_webhook(b"<html>").unwrap_err();
    assert!(error.to_string().contains("webhook body"), "{error}");
}

#[test]
fn documented_request_examples_decode_and_pass_the_checks() {
    for (name, value) in examples_at(
        "/paths/~1v3~1async~1wan-t2v/post/requestBody/content/application~1json/examples",
    ) {
        let request: WanT2vRequest = serde_json::from_value(value).unwrap();
        NovitaClient::check(&request).unwrap_or_else(|e| panic!("t2v {name}: {e}"));
    }
    for (name, value) in examples_at(
        "/paths/~1v3~1async~1wan-i2v/post/requestBody/content/application~1json/examples",
    ) {
        let request: WanI2vRequest = serde_json::from_value(value).unwrap();
        NovitaClient::check(&request).unwrap_or_else(|e| panic!("i2v {name}: {e}"));
    }
    for (name, value) in examples_at(
        "/paths/~1v3~1async~1wan2.7-i2v/post/requestBody/content/application~1json/examples",
    ) {
        let request: Wan27I2vRequest = serde_json::from_value(value).unwrap();
        NovitaClient::check(&request).unwrap_or_else(|e| panic!("wan2.7 {name}: {e}"));
    }
}

#[test]
fn ttl_as_string_or_integer() {
    for ttl in [json!("3600"), json!(3600)] {
        let result = decode(
            json!({"videos": [{"video_url": "u", "video_url_ttl": ttl, "video_type": "mp4"}]}),
        );
        assert_eq!(
            result.videos[0].video_url_ttl.as_ref().unwrap().as_u64(),
            Some(3600)
        );
    }
}

#[test]
fn nsfw_result_as_null_empty_or_filled() {
    for nsfw in [
        json!(null),
        json!({}),
        json!({"valid": true, "confidence": 0}),
    ] {
        let result = decode(
            json!({"images": [{"image_url": "u", "image_url_ttl": "3600", "image_type": "jpeg", "nsfw_detection_result": nsfw}]}),
        );
        assert_eq!(result.images.len(), 1);
        let image = serde_json::to_value(&result.images[0]).unwrap();
        assert_eq!(image["image_url"], "u");
        assert_eq!(image["image_type"], "jpeg");
        // What was sent is what decoded: none, an empty result, or the filled-in one.
        let safety = &image["nsfw_detection_result"];
        match nsfw.as_object() {
            None => assert!(safety.is_null(), "{image}"),
            Some(sent) if sent.is_empty() => assert_eq!(safety, &json!({}), "{image}"),
            Some(_) => {
                assert_eq!(safety["valid"], true, "{image}");
                assert_eq!(safety["confidence"].as_f64(), Some(0.0), "{image}");
            }
        }
    }
}

#[test]
fn missing_keys_unknown_fields_and_unknown_status_are_kept() {
    let result = decode(json!({
        "task": {"task_id": "t", "status": "TASK_STATUS_PAUSED", "brand_new": [1, 2]},
        "something_new": {"a": 1}
    }));
    let task = result.task.unwrap();
    assert_eq!(
        task.status,
        Some(TaskStatus::Other("TASK_STATUS_PAUSED".into()))
    );
    assert!(!task.status.unwrap().is_terminal());
    assert!(result.videos.is_empty() && result.extra.is_none());
    decode(json!({}));
}

#[test]
fn debug_times_as_digit_strings() {
    let result = decode(json!({"extra": {"seed": "42", "debug_info": {
        "request_info": "{}", "submit_time_ms": "1732320000000",
        "execute_time_ms": "1732320001000", "complete_time_ms": "1732320005000"}}}));
    let debug = result.extra.unwrap().debug_info.unwrap();
    assert_eq!(
        debug.complete_time_ms.unwrap().as_i64(),
        Some(1_732_320_005_000)
    );
}

#[test]
fn audio_outputs_decode() {
    let result = decode(
        json!({"audios": [{"audio_url": "u", "audio_url_ttl": "3600", "audio_type": "wav",
        "audio_metadata": {"text": "hi", "start_time": 0, "end_time": 1.5}}]}),
    );
    assert_eq!(
        result.audios[0].audio_metadata.as_ref().unwrap().end_time,
        Some(1.5)
    );
}
