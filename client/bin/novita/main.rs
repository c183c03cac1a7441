//! `novita`: submit Novita video jobs, wait for them and download the result from a terminal.
//!
//! - `args.rs`: global flags, following a task, the task commands (clap derive);
//! - `submit_command.rs` and `fields.rs`: `novita submit OPERATION` and the shorthands the
//!   spec names (`novita t2v`), built from the spec; `local_files.rs`: local media files;
//! - `follow.rs`: waiting with progress, and downloading;
//! - `endpoints/`: `novita endpoints`, the spec's operations and their documented status,
//!   and `--probe`, which asks the service about each with a body that cannot create a task;
//! - `output.rs`: what goes to stdout; `printable.rs`: server text made safe to print;
//!   `exit.rs`: exit codes.

mod args;
mod endpoints;
mod exit;
mod fields;
mod follow;
mod local_files;
mod output;
mod printable;
mod submit_command;

use std::{process::ExitCode, time::Duration};

use clap::{CommandFactory, FromArgMatches};
use novita_video::{ClientBuilder, NovitaClient, SubmitOperation};

use args::{Cli, Command, Global};
use exit::Failure;
use output::Output;

#[tokio::main]
async fn main() -> ExitCode {
    let json = wants_json(std::env::args_os().skip(1));
    let matches = Cli::command()
        .subcommand(submit_command::command())
        .subcommands(submit_command::shorthands())
        .try_get_matches();
    let outcome = match matches {
        Ok(matches) => run(&matches).await,
        Err(error) if json && asks_for_text(&error) => {
            // With --json, stdout is one JSON document whatever was asked, help included.
            let (member, text) = match error.kind() {
                clap::error::ErrorKind::DisplayVersion => ("version", error.render().to_string()),
                _ => ("help", error.render().to_string()),
            };
            println!("{}", serde_json::json!({ member: text.trim_end() }));
            return ExitCode::SUCCESS;
        }
        Err(error) => Err(command_line(error, json)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if json && !failure.json_printed {
                println!("{}", failure.json());
            }
            eprintln!("novita: {}", printable::printable(&failure.message));
            ExitCode::from(failure.code)
        }
    }
}

/// Whether `--json` is among the arguments, read before clap so that a command line clap
/// refuses still gets its JSON document.
fn wants_json(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    args.take_while(|arg| arg != "--")
        .any(|arg| arg == "--json")
}

/// Whether clap stopped to show help or the version rather than refuse the command line.
fn asks_for_text(error: &clap::Error) -> bool {
    use clap::error::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    )
}

/// A command line clap refused, as a usage failure (exit 2). Help and version, and any refusal
/// without `--json`, are printed by clap as it prints them, and the process ends there.
fn command_line(error: clap::Error, json: bool) -> Failure {
    if !json || asks_for_text(&error) {
        error.exit();
    }
    // clap's message up to its usage lines, on one line.
    let text = error.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect();
    Failure::usage(message.join(" ").trim_start_matches("error: "))
}

/// A client builder with the global flags. Each `Retry-After` waited for is one line on
/// stderr.
fn builder(global: &Global) -> ClientBuilder {
    let mut builder = NovitaClient::builder()
        .max_retry_after(Duration::from_secs(global.max_retry_after))
        .on_retry(|notice| {
            if let Some(asked) = notice.retry_after {
                eprintln!(
                    "novita: Novita asked to retry after {} s; waiting {} s",
                    asked.as_secs_f64(),
                    notice.wait.as_secs_f64()
                );
            }
        });
    if let Some(key) = &global.api_key {
        builder = builder.api_key(key);
    }
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    builder
}

/// The client of the global flags; `download_idle` bounds a video download's silence.
fn client(global: &Global, download_idle: Option<Duration>) -> Result<NovitaClient, Failure> {
    let mut builder = builder(global);
    if let Some(idle) = download_idle {
        builder = builder.download_idle_timeout(idle);
    }
    Ok(builder.build()?)
}

async fn run(matches: &clap::ArgMatches) -> Result<(), Failure> {
    let usage = |e: clap::Error| Failure::usage(e.to_string());
    match matches.subcommand() {
        Some(("submit", submit)) => {
            let global = Global::from_arg_matches(matches).map_err(usage)?;
            let out = Output { json: global.json };
            return submit_command::run(&client(&global, None)?, &out, submit).await;
        }
        Some((name, shorthand)) => {
            if let Some(operation) = SubmitOperation::find_shorthand(name) {
                let global = Global::from_arg_matches(matches).map_err(usage)?;
                let out = Output { json: global.json };
                let client = client(&global, None)?;
                return submit_command::run_operation(&client, &out, operation, shorthand).await;
            }
        }
        None => {}
    }
    let cli = Cli::from_arg_matches(matches).map_err(usage)?;
    let out = Output {
        json: cli.global.json,
    };
    match cli.command {
        Command::Endpoints { probe, timeout } => {
            // Listing needs no key; probing sends with the key, base URL and this timeout.
            let client = match probe {
                true => Some(
                    builder(&cli.global)
                        .timeout(Duration::from_secs(timeout))
                        .build()?,
                ),
                false => None,
            };
            endpoints::run(client.as_ref(), cli.global.api_key.as_deref(), &out).await
        }
        Command::Result { task_id, timeout } => {
            let client = client(&cli.global, None)?;
            let result = follow::result_within(&client, &task_id, timeout).await?;
            out.result(&result);
            Ok(())
        }
        Command::Wait {
            task_id,
            out: file,
            timeout,
        } => {
            let client = client(&cli.global, None)?;
            let result = follow::wait(&client, &out, &task_id, timeout).await?;
            follow::finish(&client, &out, &result, file.as_deref()).await
        }
        Command::Download {
            task_id,
            out: file,
            timeout,
        } => {
            let client = client(&cli.global, Some(Duration::from_secs(timeout)))?;
            let result = follow::result_within(&client, &task_id, timeout).await?;
            follow::finish(&client, &out, &result, Some(&file)).await
        }
    }
}
