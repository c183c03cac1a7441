//! Hand-written types for the response fields Novita is loose about. The generated code uses
//! them in place of the spec's `TaskStatus`, `NumericString` and `LooseNumber` schemas (see
//! `codegen/src/lib.rs`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a task stands. Values this crate does not know are kept in [`TaskStatus::Other`]
/// instead of failing the whole response.
///
/// ```
/// use novita_video::TaskStatus;
/// let status: TaskStatus = serde_json::from_str("\"TASK_STATUS_SUCCEED\"").unwrap();
/// assert!(status.is_terminal());
/// let odd: TaskStatus = serde_json::from_str("\"TASK_STATUS_PAUSED\"").unwrap();
/// assert_eq!(odd.as_str(), "TASK_STATUS_PAUSED");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskStatus {
    Queued,
    Processing,
    Succeed,
    Failed,
    /// Any other value, verbatim (`TASK_STATUS_UNKNOWN`, `TASK_STATUS_CANCELED`, ...).
    Other(String),
}

impl TaskStatus {
    /// The wire form, e.g. `TASK_STATUS_QUEUED`.
    ///
    /// ```
    /// assert_eq!(novita_video::TaskStatus::Queued.as_str(), "TASK_STATUS_QUEUED");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            TaskStatus::Queued => "TASK_STATUS_QUEUED",
            TaskStatus::Processing => "TASK_STATUS_PROCESSING",
            TaskStatus::Succeed => "TASK_STATUS_SUCCEED",
            TaskStatus::Failed => "TASK_STATUS_FAILED",
            TaskStatus::Other(raw) => raw,
        }
    }

    /// True once the task will not change again: succeeded, failed, or canceled (which some
    /// clients have seen although Novita does not document it).
    ///
    /// ```
    /// use novita_video::TaskStatus;
    /// assert!(!TaskStatus::Processing.is_terminal());
    /// assert!(TaskStatus::from("TASK_STATUS_CANCELED").is_terminal());
    /// ```
    pub fn is_terminal(&self) -> bool {
        match self {
            TaskStatus::Succeed | TaskStatus::Failed => true,
            TaskStatus::Other(raw) => {
                matches!(
                    raw.as_str(),
                    "TASK_STATUS_CANCELED" | "TASK_STATUS_CANCELLED"
                )
            }
            TaskStatus::Queued | TaskStatus::Processing => false,
        }
    }
}

impl From<&str> for TaskStatus {
    fn from(raw: &str) -> Self {
        match raw {
            "TASK_STATUS_QUEUED" => TaskStatus::Queued,
            "TASK_STATUS_PROCESSING" => TaskStatus::Processing,
            "TASK_STATUS_SUCCEED" => TaskStatus::Succeed,
            "TASK_STATUS_FAILED" => TaskStatus::Failed,
            other => TaskStatus::Other(other.to_string()),
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TaskStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TaskStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(TaskStatus::from(raw.as_str()))
    }
}

/// A whole number that Novita sends as a string in some places (`"3600"`, `"158881667"`) and as
/// a number in others (`3600`). Both forms are accepted and the original is kept, so a body
/// serializes back the way it came. An empty string (a time not known yet) is kept too.
///
/// ```
/// use novita_video::NumericString;
/// let ttl: NumericString = serde_json::from_str("\"3600\"").unwrap();
/// assert_eq!(ttl.as_u64(), Some(3600));
/// let ttl: NumericString = serde_json::from_str("3600").unwrap();
/// assert_eq!(ttl.as_u64(), Some(3600));
/// let unknown: NumericString = serde_json::from_str("\"\"").unwrap();
/// assert_eq!(unknown.as_i64(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NumericString {
    Text(String),
    Number(serde_json::Number),
}

impl NumericString {
    /// The value as a signed integer, if it is one.
    ///
    /// ```
    /// let seed: novita_video::NumericString = serde_json::from_str("\"-1\"").unwrap();
    /// assert_eq!(seed.as_i64(), Some(-1));
    /// ```
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            NumericString::Text(text) => text.trim().parse().ok(),
            NumericString::Number(number) => number.as_i64().or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.fract() == 0.0)
                    .map(|f| f as i64)
            }),
        }
    }

    /// The value as an unsigned integer, if it is one.
    ///
    /// ```
    /// let seed: novita_video::NumericString = serde_json::from_str("\"-1\"").unwrap();
    /// assert_eq!(seed.as_u64(), None);
    /// ```
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().and_then(|v| u64::try_from(v).ok())
    }
}

impl fmt::Display for NumericString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumericString::Text(text) => f.write_str(text),
            NumericString::Number(number) => write!(f, "{number}"),
        }
    }
}

impl From<i64> for NumericString {
    fn from(value: i64) -> Self {
        NumericString::Text(value.to_string())
    }
}

impl Serialize for NumericString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            NumericString::Text(text) => serializer.serialize_str(text),
            NumericString::Number(number) => number.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for NumericString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Text(String),
            Number(serde_json::Number),
        }
        Ok(match Wire::deserialize(deserializer)? {
            Wire::Text(text) => NumericString::Text(text),
            Wire::Number(number) => NumericString::Number(number),
        })
    }
}

/// A number that only informs, which an answer may carry with the wrong type: a task's `eta`
/// and `progress_percent`. A JSON number is that number, a string that holds one (`"42.5"`) is
/// read as it, and anything else (`"soon"`, `true`, an object) is not known: one odd field
/// does not fail the whole answer. A number serializes as the float it reads as (as the spec's
/// `number` did before), any other value as it came, so that an answer printed back shows what
/// was sent.
///
/// ```
/// use novita_video::LooseNumber;
/// let eta: LooseNumber = serde_json::from_str("12.5").unwrap();
/// assert_eq!(eta.as_f64(), Some(12.5));
/// let eta: LooseNumber = serde_json::from_str("\"12.5\"").unwrap();
/// assert_eq!(eta.as_f64(), Some(12.5));
/// let eta: LooseNumber = serde_json::from_str("\"soon\"").unwrap();
/// assert_eq!(eta.as_f64(), None);
/// assert_eq!(serde_json::to_string(&eta).unwrap(), "\"soon\"");
/// let progress: LooseNumber = serde_json::from_str("100").unwrap();
/// assert_eq!(serde_json::to_string(&progress).unwrap(), "100.0");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LooseNumber(serde_json::Value);

impl LooseNumber {
    /// The value as a finite number, if it is one (or a string that holds one).
    ///
    /// ```
    /// let odd: novita_video::LooseNumber = serde_json::from_str("{\"value\": 1}").unwrap();
    /// assert_eq!(odd.as_f64(), None);
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        let number = match &self.0 {
            serde_json::Value::Number(number) => number.as_f64(),
            serde_json::Value::String(text) => text.trim().parse().ok(),
            _ => None,
        };
        number.filter(|n| n.is_finite())
    }

    /// The value as it came.
    pub fn raw(&self) -> &serde_json::Value {
        &self.0
    }
}

impl From<f64> for LooseNumber {
    /// A number (a NaN or an infinity, which JSON cannot hold, is not known).
    fn from(value: f64) -> Self {
        LooseNumber(serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, Into::into))
    }
}

impl Serialize for LooseNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            serde_json::Value::Number(number) => match number.as_f64() {
                Some(float) => serializer.serialize_f64(float),
                None => number.serialize(serializer),
            },
            other => other.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for LooseNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(LooseNumber)
    }
}
