//! A crate's public API listing, read from rustdoc's JSON by public-api, with what rustdoc
//! knows about each item's parent (is it `#[non_exhaustive]`, has it private fields).

use std::collections::HashMap;
use std::path::Path;

use rustdoc_types::{Attribute, Crate, Id, Item, ItemEnum, StructKind, VariantKind};

use crate::compare::{Entry, Growth};

/// The listing and the crate's version, from a rustdoc JSON file.
pub struct Listing {
    pub version: String,
    pub entries: Vec<Entry>,
}

pub fn read(path: &Path) -> Result<Listing, String> {
    let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| failed(&e))?;
    let krate: Crate = serde_json::from_str(&text)
        .map_err(|e| failed(&wrong_format(&text).unwrap_or_else(|| e.to_string())))?;
    // Blanket impls are the dependencies' (which ones depends on the lock file), not the crate's.
    let api = public_api::Builder::from_rustdoc_json(path)
        .omit_blanket_impls(true)
        .build()
        .map_err(|e| failed(&e))?;
    let mut lines: HashMap<Id, String> = HashMap::new();
    for item in api.items() {
        lines.entry(item.id()).or_insert_with(|| item.to_string());
    }
    let entries = api
        .items()
        .map(|item| (item.to_string(), item))
        // Freeze is an unstable marker that stable callers cannot name.
        .filter(|(text, _)| !text.contains("core::marker::Freeze for "))
        .map(|(text, item)| {
            let growth = growth(&krate.index, &lines, item.id(), item.parent_id());
            Entry { text, growth }
        })
        .collect();
    Ok(Listing {
        version: krate.crate_version.unwrap_or_default(),
        entries,
    })
}

/// The first line of a kept listing, before the crate's version.
const KEPT_HEADER: &str = "# public API of novita-video ";

/// The listing as `.ci/release-api` keeps the released one (`released/novita-video.api`): its
/// version on the first line, then one item per line. Only the items' text is compared on the
/// released side, so CI reads this file instead of building the released crate's docs.
pub fn kept_text(listing: &Listing) -> Result<String, String> {
    let mut text = format!("{KEPT_HEADER}{}\n", listing.version);
    for entry in &listing.entries {
        if entry.text.contains('\n') {
            return Err(format!(
                "an item renders on more than one line: {}",
                entry.text
            ));
        }
        text.push_str(&entry.text);
        text.push('\n');
    }
    Ok(text)
}

/// Reads a listing kept by [`kept_text`].
pub fn read_kept(path: &Path) -> Result<Listing, String> {
    let failed = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| failed(&e))?;
    parse_kept(&text).map_err(|e| failed(&e))
}

fn parse_kept(text: &str) -> Result<Listing, String> {
    let mut lines = text.lines();
    let version = lines
        .next()
        .and_then(|first| first.strip_prefix(KEPT_HEADER))
        .ok_or_else(|| {
            format!("not a kept listing: its first line is not `{KEPT_HEADER}VERSION`")
        })?;
    let entries = lines
        .filter(|line| !line.is_empty())
        .map(|line| Entry {
            text: line.to_string(),
            growth: Growth::Free,
        })
        .collect();
    Ok(Listing {
        version: version.to_string(),
        entries,
    })
}

/// Why a file does not parse, when it is another version of rustdoc's format: the parse
/// error alone does not say so.
fn wrong_format(text: &str) -> Option<String> {
    let key = "\"format_version\":";
    let at = text.rfind(key)? + key.len();
    let found: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (found != rustdoc_types::FORMAT_VERSION.to_string()).then(|| {
        format!(
            "rustdoc wrote JSON format {found}, this tool reads {}: move public-api and \
             rustdoc-types in apicheck/Cargo.toml to versions that read it",
            rustdoc_types::FORMAT_VERSION
        )
    })
}

/// Whether adding the item `id` breaks callers: a field of a struct or variant, or a variant
/// of an enum, that callers can build with a literal or match without a `..` or `_`.
fn growth(
    index: &HashMap<Id, Item>,
    lines: &HashMap<Id, String>,
    id: Id,
    parent: Option<Id>,
) -> Growth {
    let found = parent.and_then(|p| Some((index.get(&id)?, index.get(&p)?, lines.get(&p)?)));
    let Some((item, parent, owner)) = found else {
        return Growth::Free;
    };
    let closed = match (&item.inner, &parent.inner) {
        (ItemEnum::StructField(_), ItemEnum::Struct(s)) => match &s.kind {
            StructKind::Plain {
                has_stripped_fields,
                ..
            } => !has_stripped_fields,
            StructKind::Tuple(fields) => fields.iter().all(Option::is_some),
            StructKind::Unit => true,
        },
        (ItemEnum::StructField(_), ItemEnum::Variant(v)) => match &v.kind {
            VariantKind::Struct {
                has_stripped_fields,
                ..
            } => !has_stripped_fields,
            VariantKind::Tuple(fields) => fields.iter().all(Option::is_some),
            VariantKind::Plain => true,
        },
        (ItemEnum::Variant(_), ItemEnum::Enum(_)) => true,
        _ => return Growth::Free,
    };
    if !closed || parent.attrs.contains(&Attribute::NonExhaustive) {
        return Growth::Free;
    }
    let what = if matches!(item.inner, ItemEnum::Variant(_)) {
        "a variant"
    } else {
        "a field"
    };
    let name = parent.name.as_deref().unwrap_or("?");
    Growth::Breaks {
        owner: owner.clone(),
        why: format!("{what} of `{name}`, not #[non_exhaustive]: its literals and matches break"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_listing_reads_back_as_it_was_written() {
        let listing = Listing {
            version: "0.2.0".into(),
            entries: vec![
                Entry {
                    text: "pub struct c::A".into(),
                    growth: Growth::Free,
                },
                Entry {
                    text: "pub c::A::x: u32".into(),
                    growth: Growth::Breaks {
                        owner: "pub struct c::A".into(),
                        why: "a field".into(),
                    },
                },
            ],
        };
        let back = parse_kept(&kept_text(&listing).unwrap()).unwrap();
        assert_eq!(back.version, "0.2.0");
        let texts: Vec<&str> = back.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["pub struct c::A", "pub c::A::x: u32"]);
    }

    #[test]
    fn a_file_without_the_header_is_refused() {
        let refused = parse_kept("pub struct c::A\n").err().unwrap();
        assert!(refused.contains("not a kept listing"), "{refused}");
    }

    #[test]
    fn an_item_on_two_lines_cannot_be_kept() {
        let listing = Listing {
            version: "0.2.0".into(),
            entries: vec![Entry {
                text: "pub fn c::f(\n)".into(),
                growth: Growth::Free,
            }],
        };
        assert!(kept_text(&listing).is_err());
    }
}
