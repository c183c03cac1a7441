//! `novita submit OPERATION [--FIELD VALUE]...`: one command per submit operation of the spec,
//! its flags made from the operation's request schema. A new operation in the spec is a new
//! command here with no code. The shorthands (`novita t2v`) are the same commands under the
//! name the spec gives them (`x-cli-shorthand`).

use std::path::PathBuf;

use clap::{value_parser, Arg, ArgMatches, Args, Command, FromArgMatches};
use novita_video::{NovitaClient, SubmitOperation};
use serde_json::{Map, Value};

use crate::{args::Follow, exit::Failure, fields, follow::after_submit, output::Output};

/// `live`, `retired` with its date, or `unverified since` a date, as the spec marks the
/// operation.
fn status(operation: &SubmitOperation) -> String {
    match (
        operation.deprecated(),
        operation.retired_on(),
        operation.unverified_since(),
    ) {
        (false, _, None) => "live".into(),
        (false, _, Some(since)) => format!("unverified since {since}"),
        (true, Some(date), _) => format!("retired {date}"),
        (true, None, _) => "retired".into(),
    }
}

/// The line printed before sending to an operation whose status the pages leave open.
fn unverified_note(operation: &SubmitOperation) -> Option<String> {
    let since = operation.unverified_since()?;
    let mut note = format!(
        "novita: note: whether Novita still serves {} is unverified since {since}",
        operation.command()
    );
    if let Some(source) = operation.status_source() {
        note.push_str(&format!(" ({source})"));
    }
    note.push_str("; `novita endpoints --probe` asks the service");
    Some(note)
}

pub fn command() -> Command {
    let mut submit = Command::new("submit")
        .about("Submit a task to any operation of the spec, with its fields as flags")
        .subcommand_required(true)
        .subcommand_value_name("OPERATION")
        .subcommand_help_heading("Operations");
    for operation in SubmitOperation::all() {
        submit = submit.subcommand(operation_command(operation));
    }
    submit
}

/// One top-level command per operation the spec gives a shorthand (`t2v`, `i2v`).
pub fn shorthands() -> Vec<Command> {
    SubmitOperation::all()
        .iter()
        .filter_map(|operation| {
            let shorthand = operation.shorthand()?;
            Some(operation_command(operation).name(shorthand).about(format!(
                "Shorthand for `submit {}`: {}",
                operation.command(),
                operation.summary()
            )))
        })
        .collect()
}

fn operation_command(operation: &'static SubmitOperation) -> Command {
    let fields = fields::fields(operation.rules());
    let mut after_help = format!("POST {}", operation.path());
    if !fields.body_only.is_empty() {
        after_help.push_str(&format!(
            "\nOnly in --body (lists of objects and the like): {}",
            fields.body_only.join(", ")
        ));
    }
    // Follow's own doc comment would become the about text: add its flags first.
    Follow::augment_args(Command::new(operation.command()).next_help_heading("Submission"))
        .about(format!("{} [{}]", operation.summary(), status(operation)))
        .after_help(after_help)
        .next_help_heading("Fields (limits from the spec)")
        .args(fields::args(&fields))
        .next_help_heading("Submission")
        .arg(
            Arg::new("body")
                .long("body")
                .value_name("FILE.json")
                .value_parser(value_parser!(PathBuf))
                .help("A JSON body to start from (`-` reads stdin); flags override its fields"),
        )
}

/// Runs `novita submit OPERATION ...` from its matches.
pub async fn run(client: &NovitaClient, out: &Output, matches: &ArgMatches) -> Result<(), Failure> {
    let Some((name, matches)) = matches.subcommand() else {
        return Err(Failure::usage("name an operation: novita submit --help"));
    };
    let operation = SubmitOperation::find(name)
        .ok_or_else(|| Failure::usage(format!("{name} is not an operation of the spec")))?;
    run_operation(client, out, operation, matches).await
}

/// Runs `operation` from the matches of its command (`submit OPERATION`, or its shorthand).
pub async fn run_operation(
    client: &NovitaClient,
    out: &Output,
    operation: &'static SubmitOperation,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let follow = Follow::from_arg_matches(matches).map_err(|e| Failure::usage(e.to_string()))?;
    let fields = fields::fields(operation.rules());
    let mut body = match matches.get_one::<PathBuf>("body") {
        Some(file) => read_body(file)?,
        None => Map::new(),
    };
    fields::fill(&fields, matches, &mut body)?;
    send(client, out, operation, body, &follow).await
}

fn read_body(file: &PathBuf) -> Result<Map<String, Value>, Failure> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|e| Failure::local_file(format!("reading {}: {e}", file.display())))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(body)) => Ok(body),
        Ok(_) => Err(Failure::usage(format!(
            "{}: the body must be a JSON object",
            file.display()
        ))),
        Err(e) => Err(Failure::usage(format!("{}: not JSON: {e}", file.display()))),
    }
}

/// Sends `body` to `operation` (checked first: a broken rule exits 2 with nothing sent), then
/// follows the task as asked.
async fn send(
    client: &NovitaClient,
    out: &Output,
    operation: &'static SubmitOperation,
    mut body: Map<String, Value>,
    follow: &Follow,
) -> Result<(), Failure> {
    if let Some(url) = &follow.webhook {
        const WEBHOOK_URL: &str = "extra.webhook.url";
        if !fields::has_field(operation.rules(), WEBHOOK_URL) {
            return Err(Failure::usage(format!(
                "--webhook: {} has no {WEBHOOK_URL} field in the spec",
                operation.command()
            )));
        }
        fields::set(&mut body, WEBHOOK_URL, Value::from(url.clone()));
    }
    let body = Value::Object(body);
    // Checked (once) before the warning, so that a refused body gets one clear line and no
    // warning.
    let checked = NovitaClient::checked_value(operation, body)?;
    if let Some(notice) = operation.retirement_notice() {
        eprintln!("novita: warning: {notice}");
    }
    if let Some(note) = unverified_note(operation) {
        eprintln!("{note}");
    }
    let task_id = client.submit_checked(checked).await?;
    after_submit(client, out, &task_id, follow).await
}
