//! Where a task stands at one instant, and the status names Novita gives each stage. Below
//! both the simulated lifecycle (`tasks`) and the recorded one (`replay`), which compute it.

use std::time::Duration;

use crate::sim::clock::MockTime;

pub const QUEUED: &str = "TASK_STATUS_QUEUED";
pub const PROCESSING: &str = "TASK_STATUS_PROCESSING";
pub const SUCCEED: &str = "TASK_STATUS_SUCCEED";
pub const FAILED: &str = "TASK_STATUS_FAILED";

/// Where a task stands at one instant.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Queued {
        eta: Duration,
    },
    Processing {
        progress: u32,
        eta: Duration,
    },
    Succeeded {
        at: MockTime,
    },
    Failed {
        reason: String,
        progress: u32,
        at: MockTime,
    },
}

impl Phase {
    pub fn status(&self) -> &'static str {
        match self {
            Phase::Queued { .. } => QUEUED,
            Phase::Processing { .. } => PROCESSING,
            Phase::Succeeded { .. } => SUCCEED,
            Phase::Failed { .. } => FAILED,
        }
    }

    pub fn ended_at(&self) -> Option<MockTime> {
        match self {
            Phase::Succeeded { at } | Phase::Failed { at, .. } => Some(*at),
            _ => None,
        }
    }
}

/// A status name in one byte, for what a task keeps of the status it last told (the default:
/// none told yet).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeenStatus(u8);

impl SeenStatus {
    /// `status`, one of the four names above.
    pub fn of(status: &str) -> SeenStatus {
        let index = [QUEUED, PROCESSING, SUCCEED, FAILED]
            .iter()
            .position(|s| *s == status);
        SeenStatus(index.map_or(0, |i| i as u8 + 1))
    }
}
