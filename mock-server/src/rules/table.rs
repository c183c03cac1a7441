//! Rules as data: every endpoint's body is described by a table of fields (nested objects and
//! cross-field rules included), and one reader applies it. An endpoint is its table plus a
//! short function that reads the accepted body into a job; a family of endpoints is one file
//! of such tables (see `wan27.rs`), listed in `rules/mod.rs`.

use crate::{
    catalogue::Endpoint,
    novita_error::NovitaError,
    rules::{
        fields::{choices, Checked, Fields},
        media::{check_inline_image, ImageLimits},
        video_media::{check_inline_video, VideoLimits},
    },
    sim::job::Job,
};

/// How the mock reads one endpoint's body.
pub struct EndpointRules {
    pub endpoint: Endpoint,
    /// Every field of the body, checked in this order.
    pub body: &'static [Field],
    /// What job a body the table accepted asks for (its webhook is read by the caller).
    pub job: fn(&Fields<'_>) -> Checked<Job>,
}

/// What one field must be.
pub enum Rule {
    /// A string of `min..=max` characters (Novita counts characters).
    Text {
        min: usize,
        max: Option<usize>,
    },
    /// An integer in `min..=max`.
    Integer {
        min: i64,
        max: i64,
    },
    /// An integer from this list.
    IntegerIn(&'static [i64]),
    /// A number (integer or not) in `min..=max`.
    Number {
        min: f64,
        max: f64,
    },
    Boolean,
    /// A string from this list.
    OneOf(&'static [&'static str]),
    /// A URL or an inline image (`data:` URI), the latter within these limits.
    Image(&'static ImageLimits),
    /// A URL or an inline video (`data:` URI), the latter within these limits.
    Video(&'static VideoLimits),
    /// An array of `min..=max` objects, each checked against `fields`.
    Objects {
        min: usize,
        max: usize,
        fields: &'static [Field],
    },
    /// An object whose members are checked against these fields.
    Object(&'static [Field]),
    /// Across fields: exactly one of the two is given.
    ExactlyOne(&'static str, &'static str),
    /// Across fields: the two are not given together.
    AtMostOne(&'static str, &'static str),
    /// Across fields: when both integers are given, they are one of these pairs.
    PairIn(&'static str, &'static str, &'static [(i64, i64)]),
}

/// One field of a body and its rule.
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub rule: Rule,
}

impl Field {
    pub const fn optional(name: &'static str, rule: Rule) -> Field {
        Field {
            name,
            required: false,
            rule,
        }
    }

    pub const fn required(name: &'static str, rule: Rule) -> Field {
        Field {
            name,
            required: true,
            rule,
        }
    }

    /// A rule across fields ([`Rule::ExactlyOne`], [`Rule::AtMostOne`], [`Rule::PairIn`]), checked at its place in
    /// the table; it names the fields it joins.
    pub const fn across(rule: Rule) -> Field {
        Field {
            name: "",
            required: false,
            rule,
        }
    }
}

/// A string of at most `max` characters, empty allowed.
pub const fn text_up_to(max: usize) -> Rule {
    Rule::Text {
        min: 0,
        max: Some(max),
    }
}

/// A URL-like string: any text that is not empty.
pub const URL: Rule = Rule::Text { min: 1, max: None };
/// Seeds of the Wan 2.x models.
pub const SEED: Rule = Rule::Integer {
    min: 0,
    max: 2_147_483_647,
};

/// Checks every field of `table` in `fields`, in the table's order; the first broken rule is
/// the answer, naming its field.
pub fn check(fields: &Fields<'_>, table: &[Field]) -> Checked<()> {
    for field in table {
        if field.required && fields.raw(field.name).is_none() {
            return Err(NovitaError::invalid_body(
                &fields.name(field.name),
                "is required",
            ));
        }
        match &field.rule {
            Rule::Text { min, max } => {
                fields.string(field.name, *min, *max)?;
            }
            Rule::Integer { min, max } => {
                fields.integer(field.name, *min, *max)?;
            }
            Rule::IntegerIn(allowed) => {
                fields.integer_in(field.name, allowed)?;
            }
            Rule::Boolean => {
                fields.boolean(field.name)?;
            }
            Rule::OneOf(allowed) => {
                fields.one_of(field.name, allowed)?;
            }
            Rule::Image(limits) => {
                fields.string(field.name, 1, None)?;
                check_inline_image(fields, field.name, limits)?;
            }
            Rule::Video(limits) => {
                fields.string(field.name, 1, None)?;
                check_inline_video(fields, field.name, limits)?;
            }
            Rule::Number { min, max } => {
                fields.number(field.name, *min, *max)?;
            }
            Rule::Objects {
                min,
                max,
                fields: item_table,
            } => {
                fields.array_between(field.name, *min, *max, |item| check(&item, item_table))?;
            }
            Rule::Object(member_table) => {
                if let Some(object) = fields.object(field.name)? {
                    check(&object, member_table)?;
                }
            }
            Rule::ExactlyOne(first, second) => exactly_one(fields, first, second)?,
            Rule::AtMostOne(first, second) => at_most_one(fields, first, second)?,
            Rule::PairIn(first, second, allowed) => pair_in(fields, first, second, allowed)?,
        }
    }
    Ok(())
}

fn exactly_one(fields: &Fields<'_>, first: &str, second: &str) -> Checked<()> {
    let given = (fields.raw(first).is_some(), fields.raw(second).is_some());
    let rule = match given {
        (true, true) => "are mutually exclusive; give only one",
        (false, false) => "one of them is required",
        _ => return Ok(()),
    };
    Err(NovitaError::invalid_body(
        &format!("{}/{second}", fields.name(first)),
        rule,
    ))
}

fn at_most_one(fields: &Fields<'_>, first: &str, second: &str) -> Checked<()> {
    if fields.raw(first).is_some() && fields.raw(second).is_some() {
        return Err(NovitaError::invalid_body(
            &format!("{}/{second}", fields.name(first)),
            "cannot be given together",
        ));
    }
    Ok(())
}

fn pair_in(fields: &Fields<'_>, first: &str, second: &str, allowed: &[(i64, i64)]) -> Checked<()> {
    let (Some(a), Some(b)) = (read_integer(fields, first)?, read_integer(fields, second)?) else {
        return Ok(());
    };
    if allowed.contains(&(a, b)) {
        return Ok(());
    }
    let names: Vec<String> = allowed.iter().map(|(a, b)| format!("{a}x{b}")).collect();
    Err(NovitaError::invalid_body(
        &format!("{}/{second}", fields.name(first)),
        format!("{a}x{b} is not supported; use {}", choices(&names)),
    ))
}

/// Reads an integer field the table has already checked, without restating its range.
pub fn read_integer(fields: &Fields<'_>, field: &str) -> Checked<Option<i64>> {
    fields.integer(field, i64::MIN, i64::MAX)
}
