//! The surface a client of Novita sees: the submit and task-result handlers, the API key and
//! rate-limit rules, Novita's error body with its catalogue of reasons, and the task-result body.

pub(crate) mod auth;
pub(crate) mod forced;
pub(crate) mod handlers;
mod request_text;
