//! HTTPS with each TLS backend the build has, in a binary of its own: `.ci/tls-features` builds
//! the crate with `native-tls` alone to run it, and compiling the whole of `tests/it/` in that
//! second configuration would double the step's time for no test of TLS. Each file is a
//! module of this binary, as in `tests/it/`.

#[path = "../it/common/mod.rs"]
mod common;
mod https;
