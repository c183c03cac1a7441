//! Each crate's integration tests are one binary, `tests/it/main.rs`, whose modules are the
//! files beside it (the client has two more, `tests/tls/` and `tests/tracing/`, each saying
//! why): a file that no `mod` line names is silently never built, and a file put straight in
//! `tests/` would become a binary of its own again. This test fails on both. It also holds
//! the pages to the tree (the root README's size, the paths, links and dependencies they
//! name) and the mock's simulation layer to plain types.

use std::{collections::BTreeSet, path::Path};

/// The folders that hold a crate's integration tests, from the workspace's root.
const TEST_FOLDERS: [&str; 4] = [
    "client/tests",
    "mock-server/tests",
    "conformance/tests",
    "proxy/tests",
];

fn rust_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".rs").map(str::to_string))
        .collect()
}

#[test]
fn every_test_file_is_a_module_of_its_crates_one_test_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for folder in TEST_FOLDERS {
        let loose = rust_files(&root.join(folder));
        assert!(
            loose.is_empty(),
            "{folder} holds {loose:?}: move them into {folder}/it/ and name them in its main.rs"
        );
        // Each binary: a folder with a main.rs, whose `mod` lines name every file beside it.
        for binary in std::fs::read_dir(root.join(folder)).unwrap() {
            let binary = binary.unwrap().path();
            let Ok(main) = std::fs::read_to_string(binary.join("main.rs")) else {
                continue;
            };
            let declared: BTreeSet<String> = main
                .lines()
                .filter_map(|line| line.trim().strip_prefix("mod "))
                .filter_map(|rest| rest.strip_suffix(';'))
                .map(str::to_string)
                .collect();
            let mut files = rust_files(&binary);
            files.remove("main");
            let forgotten: Vec<_> = files.difference(&declared).collect();
            assert!(
                forgotten.is_empty(),
                "{} has no `mod` line for {forgotten:?}",
                binary.join("main.rs").display()
            );
        }
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for binary in [
        "client/tests/it/main.rs",
        "client/tests/tls/main.rs",
        "client/tests/tracing/main.rs",
    ] {
        assert!(
            manifest.contains(&format!("path = \"{binary}\"")),
            "the root Cargo.toml must name {binary} as a [[test]]: the root package's tests are \
             not where Cargo looks on its own"
        );
    }
}

/// The root README is the front door: the two commands, a tour, the guarantees, and links to
/// each part's own manual. Detail that grows goes to those manuals, so the front door stays
/// small enough to be read whole.
#[test]
fn the_root_readme_stays_under_15_kb() {
    const LIMIT: usize = 15_000;
    let readme = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.len() < LIMIT,
        "README.md is {} bytes, the limit is {LIMIT}: move detail to the crate's or the mock's README",
        readme.len()
    );
}

/// A dependent compiles the client, not its code generator: the generated code is committed in
/// `client/generated/` (`cargo run -p novita-codegen`), so the crate has no build script and no
/// build dependencies (progenitor, typify and a YAML parser cost a downstream debug build more
/// than reqwest does).
#[test]
fn the_crate_has_no_build_script_and_no_build_dependencies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let package = manifest
        .split("\n[")
        .find(|table| table.starts_with("package]"))
        .expect("a [package] table");
    assert!(
        !package.lines().any(|l| l.trim_start().starts_with("build")),
        "[package] names a build script"
    );
    assert!(!root.join("build.rs").exists(), "build.rs is back");
    assert!(
        !manifest.contains("[build-dependencies]"),
        "the crate has build dependencies"
    );
    for file in [
        "codegen.rs",
        "types.rs",
        "submit_operations.rs",
        "request_schemas.json",
    ] {
        assert!(root.join("client/generated").join(file).is_file(), "{file}");
    }
}

/// The pages whose paths and links are held to the tree: the front door, the two manuals it
/// sends readers to first, and the proxy's, which lists its files.
const PAGES: [&str; 4] = [
    "README.md",
    "mock-server/README.md",
    "client/README.md",
    "proxy/README.md",
];

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor_of(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors_in(page: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(page).unwrap_or_default();
    let mut fenced = false;
    let mut anchors = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            anchors.insert(anchor_of(line));
        }
    }
    anchors
}

/// What a page names of the tree: the targets of its relative links (from the page's folder)
/// and the code spans that start with a folder of the workspace's root (from the root) or of
/// the page's own folder (from there).
fn named_paths(root: &Path, page: &str) -> Vec<(std::path::PathBuf, Option<String>)> {
    let text = std::fs::read_to_string(root.join(page)).unwrap();
    let folder = root.join(page).parent().unwrap().to_path_buf();
    let mut named = Vec::new();
    for link in text.split("](").skip(1) {
        let target = link.split(')').next().unwrap_or_default();
        if target.contains("://") || target.starts_with("mailto:") || target.contains(' ') {
            continue;
        }
        let (file, anchor) = match target.split_once('#') {
            Some((file, anchor)) => (file, Some(anchor.to_string())),
            None => (target, None),
        };
        let file = if file.is_empty() {
            root.join(page)
        } else {
            folder.join(file)
        };
        named.push((file, anchor));
    }
    for (i, span) in text.split('`').enumerate() {
        let plain = |c: char| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-');
        if i % 2 == 0 || !span.contains('/') || !span.chars().all(plain) {
            continue;
        }
        let first = span.split('/').next().unwrap_or_default();
        if matches!(first, "" | "." | "target") {
            continue;
        }
        if first == ".." {
            named.push((folder.join(span), None));
        } else if root.join(first).is_dir() {
            named.push((root.join(span), None));
        } else if folder.join(first).is_dir() {
            named.push((folder.join(span), None));
        }
    }
    named
}

/// Pages say where things are instead of restating lists that grow (a crate's modules, the
/// mock's layers); what they do name must be there: every path, every linked file and every
/// linked heading.
#[test]
fn the_pages_name_only_paths_and_headings_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for page in PAGES {
        for (path, anchor) in named_paths(root, page) {
            let shown = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            if !path.exists() {
                missing.push(format!("{page} names {shown}, which does not exist"));
            } else if let Some(anchor) = anchor.filter(|_| path.is_file()) {
                if !anchors_in(&path).contains(&anchor) {
                    missing.push(format!("{page} links to {shown}#{anchor}: no such heading"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The members of the workspace, from the root manifest's `members` list.
fn workspace_members(manifest: &str) -> Vec<String> {
    let list = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("a members list");
    list.split(',')
        .map(|m| m.trim().trim_matches('"').to_string())
        .filter(|m| !m.is_empty() && m != ".")
        .collect()
}

/// The root README's layout table gives every crate of the workspace a row.
#[test]
fn the_layout_table_names_every_crate_of_the_workspace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let unnamed: Vec<String> = workspace_members(&manifest)
        .into_iter()
        .filter(|member| !readme.contains(&format!("| `{member}/")))
        .collect();
    assert!(
        unnamed.is_empty(),
        "README.md's layout table has no row for {unnamed:?}"
    );
}

/// The crates of the workspace (by folder) that name `dependency` under `[dependencies]`.
fn dependents_of(root: &Path, dependency: &str) -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut folders = workspace_members(&manifest);
    folders.push(".".into());
    folders
        .into_iter()
        .filter(|folder| {
            let manifest = std::fs::read_to_string(root.join(folder).join("Cargo.toml")).unwrap();
            let dependencies = manifest
                .split("\n[")
                .find(|table| table.starts_with("dependencies]"))
                .unwrap_or_default();
            dependencies
                .lines()
                .any(|line| line.starts_with(&format!("{dependency} ")))
        })
        .collect()
}

/// What the root README says of who builds on whom: `conformance/` is where client and mock
/// meet, `bench/` drives both, `proxy/` builds on the client, and the mock never on the client.
/// A change here is a change to the README's layout table too.
#[test]
fn the_readme_says_truly_which_crates_build_on_the_client_and_the_mock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        dependents_of(root, "novita-video"),
        names(&["bench", "conformance", "proxy"]),
        "update README.md's layout table (conformance/, bench/, proxy/) with who uses the client"
    );
    assert_eq!(
        dependents_of(root, "novita-mock"),
        names(&["bench", "conformance"]),
        "update README.md's layout table (conformance/, bench/) with who uses the mock"
    );
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains("`bench/` also drives both; `proxy/` builds on the client"));
}

/// The sim layer of the mock is the simulation alone: HTTP types (axum's, http's, hyper's)
/// stay in the layers above it, which turn its plain values into answers.
#[test]
fn the_mocks_simulation_names_no_http_type() {
    let mut folders = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("mock-server/src/sim")];
    let mut files = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10, "the sim layer is read: {files:?}");
    let mut named = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for crate_name in ["axum::", "http::", "hyper::"] {
            let at_word = text.match_indices(crate_name).any(|(at, _)| {
                !text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if at_word {
                named.push(format!("{} names {crate_name}", path.display()));
            }
        }
    }
    assert!(named.is_empty(), "{}", named.join("\n"));
}

/// The generated files the README names beside `client/generated/` are all there are.
#[test]
fn the_readme_names_every_generated_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for entry in std::fs::read_dir(root.join("client/generated")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            readme.contains(&format!("`{name}`")),
            "README.md does not name client/generated/{name}"
        );
    }
}
