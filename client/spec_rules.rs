//! The one reading of the spec's rules. A request schema (the resolved JSON the client embeds in
//! `generated/request_schemas.json`, or a schema of `openapi/novita.yaml` for the generator)
//! becomes a typed [`Schema`]: each property's kind, enum, range, length, item count, pattern and
//! inline-media limits, the required fields and the rules across fields of `x-novita-rules`.
//! The client's checks, the CLI's flags, the generator (`codegen` compiles this same file with
//! `#[path]`) and the conformance generators all read the spec through it; the mock keeps a
//! reading of its own on purpose.
//!
//! A new kind of rule = one edit in this module plus its tests (`spec_rules/tests.rs`); its
//! users then match on it.
//!
//! Only `serde_json` is used here, so both crates that compile this file can.

use serde_json::{Number, Value};

/// The spec's own key for rules across fields.
pub const RULES_KEY: &str = "x-novita-rules";

/// The spec's own key for the limits of media sent inline.
pub const MEDIA_KEY: &str = "x-novita-media";

/// The keywords that only constrain values (read here as rules, not shapes): the generator
/// strips them from progenitor's copy of the spec.
pub const VALIDATION_ONLY: &[&str] = &[
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
];

/// A schema's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Number,
    String,
    Boolean,
    Array,
    Object,
}

impl Kind {
    fn read(name: &str) -> Option<Kind> {
        Some(match name {
            "integer" => Kind::Integer,
            "number" => Kind::Number,
            "string" => Kind::String,
            "boolean" => Kind::Boolean,
            "array" => Kind::Array,
            "object" => Kind::Object,
            _ => return None,
        })
    }

    /// The name the spec writes (`integer`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Boolean => "boolean",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

/// A rule across fields of one object (`x-novita-rules`).
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// When every field is given, their values must be one of `pairs` (one value per field).
    AllowedPairs {
        fields: Vec<String>,
        pairs: Vec<Vec<Value>>,
    },
    /// Exactly one of the fields is given.
    ExactlyOneOf { fields: Vec<String> },
    /// At most one of the fields is given.
    AtMostOneOf { fields: Vec<String> },
    /// A rule this reading does not know, by the name the spec gives (if any).
    Unknown {
        name: Option<String>,
        fields: Vec<String>,
    },
}

impl Rule {
    fn read(rule: &Value) -> Rule {
        let fields = names(&rule["fields"]);
        match rule["rule"].as_str() {
            Some("allowed_pairs") => Rule::AllowedPairs {
                fields,
                pairs: rule["pairs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|pair| pair.as_array().cloned().unwrap_or_default())
                    .collect(),
            },
            Some("exactly_one_of") => Rule::ExactlyOneOf { fields },
            Some("at_most_one_of") => Rule::AtMostOneOf { fields },
            other => Rule::Unknown {
                name: other.map(str::to_string),
                fields,
            },
        }
    }

    /// The fields the rule joins, in the spec's order.
    pub fn fields(&self) -> &[String] {
        match self {
            Rule::AllowedPairs { fields, .. }
            | Rule::ExactlyOneOf { fields }
            | Rule::AtMostOneOf { fields }
            | Rule::Unknown { fields, .. } => fields,
        }
    }

    /// The rule's name in the spec (`allowed_pairs`).
    pub fn name(&self) -> Option<&str> {
        match self {
            Rule::AllowedPairs { .. } => Some("allowed_pairs"),
            Rule::ExactlyOneOf { .. } => Some("exactly_one_of"),
            Rule::AtMostOneOf { .. } => Some("at_most_one_of"),
            Rule::Unknown { name, .. } => name.as_deref(),
        }
    }
}

/// What inline media a property holds (`x-novita-media`'s `kind`; an image unless it says video).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
}

impl MediaKind {
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        }
    }
}

/// The limits of media sent inline in one property (`x-novita-media`).
#[derive(Clone, Debug, PartialEq)]
pub struct Media {
    pub kind: MediaKind,
    /// Format names (`jpeg`, `mp4`), as the spec lists them.
    pub formats: Vec<String>,
    pub max_bytes: Option<u64>,
    pub min_side: Option<u64>,
    pub max_side: Option<u64>,
    /// Long side over short side, at most.
    pub max_aspect_ratio: Option<f64>,
    pub min_seconds: Option<f64>,
    pub max_seconds: Option<f64>,
    /// The field also takes a video, which the service judges (a Wan 2.7 reference).
    pub also_video: bool,
}

impl Media {
    fn read(limits: &Value) -> Media {
        Media {
            kind: match limits["kind"].as_str() {
                Some("video") => MediaKind::Video,
                _ => MediaKind::Image,
            },
            formats: names(&limits["formats"]),
            max_bytes: limits["max_bytes"].as_u64(),
            min_side: limits["min_side"].as_u64(),
            max_side: limits["max_side"].as_u64(),
            max_aspect_ratio: limits["max_aspect_ratio"].as_f64(),
            min_seconds: limits["min_seconds"].as_f64(),
            max_seconds: limits["max_seconds"].as_f64(),
            also_video: limits["also_video"] == true,
        }
    }
}

/// One schema of the spec as its rules: a request body, a property, an item or a branch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// `type`; `None` when absent or not one JSON Schema names.
    pub kind: Option<Kind>,
    pub description: Option<String>,
    pub default: Option<Value>,
    pub enumeration: Option<Vec<Value>>,
    pub minimum: Option<Number>,
    pub maximum: Option<Number>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub pattern: Option<String>,
    pub media: Option<Media>,
    /// The members, in the order the JSON gives them; `None` when the schema names none.
    pub properties: Option<Vec<(String, Schema)>>,
    pub required: Vec<String>,
    pub items: Option<Box<Schema>>,
    pub rules: Vec<Rule>,
    /// The plain JSON Schema forms of the rules, for generic tools (`oneOf`, `anyOf`, `not`).
    pub one_of: Option<Vec<Schema>>,
    pub any_of: Option<Vec<Schema>>,
    pub not: Option<Box<Schema>>,
}

impl Schema {
    /// The empty schema: any value, no rule (what a missing `items` or member stands for).
    pub const ANY: Schema = Schema {
        kind: None,
        description: None,
        default: None,
        enumeration: None,
        minimum: None,
        maximum: None,
        min_length: None,
        max_length: None,
        min_items: None,
        max_items: None,
        pattern: None,
        media: None,
        properties: None,
        required: Vec::new(),
        items: None,
        rules: Vec::new(),
        one_of: None,
        any_of: None,
        not: None,
    };

    /// Reads `schema` (with its `$ref`s resolved) and everything under it.
    pub fn read(schema: &Value) -> Schema {
        let number = |key: &str| match schema.get(key) {
            Some(Value::Number(n)) => Some(n.clone()),
            _ => None,
        };
        let count = |key: &str| schema.get(key).and_then(Value::as_u64);
        let branches = |key: &str| {
            schema
                .get(key)
                .and_then(Value::as_array)
                .map(|all| all.iter().map(Schema::read).collect())
        };
        Schema {
            kind: schema
                .get("type")
                .and_then(Value::as_str)
                .and_then(Kind::read),
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(Into::into),
            default: schema.get("default").cloned(),
            enumeration: schema.get("enum").and_then(Value::as_array).cloned(),
            minimum: number("minimum"),
            maximum: number("maximum"),
            min_length: count("minLength"),
            max_length: count("maxLength"),
            min_items: count("minItems"),
            max_items: count("maxItems"),
            pattern: schema
                .get("pattern")
                .and_then(Value::as_str)
                .map(Into::into),
            media: schema.get(MEDIA_KEY).map(Media::read),
            properties: schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|all| {
                    let read = |(name, property)| (String::clone(name), Schema::read(property));
                    all.iter().map(read).collect()
                }),
            required: names(&schema["required"]),
            items: schema
                .get("items")
                .map(|items| Box::new(Schema::read(items))),
            rules: schema[RULES_KEY]
                .as_array()
                .into_iter()
                .flatten()
                .map(Rule::read)
                .collect(),
            one_of: branches("oneOf"),
            any_of: branches("anyOf"),
            not: schema.get("not").map(|not| Box::new(Schema::read(not))),
        }
    }

    /// The member `name`, if the schema names it.
    pub fn property(&self, name: &str) -> Option<&Schema> {
        let properties = self.properties.as_deref()?;
        properties.iter().find(|(n, _)| n == name).map(|(_, p)| p)
    }

    /// The members the schema names (none when it names none).
    pub fn members(&self) -> impl Iterator<Item = (&String, &Schema)> {
        self.properties.iter().flatten().map(|(n, p)| (n, p))
    }

    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }
}

/// The strings of a JSON list (what is not a string is left out).
fn names(list: &Value) -> Vec<String> {
    let strings = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    strings.map(str::to_string).collect()
}

// The same path from both crates that compile this file (a `#[path]` module reads plain
// `mod tests;` from another folder).
#[cfg(test)]
#[path = "spec_rules/tests.rs"]
mod tests;
