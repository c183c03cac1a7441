//! What Novita accepts: the endpoint catalogue, the field readers that name a broken field as
//! Novita does, each family's rules, and the vendor pages' example bodies.

mod extra;
pub(crate) mod fields;
pub(crate) mod media;
pub(crate) mod table;
pub(crate) mod vendor_examples;
mod wan;
mod wan27;

use serde_json::Value;

use fields::{Checked, Fields};

use crate::{catalogue::Endpoint, sim::job::Job};

/// Parses and checks a request body for `endpoint`.
pub fn parse(endpoint: Endpoint, body: &Value) -> Checked<Job> {
    let fields = Fields::root(body)?;
    match endpoint {
        Endpoint::WanT2v | Endpoint::WanI2v => wan::wan21(endpoint, &fields),
        Endpoint::Wan26I2v => wan::wan26(&fields),
        Endpoint::Wan27I2v => wan::wan27(&fields),
        Endpoint::Wan27T2v => wan27::t2v(&fields),
        Endpoint::Wan27R2v => wan27::r2v(&fields),
        Endpoint::Wan27Videoedit => wan27::videoedit(&fields),
    }
}
