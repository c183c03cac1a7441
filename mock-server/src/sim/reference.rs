//! A task's reference video given as a URL (Kling 3.0 motion control's `video`): the mock
//! fetches and measures it once while the task runs, as Novita accepts the task and then fails
//! it when the video is out of the page's limits. What the measurement found is kept on the
//! task (and in the state file), so the result never fetches it again.

use serde::{Deserialize, Serialize};

use crate::sim::clock::MockTime;

/// Where the measurement of a task's reference video stands.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// Nothing to measure: no reference URL, or a task of an older mock's state file (whose
    /// result reads its input video at the first download, as it did then).
    #[default]
    None,
    /// Being fetched and measured: the task does not end before it is.
    Pending,
    /// Within the limits: the result takes these sides and this length.
    Fits {
        width: usize,
        height: usize,
        seconds: f64,
        /// When the measurement came in.
        at: MockTime,
    },
    /// Out of the limits, or not fetched or not measurable: the task fails with `reason`
    /// when its work would start, or when the measurement came in (`at`) if that is later.
    Refused { reason: String, at: MockTime },
}

/// A reference as a task keeps it: nothing for the many tasks without one, a box for the few
/// with one (8 bytes a task rather than 48). Saved as the [`Reference`] it holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Reference", into = "Reference")]
pub struct HeldReference(Option<Box<Reference>>);

impl HeldReference {
    pub fn get(&self) -> &Reference {
        const NONE: &Reference = &Reference::None;
        self.0.as_deref().unwrap_or(NONE)
    }

    pub fn set(&mut self, reference: Reference) {
        *self = HeldReference::from(reference);
    }
}

impl From<Reference> for HeldReference {
    fn from(reference: Reference) -> Self {
        HeldReference((reference != Reference::None).then(|| Box::new(reference)))
    }
}

impl From<HeldReference> for Reference {
    fn from(held: HeldReference) -> Self {
        held.0.map_or(Reference::None, |r| *r)
    }
}

/// Longest failure reason a restored task may hold (the mock writes a line).
pub const MAX_REASON_BYTES: usize = 4096;

impl Reference {
    /// The measurement as it came in at `at`: the video's (width, height, seconds), or why
    /// the task fails.
    pub fn measured(verdict: Result<(usize, usize, f64), String>, at: MockTime) -> Reference {
        match verdict {
            Ok((width, height, seconds)) => Reference::Fits {
                width,
                height,
                seconds,
                at,
            },
            Err(reason) => Reference::Refused { reason, at },
        }
    }

    /// When the measurement came in, if it has.
    pub fn at(&self) -> Option<MockTime> {
        match self {
            Reference::Fits { at, .. } | Reference::Refused { at, .. } => Some(*at),
            Reference::None | Reference::Pending => None,
        }
    }

    /// Checks a measurement read back from a state file: a reason of a line, a finite length.
    pub fn check_restored(&self) -> Result<(), String> {
        match self {
            Reference::Refused { reason, .. } if reason.len() > MAX_REASON_BYTES => Err(format!(
                "its reference video's failure reason is over {MAX_REASON_BYTES} bytes"
            )),
            Reference::Fits { seconds, .. } if !seconds.is_finite() || *seconds < 0.0 => {
                Err("its reference video's length is not a number of seconds".to_string())
            }
            _ => Ok(()),
        }
    }
}
