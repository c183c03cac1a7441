//! A local file named where the spec takes media: sent inline as a `data:` URI when the field
//! takes inline media (`x-novita-media`), refused where the field takes only a URL. Both are
//! read from the spec, so a new endpoint's media fields behave the same with no code here.

use std::path::Path;

use base64::Engine;
use novita_video::spec_rules::{Media, Schema};
use serde_json::Value;

use crate::exit::Failure;

/// `value` as the body should carry it for the field `path` of `schema`.
pub fn resolve(path: &str, schema: &Schema, value: String) -> Result<Value, Failure> {
    if value.contains("://") || value.starts_with("data:") || !Path::new(&value).is_file() {
        return Ok(Value::from(value));
    }
    match &schema.media {
        Some(media) => inline(path, media, &value).map(Value::from),
        None if path.ends_with("url") => Err(Failure::usage(format!(
            "--{path}: {value} is a local file, but {path} takes URLs only: upload it first"
        ))),
        None => Ok(Value::from(value)),
    }
}

/// The file as a data URI, within the field's byte limit (read no further than it).
fn inline(path: &str, media: &Media, file: &str) -> Result<String, Failure> {
    let reading = |e: std::io::Error| Failure::local_file(format!("reading {file}: {e}"));
    let size = std::fs::metadata(file).map_err(reading)?.len();
    if let Some(limit) = media.max_bytes {
        if size > limit {
            return Err(Failure::usage(format!(
                "--{path}: {file} is {size} bytes; {path} takes at most {limit}"
            )));
        }
    }
    let mime = media_type(media, file).ok_or_else(|| {
        Failure::usage(format!(
            "--{path}: {file}: no extension to tell its media type from"
        ))
    })?;
    let bytes = std::fs::read(file).map_err(reading)?;
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// `image/png` from `frame.png`; which types the field takes is the client's check to say.
fn media_type(media: &Media, file: &str) -> Option<String> {
    let extension = Path::new(file).extension()?.to_str()?.to_ascii_lowercase();
    let kind = media.kind.name();
    Some(match extension.as_str() {
        "jpg" | "jpeg" => format!("{kind}/jpeg"),
        "mov" => format!("{kind}/quicktime"),
        other => format!("{kind}/{other}"),
    })
}
