//! The `tracing` feature's tests, in a process of their own. `tracing` caches, per callsite and
//! for the whole process, whether any subscriber may want its spans; the other integration
//! tests run without a subscriber, and beside them a span these tests look for could be cached
//! as unwanted and never made. Each file is a module of this binary, as in `tests/it/`.

#[path = "../it/common/mod.rs"]
mod common;
mod spans;
mod trace_context;
