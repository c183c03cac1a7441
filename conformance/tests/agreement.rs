//! Rules the client and the mock read alike on every submit operation of the spec, taken from
//! the spec's own catalogue: a new operation is covered without touching this file.

use conformance::{
    harness::{spec, Harness},
    media::{data_uri, png},
    targets::{break_rule, pointer, schema_at, targets, Choices},
    verdict::{self, Verdict},
};
use novita_video::SubmitOperation;
use serde_json::{json, Value};

/// The first example body the spec gives for `operation`.
fn example_body(operation: &SubmitOperation) -> Value {
    let examples = examples(operation);
    let first = examples
        .as_object()
        .and_then(|all| all.values().next())
        .unwrap_or_else(|| panic!("{} has a request example", operation.path()));
    first["value"].clone()
}

/// The request examples the spec gives for `operation`, by name.
fn examples(operation: &SubmitOperation) -> Value {
    spec().document()["paths"][operation.path()]["post"]["requestBody"]["content"]
        ["application/json"]["examples"]
        .clone()
}

/// Both readings of the pages, the client's check and the mock, give `expected` on `body`.
async fn assert_both_give(
    h: &Harness,
    operation: &SubmitOperation,
    body: &Value,
    expected: &Verdict,
    context: &str,
) {
    assert_eq!(
        &verdict::client(operation, body),
        expected,
        "client, {context}"
    );
    assert_eq!(
        &verdict::mock(h, operation, body).await,
        expected,
        "mock, {context}"
    );
}

#[tokio::test]
async fn every_endpoint_takes_extra_webhook_and_both_sides_check_it_alike() {
    let h = Harness::mock().await;
    for operation in SubmitOperation::all() {
        let mut body = example_body(operation);
        assert_both_give(&h, operation, &body, &Ok(()), operation.command()).await;
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
            assert_both_give(&h, operation, &body, &verdict, &context).await;
        }
    }
}

/// The richest example body the spec gives for `operation`: `full` when there is one.
fn base_body(operation: &SubmitOperation) -> Value {
    match examples(operation).get("full") {
        Some(full) => full["value"].clone(),
        None => example_body(operation),
    }
}

/// One case: the body with one change, and the verdict both sides must give.
struct Case {
    what: String,
    body: Value,
    verdict: Result<(), String>,
}

/// Sets (or, with `None`, removes) the field at `path` in `body`.
fn with(body: &Value, path: &[String], value: Option<Value>) -> Value {
    let mut body = body.clone();
    let mut at = &mut body;
    for segment in &path[..path.len() - 1] {
        at = &mut at[segment.as_str()];
    }
    let last = path.last().expect("a path");
    match value {
        Some(value) => at[last.as_str()] = value,
        None => {
            at.as_object_mut().map(|m| m.remove(last));
        }
    }
    body
}

/// Cases that each break one documented rule of the fields the base body has (or leave one
/// at a valid edge), walking the request schema: ranges, enums, lengths, item counts, types
/// and required fields. Fields in a cross-field rule (`x-novita-rules`) keep their values
/// here; the rules themselves have a test of their own below.
fn cases(schema: &Value, base: &Value, prefix: &[String], out: &mut Vec<Case>) {
    let Some(properties) = schema["properties"].as_object() else {
        return;
    };
    let crossed: Vec<&str> = schema["x-novita-rules"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule["fields"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (name, property) in properties {
        let mut path = prefix.to_vec();
        path.push(name.clone());
        let field = path.join(".");
        let Some(current) = path.iter().try_fold(base, |at, s| at.get(s.as_str())) else {
            continue;
        };
        if crossed.contains(&name.as_str()) || name == "extra" {
            continue;
        }
        let mut case = |what: String, value: Option<Value>, ok: bool| {
            out.push(Case {
                what: format!("{field}: {what}"),
                body: with(base, &path, value),
                verdict: if ok { Ok(()) } else { Err(field.clone()) },
            })
        };
        if required.contains(&name.as_str()) {
            case("missing".into(), None, false);
        }
        match property["type"].as_str() {
            Some("integer") | Some("number") => {
                case("a string".into(), Some(json!("5")), false);
                if let Some(allowed) = property["enum"].as_array() {
                    for value in allowed {
                        case(format!("allowed {value}"), Some(value.clone()), true);
                    }
                    let outside = (-1..=20).find(|n| !allowed.contains(&json!(n)));
                    if let Some(n) = outside {
                        case(format!("{n}, not in the list"), Some(json!(n)), false);
                    }
                }
                if let Some(min) = property["minimum"].as_i64() {
                    case(
                        format!("minimum {min}"),
                        Some(json!(min)),
                        property["enum"].is_null()
                            || property["enum"].as_array().unwrap().contains(&json!(min)),
                    );
                    case(format!("below {min}"), Some(json!(min - 1)), false);
                }
                if let Some(max) = property["maximum"].as_i64() {
                    case(format!("maximum {max}"), Some(json!(max)), true);
                    case(format!("above {max}"), Some(json!(max + 1)), false);
                }
            }
            Some("string") => {
                case("a number".into(), Some(json!(5)), false);
                if let Some(allowed) = property["enum"].as_array() {
                    for value in allowed {
                        case(format!("allowed {value}"), Some(value.clone()), true);
                    }
                    case(
                        "not in the list".into(),
                        Some(json!("NOT-AN-OPTION")),
                        false,
                    );
                }
                if let Some(max) = property["maxLength"].as_u64() {
                    let at_max = "x".repeat(max as usize);
                    case(format!("{max} characters"), Some(json!(at_max)), true);
                    case(
                        format!("{} characters", max + 1),
                        Some(json!(at_max + "x")),
                        false,
                    );
                }
                if property["minLength"].as_u64() == Some(1) {
                    case("empty".into(), Some(json!("")), false);
                }
            }
            Some("boolean") => case("a string".into(), Some(json!("yes")), false),
            Some("object") => {
                case("not an object".into(), Some(json!([])), false);
                cases(property, base, &path, out);
            }
            Some("array") => {
                case("not an array".into(), Some(json!("x")), false);
                let first = current.get(0).cloned();
                if let (Some(max), Some(first)) = (property["maxItems"].as_u64(), &first) {
                    let items = vec![first.clone(); max as usize];
                    case(format!("{max} items"), Some(json!(items)), true);
                    let items = vec![first.clone(); max as usize + 1];
                    case(format!("{} items", max + 1), Some(json!(items)), false);
                }
                if property["minItems"].as_u64() == Some(1) {
                    case("no items".into(), Some(json!([])), false);
                }
            }
            _ => {}
        }
        let _ = current;
    }
}

#[tokio::test]
async fn client_and_mock_give_the_same_verdict_on_each_rule_of_the_wan27_and_kling_endpoints() {
    let h = Harness::mock().await;
    let mut checked = 0;
    for operation in SubmitOperation::all()
        .iter()
        .filter(|op| op.command().starts_with("wan2.7-") || op.command().starts_with("kling-"))
    {
        let base = base_body(operation);
        let mut all = Vec::new();
        cases(operation.request_schema(), &base, &[], &mut all);
        assert!(
            all.len() > 10,
            "{}: {} cases",
            operation.command(),
            all.len()
        );
        for case in all {
            let context = format!("{} {}", operation.command(), case.what);
            assert_both_give(&h, operation, &case.body, &case.verdict, &context).await;
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} cases");
}

/// The rules across fields (`x-novita-rules`), on the richest example the spec gives for every
/// operation: each combination of individually valid values of a pair rule, listed or not, and
/// each side left out; both, neither and each alone for `exactly_one_of` and `at_most_one_of`.
/// The other rules of the body are kept, so that each case breaks at most the one it names.
#[tokio::test]
async fn client_and_mock_give_the_same_verdict_on_each_rule_across_fields() {
    let h = Harness::mock().await;
    let mut checked = Vec::new();
    for operation in SubmitOperation::all() {
        let schema = operation.request_schema();
        let mut all = Vec::new();
        targets(schema, &[], &mut all);
        for target in all.into_iter().filter(|t| !t.rule.is_empty()) {
            let mut body = base_body(operation);
            let object = body
                .pointer_mut(&pointer(&target.path))
                .and_then(Value::as_object_mut)
                .expect("the rule's object");
            let mut first_choices = Choices::new(&[]);
            break_rule(
                schema_at(schema, &target.path),
                object,
                &target,
                &mut first_choices,
            );
            let context = format!("{} {}", operation.command(), target.describe());
            assert_both_give(&h, operation, &body, &target.expected, &context).await;
            checked.push((operation.command(), target.expected.is_err()));
        }
    }
    // Wan 2.1 (two operations): 16 width/height pairs, 12 refused, and 2 with a side left out.
    // Three `exactly_one_of` rules (Wan 2.7 i2v, Kling pro t2v and i2v): both and neither
    // refused, each alone accepted. Three `at_most_one_of` (Kling std, pro and 4K i2v): both
    // refused; neither and each alone accepted.
    let count = |command: &str| checked.iter().filter(|(c, _)| *c == command).count();
    assert_eq!((count("wan-t2v"), count("wan-i2v")), (18, 18));
    assert_eq!(count("kling-v3.0-pro-i2v"), 8);
    assert_eq!(checked.len(), 60, "{checked:?}");
    assert_eq!(
        checked.iter().filter(|(_, refused)| *refused).count(),
        12 * 2 + 3 * 2 + 3
    );
}

/// Every property with `x-novita-media`, as (JSON pointer into a body, field name, limits).
fn media_fields(schema: &Value, pointer: &str, name: &str, out: &mut Vec<(String, String, Value)>) {
    if let Some(limits) = schema.get("x-novita-media") {
        out.push((pointer.to_string(), name.to_string(), limits.clone()));
    }
    for (key, property) in schema["properties"].as_object().into_iter().flatten() {
        let child = if name.is_empty() {
            key.clone()
        } else {
            format!("{name}.{key}")
        };
        media_fields(property, &format!("{pointer}/{key}"), &child, out);
    }
    if schema.get("items").is_some() {
        media_fields(
            &schema["items"],
            &format!("{pointer}/0"),
            &format!("{name}[0]"),
            out,
        );
    }
}

/// The fields an `at_most_one_of` rule of `schema` keeps away from `field`.
fn combined_with(schema: &Value, field: &str) -> Vec<String> {
    let mut excluded = Vec::new();
    for rule in schema["x-novita-rules"].as_array().into_iter().flatten() {
        let names: Vec<&str> = rule["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if rule["rule"] == "at_most_one_of" && names.contains(&field) {
            excluded.extend(names.iter().filter(|n| **n != field).map(|n| n.to_string()));
        }
    }
    excluded
}

#[tokio::test]
async fn inline_images_are_judged_alike_against_the_documented_limits() {
    let h = Harness::mock().await;
    let mut checked = 0;
    for operation in SubmitOperation::all() {
        let mut fields = Vec::new();
        media_fields(operation.request_schema(), "", "", &mut fields);
        for (pointer, field, limits) in fields {
            if limits["kind"] != "image" {
                continue; // inline videos are not judged before sending (see client/media.rs)
            }
            let min = limits["min_side"].as_u64().unwrap() as u32;
            let also_video = limits["also_video"] == true;
            let mut images = vec![
                ("smallest", data_uri("image/png", &png(min, min)), true),
                (
                    "too small",
                    data_uri("image/png", &png(min - 1, min)),
                    false,
                ),
                (
                    "a GIF",
                    data_uri("image/gif", b"GIF89a\x00\x02\x00\x02\x00\x00"),
                    false,
                ),
                // Image data only, as the pages list image formats alone; a field that also
                // takes a video (a Wan 2.7 reference) leaves data that is no image to the
                // service.
                (
                    "a video",
                    data_uri("video/mp4", b"\0\0\0\x18ftypmp42"),
                    also_video,
                ),
                (
                    "unlabelled text",
                    data_uri("", b"just some words, not an image"),
                    also_video,
                ),
                ("a URL", "https://example.com/a.png".to_string(), true),
                // The scheme is read in any case.
                (
                    "DATA: in capitals",
                    data_uri("image/png", &png(min, min)).replacen("data:", "DATA:", 1),
                    true,
                ),
                // What cannot be measured, or contradicts its type, is refused by both, in
                // every field: labelled an image, it is judged as one.
                (
                    "not base64",
                    "data:image/png;base64,@@@@".to_string(),
                    false,
                ),
                (
                    "an empty payload",
                    "data:image/png;base64,".to_string(),
                    false,
                ),
                ("a bare data:", "data:".to_string(), false),
                (
                    "percent-encoded",
                    format!("data:image/png,%89PNG%0D%0A%1A%0A{min}"),
                    false,
                ),
                (
                    "a PNG signature alone",
                    data_uri("image/png", b"\x89PNG\r\n\x1a\n"),
                    false,
                ),
                (
                    "a PNG cut to 16 bytes",
                    data_uri("image/png", &png(min, min)[..16]),
                    false,
                ),
                (
                    "a PNG labelled image/gif",
                    data_uri("image/gif", &png(min, min)),
                    false,
                ),
                (
                    "a 4294967295 x 4294967295 PNG",
                    data_uri("image/png", &png(u32::MAX, u32::MAX)),
                    false,
                ),
            ];
            // Some pages give no largest side (Kling 3.0): then only the smallest is checked.
            if let Some(max) = limits["max_side"].as_u64().map(|max| max as u32) {
                images.push(("largest", data_uri("image/png", &png(max, max)), true));
                images.push((
                    "too large",
                    data_uri("image/png", &png(min, max + 1)),
                    false,
                ));
            }
            if let Some(ratio) = limits["max_aspect_ratio"].as_f64() {
                let long = (f64::from(min) * ratio) as u32 + 16;
                images.push((
                    "too elongated",
                    data_uri("image/png", &png(long, min)),
                    false,
                ));
            }
            let mut base = base_body(operation);
            // The field is set on every case: a field it cannot be combined with goes.
            for excluded in combined_with(operation.request_schema(), &field) {
                if let Some(object) = base.as_object_mut() {
                    object.remove(&excluded);
                }
            }
            for (what, value, accepted) in images {
                let mut body = base.clone();
                let parent = &pointer[..pointer.rfind('/').unwrap()];
                let slot = body
                    .pointer_mut(parent)
                    .and_then(Value::as_object_mut)
                    .unwrap_or_else(|| panic!("{} has {parent}", operation.command()));
                slot.insert(
                    pointer.rsplit('/').next().unwrap().to_string(),
                    json!(value),
                );
                let verdict = if accepted { Ok(()) } else { Err(field.clone()) };
                let context = format!("{} {field}: {what}", operation.command());
                assert_both_give(&h, operation, &body, &verdict, &context).await;
                checked += 1;
            }
        }
    }
    assert!(checked >= 150, "{checked} cases");
}
