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
fn every_submit_schema_is_present_and_checked() {
    let operations = crate::SubmitOperation::all();
    assert_eq!(operations.len(), 14, "the operations of the spec");
    let mut names: Vec<&str> = operations.iter().map(|op| op.schema_name()).collect();
    let mut present: Vec<&str> = schemas().keys().map(String::as_str).collect();
    names.sort_unstable();
    present.sort_unstable();
    assert_eq!(names, present, "one request schema per submit operation");
    for operation in operations {
        let name = operation.schema_name();
        // `{}` is refused: each operation needs a field (what `novita endpoints --probe` uses).
        assert!(!violations(name, &json!({})).is_empty(), "{name}: {{}}");
        // Every property, given a value of another type, is named once (rules across fields
        // may add their own, named `a/b`).
        let properties = request_rules(name)
            .properties
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has properties"));
        let mut body = Map::new();
        for (field, property) in properties {
            let wrong = match property.kind {
                Some(Kind::String) => json!(5),
                _ => json!("not of this type"),
            };
            body.insert(field.clone(), wrong);
        }
        let mut named: Vec<String> = fields(name, Value::Object(body))
            .into_iter()
            .filter(|field| !field.contains('/'))
            .collect();
        named.sort_unstable();
        let mut expected: Vec<&String> = properties.iter().map(|(name, _)| name).collect();
        expected.sort_unstable();
        assert_eq!(named.iter().collect::<Vec<_>>(), expected, "{name}");
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
    normalize_integers(request_rules("WanT2vRequest"), &mut body);
    assert_eq!(
        body,
        json!({"prompt": "p", "width": 480, "height": 832, "guidance_scale": 5.0})
    );
}
