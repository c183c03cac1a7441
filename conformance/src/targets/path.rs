//! Paths into a body: the steps, the names both sides give them, the JSON pointer and the
//! schema they lead to.

use novita_video::spec_rules::Schema;

/// One step into a body: a member of an object, or the first item of an array.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(String),
    First,
}

/// The field name both sides give for `path`: `loras[0].scale`, `input.prompt`.
pub fn field_name(path: &[Step]) -> String {
    let mut name = String::new();
    for step in path {
        match step {
            Step::Key(key) if name.is_empty() => name.push_str(key),
            Step::Key(key) => {
                name.push('.');
                name.push_str(key);
            }
            Step::First => name.push_str("[0]"),
        }
    }
    name
}

/// The name of a rule across `fields` of the object at `path`: `width/height`.
pub fn rule_name(path: &[Step], fields: &[String]) -> String {
    let mut steps = path.to_vec();
    steps.push(Step::Key(fields.join("/")));
    field_name(&steps)
}

/// The schema of the value at `path`.
///
/// # Panics
/// When `path` leads out of the schema: a target is always read from the schema it aims at.
pub fn schema_at<'a>(schema: &'a Schema, path: &[Step]) -> &'a Schema {
    path.iter().fold(schema, |at, step| match step {
        Step::Key(key) => at.property(key).expect("a member of the schema"),
        Step::First => at.items.as_deref().expect("the schema's items"),
    })
}

pub fn pointer(path: &[Step]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) => format!("/{key}"),
            Step::First => "/0".to_string(),
        })
        .collect()
}
