//! The comparison of two listings of a public API: which differences break a caller.

use std::collections::{HashMap, HashSet};

/// One line of a public API listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The item as public-api renders it: its identity in the comparison.
    pub text: String,
    /// What the item is, when it is new: most additions break no caller.
    pub growth: Growth,
}

/// What adding an item does to callers of the released API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Growth {
    Free,
    /// A field or variant of a type that callers may build with a literal or match
    /// exhaustively: it breaks them if that type, `owner` (its listing line), was released.
    Breaks {
        owner: String,
        why: String,
    },
}

/// A difference that breaks code written against the released API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    Removed(String),
    Changed { old: String, new: String },
    Added { text: String, why: String },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Removed(text) => write!(f, "removed: {text}"),
            Break::Changed { old, new } => write!(f, "changed: {old}\n     now: {new}"),
            Break::Added { text, why } => write!(f, "added:   {text}\n         ({why})"),
        }
    }
}

/// Every breaking difference between the released listing and the current one: what is gone
/// or changed, and what was added where callers cannot take it.
pub fn breaking_changes(released: &[Entry], current: &[Entry]) -> Vec<Break> {
    let gone = missing_from(released, current);
    let new = missing_from(current, released);
    // A line gone and a line new under the same name read as one change.
    let mut new_by_key: HashMap<String, Vec<&Entry>> = HashMap::new();
    for entry in new.iter().rev() {
        new_by_key
            .entry(pairing_key(&entry.text))
            .or_default()
            .push(entry);
    }
    let released_keys: HashSet<String> = released
        .iter()
        .map(|entry| pairing_key(&entry.text))
        .collect();
    let mut paired = Vec::new();
    let mut breaks = Vec::new();
    for old in gone {
        let found = match new_by_key
            .get_mut(&pairing_key(&old.text))
            .and_then(Vec::pop)
        {
            Some(entry) => {
                paired.push(entry.text.clone());
                Break::Changed {
                    old: old.text.clone(),
                    new: entry.text.clone(),
                }
            }
            None => Break::Removed(old.text.clone()),
        };
        push_once(&mut breaks, found);
    }
    for entry in new {
        // A field of a new variant or struct breaks nobody: nobody used its owner yet.
        if let Growth::Breaks { owner, why } = &entry.growth {
            if !paired.contains(&entry.text) && released_keys.contains(&pairing_key(owner)) {
                let text = entry.text.clone();
                push_once(
                    &mut breaks,
                    Break::Added {
                        text,
                        why: why.clone(),
                    },
                );
            }
        }
    }
    breaks
}

/// An item public-api lists twice (re-exported, or two paths it renders alike) is reported
/// once.
fn push_once(breaks: &mut Vec<Break>, found: Break) {
    if !breaks.contains(&found) {
        breaks.push(found);
    }
}

/// The entries of `from` that `other` lacks, counted as a multiset: public-api can render two
/// items the same way, and losing one of them is still a difference.
fn missing_from<'a>(from: &'a [Entry], other: &[Entry]) -> Vec<&'a Entry> {
    let mut left: HashMap<&str, usize> = HashMap::new();
    for entry in other {
        *left.entry(entry.text.as_str()).or_default() += 1;
    }
    from.iter()
        .filter(|entry| match left.get_mut(entry.text.as_str()) {
            Some(count) if *count > 0 => {
                *count -= 1;
                false
            }
            _ => true,
        })
        .collect()
}

/// The name an item keeps when its signature changes: the text without its attributes, up
/// to its parameters, type, value or bounds (generics stay: `Foo<'_>::default` and
/// `Foo<'a>::with` are two methods). An `impl` line is its own name (it never pairs with
/// another impl).
pub fn pairing_key(text: &str) -> String {
    let mut rest = text.trim_start();
    while rest.starts_with("#[") {
        match rest.find("] ") {
            Some(end) => rest = rest[end + 2..].trim_start(),
            None => break,
        }
    }
    if rest.starts_with("impl") {
        return rest.to_string();
    }
    let end = ["(", ": ", " = ", " where "]
        .iter()
        .filter_map(|stop| rest.find(stop))
        .min()
        .unwrap_or(rest.len());
    rest[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(text: &str) -> Entry {
        Entry {
            text: text.to_string(),
            growth: Growth::Free,
        }
    }

    fn closed(text: &str, owner: &str) -> Entry {
        Entry {
            text: text.to_string(),
            growth: Growth::Breaks {
                owner: owner.to_string(),
                why: format!("a member of {owner}"),
            },
        }
    }

    #[test]
    fn the_same_listing_breaks_nothing() {
        let listing = [
            free("pub struct c::A"),
            closed("pub c::A::x: u32", "pub struct c::A"),
        ];
        assert_eq!(breaking_changes(&listing, &listing), vec![]);
    }

    #[test]
    fn a_removed_item_breaks() {
        let released = [free("pub struct c::A"), free("pub fn c::A::go(&self)")];
        let current = [free("pub struct c::A")];
        assert_eq!(
            breaking_changes(&released, &current),
            vec![Break::Removed("pub fn c::A::go(&self)".into())]
        );
    }

    #[test]
    fn a_changed_signature_is_one_change() {
        let released = [free("pub fn c::A::go(&self) -> u32")];
        let current = [free("pub fn c::A::go(&self) -> u64")];
        assert_eq!(
            breaking_changes(&released, &current),
            vec![Break::Changed {
                old: "pub fn c::A::go(&self) -> u32".into(),
                new: "pub fn c::A::go(&self) -> u64".into(),
            }]
        );
    }

    #[test]
    fn new_methods_and_types_are_free() {
        let released = [free("pub struct c::A")];
        let current = [
            free("pub struct c::A"),
            free("pub fn c::A::go(&self)"),
            free("pub struct c::B"),
        ];
        assert_eq!(breaking_changes(&released, &current), vec![]);
    }

    #[test]
    fn a_new_field_of_an_exhaustive_struct_breaks() {
        let released = [
            free("pub struct c::A"),
            closed("pub c::A::x: u32", "pub struct c::A"),
        ];
        let current = [
            free("pub struct c::A"),
            closed("pub c::A::x: u32", "pub struct c::A"),
            closed("pub c::A::y: u32", "pub struct c::A"),
        ];
        assert_eq!(
            breaking_changes(&released, &current),
            vec![Break::Added {
                text: "pub c::A::y: u32".into(),
                why: "a member of pub struct c::A".into(),
            }]
        );
    }

    #[test]
    fn a_new_variant_of_an_exhaustive_enum_breaks() {
        let released = [
            free("pub enum c::E"),
            closed("pub c::E::One", "pub enum c::E"),
        ];
        let current = [
            free("pub enum c::E"),
            closed("pub c::E::One", "pub enum c::E"),
            closed("pub c::E::Two", "pub enum c::E"),
        ];
        assert_eq!(
            breaking_changes(&released, &current),
            vec![Break::Added {
                text: "pub c::E::Two".into(),
                why: "a member of pub enum c::E".into()
            }]
        );
    }

    #[test]
    fn the_fields_of_a_new_variant_are_free() {
        let released = [free("#[non_exhaustive] pub enum c::E")];
        let current = [
            free("#[non_exhaustive] pub enum c::E"),
            free("pub c::E::Two"),
            closed("pub c::E::Two::x: u32", "pub c::E::Two"),
        ];
        assert_eq!(breaking_changes(&released, &current), vec![]);
    }

    #[test]
    fn a_change_listed_twice_is_reported_once() {
        let released = [free("pub fn c::f() -> u32"), free("pub fn c::f() -> u32")];
        let current = [free("pub fn c::f() -> u64"), free("pub fn c::f() -> u64")];
        assert_eq!(breaking_changes(&released, &current).len(), 1);
    }

    #[test]
    fn a_new_non_exhaustive_attribute_is_a_change() {
        let released = [free("pub struct c::A")];
        let current = [free("#[non_exhaustive] pub struct c::A")];
        assert_eq!(
            breaking_changes(&released, &current),
            vec![Break::Changed {
                old: "pub struct c::A".into(),
                new: "#[non_exhaustive] pub struct c::A".into(),
            }]
        );
    }

    #[test]
    fn a_retyped_field_is_reported_once() {
        let released = [
            free("pub struct c::A"),
            closed("pub c::A::x: u32", "pub struct c::A"),
        ];
        let current = [
            free("pub struct c::A"),
            closed("pub c::A::x: u64", "pub struct c::A"),
        ];
        assert_eq!(
            breaking_changes(&released, &current),
            vec![Break::Changed {
                old: "pub c::A::x: u32".into(),
                new: "pub c::A::x: u64".into()
            }]
        );
    }

    #[test]
    fn one_of_two_identical_lines_gone_is_a_removal() {
        let released = [free("impl c::T for c::A"), free("impl c::T for c::A")];
        let current = [free("impl c::T for c::A")];
        assert_eq!(
            breaking_changes(&released, &current),
            vec![Break::Removed("impl c::T for c::A".into())]
        );
    }

    #[test]
    fn a_lost_auto_trait_is_a_removal() {
        let released = [
            free("impl core::panic::UnwindSafe for c::A"),
            free("impl core::marker::Send for c::A"),
        ];
        let current = [free("impl core::marker::Send for c::A")];
        assert_eq!(
            breaking_changes(&released, &current),
            vec![Break::Removed(
                "impl core::panic::UnwindSafe for c::A".into()
            )]
        );
    }

    #[test]
    fn pairing_keys_drop_attributes_and_signatures() {
        assert_eq!(
            pairing_key("#[non_exhaustive] pub struct c::A"),
            "pub struct c::A"
        );
        assert_eq!(pairing_key("pub fn c::f<T>(x: T) -> u32"), "pub fn c::f<T>");
        assert_eq!(
            pairing_key("pub fn c::A<'_>::new() -> Self"),
            "pub fn c::A<'_>::new"
        );
        assert_eq!(
            pairing_key("pub struct c::A<T> where T: X"),
            "pub struct c::A<T>"
        );
        assert_eq!(pairing_key("pub c::A::x: u32"), "pub c::A::x");
        assert_eq!(pairing_key("pub const c::N: usize"), "pub const c::N");
        assert_eq!(pairing_key("pub type c::R = u32"), "pub type c::R");
        assert_eq!(
            pairing_key("impl<T> c::T for c::A<T>"),
            "impl<T> c::T for c::A<T>"
        );
    }
}
