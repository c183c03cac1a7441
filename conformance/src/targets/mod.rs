//! Bodies for the spec's request schemas, aimed at targets: walking a schema lists every way
//! the spec offers to break a field or a rule across fields, or to keep it at an edge
//! ([`targets`]); [`body_for`] builds a valid body around one target and applies it, with the
//! random part read from [`Choices`]. `tests/it/differential.rs` tries every target on random
//! bodies; `tests/it/agreement.rs` tries the rules across fields on the spec's own examples.
//!
//! - `choices`: the random decisions;
//! - `path`: steps into a body, their names and pointers;
//! - `target`: a target and the ways it breaks a body ([`Break`]);
//! - `spec`: the schema's names and rules across fields;
//! - `listing`: the targets a schema offers;
//! - `valid`: valid values and bodies, rules kept;
//! - `broken`: a body for one target.

mod broken;
mod choices;
mod listing;
mod path;
mod spec;
mod target;
mod valid;

pub use broken::{body_for, break_rule, broken_value};
pub use choices::Choices;
pub use listing::{all_targets, cross_product, integer_outside, targets};
pub use path::{field_name, pointer, rule_name, schema_at, Step};
pub use spec::rules;
pub use target::{Break, Target};
pub use valid::{item_counts, keep_rules, lengths, valid, valid_object};
