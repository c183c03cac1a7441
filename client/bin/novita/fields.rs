//! A request schema of the spec as command-line flags, and the flags' values back as a JSON body.
//!
//! Every scalar field becomes a flag named by its path (`--prompt`, `--input.img_url`); a field
//! nested in an object also answers to its last segment when no other field has that name
//! (`--img_url`). A list of scalars is a repeatable flag. What has no flag form (lists of
//! objects such as `loras`) goes in `--body FILE.json`; the help lists those fields.

use clap::{builder::ValueParser, value_parser, Arg, ArgAction, ArgMatches};
use novita_video::spec_rules::{self, Schema};
use serde_json::{Map, Number, Value};

use crate::{exit::Failure, local_files};

/// The JSON type of a flag's value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
}

impl Kind {
    fn of(schema: &Schema) -> Option<Kind> {
        match schema.kind? {
            spec_rules::Kind::String => Some(Kind::Text),
            spec_rules::Kind::Integer => Some(Kind::Integer),
            spec_rules::Kind::Number => Some(Kind::Number),
            spec_rules::Kind::Boolean => Some(Kind::Boolean),
            _ => None,
        }
    }

    fn value_name(self) -> &'static str {
        match self {
            Kind::Text => "TEXT",
            Kind::Integer => "INTEGER",
            Kind::Number => "NUMBER",
            Kind::Boolean => "true|false",
        }
    }

    fn parser(self) -> ValueParser {
        match self {
            Kind::Text => value_parser!(String),
            Kind::Integer => value_parser!(i64).into(),
            Kind::Number => value_parser!(f64).into(),
            Kind::Boolean => value_parser!(bool),
        }
    }
}

/// One field that has a flag.
#[derive(Debug)]
pub struct Field {
    /// Dotted path in the body, also the flag's name.
    pub path: String,
    kind: Kind,
    list: bool,
    required: bool,
    schema: &'static Schema,
}

/// The flags of a request schema, and the fields only `--body` can give.
pub struct Fields {
    pub flags: Vec<Field>,
    pub body_only: Vec<String>,
}

/// Flag names the submit commands use for themselves; a field with one of these names is
/// given through `--body` instead.
pub const RESERVED: &[&str] = &["body", "wait", "out", "timeout", "webhook", "json", "help"];

pub fn fields(schema: &'static Schema) -> Fields {
    let mut found = Fields {
        flags: Vec::new(),
        body_only: Vec::new(),
    };
    walk(schema, "", true, &mut found);
    found
}

fn walk(schema: &'static Schema, prefix: &str, parent_required: bool, found: &mut Fields) {
    for (name, property) in schema.members() {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let required = parent_required && schema.is_required(name);
        let field = |kind, list| Field {
            path: path.clone(),
            kind,
            list,
            required,
            schema: property,
        };
        match (Kind::of(property), property.kind) {
            _ if RESERVED.contains(&path.as_str()) => found.body_only.push(path),
            (Some(kind), _) => found.flags.push(field(kind, false)),
            (None, Some(spec_rules::Kind::Object)) if property.properties.is_some() => {
                walk(property, &path, required, found)
            }
            (None, Some(spec_rules::Kind::Array)) => {
                match property.items.as_deref().and_then(Kind::of) {
                    Some(kind) => found.flags.push(field(kind, true)),
                    None => found.body_only.push(path),
                }
            }
            _ => found.body_only.push(path),
        }
    }
}

/// The field's documented limits in a few words: `1-2000 characters; default 30; required`.
pub fn limits(schema: &Schema) -> String {
    let mut parts = Vec::new();
    let range = |low: Option<Value>, high: Option<Value>, unit: &str| match (low, high) {
        (Some(low), None) if unit == " characters" && low == 1 => Some("not empty".into()),
        (Some(low), Some(high)) => Some(format!("{low}-{high}{unit}")),
        (Some(low), None) => Some(format!("at least {low}{unit}")),
        (None, Some(high)) => Some(format!("at most {high}{unit}")),
        (None, None) => None,
    };
    let number = |n: &Option<Number>| n.clone().map(Value::Number);
    let count = |n: Option<u64>| n.map(Value::from);
    if let Some(values) = &schema.enumeration {
        let values: Vec<String> = values.iter().map(plain).collect();
        parts.push(format!("one of {}", values.join(", ")));
    }
    parts.extend(range(number(&schema.minimum), number(&schema.maximum), ""));
    parts.extend(range(
        count(schema.min_length),
        count(schema.max_length),
        " characters",
    ));
    parts.extend(range(
        count(schema.min_items),
        count(schema.max_items),
        " items",
    ));
    if let Some(items) = &schema.items {
        let of_items = limits(items);
        if !of_items.is_empty() {
            parts.push(format!("each {of_items}"));
        }
    }
    if let Some(default) = &schema.default {
        parts.push(format!("default {}", plain(default)));
    }
    parts.join("; ")
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The first sentence of a description, on one line.
fn first_sentence(description: &str) -> String {
    let flat = description.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(end) => flat[..=end].to_string(),
        None => flat,
    }
}

impl Field {
    fn help(&self) -> String {
        let description = self.schema.description.as_deref().unwrap_or_default();
        let mut limits = limits(self.schema);
        if self.required {
            limits = if limits.is_empty() {
                "required".into()
            } else {
                format!("{limits}; required")
            };
        }
        match (first_sentence(description), limits.is_empty()) {
            (text, true) => text,
            (text, false) if text.is_empty() => format!("[{limits}]"),
            (text, false) => format!("{text} [{limits}]"),
        }
    }

    fn leaf(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }

    /// The clap argument; `short_name` says whether the leaf name is free to be an alias.
    fn arg(&self, short_name: bool) -> Arg {
        let mut arg = Arg::new(self.path.clone())
            .long(self.path.clone())
            .value_name(self.kind.value_name())
            .value_parser(self.kind.parser())
            .help(self.help())
            .allow_negative_numbers(true);
        if self.list {
            arg = arg.action(ArgAction::Append);
        }
        if short_name && self.leaf() != self.path {
            arg = arg.visible_alias(self.leaf().to_string());
        }
        arg
    }

    fn value(&self, matches: &ArgMatches) -> Option<Value> {
        let id = self.path.as_str();
        let one = |m: &ArgMatches| -> Option<Vec<Value>> {
            Some(match self.kind {
                Kind::Text => m
                    .get_many::<String>(id)?
                    .map(|v| Value::from(v.clone()))
                    .collect(),
                Kind::Integer => m.get_many::<i64>(id)?.map(|v| Value::from(*v)).collect(),
                Kind::Number => m
                    .get_many::<f64>(id)?
                    .map(|v| Number::from_f64(*v).map_or(Value::Null, Value::Number))
                    .collect(),
                Kind::Boolean => m.get_many::<bool>(id)?.map(|v| Value::from(*v)).collect(),
            })
        };
        let mut values = one(matches)?;
        if self.list {
            Some(Value::Array(values))
        } else {
            values.pop()
        }
    }
}

/// The clap arguments for `fields`, with leaf aliases where they are unambiguous.
pub fn args(fields: &Fields) -> Vec<Arg> {
    fields
        .flags
        .iter()
        .map(|field| {
            let leaf = field.leaf();
            // `input.prompt` also answers to `--prompt`; deeper paths (`extra.webhook.url`)
            // keep their full name, where a bare `--url` would say too little.
            let unique = field.path.matches('.').count() == 1
                && fields.flags.iter().filter(|f| f.leaf() == leaf).count() == 1
                && !RESERVED.contains(&leaf)
                && !fields.flags.iter().any(|f| f.path == leaf);
            field.arg(unique)
        })
        .collect()
}

/// Writes every flag given on the command line into `body`, over what `--body` put there. A
/// local file given for a media field is sent as the spec says that field takes it.
pub fn fill(
    fields: &Fields,
    matches: &ArgMatches,
    body: &mut Map<String, Value>,
) -> Result<(), Failure> {
    for field in &fields.flags {
        let value = match field.value(matches) {
            Some(Value::String(text)) => local_files::resolve(&field.path, field.schema, text)?,
            Some(value) => value,
            None => continue,
        };
        set(body, &field.path, value);
    }
    Ok(())
}

/// Sets `path` (dotted) in `body`, creating the objects on the way; a non-object in the way is
/// replaced, as the flag is the later and more explicit word.
pub fn set(body: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            body.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let child = body
                .entry(head.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(map) = child {
                set(map, rest, value);
            }
        }
    }
}

/// Whether the schema has a field at `path` (dotted).
pub fn has_field(schema: &Schema, path: &str) -> bool {
    let mut at = schema;
    for segment in path.split('.') {
        match at.property(segment) {
            Some(next) => at = next,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_read_like_the_spec() {
        let read = |schema| Schema::read(&schema);
        let schema = read(json!({"type": "integer", "minimum": 1, "maximum": 40, "default": 30}));
        assert_eq!(limits(&schema), "1-40; default 30");
        let schema = read(json!({"type": "string", "enum": ["720P", "1080P"], "default": "1080P"}));
        assert_eq!(limits(&schema), "one of 720P, 1080P; default 1080P");
        assert_eq!(
            limits(&read(json!({"type": "string", "maxLength": 500}))),
            "at most 500 characters"
        );
    }

    #[test]
    fn set_builds_nested_objects() {
        let mut body = Map::new();
        set(&mut body, "input.img_url", json!("u"));
        set(&mut body, "input.prompt", json!("p"));
        set(&mut body, "seed", json!(3));
        assert_eq!(
            Value::Object(body),
            json!({"input": {"img_url": "u", "prompt": "p"}, "seed": 3})
        );
    }

    #[test]
    fn first_sentence_keeps_one_line() {
        assert_eq!(
            first_sentence("What to show.\n  More words."),
            "What to show."
        );
        assert_eq!(first_sentence("No full stop"), "No full stop");
    }
}
