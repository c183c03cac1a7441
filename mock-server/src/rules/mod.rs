//! What Novita accepts: the field readers that name a broken field as Novita does, the table
//! reader, one file of tables per model family, and the vendor pages' example bodies.
//!
//! A new family is a new file like `wan27.rs` (its tables, its media limits, a job function
//! per endpoint, and `ENDPOINTS`) listed in [`FAMILIES`], plus its entries in `catalogue.rs`.

mod extra;
pub(crate) mod fields;
pub(crate) mod json;
mod kling30;
pub(crate) mod media;
pub(crate) mod table;
pub(crate) mod vendor_examples;
pub(crate) mod video_media;
mod wan21;
mod wan26;
mod wan27;

use json::Json;

use fields::{Checked, Fields};
use table::EndpointRules;
use video_media::VideoLimits;

use crate::{catalogue::Endpoint, sim::job::Job};

/// Every endpoint's rules, family by family.
const FAMILIES: [&[EndpointRules]; 4] = [
    wan21::ENDPOINTS,
    wan26::ENDPOINTS,
    wan27::ENDPOINTS,
    kling30::ENDPOINTS,
];

fn rules_of(endpoint: Endpoint) -> &'static EndpointRules {
    FAMILIES
        .iter()
        .flat_map(|family| family.iter())
        .find(|rules| rules.endpoint == endpoint)
        .expect("every endpoint has rules (a unit test checks it)")
}

/// Parses and checks a request body for `endpoint`: its table, then the job it asks for.
/// `extra.webhook` is read for every endpoint: only the Wan 2.1 pages list it, the spec
/// accepts it everywhere (marked x-inferred there), and so does the mock, which delivers it.
pub fn parse(endpoint: Endpoint, body: &Json<'_>) -> Checked<Job> {
    let fields = Fields::root(body)?;
    let rules = rules_of(endpoint);
    table::check(&fields, rules.body)?;
    let mut job = (rules.job)(&fields)?;
    job.webhook = extra::webhook(&fields)?.map(Box::new);
    Ok(job)
}

/// The field of `endpoint` that takes a video held to limits (Kling 3.0 motion control's
/// `video`), and those limits.
pub fn video_limits(endpoint: Endpoint) -> Option<(&'static str, &'static VideoLimits)> {
    rules_of(endpoint)
        .body
        .iter()
        .find_map(|field| match field.rule {
            table::Rule::Video(limits) => Some((field.name, limits)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_has_rules_once() {
        for endpoint in Endpoint::ALL {
            let count = FAMILIES
                .iter()
                .flat_map(|family| family.iter())
                .filter(|rules| rules.endpoint == endpoint)
                .count();
            assert_eq!(count, 1, "{endpoint:?}");
        }
    }
}
