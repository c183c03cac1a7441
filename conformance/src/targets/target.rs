//! What a target is: where it aims, how it changes a valid body, and the verdict expected.

use serde_json::Value;

use super::path::{field_name, rule_name, Step};
use crate::verdict::Verdict;

/// How a case changes a valid body at its target.
#[derive(Clone, Debug)]
pub enum Break {
    /// The valid body as it is.
    Nothing,
    /// An unknown member added to the object at the path: ignored by both.
    UnknownField,
    /// The integer written with a fraction of zero (`480.0`): still that integer.
    IntegralFloat,
    Null,
    Missing,
    WrongType,
    /// An integer with a fraction (`1.5`).
    Fraction,
    BelowMinimum,
    AboveMaximum,
    /// A value of the right type outside the enum.
    OutsideEnum(Value),
    /// A string one character shorter than `minLength`.
    TooShort,
    /// A string one character longer than `maxLength`.
    TooLong,
    AtMaxItems,
    OverMaxItems,
    UnderMinItems,
    /// The rule's fields (of the object at the path) set to these values, each valid alone.
    Pair(Vec<Value>),
    /// The rule's fields set to a listed pair, then this one of them left out.
    PairWithout(usize),
    /// Every field of the rule given.
    All,
    /// No field of the rule given.
    Neither,
    /// Only this field of the rule given.
    Only(usize),
}

/// One thing to try: where, how, and the verdict the spec calls for.
#[derive(Clone, Debug)]
pub struct Target {
    pub path: Vec<Step>,
    /// For a rule across fields: the fields of the object at `path` it joins.
    pub rule: Vec<String>,
    pub how: Break,
    pub expected: Verdict,
}

impl Target {
    /// A short name for reports: `loras[0].scale: BelowMinimum`.
    pub fn describe(&self) -> String {
        let at = if self.rule.is_empty() {
            field_name(&self.path)
        } else {
            rule_name(&self.path, &self.rule)
        };
        format!("{at}: {:?}", self.how)
    }
}
