//! `cargo run -p novita-codegen`: writes the client's generated code (see the library's docs) to
//! `client/generated/`, from `openapi/novita.yaml`. Run it after each change to the spec.

use std::fs;

use novita_codegen::{generate, workspace_root, OUT_DIR, SPEC};

fn main() {
    let root = workspace_root();
    let spec =
        fs::read_to_string(root.join(SPEC)).unwrap_or_else(|e| panic!("reading {SPEC}: {e}"));
    let out = root.join(OUT_DIR);
    fs::create_dir_all(&out).unwrap_or_else(|e| panic!("creating {OUT_DIR}: {e}"));
    for (name, contents) in generate(&spec) {
        fs::write(out.join(name), contents).unwrap_or_else(|e| panic!("writing {name}: {e}"));
        println!("wrote {OUT_DIR}/{name}");
    }
}
