//! Rules the client and the mock read alike on every submit operation of the spec, taken from
//! the spec's own catalogue: a new operation is covered without touching this file.

use conformance::{
    harness::{spec, Harness},
    targets::{break_rule, pointer, schema_at, targets, Choices},
    verdict,
};
use novita_video::{
    spec_rules::{Kind, Schema},
    SubmitOperation,
};
use serde_json::{json, Number, Value};

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

#[tokio::test]
async fn every_endpoint_takes_extra_webhook_and_both_sides_check_it_alike() {
    let h = Harness::mock().await;
    for operation in SubmitOperation::all() {
        let mut body = example_body(operation);
        verdict::assert_both_give(&h, operation, &body, &Ok(()), operation.command()).await;
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
            verdict::assert_both_give(&h, operation, &body, &verdict, &context).await;
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
fn cases(schema: &Schema, base: &Value, prefix: &[String], out: &mut Vec<Case>) {
    let crossed: Vec<&String> = schema.rules.iter().flat_map(|r| r.fields()).collect();
    for (name, property) in schema.members() {
        let mut path = prefix.to_vec();
        path.push(name.clone());
        let field = path.join(".");
        let Some(current) = path.iter().try_fold(base, |at, s| at.get(s.as_str())) else {
            continue;
        };
        if crossed.contains(&name) || name == "extra" {
            continue;
        }
        let mut case = |what: String, value: Option<Value>, ok: bool| {
            out.push(Case {
                what: format!("{field}: {what}"),
                body: with(base, &path, value),
                verdict: if ok { Ok(()) } else { Err(field.clone()) },
            })
        };
        if schema.is_required(name) {
            case("missing".into(), None, false);
        }
        let enumeration = property.enumeration.as_ref();
        match property.kind {
            Some(Kind::Integer) | Some(Kind::Number) => {
                case("a string".into(), Some(json!("5")), false);
                if let Some(allowed) = enumeration {
                    for value in allowed {
                        case(format!("allowed {value}"), Some(value.clone()), true);
                    }
                    let outside = (-1..=20).find(|n| !allowed.contains(&json!(n)));
                    if let Some(n) = outside {
                        case(format!("{n}, not in the list"), Some(json!(n)), false);
                    }
                }
                if let Some(min) = property.minimum.as_ref().and_then(Number::as_i64) {
                    case(
                        format!("minimum {min}"),
                        Some(json!(min)),
                        enumeration.is_none_or(|allowed| allowed.contains(&json!(min))),
                    );
                    case(format!("below {min}"), Some(json!(min - 1)), false);
                }
                if let Some(max) = property.maximum.as_ref().and_then(Number::as_i64) {
                    case(format!("maximum {max}"), Some(json!(max)), true);
                    case(format!("above {max}"), Some(json!(max + 1)), false);
                }
            }
            Some(Kind::String) => {
                case("a number".into(), Some(json!(5)), false);
                if let Some(allowed) = enumeration {
                    for value in allowed {
                        case(format!("allowed {value}"), Some(value.clone()), true);
                    }
                    case(
                        "not in the list".into(),
                        Some(json!("NOT-AN-OPTION")),
                        false,
                    );
                }
                if let Some(max) = property.max_length {
                    let at_max = "x".repeat(max as usize);
                    case(format!("{max} characters"), Some(json!(at_max)), true);
                    case(
                        format!("{} characters", max + 1),
                        Some(json!(at_max + "x")),
                        false,
                    );
                }
                if property.min_length == Some(1) {
                    case("empty".into(), Some(json!("")), false);
                }
            }
            Some(Kind::Boolean) => case("a string".into(), Some(json!("yes")), false),
            Some(Kind::Object) => {
                case("not an object".into(), Some(json!([])), false);
                cases(property, base, &path, out);
            }
            Some(Kind::Array) => {
                case("not an array".into(), Some(json!("x")), false);
                let first = current.get(0).cloned();
                if let (Some(max), Some(first)) = (property.max_items, &first) {
                    let items = vec![first.clone(); max as usize];
                    case(format!("{max} items"), Some(json!(items)), true);
                    let items = vec![first.clone(); max as usize + 1];
                    case(format!("{} items", max + 1), Some(json!(items)), false);
                }
                if property.min_items == Some(1) {
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
        cases(operation.rules(), &base, &[], &mut all);
        assert!(
            all.len() > 10,
            "{}: {} cases",
            operation.command(),
            all.len()
        );
        for case in all {
            let context = format!("{} {}", operation.command(), case.what);
            verdict::assert_both_give(&h, operation, &case.body, &case.verdict, &context).await;
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
        let schema = operation.rules();
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
            verdict::assert_both_give(&h, operation, &body, &target.expected, &context).await;
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
