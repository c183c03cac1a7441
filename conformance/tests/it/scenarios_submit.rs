//! The submission scenarios: every operation's documented examples (and the retired models'
//! requests) submitted and read back, against the mock with its outcome pinned and against a
//! live server. The scenario machinery is in `scenarios`.

// The retired models' request types are deprecated.
#![allow(deprecated)]

use crate::scenarios::{
    assert_outline_as_pinned, paused_mock, pin, png_url, scenario, t2v_full, to_json,
};

use conformance::harness::{spec, Harness};
use novita_video::{
    types::{
        Kling4kI2vRequest, Kling4kT2vRequest, KlingMotionControlRequest, KlingProI2vRequest,
        KlingProT2vRequest, KlingStdI2vRequest, KlingStdT2vRequest, Wan26I2vInput,
        Wan26I2vParameters, Wan26I2vParametersResolution, Wan26I2vRequest, Wan27I2vRequest,
        Wan27R2vRequest, Wan27T2vRequest, Wan27VideoeditRequest, WanI2vRequest, WanT2vRequest,
    },
    SubmitRequest,
};
use reqwest::Method;
use serde_json::{json, Value};

scenario!(submit_wan27_t2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27T2vRequest = spec_example("/v3/async/wan2.7-t2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_t2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27T2vRequest = spec_example("/v3/async/wan2.7-t2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_std_t2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingStdT2vRequest = spec_example("/v3/async/kling-v3.0-std-t2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_std_t2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingStdT2vRequest = spec_example("/v3/async/kling-v3.0-std-t2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_pro_t2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingProT2vRequest = spec_example("/v3/async/kling-v3.0-pro-t2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_pro_t2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingProT2vRequest = spec_example("/v3/async/kling-v3.0-pro-t2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_4k_t2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Kling4kT2vRequest = spec_example("/v3/async/kling-v3.0-4k-t2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_4k_t2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Kling4kT2vRequest = spec_example("/v3/async/kling-v3.0-4k-t2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_std_i2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingStdI2vRequest = spec_example("/v3/async/kling-v3.0-std-i2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_std_i2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingStdI2vRequest = spec_example("/v3/async/kling-v3.0-std-i2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_pro_i2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingProI2vRequest = spec_example("/v3/async/kling-v3.0-pro-i2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_pro_i2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingProI2vRequest = spec_example("/v3/async/kling-v3.0-pro-i2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_4k_i2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Kling4kI2vRequest = spec_example("/v3/async/kling-v3.0-4k-i2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_4k_i2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Kling4kI2vRequest = spec_example("/v3/async/kling-v3.0-4k-i2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_motion_control_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingMotionControlRequest = spec_example("/v3/async/kling-v3.0-motion-control", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_kling_motion_control_full, control_api: true, mock: paused_mock().await, |h| {
    let request: KlingMotionControlRequest = spec_example("/v3/async/kling-v3.0-motion-control", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_r2v_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27R2vRequest = spec_example("/v3/async/wan2.7-r2v", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_r2v_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27R2vRequest = spec_example("/v3/async/wan2.7-r2v", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_videoedit_minimal, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27VideoeditRequest = spec_example("/v3/async/wan2.7-videoedit", "minimal");
    submit_and_finish(&h, &request).await
});

scenario!(submit_wan27_videoedit_full, control_api: true, mock: paused_mock().await, |h| {
    let request: Wan27VideoeditRequest = spec_example("/v3/async/wan2.7-videoedit", "full");
    submit_and_finish(&h, &request).await
});

scenario!(submit_t2v_minimal, control_api: false, mock: paused_mock().await, |h| {
    let request: WanT2vRequest = WanT2vRequest::builder().prompt("A red fox in snow").try_into().unwrap();
    submit_and_read(&h, &request).await
});

scenario!(submit_t2v_full, control_api: false, mock: paused_mock().await, |h| submit_and_read(&h, &t2v_full()).await);

scenario!(submit_i2v_minimal, control_api: false, mock: paused_mock().await, |h| {
    let request: WanI2vRequest =
        WanI2vRequest::builder().prompt("A cute panda walks").image_url(png_url()).try_into().unwrap();
    submit_and_read(&h, &request).await
});

scenario!(submit_i2v_full, control_api: false, mock: paused_mock().await, |h| {
    let request = WanI2vRequest {
        model_name: None,
        prompt: "A cute panda is walking in the grassland slowly.".into(),
        image_url: png_url(),
        negative_prompt: Some("".into()),
        width: Some(720),
        height: Some(1280),
        loras: vec![],
        seed: Some(99),
        steps: Some(25),
        guidance_scale: Some(4.5),
        flow_shift: Some(2.0),
        enable_safety_checker: Some(true),
        fast_mode: Some(true),
        extra: None,
    };
    submit_and_read(&h, &request).await
});

scenario!(submit_wan26_minimal, control_api: false, mock: paused_mock().await, |h| {
    let request = Wan26I2vRequest {
        input: Wan26I2vInput::builder().img_url(png_url()).try_into().unwrap(),
        parameters: None,
        extra: None,
    };
    submit_and_read(&h, &request).await
});

scenario!(submit_wan26_full, control_api: false, mock: paused_mock().await, |h| {
    let request = Wan26I2vRequest {
        input: Wan26I2vInput {
            prompt: Some("The kite rises slowly".into()),
            img_url: png_url(),
            template: None,
            audio_url: None,
            negative_prompt: Some("rain".into()),
        },
        parameters: Some(Wan26I2vParameters {
            seed: Some(7),
            audio: Some(false),
            duration: Some(10),
            resolution: Some(Wan26I2vParametersResolution::X720p),
            ..Default::default()
        }),
        extra: None,
    };
    submit_and_read(&h, &request).await
});

scenario!(submit_wan27_i2v_minimal, control_api: false, mock: paused_mock().await, |h| {
    let request: Wan27I2vRequest = Wan27I2vRequest::builder().image_url(Some(png_url())).try_into().unwrap();
    submit_and_read(&h, &request).await
});

scenario!(submit_wan27_i2v_full, control_api: false, mock: paused_mock().await, |h| {
    let request: Wan27I2vRequest = Wan27I2vRequest::builder()
        .image_url(Some(png_url()))
        .last_frame_url(Some(png_url()))
        .prompt(Some("The panda turns its head".to_string()))
        .negative_prompt(Some("noise".to_string()))
        .duration(Some(3))
        .seed(Some(2_147_483_647))
        .watermark(Some(true))
        .prompt_extend(Some(false))
        .try_into()
        .unwrap();
    submit_and_read(&h, &request).await
});

/// Submits, reads the first result, and returns both.
async fn submit_and_read<R: SubmitRequest>(h: &Harness, request: &R) -> Value {
    let task_id = h.client.submit(request).await.expect("accepted");
    let first = h.client.task_result(&task_id).await.expect("result");
    json!({ "first_result": to_json(&first) })
}

/// The spec's example `name` of the operation at `path`, as its generated request type.
fn spec_example<R: serde::de::DeserializeOwned>(path: &str, name: &str) -> R {
    let spec = spec();
    let example = &spec.document()["paths"][path]["post"]["requestBody"]["content"]
        ["application/json"]["examples"][name]["value"];
    serde_json::from_value(example.clone()).unwrap_or_else(|e| panic!("{path} {name}: {e}"))
}

/// Submits, reads the queued task, ends it through the control API and reads the result.
async fn submit_and_finish<R: SubmitRequest>(h: &Harness, request: &R) -> Value {
    let task_id = h.client.submit(request).await.expect("accepted");
    let first = h.client.task_result(&task_id).await.expect("result");
    h.control(
        Method::POST,
        &format!("/_mock/tasks/{task_id}/finish"),
        None,
    )
    .await;
    let last = h.client.task_result(&task_id).await.expect("result");
    json!({ "first_result": to_json(&first), "finished_result": to_json(&last) })
}
