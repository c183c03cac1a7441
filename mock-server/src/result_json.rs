//! The task-result body of a poll written straight into bytes: the same text serde_json makes
//! of [`TaskResult`], but with the keys and the fixed values as literals, so that a poll does
//! not escape some thirty constant strings one byte at a time. What a client sent (the
//! request, a webhook's echo) and the failure reason still go through serde_json's escaping.
//! The tests hold this writer to serde_json's text for every phase.

use crate::wire::{TaskResult, VideoView};

/// `result` as JSON, into a buffer of `size_hint` bytes at first.
pub fn to_vec(result: &TaskResult<'_>, size_hint: usize) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size_hint);
    write(&mut out, result)?;
    Ok(out)
}

fn write(out: &mut Vec<u8>, result: &TaskResult<'_>) -> serde_json::Result<()> {
    let task = &result.task;
    out.extend_from_slice(br#"{"task":{"task_id":""#);
    out.extend_from_slice(task.task_id.encode(&mut [0; 36]).as_bytes());
    out.extend_from_slice(br#"","task_type":"#);
    string(out, task.task_type)?;
    out.extend_from_slice(br#","status":"#);
    string(out, task.status)?;
    out.extend_from_slice(br#","reason":"#);
    string(out, &task.reason)?;
    out.extend_from_slice(br#","eta":"#);
    number(out, task.eta);
    out.extend_from_slice(br#","progress_percent":"#);
    number(out, task.progress_percent);

    let extra = &result.extra;
    out.extend_from_slice(br#"},"extra":{"seed":"#);
    text(out, extra.seed);
    out.extend_from_slice(br#","enable_nsfw_detection":"#);
    out.extend_from_slice(if extra.enable_nsfw_detection {
        b"true"
    } else {
        b"false"
    });
    let debug = &extra.debug_info;
    out.extend_from_slice(br#","debug_info":{"request_info":"#);
    string(out, debug.request_info)?;
    out.extend_from_slice(br#","submit_time_ms":"#);
    text(out, debug.submit_time_ms);
    out.extend_from_slice(br#","execute_time_ms":"#);
    text(out, debug.execute_time_ms.unwrap_or(0));
    out.extend_from_slice(br#","complete_time_ms":"#);
    text(out, debug.complete_time_ms.unwrap_or(0));
    out.push(b'}');
    if let Some(webhook) = extra.webhook {
        out.extend_from_slice(br#","webhook":"#);
        serde_json::to_writer(&mut *out, webhook)?;
    }
    out.extend_from_slice(br#"},"images":[],"videos":["#);
    for (index, video) in result.videos.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_video(out, video)?;
    }
    out.extend_from_slice(b"]}");
    Ok(())
}

fn write_video(out: &mut Vec<u8>, video: &VideoView) -> serde_json::Result<()> {
    out.extend_from_slice(br#"{"video_url":"#);
    string(out, &video.video_url)?;
    out.extend_from_slice(br#","video_url_ttl":"#);
    text(out, video.video_url_ttl);
    out.extend_from_slice(br#","video_type":"#);
    string(out, video.video_type)?;
    out.push(b'}');
    Ok(())
}

/// A JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, value: &str) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, value)
}

fn number(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// A whole number as a JSON string, as Novita sends seeds, times and TTLs (digits and a sign
/// need no escaping).
fn text(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.push(b'"');
    number(out, value);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use serde_json::json;

    use super::*;
    use crate::{
        sim::clock::{Clock, MockTime},
        sim::tasks::test_task,
        wire::task_result,
    };

    /// The writer's text and serde_json's, for `task` at `seconds` on a clock at speed 2.
    fn both(task: &crate::sim::tasks::Task, seconds: u64) -> (String, String) {
        let clock = Clock::new(2.0, true);
        let now = MockTime::ZERO + Duration::from_secs(seconds);
        let url = || "http://127.0.0.1:8080/_mock/videos/a \"b\".mp4".to_string();
        let result = task_result(task, now, &clock, url, 3600);
        let fast = String::from_utf8(to_vec(&result, 16).unwrap()).unwrap();
        let serde = serde_json::to_string(&result).unwrap();
        (fast, serde)
    }

    #[test]
    fn the_text_is_serde_jsons_in_every_phase() {
        let plain = test_task(MockTime::ZERO, Duration::from_secs(4), None, None);
        let failing = test_task(
            MockTime::ZERO,
            Duration::from_secs(4),
            Some("a \"quoted\"\nreason \u{1}é"),
            None,
        );
        for seconds in [0, 2, 3, 5, 100] {
            for task in [&plain, &failing] {
                let (fast, serde) = both(task, seconds);
                assert_eq!(fast, serde, "at {seconds} s");
            }
        }
    }

    #[test]
    fn the_request_and_the_webhook_echo_are_escaped_as_serde_json_does() {
        let mut task = test_task(MockTime::ZERO, Duration::from_secs(4), None, None);
        task.request_text = r#"{"prompt":"a \"fox\"\t</script> ✓","seed":-7}"#.into();
        task.seed = -7;
        task.job.webhook = Some(Box::new(crate::sim::job::WebhookRequest {
            url: "http://hook.example/a".into(),
            test_mode: None,
            echo: json!({
                "url": "http://hook.example/a?b=\"c\"",
                "test_mode": {"enabled": false}
            }),
        }));
        let task = Arc::new(task);
        for seconds in [0, 10] {
            let (fast, serde) = both(&task, seconds);
            assert_eq!(fast, serde, "at {seconds} s");
        }
    }
}
