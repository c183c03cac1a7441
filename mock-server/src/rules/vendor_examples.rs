//! The vendor documentation's example bodies, served verbatim by the `docs` scenario.

use crate::catalogue::Endpoint;

/// The submit answer shown on the Wan pages.
pub const SUBMIT: &str = "{\n    \"task_id\": \"{Returned Task ID}\"\n}";

/// The task-result answer shown on the Wan 2.1 pages; the i2v page differs only in its task type.
const RESULT_TEMPLATE: &str = r#"{
    "task": {
        "task_id": "{Returned Task ID}",
        "task_type": "TASK_TYPE",
        "status": "TASK_STATUS_SUCCEED",
        "reason": "",
        "eta": 0,
        "progress_percent": 100
    },
    "images": [],
    "videos": [
        {
            "video_url": "{The URL of the generated video}",
            "video_url_ttl": "3600",
            "video_type": "mp4"
        }
    ]
}"#;

/// The documented result for tasks of `endpoint`. The Wan 2.6/2.7 pages show none; their
/// answer reuses the Wan 2.1 one with this mock's task type.
pub fn result(endpoint: Endpoint) -> String {
    RESULT_TEMPLATE.replace("TASK_TYPE", endpoint.task_type())
}
