//! The client's tests live in `client/tests/`, where Cargo does not look for them on its own
//! (the package's root is the workspace's): each file must be a `[[test]]` of the root
//! `Cargo.toml`, or it is silently never built. This test fails when one is not. It also holds
//! the root README to its size.

use std::{collections::BTreeSet, path::Path};

#[test]
fn every_file_in_client_tests_is_a_test_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let targets: BTreeSet<String> = manifest
        .lines()
        .filter_map(|line| line.trim().strip_prefix("path = \"client/tests/"))
        .filter_map(|rest| rest.strip_suffix('"'))
        .map(str::to_string)
        .collect();
    let files: BTreeSet<String> = std::fs::read_dir(root.join("client/tests"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    let forgotten: Vec<_> = files.difference(&targets).collect();
    assert!(
        forgotten.is_empty(),
        "add a [[test]] to the root Cargo.toml for each of {forgotten:?}"
    );
    let missing: Vec<_> = targets.difference(&files).collect();
    assert!(
        missing.is_empty(),
        "[[test]] paths without a file: {missing:?}"
    );
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
