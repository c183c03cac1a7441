//! The committed `client/generated/` is what `openapi/novita.yaml` gives today: a change to the
//! spec without `cargo run -p novita-codegen` fails here, naming the stale file.

use novita_codegen::{generate, workspace_root, OUT_DIR, SPEC};

#[test]
fn the_committed_generated_code_is_what_the_spec_gives() {
    let root = workspace_root();
    let spec = std::fs::read_to_string(root.join(SPEC)).unwrap();
    let generated = generate(&spec);
    assert_eq!(generated.len(), 4);
    let mut stale = Vec::new();
    for (name, fresh) in &generated {
        let committed = std::fs::read_to_string(root.join(OUT_DIR).join(name)).unwrap_or_default();
        if committed != *fresh {
            stale.push(format!("{OUT_DIR}/{name}"));
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what {SPEC} gives: run `cargo run -p novita-codegen` and commit them"
    );
}
