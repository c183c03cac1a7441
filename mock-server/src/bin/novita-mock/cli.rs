//! The command line of `novita-mock`: its flags, the environment variable of each, and the one
//! line a bad flag or variable gets before anything starts.

use std::{ffi::OsString, net::SocketAddr, path::PathBuf};

use clap::{
    builder::{PossibleValuesParser, TypedValueParser},
    error::{ContextKind, ContextValue, ErrorKind},
    parser::ValueSource,
    ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum,
};
use novita_mock::{Config, Retired};

/// The prefix of every variable: `--max-tasks` is `NOVITA_MOCK_MAX_TASKS`.
const ENV_PREFIX: &str = "NOVITA_MOCK_";

/// The variable that sets the flag `--long`.
pub fn env_name(long: &str) -> String {
    format!("{ENV_PREFIX}{}", long.to_uppercase().replace('-', "_"))
}

/// On/off flags read from the environment: a word that is neither is an error, not "on".
fn strict_bool() -> impl TypedValueParser<Value = bool> {
    PossibleValuesParser::new(["true", "false", "1", "0", "yes", "no", "on", "off"])
        .map(|word| matches!(word.as_str(), "true" | "1" | "yes" | "on"))
}

/// A stand-in for Novita AI's video API (Wan, Kling 3.0), for QA on a laptop, in CI or in a
/// container.
///
/// Every flag can also be set by an environment variable: NOVITA_MOCK_ and the flag in capitals,
/// `-` written `_` (shown in brackets below). A scenario file (YAML or JSON) sets the same
/// options plus outcomes queued at start; flags and variables win over the file.
#[derive(Parser, Debug)]
#[command(
    name = "novita-mock",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub serve: Args,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Ask a running mock's /health: exit 0 when it answers ok, 1 otherwise. Needs no shell
    /// or curl, for a container's HEALTHCHECK.
    Health {
        /// The mock's address; an unspecified one (0.0.0.0) is asked on loopback.
        #[arg(long, env = "NOVITA_MOCK_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 2)]
        timeout: u64,
    },
    /// Fire a test-mode ASYNC_TASK_RESULT event at a webhook receiver, with Novita's timeout
    /// and retries, and print every attempt.
    SendWebhook {
        /// The receiver's URL.
        url: String,
        /// Which simulated event to send.
        #[arg(long, value_enum, default_value_t = EventStatus::Succeed)]
        status: EventStatus,
        /// Retries after a failed attempt.
        #[arg(long, default_value_t = 5)]
        retries: u32,
        /// Divides the waits between retries (1 s, 2 s, 4 s, ...).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum EventStatus {
    Succeed,
    Failed,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "NOVITA_MOCK_ADDR")]
    addr: Option<SocketAddr>,
    /// Divides every simulated duration: 10 makes jobs ten times faster.
    #[arg(long, env = "NOVITA_MOCK_SPEED")]
    speed: Option<f64>,
    /// Accept only this API key (repeatable). Without it, any non-empty key is accepted.
    #[arg(long = "api-key", env = "NOVITA_MOCK_API_KEY", value_delimiter = ',')]
    api_keys: Vec<String>,
    /// Base of the video URLs in results, an http or https URL (default:
    /// http://<listening address>).
    #[arg(long, env = "NOVITA_MOCK_PUBLIC_URL")]
    public_url: Option<String>,
    /// Requests per minute allowed per submit endpoint and key (Novita: 20); off by default.
    #[arg(long, env = "NOVITA_MOCK_RATE_LIMIT")]
    rate_limit: Option<u32>,
    /// Lifetime of video links in seconds, also their Cache-Control max-age (default 3600,
    /// from 1 to 31536000).
    #[arg(long, env = "NOVITA_MOCK_VIDEO_TTL")]
    video_ttl: Option<u64>,
    /// Answer with the vendor documentation's example bodies.
    #[arg(long, env = "NOVITA_MOCK_DOCS_REPLAY", value_parser = strict_bool())]
    docs_replay: bool,
    /// Scenario file (YAML, or JSON by its .json extension).
    #[arg(long, env = "NOVITA_MOCK_SCENARIO")]
    scenario: Option<PathBuf>,
    /// Start with the mock clock paused (POST /_mock/clock/resume or /advance moves it).
    #[arg(long, env = "NOVITA_MOCK_PAUSED", value_parser = strict_bool())]
    paused: bool,
    /// Tasks kept; past it the oldest go, finished ones first (default 100000).
    #[arg(long, env = "NOVITA_MOCK_MAX_TASKS")]
    max_tasks: Option<usize>,
    /// MiB that kept tasks may hold (request bodies, ids, URLs); past it the oldest go (default 64).
    #[arg(long, env = "NOVITA_MOCK_MAX_TASK_MEMORY_MB")]
    max_task_memory_mb: Option<usize>,
    /// Drop finished tasks this many simulated seconds after they end (default: keep; from 1
    /// to 31536000).
    #[arg(long = "task-retention", env = "NOVITA_MOCK_TASK_RETENTION")]
    task_retention_seconds: Option<u64>,
    /// Requests kept in the journal (default 10000).
    #[arg(long, env = "NOVITA_MOCK_JOURNAL_LIMIT")]
    journal_limit: Option<usize>,
    /// MiB of rendered videos kept in memory (default 64).
    #[arg(long, env = "NOVITA_MOCK_VIDEO_CACHE_MB")]
    video_cache_mb: Option<usize>,
    /// Token the control API (/_mock/...) requires in X-Mock-Token. Made up at start when the
    /// mock listens beyond loopback without one.
    #[arg(long, env = "NOVITA_MOCK_CONTROL_TOKEN")]
    control_token: Option<String>,
    /// Let webhooks and image fetches reach link-local and unspecified addresses (refused by
    /// default: cloud metadata services live there).
    #[arg(long, env = "NOVITA_MOCK_ALLOW_LINK_LOCAL_WEBHOOKS", value_parser = strict_bool())]
    allow_link_local_webhooks: bool,
    /// Endpoints of models Novita has retired (wan-t2v, wan-i2v, wan2.6-i2v): `serve` them as
    /// before (default), or `reject` them with 404 MODEL_RETIRED.
    #[arg(long, value_enum, env = "NOVITA_MOCK_RETIRED")]
    retired: Option<Retired>,
    /// Replay a cassette recorded by novita-proxy: new tasks of its endpoints follow the
    /// recorded ones (statuses, progress, reasons, timing divided by --speed).
    #[arg(long, env = "NOVITA_MOCK_REPLAY")]
    replay: Option<PathBuf>,
    /// Seconds a client has to send a request's headers before its connection is closed
    /// (default 10).
    #[arg(long = "header-read-timeout", env = "NOVITA_MOCK_HEADER_READ_TIMEOUT")]
    header_read_timeout_seconds: Option<u64>,
    /// Seconds a kept-alive connection may stay idle between requests (default 60).
    #[arg(long = "idle-timeout", env = "NOVITA_MOCK_IDLE_TIMEOUT")]
    idle_timeout_seconds: Option<u64>,
    /// Seconds a stopping mock gives requests still running, then webhook attempts already
    /// due (default 5, at most 600).
    #[arg(long = "shutdown-grace", env = "NOVITA_MOCK_SHUTDOWN_GRACE")]
    shutdown_grace_seconds: Option<u64>,
    /// Save tasks, clock, pending webhooks and counters here on shutdown, and read them back
    /// at start (default: the state is in memory only).
    #[arg(long, env = "NOVITA_MOCK_STATE")]
    state: Option<PathBuf>,
}

impl Args {
    /// The settings: the scenario file's, then the flags and variables over them. An error
    /// names the flag or variable (from `sources`) that brought the bad value.
    pub fn into_config(self, sources: &Sources) -> Result<Config, String> {
        let mut config = match &self.scenario {
            Some(path) => Config::from_file(path)
                .map_err(|e| format!("{}: {e}", sources.named("scenario")))?,
            None => Config::default(),
        };
        if let Some(addr) = self.addr {
            config.addr = addr;
        }
        if let Some(speed) = self.speed {
            config.speed = speed;
        }
        if !self.api_keys.is_empty() {
            config.api_keys = self.api_keys;
        }
        if self.public_url.is_some() {
            config.public_url = self.public_url;
        }
        if self.rate_limit.is_some() {
            config.rate_limit = self.rate_limit;
        }
        if let Some(ttl) = self.video_ttl {
            config.video_ttl_seconds = ttl;
        }
        config.docs_replay |= self.docs_replay;
        config.paused |= self.paused;
        config.allow_link_local_webhooks |= self.allow_link_local_webhooks;
        if let Some(max) = self.max_tasks {
            config.max_tasks = max;
        }
        if let Some(mb) = self.max_task_memory_mb {
            config.max_task_memory_mb = mb;
        }
        if self.task_retention_seconds.is_some() {
            config.task_retention_seconds = self.task_retention_seconds;
        }
        if let Some(limit) = self.journal_limit {
            config.journal_limit = limit;
        }
        if let Some(mb) = self.video_cache_mb {
            config.video_cache_mb = mb;
        }
        if self.control_token.is_some() {
            config.control_token = self.control_token;
        }
        if let Some(retired) = self.retired {
            config.retired = retired;
        }
        if self.replay.is_some() {
            config.replay = self.replay;
        }
        if let Some(seconds) = self.header_read_timeout_seconds {
            config.header_read_timeout_seconds = seconds;
        }
        if let Some(seconds) = self.idle_timeout_seconds {
            config.idle_timeout_seconds = seconds;
        }
        if let Some(seconds) = self.shutdown_grace_seconds {
            config.shutdown_grace_seconds = seconds;
        }
        if self.state.is_some() {
            config.state = self.state;
        }
        config.validate().map_err(|e| sources.name_variables(&e))?;
        Ok(config)
    }
}

/// Why the command line or the environment cannot start the mock: printed as it is, then exit 2
/// (or 0 for `--help` and `--version`).
pub enum Refusal {
    /// Clap's own text: usage errors on the command line, help, version.
    Clap(clap::Error),
    /// One line naming the variable or flag.
    Line(String),
}

/// Parses `args` (the process's arguments) and the process's environment.
pub fn parse(args: Vec<OsString>) -> Result<(Cli, Sources), Refusal> {
    let command = Cli::command();
    for arg in command.get_arguments() {
        let Some(variable) = arg.get_env().and_then(|v| v.to_str()) else {
            continue;
        };
        if std::env::var_os(variable).is_some_and(|value| value.is_empty()) {
            return Err(Refusal::Line(format!(
                "{variable} is set but empty: give it a value or unset it"
            )));
        }
    }
    let matches = command
        .try_get_matches_from(&args)
        .map_err(|e| explain(e, &args))?;
    let cli = Cli::from_arg_matches(&matches).map_err(Refusal::Clap)?;
    Ok((cli, Sources::of(&matches)))
}

/// A clap error about a value, rewritten as one line naming the flag, or the variable it came
/// from, with the values it may take; any other error stays clap's.
fn explain(error: clap::Error, args: &[OsString]) -> Refusal {
    if !matches!(
        error.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return Refusal::Clap(error);
    }
    let Some(ContextValue::String(shown)) = error.get(ContextKind::InvalidArg) else {
        return Refusal::Clap(error);
    };
    // "--speed <SPEED>" names the flag `speed`.
    let long = shown
        .trim_start_matches('-')
        .split([' ', '='])
        .next()
        .unwrap_or_default();
    let flag = format!("--{long}");
    let on_command_line = args.iter().skip(1).any(|arg| {
        arg.to_str()
            .is_some_and(|a| a == flag || a.starts_with(&format!("{flag}=")))
    });
    let rendered = error.render().to_string();
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or_default();
    let mut reason = first.strip_prefix("error: ").unwrap_or(first).to_string();
    if let Some(values) = lines.find_map(|l| l.trim().strip_prefix("[possible values: ")) {
        reason.push_str(&format!(" (possible values: {}", values.replace(']', ")")));
    }
    if on_command_line {
        // Clap's first line names the flag already.
        return Refusal::Line(reason);
    }
    Refusal::Line(format!("{}: {reason}", env_name(long)))
}

/// Which flags took their value from the environment, so that a later error names the
/// variable the user wrote rather than a flag they never typed.
pub struct Sources {
    from_env: Vec<String>,
}

impl Sources {
    fn of(matches: &ArgMatches) -> Self {
        let from_env = Cli::command()
            .get_arguments()
            .filter(|arg| {
                matches.value_source(arg.get_id().as_str()) == Some(ValueSource::EnvVariable)
            })
            .filter_map(|arg| arg.get_long().map(str::to_string))
            .collect();
        Sources { from_env }
    }

    /// `message` with each `--flag` set from a variable written as that variable.
    fn name_variables(&self, message: &str) -> String {
        let mut message = message.to_string();
        for long in &self.from_env {
            message = message.replace(&format!("(--{long})"), &format!("({})", env_name(long)));
        }
        message
    }

    /// How the user set `--long`: the flag, or its variable.
    pub fn named(&self, long: &str) -> String {
        if self.from_env.iter().any(|l| l == long) {
            env_name(long)
        } else {
            format!("--{long}")
        }
    }
}

// What variables do is tested on the binary, with its own environment: tests/it/environment.rs.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_has_its_variable() {
        let command = Cli::command();
        let mut checked = 0;
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let env = arg.get_env().and_then(|e| e.to_str());
            assert_eq!(env, Some(env_name(long).as_str()), "--{long}");
            checked += 1;
        }
        assert!(checked >= 20, "only {checked} flags found");
    }

    #[test]
    fn the_grace_is_described_as_the_readme_does() {
        let readme = include_str!("../../../README.md");
        let row = readme
            .lines()
            .find(|l| l.starts_with("| `--shutdown-grace"))
            .expect("the README's row");
        assert!(row.contains("requests still running, then webhook attempts already due"));
        let command = Cli::command();
        let arg = command
            .get_arguments()
            .find(|a| a.get_long() == Some("shutdown-grace"))
            .unwrap();
        let help = arg.get_help().unwrap().to_string();
        assert!(
            help.contains("requests still running, then webhook attempts already"),
            "{help}"
        );
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
