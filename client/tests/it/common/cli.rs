//! Runs the `novita` binary (feature `cli`) and keeps what it printed.

use tokio::process::Command;
use wiremock::MockServer;

/// The key the CLI tests give `novita` in `NOVITA_API_KEY`.
pub const CLI_KEY: &str = "cli-key";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub async fn novita(server: &MockServer, args: &[&str]) -> Run {
    novita_at(&server.uri(), args).await
}

pub async fn novita_at(base_url: &str, args: &[&str]) -> Run {
    novita_with(Some(base_url), Some(CLI_KEY), args).await
}

/// `novita ARGS` with `NOVITA_BASE_URL` and `NOVITA_API_KEY` set as given, or unset.
pub async fn novita_with(base_url: Option<&str>, key: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_novita"));
    command.args(args);
    for (name, value) in [("NOVITA_BASE_URL", base_url), ("NOVITA_API_KEY", key)] {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let output = command.output().await.expect("novita runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
