//! The shorthand submit commands (`t2v`, `i2v`, `wan26-i2v`, `wan27-i2v`): their flags turned
//! into the JSON body of the operation they stand for. Their conveniences (`--lora PATH:SCALE`,
//! a local image sent as a data URI, `--no-audio`) live here; every rule of the spec is left to
//! the client's check.

use std::path::Path;

use base64::Engine;
use novita_video::SubmitOperation;
use serde_json::{json, Map, Value};

use crate::{
    args::{Command, Follow, Wan21Args},
    exit::Failure,
};

/// What a shorthand submits: the operation, the body, and what to do next.
pub struct Shorthand<'a> {
    pub operation: &'static SubmitOperation,
    pub body: Map<String, Value>,
    pub follow: &'a Follow,
}

fn operation(command: &str) -> Result<&'static SubmitOperation, Failure> {
    SubmitOperation::find(command)
        .ok_or_else(|| Failure::usage(format!("the spec has no operation {command}")))
}

/// Inserts the values that were given, and only those.
fn put(body: &mut Map<String, Value>, fields: impl IntoIterator<Item = (&'static str, Value)>) {
    for (name, value) in fields {
        if !value.is_null() {
            body.insert(name.to_string(), value);
        }
    }
}

/// The body of a shorthand command.
pub fn request(command: &Command) -> Result<Shorthand<'_>, Failure> {
    let mut body = Map::new();
    let (name, follow) = match command {
        Command::T2v { common, follow } => {
            wan21(&mut body, common)?;
            ("wan-t2v", follow)
        }
        Command::I2v {
            image,
            common,
            fast_mode,
            no_safety_checker,
            follow,
        } => {
            urls_only(
                image,
                "wan-i2v takes image URLs",
                ", or use wan26-i2v, which accepts local files",
            )?;
            wan21(&mut body, common)?;
            put(
                &mut body,
                [
                    ("image_url", json!(image)),
                    ("fast_mode", json!(fast_mode.then_some(true))),
                    (
                        "enable_safety_checker",
                        json!(no_safety_checker.then_some(false)),
                    ),
                ],
            );
            ("wan-i2v", follow)
        }
        Command::Wan26I2v {
            image,
            common,
            shot_type,
            audio_url,
            no_audio,
            follow,
        } => {
            let mut input = Map::new();
            put(
                &mut input,
                [
                    ("prompt", json!(common.prompt)),
                    ("img_url", json!(image_reference(image)?)),
                    ("audio_url", json!(audio_url)),
                    ("negative_prompt", json!(common.negative_prompt)),
                ],
            );
            let mut parameters = Map::new();
            put(
                &mut parameters,
                [
                    ("seed", json!(common.seed)),
                    ("audio", json!(no_audio.then_some(false))),
                    ("duration", json!(common.duration)),
                    ("shot_type", json!(shot_type)),
                    ("resolution", json!(upper(&common.resolution))),
                ],
            );
            body.insert("input".into(), Value::Object(input));
            if !parameters.is_empty() {
                body.insert("parameters".into(), Value::Object(parameters));
            }
            ("wan2.6-i2v", follow)
        }
        Command::Wan27I2v {
            image,
            first_clip,
            last_frame,
            common,
            follow,
        } => {
            for url in [image, first_clip, last_frame].into_iter().flatten() {
                urls_only(url, "wan2.7-i2v takes URLs", "")?;
            }
            put(
                &mut body,
                [
                    ("prompt", json!(common.prompt)),
                    ("image_url", json!(image)),
                    ("first_clip_url", json!(first_clip)),
                    ("last_frame_url", json!(last_frame)),
                    ("negative_prompt", json!(common.negative_prompt)),
                    ("duration", json!(common.duration)),
                    ("resolution", json!(upper(&common.resolution))),
                    ("seed", json!(common.seed)),
                ],
            );
            ("wan2.7-i2v", follow)
        }
        Command::Result { .. } | Command::Wait { .. } | Command::Download { .. } => {
            return Err(Failure::usage("this command submits nothing"))
        }
    };
    Ok(Shorthand {
        operation: operation(name)?,
        body,
        follow,
    })
}

fn wan21(body: &mut Map<String, Value>, common: &Wan21Args) -> Result<(), Failure> {
    put(
        body,
        [
            ("prompt", json!(common.prompt)),
            ("negative_prompt", json!(common.negative_prompt)),
            ("width", json!(common.width)),
            ("height", json!(common.height)),
            ("seed", json!(common.seed)),
            ("steps", json!(common.steps)),
            ("guidance_scale", json!(common.guidance_scale)),
            ("flow_shift", json!(common.flow_shift)),
        ],
    );
    if !common.loras.is_empty() {
        body.insert("loras".into(), parse_loras(&common.loras)?);
    }
    Ok(())
}

/// Resolutions are accepted in any case (`720p`).
fn upper(value: &Option<String>) -> Option<String> {
    value.as_ref().map(|v| v.to_ascii_uppercase())
}

/// `PATH:SCALE` pairs as `loras` items.
fn parse_loras(specs: &[String]) -> Result<Value, Failure> {
    let loras = specs
        .iter()
        .map(|spec| {
            let (path, scale) = spec
                .rsplit_once(':')
                .ok_or_else(|| Failure::usage(format!("--lora {spec}: expected PATH:SCALE")))?;
            let scale: f64 = scale.parse().map_err(|_| {
                Failure::usage(format!("--lora {spec}: the scale must be a number"))
            })?;
            Ok(json!({"path": path, "scale": scale}))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(Value::Array(loras))
}

/// Refuses a local file where the endpoint (`takes`, e.g. "wan-i2v takes image URLs") wants a URL.
fn urls_only(value: &str, takes: &str, hint: &str) -> Result<(), Failure> {
    if Path::new(value).exists() && !value.contains("://") {
        return Err(Failure::usage(format!(
            "{value} is a local file, but {takes} only: upload it first{hint}"
        )));
    }
    Ok(())
}

/// A URL as given, or a local image file as a data URI (Wan 2.6 accepts both). The media type
/// comes from the file's extension; which types the service takes is the spec's to say.
fn image_reference(image: &str) -> Result<String, Failure> {
    if image.contains("://") || image.starts_with("data:") {
        return Ok(image.to_string());
    }
    let path = Path::new(image);
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let mime = match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg".to_string(),
        "" => {
            return Err(Failure::usage(format!(
                "{image}: no extension to tell the image type from"
            )))
        }
        other => format!("image/{other}"),
    };
    let bytes =
        std::fs::read(path).map_err(|e| Failure::local_file(format!("reading {image}: {e}")))?;
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}
