//! After a submission: waiting for the task with a progress display, and downloading its video;
//! reading a result within a deadline.

use std::{path::Path, time::Duration};

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use novita_video::{types::TaskResultResponse, Error, NovitaClient, WaitProgress, WatchOptions};

use crate::{args::Follow, exit::Failure, output::Output};

/// Prints the new task's id, or waits for it (and downloads) when asked to.
pub async fn after_submit(
    client: &NovitaClient,
    out: &Output,
    task_id: &str,
    follow: &Follow,
) -> Result<(), Failure> {
    if !(follow.wait || follow.out.is_some()) {
        out.submitted(task_id);
        return Ok(());
    }
    if !out.json {
        eprintln!("task {} submitted", crate::printable::printable(task_id));
    }
    let result = wait(client, out, task_id, follow.timeout).await?;
    finish(client, out, &result, follow.out.as_deref()).await
}

/// The task's result, giving up after `seconds` (retries included) with [`Error::Timeout`].
pub async fn result_within(
    client: &NovitaClient,
    task_id: &str,
    seconds: u64,
) -> Result<TaskResultResponse, Failure> {
    let limit = Duration::from_secs(seconds);
    match tokio::time::timeout(limit, client.task_result(task_id)).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(Error::Timeout {
            what: "reading the task result (--timeout)".into(),
            limit,
            task_id: Some(task_id.to_string()),
        }
        .into()),
    }
}

fn bar(template: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// Waits for the task: a bar at a terminal, one line per change otherwise, nothing with --json.
pub async fn wait(
    client: &NovitaClient,
    out: &Output,
    task_id: &str,
    timeout_seconds: u64,
) -> Result<TaskResultResponse, Failure> {
    let bar = out.interactive().then(|| {
        let bar = bar("{spinner} {msg:<24} [{bar:30}] {pos:>3}%  eta {prefix}");
        bar.set_length(100);
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    // A person watching a bar wants it to move: poll at least every 2 s then. Scripts keep the
    // default pacing, which follows the task's eta.
    let mut options = WatchOptions::default().timeout(Duration::from_secs(timeout_seconds));
    if bar.is_some() {
        options = options.interval(options.min_interval, Duration::from_secs(2));
    }
    let mut updates = std::pin::pin!(client.watch(task_id, options));
    let mut last_line = String::new();
    let outcome = loop {
        let update = match updates.next().await {
            Some(Ok(update)) => update,
            Some(Err(error)) => break Err(error),
            // A watch ends with the ended task or an error; this is only a guard.
            None => {
                break Err(Error::NotFinished {
                    task_id: task_id.to_string(),
                    status: None,
                })
            }
        };
        show(&update.progress, bar.as_ref(), out.json, &mut last_line);
        if update.is_terminal() {
            break update.into_result();
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // A failed task's result goes in the one error document of `--json`.
    Ok(outcome?)
}

/// Shows one update: on the bar, or as a line when it differs from the last one.
fn show(p: &WaitProgress, bar: Option<&ProgressBar>, json: bool, last_line: &mut String) {
    let status = p.status.as_ref().map(|s| s.to_string()).unwrap_or_default();
    let percent = p.progress_percent.unwrap_or(0.0).clamp(0.0, 100.0) as u64;
    let eta = p
        .eta
        .map(|e| format!("{:.0}s", e.as_secs_f64().ceil()))
        .unwrap_or_else(|| "?".into());
    match bar {
        Some(bar) => {
            bar.set_message(crate::printable::printable(
                status.trim_start_matches("TASK_STATUS_"),
            ));
            bar.set_position(percent);
            bar.set_prefix(eta);
        }
        None if !json => {
            let line = format!("{} {status} {percent}% eta {eta}", p.task_id);
            if line != *last_line {
                eprintln!("{}", crate::printable::printable(&line));
                *last_line = line;
            }
        }
        None => {}
    }
}

/// Prints the result, or downloads its video to `file` with a byte counter at a terminal.
pub async fn finish(
    client: &NovitaClient,
    out: &Output,
    result: &TaskResultResponse,
    file: Option<&Path>,
) -> Result<(), Failure> {
    let Some(file) = file else {
        out.result(result);
        return Ok(());
    };
    let bar = out.interactive().then(|| {
        let bar = bar("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}");
        bar.set_message("downloading");
        bar
    });
    let progress = |done, total| {
        if let Some(bar) = &bar {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    };
    // `--out -`: the video itself is the output, so nothing else goes to stdout, not even the
    // error document of `--json`.
    if file.as_os_str() == "-" {
        let stdout_is_the_video = |failure: Failure| Failure {
            json_printed: true,
            ..failure
        };
        let mut stdout = tokio::io::stdout();
        client
            .download_video_into(result, &mut stdout, progress)
            .await
            .map_err(|e| stdout_is_the_video(e.into()))?;
        tokio::io::AsyncWriteExt::flush(&mut stdout)
            .await
            .map_err(|e| {
                stdout_is_the_video(Failure::local_file(format!(
                    "writing the video to stdout: {e}"
                )))
            })?;
        return Ok(());
    }
    // Ctrl-C drops the download, and with it its partial file: nothing is left behind.
    let written = tokio::select! {
        written = client.download_video(result, file, progress) => written?,
        _ = tokio::signal::ctrl_c() => {
            return Err(Failure::local_file(format!(
                "interrupted: nothing was written to {}",
                file.display()
            )))
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out.downloaded(result, file, written);
    Ok(())
}
