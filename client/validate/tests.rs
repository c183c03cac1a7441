//! The checks against the spec's rules, on bodies written by hand.

use serde_json::json;

use super::*;

fn fields(schema: &str, body: Value) -> Vec<String> {
    violations(schema, &body)
        .into_iter()
        .map(|v| v.field)
        .collect()
}

#[test]
fn every_submit_schema_is_present() {
    for name in [
        "WanT2vRequest",
        "WanI2vRequest",
        "Wan26I2vRequest",
        "Wan27I2vRequest",
    ] {
        assert!(schemas().contains_key(name), "{name} missing");
    }
}

#[test]
fn nested_paths_are_named() {
    let body =
        json!({"prompt": "p", "loras": [{"path": "a", "scale": 1.0}, {"path": "b", "scale": 4.5}]});
    assert_eq!(fields("WanT2vRequest", body), ["loras[1].scale"]);
    let body = json!({"input": {"img_url": "u", "negative_prompt": "x".repeat(501)}});
    assert_eq!(fields("Wan26I2vRequest", body), ["input.negative_prompt"]);
}

#[test]
fn webhook_urls_follow_the_pattern() {
    let hook = |url: &str| json!({"prompt": "p", "extra": {"webhook": {"url": url}}});
    assert!(violations("WanT2vRequest", &hook("https://example.test/hook")).is_empty());
    assert_eq!(
        fields("WanT2vRequest", hook("ftp://example.test/hook")),
        ["extra.webhook.url"]
    );
    assert_eq!(
        fields("WanT2vRequest", hook("http://a b")),
        ["extra.webhook.url"]
    );
}

#[test]
fn null_is_a_wrong_type() {
    let body = json!({"prompt": "p", "width": null, "height": 832});
    assert_eq!(fields("WanT2vRequest", body), ["width"]);
}

#[test]
fn integral_floats_are_integers_and_are_written_as_such() {
    let body = json!({"prompt": "p", "width": 480.0, "height": 832, "guidance_scale": 5.0});
    assert!(violations("WanT2vRequest", &body).is_empty());
    assert_eq!(
        fields("WanT2vRequest", json!({"prompt": "p", "steps": 20.5})),
        ["steps"]
    );
    let mut body = body;
    normalize_integers(request_schema("WanT2vRequest"), &mut body);
    assert_eq!(
        body,
        json!({"prompt": "p", "width": 480, "height": 832, "guidance_scale": 5.0})
    );
}
