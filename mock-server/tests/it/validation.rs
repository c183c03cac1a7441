//! Every documented rule refuses the bad value with Novita's 400 body naming the field, and
//! accepts the edge values.

use crate::common;

use common::{assert_novita_error, start_default};
use serde_json::{json, Value};

const T2V: &str = "/v3/async/wan-t2v";
const I2V: &str = "/v3/async/wan-i2v";
const W26: &str = "/v3/async/wan2.6-i2v";
const W27: &str = "/v3/async/wan2.7-i2v";

fn with(base: &Value, changes: Value) -> Value {
    let mut body = base.clone();
    for (key, value) in changes.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

/// A PNG header of `width` x `height` as a data URI: an image the mock can measure.
fn inline_png(width: u32, height: u32) -> String {
    use base64::Engine;
    let png = common::png_header(width, height);
    let payload = base64::engine::general_purpose::STANDARD.encode(png);
    format!("data:image/png;base64,{payload}")
}

fn t2v() -> Value {
    json!({"prompt": "a fox"})
}
fn i2v() -> Value {
    json!({"prompt": "a panda", "image_url": "https://example.test/p.jpg"})
}
fn w26() -> Value {
    json!({"input": {"img_url": "https://example.test/k.png"}})
}
fn w27() -> Value {
    json!({"image_url": "https://example.test/f.png"})
}

#[tokio::test]
async fn bad_values_are_refused_naming_the_field() {
    let mock = start_default().await;
    let long = |n: usize| "字".repeat(n);
    let cases: Vec<(&str, Value, &str)> = vec![
        (T2V, json!({}), "prompt"),
        (T2V, json!({"prompt": ""}), "prompt"),
        (T2V, json!({"prompt": long(2001)}), "prompt"),
        (T2V, json!({"prompt": 5}), "prompt"),
        (
            T2V,
            with(&t2v(), json!({"negative_prompt": long(2001)})),
            "negative_prompt",
        ),
        (T2V, with(&t2v(), json!({"width": 640})), "width"),
        (T2V, with(&t2v(), json!({"height": 1080})), "height"),
        (
            T2V,
            with(&t2v(), json!({"width": 480, "height": 480})),
            "width/height",
        ),
        (
            T2V,
            with(&t2v(), json!({"width": 1280, "height": 832})),
            "width/height",
        ),
        (T2V, with(&t2v(), json!({"width": "832"})), "width"),
        (T2V, with(&t2v(), json!({"seed": -2})), "seed"),
        (
            T2V,
            with(&t2v(), json!({"seed": 10_000_000_000i64})),
            "seed",
        ),
        (T2V, with(&t2v(), json!({"seed": 1.5})), "seed"),
        (T2V, with(&t2v(), json!({"steps": 0})), "steps"),
        (T2V, with(&t2v(), json!({"steps": 41})), "steps"),
        (
            T2V,
            with(&t2v(), json!({"guidance_scale": -0.1})),
            "guidance_scale",
        ),
        (
            T2V,
            with(&t2v(), json!({"guidance_scale": 10.01})),
            "guidance_scale",
        ),
        (T2V, with(&t2v(), json!({"flow_shift": 0.99})), "flow_shift"),
        (T2V, with(&t2v(), json!({"flow_shift": 10.5})), "flow_shift"),
        (
            T2V,
            with(
                &t2v(),
                json!({"loras": [{"path": "a", "scale": 1}, {"path": "b", "scale": 1}, {"path": "c", "scale": 1}, {"path": "d", "scale": 1}]}),
            ),
            "loras",
        ),
        (
            T2V,
            with(&t2v(), json!({"loras": [{"path": "a", "scale": 4.5}]})),
            "loras[0].scale",
        ),
        (
            T2V,
            with(&t2v(), json!({"loras": [{"path": "a", "scale": -1}]})),
            "loras[0].scale",
        ),
        (
            T2V,
            with(&t2v(), json!({"loras": [{"scale": 1}]})),
            "loras[0].path",
        ),
        (
            T2V,
            with(&t2v(), json!({"loras": [{"path": "a"}]})),
            "loras[0].scale",
        ),
        (T2V, with(&t2v(), json!({"loras": "a"})), "loras"),
        (
            T2V,
            with(&t2v(), json!({"extra": {"webhook": {}}})),
            "extra.webhook.url",
        ),
        (
            T2V,
            with(&t2v(), json!({"extra": {"webhook": {"url": "not a url"}}})),
            "extra.webhook.url",
        ),
        // The spec's pattern is ECMAScript: its `\s` counts U+FEFF as whitespace.
        (
            T2V,
            with(
                &t2v(),
                json!({"extra": {"webhook": {"url": "http://x.test/\u{feff}hook"}}}),
            ),
            "extra.webhook.url",
        ),
        (
            T2V,
            with(
                &t2v(),
                json!({"extra": {"webhook": {"url": "http://x.test", "test_mode": {"enabled": true}}}}),
            ),
            "extra.webhook.test_mode.return_task_status",
        ),
        (
            T2V,
            with(
                &t2v(),
                json!({"extra": {"webhook": {"url": "http://x.test", "test_mode": {"enabled": true, "return_task_status": "TASK_STATUS_QUEUED"}}}}),
            ),
            "extra.webhook.test_mode.return_task_status",
        ),
        (T2V, json!([1, 2]), "body"),
        (T2V, with(&t2v(), json!({"seed": null})), "seed"),
        (
            T2V,
            with(&t2v(), json!({"extra": {"webhook": null}})),
            "extra.webhook",
        ),
        (
            T2V,
            with(
                &t2v(),
                json!({"extra": {"webhook": {"url": "ftp://x.test/hook"}}}),
            ),
            "extra.webhook.url",
        ),
        (I2V, json!({"prompt": "p"}), "image_url"),
        (I2V, with(&i2v(), json!({"image_url": ""})), "image_url"),
        (I2V, with(&i2v(), json!({"fast_mode": "yes"})), "fast_mode"),
        (
            I2V,
            with(&i2v(), json!({"enable_safety_checker": 1})),
            "enable_safety_checker",
        ),
        (W26, json!({}), "input"),
        (W26, json!({"input": {}}), "input.img_url"),
        (
            W26,
            json!({"input": {"img_url": "u", "prompt": long(2001)}}),
            "input.prompt",
        ),
        (
            W26,
            json!({"input": {"img_url": "u", "negative_prompt": long(501)}}),
            "input.negative_prompt",
        ),
        (
            W26,
            with(&w26(), json!({"parameters": {"duration": 7}})),
            "parameters.duration",
        ),
        (
            W26,
            with(&w26(), json!({"parameters": {"seed": -1}})),
            "parameters.seed",
        ),
        (
            W26,
            with(&w26(), json!({"parameters": {"seed": 2_147_483_648i64}})),
            "parameters.seed",
        ),
        (
            W26,
            with(&w26(), json!({"parameters": {"resolution": "480P"}})),
            "parameters.resolution",
        ),
        (
            W26,
            with(&w26(), json!({"parameters": {"shot_type": "double"}})),
            "parameters.shot_type",
        ),
        (
            W26,
            with(&w26(), json!({"parameters": {"audio": "true"}})),
            "parameters.audio",
        ),
        (W26, with(&w26(), json!({"parameters": 3})), "parameters"),
        (W27, json!({}), "image_url/first_clip_url"),
        (
            W27,
            with(
                &w27(),
                json!({"first_clip_url": "https://example.test/c.mp4"}),
            ),
            "image_url/first_clip_url",
        ),
        (W27, with(&w27(), json!({"duration": 1})), "duration"),
        (W27, with(&w27(), json!({"duration": 16})), "duration"),
        (W27, with(&w27(), json!({"prompt": long(5001)})), "prompt"),
        (
            W27,
            with(&w27(), json!({"negative_prompt": long(501)})),
            "negative_prompt",
        ),
        (W27, with(&w27(), json!({"resolution": "4K"})), "resolution"),
        (W27, with(&w27(), json!({"seed": 2_147_483_648i64})), "seed"),
        (W27, with(&w27(), json!({"watermark": "no"})), "watermark"),
    ];
    for (path, body, field) in cases {
        let answer = mock.submit(path, &body).await;
        let message = assert_novita_error(&answer, 400, "INVALID_REQUEST_BODY");
        assert!(
            message.starts_with(&format!("{field}: ")),
            "{path} {body}: message {message:?} should name {field}"
        );
    }
}

#[tokio::test]
async fn edge_values_and_documented_bodies_are_accepted() {
    let mock = start_default().await;
    let cases: Vec<(&str, Value)> = vec![
        (
            T2V,
            with(
                &t2v(),
                json!({"prompt": "字".repeat(2000), "negative_prompt": ""}),
            ),
        ),
        // U+0085 is whitespace to Rust but not to the spec's ECMAScript `\s`: the URL passes.
        (
            T2V,
            with(
                &t2v(),
                json!({"extra": {"webhook": {"url": "http://x.test/\u{85}hook"}}}),
            ),
        ),
        (
            T2V,
            with(
                &t2v(),
                json!({"width": 480, "height": 832, "seed": -1, "steps": 1, "guidance_scale": 0, "flow_shift": 1}),
            ),
        ),
        (
            T2V,
            with(
                &t2v(),
                json!({"width": 832, "height": 480, "seed": 9_999_999_999i64, "steps": 40, "guidance_scale": 10, "flow_shift": 10}),
            ),
        ),
        (T2V, with(&t2v(), json!({"width": 720, "height": 1280}))),
        (
            T2V,
            with(&t2v(), json!({"width": 1280, "height": 720, "seed": 0})),
        ),
        (T2V, with(&t2v(), json!({"width": 720}))),
        (
            T2V,
            with(
                &t2v(),
                json!({"loras": [{"path": "a", "scale": 0}, {"path": "b", "scale": 4}, {"path": "c", "scale": 2.5}]}),
            ),
        ),
        // What older clients send: model_name, frames and other fields no longer documented.
        (
            T2V,
            json!({"model_name": "wan-t2v", "prompt": "p", "frames": 81, "fps": 16, "width": 832, "height": 480, "seed": 1}),
        ),
        (
            T2V,
            json!({"model_name": "wan2.1-t2v", "height": 1280, "width": 720, "seed": -1, "prompt": "3D animation of a small creature"}),
        ),
        (
            I2V,
            json!({"image_url": "https://pub-f964a1c641c04024bce400ad128c8cd6.r2.dev/wan-i2v-input-image.jpg", "height": 1280, "width": 720, "steps": 25, "seed": -1, "prompt": "A cute panda is walking in the grassland slowly."}),
        ),
        (
            I2V,
            with(
                &i2v(),
                json!({"fast_mode": true, "enable_safety_checker": false}),
            ),
        ),
        (
            W26,
            json!({"input": {"img_url": inline_png(1280, 720), "prompt": "", "negative_prompt": "字".repeat(500)}, "parameters": {"seed": 0, "duration": 15, "resolution": "720P", "shot_type": "multi", "audio": false, "watermark": true, "prompt_extend": false}}),
        ),
        (
            W26,
            with(
                &w26(),
                json!({"parameters": {"seed": 2_147_483_647i64, "duration": 5, "resolution": "1080P", "shot_type": "single"}}),
            ),
        ),
        (
            W27,
            with(
                &w27(),
                json!({"duration": 2, "seed": 0, "prompt": "字".repeat(5000)}),
            ),
        ),
        (
            W27,
            json!({"first_clip_url": "https://example.test/c.mp4", "duration": 15, "resolution": "720P", "seed": 2_147_483_647i64}),
        ),
        (
            W27,
            with(
                &w27(),
                json!({"last_frame_url": "https://example.test/l.png", "driving_audio_url": "https://example.test/a.wav", "negative_prompt": "字".repeat(500)}),
            ),
        ),
    ];
    for (path, body) in cases {
        let (status, answer) = mock.submit(path, &body).await;
        assert_eq!(status, 200, "{path} {body}: {answer}");
        assert!(answer["task_id"].is_string());
    }
}

#[tokio::test]
async fn malformed_bodies_are_400_never_500() {
    let mock = start_default().await;
    for body in [
        "",
        "{",
        "null",
        "\"text\"",
        "{\"prompt\": \"a\"",
        "\u{0}\u{1}",
    ] {
        let answer = mock.post_raw(T2V, body, &[]).await;
        assert_novita_error(&answer, 400, "INVALID_REQUEST_BODY");
    }
    let wrong_type = mock
        .http
        .post(mock.url(T2V))
        .header("authorization", "Bearer k")
        .header("content-type", "text/plain")
        .body("{\"prompt\": \"a\"}")
        .send()
        .await
        .unwrap();
    let answer = common::read(wrong_type).await;
    let message = assert_novita_error(&answer, 400, "INVALID_REQUEST_BODY");
    assert!(message.starts_with("Content-Type"), "{message}");
}
