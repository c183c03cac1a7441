//! Inline media (`x-novita-media`) the client and the mock judge alike, on every media field of
//! every submit operation of the spec, with cases built from the limits the spec states: a new
//! field is covered without touching this file. Split from `agreement.rs`.

use conformance::{
    harness::{spec, Harness},
    media::{data_uri, mp4, png},
    verdict,
};
use novita_video::{
    spec_rules::{Media, MediaKind, Rule, Schema},
    SubmitOperation,
};
use serde_json::{json, Value};

/// The richest example body the spec gives for `operation`: `full` when there is one.
fn base_body(operation: &SubmitOperation) -> Value {
    let spec = spec();
    let document = spec.document();
    let examples = &document["paths"][operation.path()]["post"]["requestBody"]["content"]
        ["application/json"]["examples"];
    let example = match examples.get("full") {
        Some(full) => full,
        None => examples
            .as_object()
            .and_then(|all| all.values().next())
            .unwrap_or_else(|| panic!("{} has a request example", operation.path())),
    };
    example["value"].clone()
}

/// `body` with the value at `pointer` set to `value`.
fn with_value(operation: &SubmitOperation, body: &Value, pointer: &str, value: &str) -> Value {
    let mut body = body.clone();
    let parent = &pointer[..pointer.rfind('/').unwrap()];
    let slot = body
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("{} has {parent}", operation.command()));
    slot.insert(
        pointer.rsplit('/').next().unwrap().to_string(),
        json!(value),
    );
    body
}

/// Every property with `x-novita-media`, as (JSON pointer into a body, field name, limits).
fn media_fields(
    schema: &Schema,
    pointer: &str,
    name: &str,
    out: &mut Vec<(String, String, Media)>,
) {
    if let Some(limits) = &schema.media {
        out.push((pointer.to_string(), name.to_string(), limits.clone()));
    }
    for (key, property) in schema.members() {
        let child = if name.is_empty() {
            key.clone()
        } else {
            format!("{name}.{key}")
        };
        media_fields(property, &format!("{pointer}/{key}"), &child, out);
    }
    if let Some(items) = &schema.items {
        media_fields(items, &format!("{pointer}/0"), &format!("{name}[0]"), out);
    }
}

/// The fields an `at_most_one_of` rule of `schema` keeps away from `field`.
fn combined_with(schema: &Schema, field: &str) -> Vec<String> {
    let mut excluded = Vec::new();
    for rule in &schema.rules {
        let names = rule.fields();
        if matches!(rule, Rule::AtMostOneOf { .. }) && names.iter().any(|n| n == field) {
            excluded.extend(names.iter().filter(|n| *n != field).cloned());
        }
    }
    excluded
}

// Long, as one table: every documented image limit, each case sent to both readings (the
// client's check and the mock) on one mock, the verdicts compared in one place.
#[tokio::test]
async fn inline_images_are_judged_alike_against_the_documented_limits() {
    let h = Harness::mock().await;
    let mut checked = 0;
    for operation in SubmitOperation::all() {
        let mut fields = Vec::new();
        media_fields(operation.rules(), "", "", &mut fields);
        for (pointer, field, limits) in fields {
            if limits.kind != MediaKind::Image {
                continue; // videos: see the next test
            }
            let min = limits.min_side.unwrap() as u32;
            let also_video = limits.also_video;
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
            if let Some(max) = limits.max_side.map(|max| max as u32) {
                images.push(("largest", data_uri("image/png", &png(max, max)), true));
                images.push((
                    "too large",
                    data_uri("image/png", &png(min, max + 1)),
                    false,
                ));
            }
            if let Some(ratio) = limits.max_aspect_ratio {
                let long = (f64::from(min) * ratio) as u32 + 16;
                images.push((
                    "too elongated",
                    data_uri("image/png", &png(long, min)),
                    false,
                ));
            }
            let mut base = base_body(operation);
            // The field is set on every case: a field it cannot be combined with goes.
            for excluded in combined_with(operation.rules(), &field) {
                if let Some(object) = base.as_object_mut() {
                    object.remove(&excluded);
                }
            }
            for (what, value, accepted) in images {
                let body = with_value(operation, &base, &pointer, &value);
                let verdict = if accepted { Ok(()) } else { Err(field.clone()) };
                let context = format!("{} {field}: {what}", operation.command());
                verdict::assert_both_give(&h, operation, &body, &verdict, &context).await;
                checked += 1;
            }
        }
    }
    assert!(checked >= 150, "{checked} cases");
}

#[tokio::test]
async fn inline_videos_are_judged_alike_against_the_documented_limits() {
    let h = Harness::mock().await;
    let mut checked = 0;
    for operation in SubmitOperation::all() {
        let mut fields = Vec::new();
        media_fields(operation.rules(), "", "", &mut fields);
        for (pointer, field, limits) in fields {
            if limits.kind != MediaKind::Video {
                continue;
            }
            let side = limits.min_side.unwrap() as u32;
            let shortest = (limits.min_seconds.unwrap() * 1000.0) as u32;
            let longest = (limits.max_seconds.unwrap() * 1000.0) as u32;
            let max_bytes = limits.max_bytes.unwrap() as usize;
            let head = mp4(side, side, shortest, 0).len();
            let video = |w, h, millis| data_uri("video/mp4", &mp4(w, h, millis, 64));
            let cases = [
                ("shortest, smallest", video(side, side, shortest), true),
                ("longest", video(side * 2, side, longest), true),
                ("too short", video(side, side, shortest - 1), false),
                ("too long", video(side, side, longest + 1), false),
                ("too narrow", video(side - 1, side, shortest), false),
                ("too low", video(side, side - 1, shortest), false),
                (
                    "largest",
                    data_uri("video/mp4", &mp4(side, side, shortest, max_bytes - head)),
                    true,
                ),
                (
                    "a byte too large",
                    data_uri(
                        "video/mp4",
                        &mp4(side, side, shortest, max_bytes + 1 - head),
                    ),
                    false,
                ),
                (
                    "a MOV",
                    data_uri("video/quicktime", &mp4(side, side, shortest, 64)),
                    true,
                ),
                (
                    "webm",
                    data_uri("video/webm", &mp4(side, side, shortest, 64)),
                    false,
                ),
                ("a PNG", data_uri("image/png", &png(side, side)), false),
                (
                    "a PNG labelled video/mp4",
                    data_uri("video/mp4", &png(side, side)),
                    false,
                ),
                ("empty", "data:video/mp4;base64,".to_string(), false),
                ("no length", video(side, side, 0), false),
                ("a URL", "https://example.com/dance.mp4".to_string(), true),
            ];
            let base = base_body(operation);
            for (what, value, accepted) in cases {
                let body = with_value(operation, &base, &pointer, &value);
                let verdict = if accepted { Ok(()) } else { Err(field.clone()) };
                let context = format!("{} {field}: {what}", operation.command());
                verdict::assert_both_give(&h, operation, &body, &verdict, &context).await;
                checked += 1;
            }
        }
    }
    // Kling 3.0 motion control's reference video is the one video field with limits.
    assert_eq!(checked, 15, "{checked} cases");
}
