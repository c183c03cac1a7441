//! `novita endpoints [--probe]`: every submit operation of the spec with its documented status
//! (live, retired, unverified), and with `--probe` what the service at the base URL says of it.
//!
//! # The probe body
//!
//! A probe must never be able to create a task, so it sends a body the spec itself says is
//! invalid: the empty object `{}`, which leaves out every required field at once. It is sent
//! only to an operation whose request schema requires something of every body: a non-empty
//! top-level `required`, or a `oneOf`/`anyOf` each branch of which has a non-empty `required`
//! (Wan 2.7 image-to-video: exactly one of `image_url` and `first_clip_url`). And the client's
//! own check of the spec must refuse `{}` as well. Any other operation is not probed, and the
//! output says why: with no required field, any body could create a task.
//!
//! The body goes through [`NovitaClient::probe`], which skips the check on purpose (the normal
//! submit path would refuse `{}` before sending), once and never retried, with the client's key,
//! base URL and `--timeout`. Text from the service is shown sanitised: no control or invisible
//! formatting characters, at most 200 characters, and the API key replaced should it be echoed.

mod documented;
mod listing;
mod probe;
mod shown;
mod verdict;

use serde_json::Value;

use novita_video::{NovitaClient, SubmitOperation};

use crate::{exit::Failure, output::Output};
use documented::Documented;
use listing::{table, Row};
use probe::probe;
use verdict::Verdict;

/// What `novita endpoints --help` says of the statuses, the probe and its verdicts.
pub const VERDICTS: &str = "\
Status, from the spec: `live`; `retired DATE (replacement: X)` (x-retired-on, and
x-replacement-operation or else x-replaced-by); `unverified since DATE`
(x-status-unverified-since: the pages leave open whether Novita still serves it). A mark
such as [1] after a status points to where it comes from (x-status-source: Novita's
changelog, or who read it so), listed under the table; in --json, `status_source`.

--probe POSTs {} to each operation whose schema requires a field (a top-level `required`, or
one in every branch of a oneOf/anyOf): the spec says the service refuses it, so no task can
be created. Each probe is sent once, never retried. Verdicts:
  served        400 with Novita's error body (INVALID_REQUEST_BODY, or naming a field):
                the service read the body, so it serves the operation
  not found     404 (with Novita's reason when the body is Novita's: MODEL_RETIRED,
                API_NOT_FOUND, ...): the service does not serve it
  key refused   401 or 403: the key was refused; the probe is inconclusive
  ANSWERED 2xx  the service took {}: a task may have been created (should never happen)
  HTTP N: ...   any other answer (5xx, a proxy's HTML page), its first 200 characters
  no answer     nothing came back within --timeout
  not probed    the spec gives no required field, so any body could create a task

Exit 0 when every probed operation answered as its status predicts (live and unverified:
served; retired: served or not found), otherwise 8. A host that cannot be reached stops the
probe at once with exit 6.";

/// Runs `novita endpoints`: lists, and with a client (`--probe`) probes, every operation.
pub async fn run(
    client: Option<&NovitaClient>,
    key: Option<&str>,
    out: &Output,
) -> Result<(), Failure> {
    let mut rows = Vec::new();
    for operation in SubmitOperation::all() {
        let probe = match client {
            Some(client) => Some(probe(client, operation).await?),
            None => None,
        };
        let row = Row {
            operation,
            documented: Documented::of(operation),
            probe,
        };
        if matches!(row.probe, Some(Verdict::Answered2xx { .. })) {
            eprintln!(
                "novita: WARNING: {} ANSWERED 2xx to {{}}: a task may have been created; look for it before probing again",
                operation.command()
            );
        }
        rows.push(row);
    }
    if out.json {
        let rows: Vec<Value> = rows.iter().map(|row| row.json(key)).collect();
        println!("{}", Value::Array(rows));
    } else {
        print!("{}", table(&rows, key));
    }
    if client.is_none() {
        return Ok(());
    }
    let probed = rows.iter().filter(|row| row.agrees().is_some()).count();
    let disagreeing: Vec<String> = rows
        .iter()
        .filter(|row| row.agrees() == Some(false))
        .map(|row| row.operation.command().to_string())
        .collect();
    let not_probed = rows.len() - probed;
    let mut summary = format!(
        "probed {probed} of {} operations: {} answered as documented",
        rows.len(),
        probed - disagreeing.len()
    );
    if !disagreeing.is_empty() {
        summary.push_str(&format!(
            ", {} did not ({})",
            disagreeing.len(),
            disagreeing.join(", ")
        ));
    }
    if not_probed > 0 {
        summary.push_str(&format!("; {not_probed} not probed"));
    }
    if !out.json {
        println!("{summary}");
    }
    if disagreeing.is_empty() {
        return Ok(());
    }
    Err(Failure::probe_mismatch(summary, out.json))
}
