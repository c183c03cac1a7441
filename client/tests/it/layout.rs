//! Each crate's integration tests are one binary, `tests/it/main.rs`, whose modules are the
//! files beside it (the client has two more, `tests/tls/` and `tests/tracing/`, each saying
//! why): a file that no `mod` line names is silently never built, and a file put straight in
//! `tests/` would become a binary of its own again. This test fails on both. It also holds
//! the root README to its size.

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
