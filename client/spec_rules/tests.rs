//! The reading of each kind of rule, on schemas written by hand.

use serde_json::json;

use super::*;

#[test]
fn a_property_reads_as_its_kind_and_bounds() {
    let schema = Schema::read(&json!({
        "type": "integer", "minimum": 1, "maximum": 40.5, "enum": [1, 2], "default": 2,
        "description": "Steps.", "format": "int32"
    }));
    assert_eq!(schema.kind, Some(Kind::Integer));
    assert_eq!(schema.minimum.as_ref().and_then(Number::as_i64), Some(1));
    assert_eq!(
        schema.maximum.as_ref().map(Number::to_string).as_deref(),
        Some("40.5")
    );
    assert_eq!(schema.enumeration, Some(vec![json!(1), json!(2)]));
    assert_eq!(schema.default, Some(json!(2)));
    assert_eq!(schema.description.as_deref(), Some("Steps."));
    let text = Schema::read(&json!({"type": "string", "minLength": 1, "maxLength": 9,
        "pattern": "^https?://"}));
    assert_eq!((text.min_length, text.max_length), (Some(1), Some(9)));
    assert_eq!(text.pattern.as_deref(), Some("^https?://"));
    assert_eq!(Schema::read(&json!({"type": "null"})).kind, None);
    assert_eq!(Schema::read(&json!({})), Schema::default());
    assert_eq!(Schema::ANY, Schema::default());
}

#[test]
fn objects_keep_their_members_required_fields_and_items() {
    let schema = Schema::read(&json!({
        "type": "object", "required": ["prompt"],
        "properties": {
            "prompt": {"type": "string"},
            "loras": {"type": "array", "maxItems": 3, "minItems": 1,
                      "items": {"properties": {"scale": {"type": "number"}}}}
        }
    }));
    assert!(schema.is_required("prompt") && !schema.is_required("loras"));
    let names: Vec<&String> = schema.members().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 2);
    let loras = schema.property("loras").expect("loras");
    assert_eq!((loras.min_items, loras.max_items), (Some(1), Some(3)));
    let item = loras.items.as_deref().expect("items");
    assert_eq!(
        item.property("scale").and_then(|s| s.kind),
        Some(Kind::Number)
    );
    assert!(schema.property("nothing").is_none());
    assert_eq!(
        Schema::read(&json!({"type": "string"})).members().count(),
        0
    );
    assert_eq!(
        Schema::read(&json!({"properties": {}})).properties,
        Some(vec![])
    );
}

#[test]
fn rules_across_fields_read_as_their_kind() {
    let schema = Schema::read(&json!({RULES_KEY: [
        {"rule": "allowed_pairs", "fields": ["width", "height"], "pairs": [[480, 832]]},
        {"rule": "exactly_one_of", "fields": ["a", "b"]},
        {"rule": "at_most_one_of", "fields": ["c", "d"]},
        {"rule": "a_new_rule", "fields": ["e"]},
        {"fields": []}
    ]}));
    let pair = Rule::AllowedPairs {
        fields: vec!["width".into(), "height".into()],
        pairs: vec![vec![json!(480), json!(832)]],
    };
    assert_eq!(schema.rules[0], pair);
    assert_eq!(schema.rules[1].name(), Some("exactly_one_of"));
    assert_eq!(
        schema.rules[2],
        Rule::AtMostOneOf {
            fields: vec!["c".into(), "d".into()]
        }
    );
    assert_eq!(schema.rules[3].name(), Some("a_new_rule"));
    assert_eq!(schema.rules[3].fields(), ["e"]);
    assert_eq!(schema.rules[4].name(), None);
}

#[test]
fn media_limits_read_with_an_image_by_default() {
    let schema = Schema::read(&json!({"type": "string", MEDIA_KEY: {
        "kind": "video", "formats": ["mp4", "mov"], "max_bytes": 10, "min_side": 300,
        "min_seconds": 3, "max_seconds": 30
    }}));
    let media = schema.media.expect("media");
    assert_eq!(media.kind, MediaKind::Video);
    assert_eq!(media.formats, ["mp4", "mov"]);
    assert_eq!(
        (media.max_bytes, media.min_side, media.max_side),
        (Some(10), Some(300), None)
    );
    assert_eq!(
        (media.min_seconds, media.max_seconds),
        (Some(3.0), Some(30.0))
    );
    let image = Media::read(&json!({"also_video": true, "max_aspect_ratio": 2.5}));
    assert_eq!((image.kind.name(), image.also_video), ("image", true));
    assert_eq!(image.max_aspect_ratio, Some(2.5));
}

#[test]
fn the_plain_json_schema_forms_are_kept_as_branches() {
    let schema = Schema::read(&json!({
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
        "anyOf": [{"not": {"required": ["c"]}}]
    }));
    let one_of = schema.one_of.expect("oneOf");
    assert_eq!(one_of[1].required, ["b"]);
    let any_of = schema.any_of.expect("anyOf");
    assert_eq!(
        any_of[0].not.as_deref().map(|n| n.required.clone()),
        Some(vec!["c".into()])
    );
    assert!(Schema::default().one_of.is_none());
}
