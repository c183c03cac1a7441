//! The mock's modules import one way. Each top-level module of `src/` has a place in
//! [`LAYERS`], from the bottom up, and may import only modules below it; inside a folder, the
//! files import each other without a circle. Read from the `crate::` and `super::` paths of
//! the source (unit-test blocks left out, as test code may reach anywhere). A new module gets
//! a place here; an import that would run upward fails this test with the file that makes it.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The top-level modules, lowest first. `lib.rs` and `main.rs` are the facade above them all.
const LAYERS: &[&str] = &[
    "catalogue",
    "novita_error",
    "observe",
    "conn",
    "fuzzing",
    "net_guard",
    "body_budget",
    "traffic",
    "otel",
    "sim",
    "video",
    "rules",
    "config",
    "state",
    "wire",
    "result_json",
    "webhooks",
    "reference_check",
    "control",
    "novita_api",
    "video_links",
    "snapshot",
    "stopping",
    "app",
];

/// A source file, as a module path: `sim/tasks.rs` is `["sim", "tasks"]`.
struct Source {
    module: Vec<String>,
    text: String,
}

fn sources(dir: &Path, into: &mut Vec<(PathBuf, Source)>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(src())
                .expect("under src")
                .with_extension("");
            let mut module: Vec<String> = relative
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|last| last == "mod") {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("a source file");
            into.push((path, Source { module, text }));
        }
    }
}

/// A source file as messages name it: `sim/tasks.rs`.
fn shown(path: &Path) -> String {
    path.strip_prefix(src())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The text without comments and without `#[cfg(test)] mod ... { ... }` blocks.
fn production_code(text: &str) -> String {
    let mut kept = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("#[cfg(test)]") {
        kept.push_str(&rest[..start]);
        let after = &rest[start..];
        let block = after
            .find('{')
            .filter(|open| after[..*open].contains("mod "))
            .filter(|open| !after[..*open].contains(';'));
        match block {
            Some(open) => {
                let mut depth = 0;
                let mut end = after.len();
                for (i, c) in after[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &after[end..];
            }
            None => {
                // `#[cfg(test)] mod tests;` or a test-only item: skip the attribute only.
                kept.push_str("#[cfg(test)]");
                rest = &after["#[cfg(test)]".len()..];
            }
        }
    }
    kept.push_str(rest);
    kept.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a `crate::` or `super::` prefix starts, with use-groups expanded one level per
/// brace: `use crate::{a::b, c::{d, e}}` gives `a::b`, `c::d` and `c::e`.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = code[at..].find(prefix) {
        let start = at + offset;
        at = start + prefix.len();
        let before = code[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        found.extend(expand(&code[at..], ""));
    }
    found
}

/// The paths of one use tree at the start of `text`.
fn expand(text: &str, base: &str) -> Vec<String> {
    let head: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || c.is_whitespace())
        .collect();
    let head = head.split_whitespace().collect::<String>();
    let joined = match (base.is_empty(), head.trim_end_matches("::").is_empty()) {
        (true, _) => head.trim_end_matches("::").to_string(),
        (false, true) => base.to_string(),
        (false, false) => format!("{base}::{}", head.trim_end_matches("::")),
    };
    let rest = &text[text
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == ':' || c.is_whitespace()))
        .map_or(text.len(), |(i, _)| i)..];
    if !rest.starts_with('{') {
        return vec![joined];
    }
    let mut items = Vec::new();
    let (mut depth, mut item_start) = (0, 1);
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' | ',' if depth == 1 => {
                let item = &rest[item_start..i];
                if !item.trim().is_empty() {
                    items.extend(expand(item.trim_start(), &joined));
                }
                item_start = i + 1;
                if c == '}' {
                    break;
                }
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    items
}

/// The file a module path names: the longest prefix of it that is a source file.
fn file_of<'a>(
    modules: &'a BTreeMap<Vec<String>, PathBuf>,
    path: &[String],
) -> Option<&'a PathBuf> {
    (1..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n].to_vec()))
}

#[test]
fn top_level_modules_import_only_modules_below_them() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut upward = Vec::new();
    for (path, source) in &files {
        let Some(own) = source.module.first() else {
            continue; // lib.rs or main.rs: the facade
        };
        // lib.rs is the facade; the binary (bin/novita-mock/) sits above it and uses only it.
        if own == "main" || own == "lib" || own == "bin" {
            continue;
        }
        let own_layer = LAYERS
            .iter()
            .position(|l| l == own)
            .unwrap_or_else(|| panic!("{own} (from {}) has no place in LAYERS", shown(path)));
        let code = production_code(&source.text);
        for imported in paths_after(&code, "crate::") {
            let Some(target) = imported.split("::").next().filter(|t| !t.is_empty()) else {
                continue;
            };
            if target == own || !LAYERS.contains(&target) {
                continue; // the own folder, or a name the facade re-exports
            }
            let layer = LAYERS.iter().position(|l| *l == target).unwrap_or(0);
            if layer > own_layer {
                upward.push(format!("{} imports crate::{imported}", shown(path)));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run upward:\n{}",
        upward.join("\n")
    );
}

#[test]
fn files_of_one_folder_import_each_other_without_a_circle() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|(path, source)| (source.module.clone(), path.clone()))
        .collect();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (path, source) in &files {
        if source.module.len() < 2 || source.module.last().is_some_and(|m| m == "tests") {
            continue; // top-level files have no folder; `tests.rs` files are test code
        }
        let folder = &source.module[0];
        let code = production_code(&source.text);
        let is_mod = path.file_name().is_some_and(|n| n == "mod.rs");
        let parent: Vec<String> = if is_mod {
            source.module.clone()
        } else {
            source.module[..source.module.len() - 1].to_vec()
        };
        let mut targets: Vec<Vec<String>> = paths_after(&code, "crate::")
            .into_iter()
            .map(|p| p.split("::").map(str::to_string).collect())
            .collect();
        targets.extend(paths_after(&code, "super::").into_iter().map(|p| {
            let mut full = parent[..parent.len().saturating_sub(usize::from(is_mod))].to_vec();
            full.extend(p.split("::").filter(|s| *s != "super").map(str::to_string));
            full
        }));
        for target in targets {
            if target.first() != Some(folder) {
                continue;
            }
            if let Some(file) = file_of(&modules, &target) {
                if file != path && !file.ends_with("mod.rs") {
                    edges.entry(path.clone()).or_default().insert(file.clone());
                }
            }
        }
    }
    // A depth-first search for a path that comes back to where it started.
    fn visit(
        node: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        stack: &mut Vec<PathBuf>,
        done: &mut BTreeSet<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            return Some(stack[at..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(circle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            let names: Vec<String> = circle.iter().map(|p| shown(p)).collect();
            panic!(
                "files import each other in a circle: {}",
                names.join(" -> ")
            );
        }
    }
}

#[test]
fn the_reader_finds_grouped_and_inline_paths() {
    let code = production_code(
        "use crate::{a::b, c::{d, e::F}};\nfn x() { crate::g::h(); } // crate::not::this\n\
         #[cfg(test)]\nmod tests { use crate::hidden; }\n",
    );
    assert_eq!(
        paths_after(&code, "crate::"),
        ["a::b", "c::d", "c::e::F", "g::h"]
    );
}
