//! Rules as data: an endpoint whose body is a flat list of checks is described by a table of
//! fields, and one reader applies it. Adding such an endpoint is a new table, not new code.

use crate::{
    novita_error::NovitaError,
    rules::{
        fields::{Checked, Fields},
        media::{check_inline_image, ImageLimits},
    },
};

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
    Boolean,
    /// A string from this list.
    OneOf(&'static [&'static str]),
    /// A URL or an inline image (`data:` URI), the latter within these limits.
    Image(&'static ImageLimits),
    /// An array of `min..=max` objects, each checked against `fields`.
    Objects {
        min: usize,
        max: usize,
        fields: &'static [Field],
    },
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
            Rule::Objects {
                min,
                max,
                fields: item_table,
            } => {
                fields.array_between(field.name, *min, *max, |item| check(&item, item_table))?;
            }
        }
    }
    Ok(())
}
