//! The names of the attributes the mock's spans carry (besides OpenTelemetry's own).

pub const TASK_ID: &str = "novita.task_id";
pub const ENDPOINT: &str = "novita.endpoint";
pub const TASK_STATUS: &str = "novita.task.status";
pub const ATTEMPT: &str = "novita.webhook.attempt";
pub const RESTORED: &str = "novita.task.restored";
