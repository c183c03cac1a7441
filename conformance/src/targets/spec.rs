//! The spec's rules across fields (`x-novita-rules`) as the generators read them: through the
//! client's one reading, [`novita_video::spec_rules`].

use novita_video::spec_rules::{Rule, Schema};

/// The rules across fields of the object `schema`, each with its fields.
pub fn rules(schema: &Schema) -> impl Iterator<Item = (&Rule, &[String])> {
    schema.rules.iter().map(|rule| (rule, rule.fields()))
}
