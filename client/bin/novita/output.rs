//! What goes to stdout: one JSON document per command with `--json`, short text otherwise.

use std::path::Path;

use novita_video::types::TaskResultResponse;

use crate::printable::printable;

pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn submitted(&self, task_id: &str) {
        if self.json {
            println!("{}", serde_json::json!({ "task_id": task_id }));
        } else {
            println!("{}", printable(task_id));
        }
    }

    pub fn result(&self, result: &TaskResultResponse) {
        if self.json {
            println!("{}", serde_json::to_string(result).unwrap_or_default());
            return;
        }
        let task = result.task.clone().unwrap_or_default();
        let line = format!(
            "{} {} {}%{}",
            task.task_id.unwrap_or_default(),
            task.status.map(|s| s.to_string()).unwrap_or_default(),
            task.progress_percent
                .as_ref()
                .and_then(novita_video::LooseNumber::as_f64)
                .unwrap_or(0.0),
            task.reason
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
        println!("{}", printable(&line));
        for video in &result.videos {
            println!(
                "{}",
                printable(video.video_url.as_deref().unwrap_or_default())
            );
        }
    }

    pub fn downloaded(&self, result: &TaskResultResponse, file: &Path, written: u64) {
        if self.json {
            let mut value = serde_json::to_value(result).unwrap_or_default();
            value["downloaded"] =
                serde_json::json!({"path": file.display().to_string(), "bytes": written});
            println!("{value}");
        } else {
            println!("{} ({written} bytes)", file.display());
        }
    }

    /// A person at a terminal (not `--json`): progress bars instead of lines.
    pub fn interactive(&self) -> bool {
        use std::io::IsTerminal;
        std::io::stderr().is_terminal() && !self.json
    }
}
