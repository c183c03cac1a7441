//! Task ids.

/// A task's id: a random UUID, shown in its canonical lowercase hyphenated form. Held as 16
/// bytes (no allocation per task); ids in any other spelling are ids of no task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskId(uuid::Uuid);

impl TaskId {
    pub(crate) fn random() -> Self {
        TaskId(uuid::Uuid::new_v4())
    }

    /// The id `text` spells, if it is in the canonical form this mock hands out.
    pub fn parse(text: &str) -> Option<TaskId> {
        let canonical = text.len() == 36
            && text
                .bytes()
                .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        canonical
            .then(|| uuid::Uuid::try_parse(text).ok())
            .flatten()
            .map(TaskId)
    }

    /// The canonical text, written into `buffer`.
    pub fn encode(self, buffer: &mut [u8; 36]) -> &str {
        self.0.hyphenated().encode_lower(buffer)
    }

    /// The id as a UUID (what the event stream carries).
    pub fn uuid(self) -> uuid::Uuid {
        self.0
    }

    /// 64 well-mixed bits (v4 UUIDs are random), for sharding and hashing.
    pub fn bits(self) -> u64 {
        let value = self.0.as_u128();
        (value as u64) ^ ((value >> 64) as u64)
    }
}

/// Saved as its canonical text (the state file).
impl serde::Serialize for TaskId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.encode(&mut [0; 36]))
    }
}

impl<'de> serde::Deserialize<'de> for TaskId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        TaskId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a task id")))
    }
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}
