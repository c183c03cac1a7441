use proptest::prelude::*;
use serde_json::Value;

use super::*;

/// Both readings of `text`: this tree as serde_json's tree, or the error's text.
fn both(text: &str) -> (Result<Value, String>, Result<Value, String>) {
    let ours = serde_json::from_str::<Json>(text)
        .map(|json| json.to_value())
        .map_err(|e| e.to_string());
    let theirs = serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
    (ours, theirs)
}

#[test]
fn reads_as_serde_json_reads() {
    for text in [
        r#"{"prompt":"A fox","seed":7}"#,
        r#"{"b":1,"a":2,"b":3}"#,
        r#"{"a\"b":"c\u00e9","n":[1,-2,3.5,1e3,18446744073709551615,-9223372036854775808]}"#,
        r#"{"x":{"y":{"z":[null,true,false,{}]}},"w":[]}"#,
        "[1,2,",
        r#"{"a":1}x"#,
        r#"{"a":1e400}"#,
        r#"{"a" 1}"#,
        "",
        "  7  ",
        "\"\\ud800\"",
    ] {
        let (ours, theirs) = both(text);
        assert_eq!(ours, theirs, "{text}");
    }
}

#[test]
fn a_name_sent_twice_keeps_its_last_value() {
    let json: Json = serde_json::from_str(r#"{"seed":1,"a":0,"seed":2,"seed":3}"#).unwrap();
    let Json::Object(members) = &json else {
        panic!("an object")
    };
    assert_eq!(members.get("seed").and_then(Json::as_i64), Some(3));
    assert_eq!(members.iter().count(), 2);
    assert!(members.get("missing").is_none());
}

#[test]
fn strings_without_escapes_are_borrowed() {
    let json: Json = serde_json::from_slice(br#"{"image":"data:image/png;base64,AAAA"}"#).unwrap();
    let Json::Object(members) = &json else {
        panic!("an object")
    };
    assert!(matches!(
        members.get("image"),
        Some(Json::String(Cow::Borrowed(_)))
    ));
}

#[test]
fn nesting_is_bounded_by_the_parser() {
    let deep = "[".repeat(200) + &"]".repeat(200);
    let (ours, theirs) = both(&deep);
    assert!(ours.is_err());
    assert_eq!(ours, theirs);
}

/// An object's text with these members in this order, names repeated as given.
fn object_text<N: std::fmt::Display>(members: &[(String, N)]) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(name, n)| format!("\"{name}\":{n}"))
        .collect();
    format!("{{{}}}", members.join(","))
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-c\\\\\"é]{0,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-c]{0,2}", inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_document_reads_the_same(value in any_json()) {
        let text = value.to_string();
        let (ours, theirs) = both(&text);
        prop_assert_eq!(ours, theirs);
    }

    /// Object texts with names repeated, which a `Value` cannot print.
    #[test]
    fn repeated_names_read_the_same(
        members in prop::collection::vec(("[ab]", any::<i8>()), 0..8)
    ) {
        let text = object_text(&members);
        let (ours, theirs) = both(&text);
        prop_assert_eq!(ours, theirs);
    }

    /// Any bytes, valid JSON or not, give the same value or the same error.
    #[test]
    fn any_text_reads_the_same(text in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,24}") {
        let (ours, theirs) = both(&text);
        prop_assert_eq!(ours, theirs);
    }
}

proptest! {
    /// Lookups, in objects walked and in objects searched, find what serde_json's map holds.
    #[test]
    fn lookups_find_what_the_map_holds(
        members in prop::collection::vec(("[a-d]{0,3}", any::<i8>()), 0..24),
        asked in prop::collection::vec("[a-d]{0,3}", 8),
    ) {
        let text = object_text(&members);
        let json: Json = serde_json::from_str(&text).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let Json::Object(members) = &json else { panic!("an object") };
        for name in asked.iter().chain(value.as_object().unwrap().keys()) {
            prop_assert_eq!(members.get(name).and_then(Json::as_i64), value[name].as_i64());
        }
    }
}
