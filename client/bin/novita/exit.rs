//! Exit codes, and the failure that carries one.
//!
//! 0 success; 2 bad command line or a request that breaks a documented rule (nothing sent);
//! 3 Novita answered with an error (also when it asked for a longer `Retry-After` than
//! `--max-retry-after`); 4 the task failed; 5 gave up waiting (for the task, or
//! for an answer: `--timeout`); 6 network or unexpected answer; 7 the download (an error
//! status, an answer that is not a video) or a local file failed; 8 `novita endpoints --probe`
//! found an operation that did not answer as its documented status predicts (or could not
//! tell: key refused, no answer).

use novita_video::Error;

pub const USAGE: u8 = 2;
pub const API: u8 = 3;
pub const TASK_FAILED: u8 = 4;
pub const WAIT_TIMEOUT: u8 = 5;
pub const NETWORK: u8 = 6;
pub const LOCAL_FILE: u8 = 7;
pub const PROBE_MISMATCH: u8 = 8;

/// A failure with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub message: String,
    /// Stdout holds the command's output already (with `--json`, the listing of `endpoints`;
    /// the video of `--out -`): no error document follows it.
    pub json_printed: bool,
    /// The task the failure is about, when known.
    pub task_id: Option<String>,
    /// The failed task's result, which the error document carries.
    pub result: Option<serde_json::Value>,
}

impl Failure {
    /// A bad command line: exit 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: USAGE,
            message: message.into(),
            json_printed: false,
            task_id: None,
            result: None,
        }
    }

    /// A local file that could not be read or written: exit 7.
    pub fn local_file(message: impl Into<String>) -> Self {
        Failure {
            code: LOCAL_FILE,
            message: message.into(),
            json_printed: false,
            task_id: None,
            result: None,
        }
    }

    /// A host that could not be reached: exit 6.
    pub fn network(message: impl Into<String>) -> Self {
        Failure {
            code: NETWORK,
            message: message.into(),
            json_printed: false,
            task_id: None,
            result: None,
        }
    }

    /// Operations that did not answer a probe as their documented status predicts: exit 8.
    /// `json_printed`: the listing is on stdout already as JSON.
    pub fn probe_mismatch(message: impl Into<String>, json_printed: bool) -> Self {
        Failure {
            code: PROBE_MISMATCH,
            message: message.into(),
            json_printed,
            task_id: None,
            result: None,
        }
    }
}

impl Failure {
    /// The one JSON document `--json` prints on stdout for this failure.
    pub fn json(&self) -> serde_json::Value {
        let mut document = serde_json::json!({"error": self.message, "exit_code": self.code});
        if let Some(task_id) = &self.task_id {
            document["task_id"] = task_id.as_str().into();
        }
        if let Some(result) = &self.result {
            document["result"] = result.clone();
        }
        document
    }
}

/// The exit code of an error.
fn code(error: &Error) -> u8 {
    match error {
        Error::InvalidRequest { .. } | Error::Config(_) => USAGE,
        Error::Api(_) => API,
        Error::TaskFailed { .. } => TASK_FAILED,
        Error::WaitTimeout { .. } | Error::Timeout { .. } | Error::NotFinished { .. } => {
            WAIT_TIMEOUT
        }
        Error::Download { .. }
        | Error::BadVideoLink { .. }
        | Error::NotAVideo { .. }
        | Error::Io { .. }
        | Error::NoVideo { .. } => LOCAL_FILE,
        // The client gave up on the answer that asked for the long wait: that answer's code.
        Error::RetryAfterTooLong { source, .. } => code(source),
        _ => NETWORK,
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let result = match &error {
            Error::TaskFailed { result, .. } => serde_json::to_value(result).ok(),
            _ => None,
        };
        Failure {
            code: code(&error),
            message: error.to_string(),
            json_printed: false,
            task_id: error.task_id().map(str::to_string),
            result,
        }
    }
}
