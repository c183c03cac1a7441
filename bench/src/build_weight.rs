//! What the client adds to a downstream build: two small programs that submit a text-to-video
//! job and poll it, one with reqwest + serde + tokio alone, one with `novita-video` (by path),
//! each built clean (`cargo build`, debug, offline, a fresh target directory) one after the
//! other, in alternating order, `BENCH_BUILD_ROUNDS` times (default 2). The ratio of each round
//! is what counts on a shared machine; the goal takes the median round.
//!
//! Both programs resolve against a copy of the workspace's `Cargo.lock`, so they build the same
//! versions as the workspace, offline. `BENCH_ONLY=build-weight target/release/bench` runs just
//! this row.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use serde::Serialize;

/// reqwest as the client has it (JSON, rustls), serde, tokio.
const ALONE_MANIFEST: &str = r#"[package]
name = "alone"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["json", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["macros", "rt-multi-thread", "time"] }
"#;

const ALONE_MAIN: &str = r#"use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Request<'a> {
    prompt: &'a str,
    duration: u32,
}

#[derive(Deserialize)]
struct Submitted {
    task_id: String,
}

#[derive(Deserialize, Debug)]
struct Task {
    status: String,
}

#[derive(Deserialize)]
struct TaskResult {
    task: Task,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::var("NOVITA_BASE_URL").unwrap_or_else(|_| "https://api.novita.ai".into());
    let key = std::env::var("NOVITA_API_KEY")?;
    let http = reqwest::Client::new();
    let submitted: Submitted = http
        .post(format!("{base}/v3/async/kling-v3.0-std-t2v"))
        .bearer_auth(&key)
        .json(&Request { prompt: "A red fox in fresh snow", duration: 5 })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    loop {
        let url = format!("{base}/v3/async/task-result?task_id={}", submitted.task_id);
        let result: TaskResult = http.get(url).bearer_auth(&key).send().await?.json().await?;
        println!("{:?}", result.task);
        if matches!(result.task.status.as_str(), "TASK_STATUS_SUCCEED" | "TASK_STATUS_FAILED") {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}
"#;

/// The client with its default features, as a library user adds it.
const CLIENT_MANIFEST: &str = r#"[package]
name = "with-client"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
novita-video = { path = "WORKSPACE" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
"#;

const CLIENT_MAIN: &str = r#"use novita_video::{
    types::{KlingStdT2vRequest, KlingStdT2vRequestAspectRatio},
    NovitaClient, WaitOptions,
};

#[tokio::main]
async fn main() -> Result<(), novita_video::Error> {
    let client = NovitaClient::from_env()?;
    let request: KlingStdT2vRequest = KlingStdT2vRequest::builder()
        .prompt("A red fox in fresh snow")
        .aspect_ratio(Some(KlingStdT2vRequestAspectRatio::X169))
        .duration(Some(5))
        .try_into()
        .expect("the prompt is set");
    let task_id = client.submit(&request).await?;
    let options = WaitOptions::default().on_progress(|p| eprintln!("{:?}", p.status));
    let result = client.wait(&task_id, options).await?;
    client.download_video(&result, "fox.mp4", |_, _| {}).await?;
    Ok(())
}
"#;

/// The goal: the build with the client takes at most this many times the build without.
pub const GOAL_RATIO: f64 = 1.4;

#[derive(Debug, Serialize)]
pub struct BuildRound {
    pub alone_s: f64,
    pub with_client_s: f64,
    pub ratio: f64,
}

#[derive(Debug, Serialize)]
pub struct BuildWeight {
    pub rounds: Vec<BuildRound>,
    /// The median round's ratio.
    pub ratio: f64,
}

impl BuildWeight {
    pub fn print(&self) {
        println!("\nclean debug build, reqwest + serde + tokio alone vs with novita-video:");
        for (i, round) in self.rounds.iter().enumerate() {
            println!(
                "  round {}: {:.1} s alone, {:.1} s with the client: {:.2}x",
                i + 1,
                round.alone_s,
                round.with_client_s,
                round.ratio
            );
        }
        println!("  median ratio {:.2}x", self.ratio);
    }
}

/// Writes one program's package under `dir`.
fn write_program(dir: &Path, manifest: &str, main: &str, lock: &Path) {
    std::fs::create_dir_all(dir.join("src")).expect("create the program's directory");
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    std::fs::write(dir.join("src/main.rs"), main).expect("write main.rs");
    std::fs::copy(lock, dir.join("Cargo.lock")).expect("copy the workspace's Cargo.lock");
}

/// Seconds of one clean build of the package in `dir`, in its own fresh target directory
/// (removed afterwards: two clean builds are over a gigabyte).
fn clean_build(dir: &Path) -> f64 {
    let target = dir.join("target");
    let _ = std::fs::remove_dir_all(&target);
    let started = Instant::now();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&target);
    if !output.status.success() {
        // cargo's output of a failed build script runs to hundreds of lines: its end says why.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        panic!("the build in {} failed:\n{tail}", dir.display());
    }
    seconds
}

pub fn run() -> BuildWeight {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ sits in the workspace")
        .to_path_buf();
    let root = workspace.join("target/bench/build-weight");
    let lock = workspace.join("Cargo.lock");
    let alone = root.join("alone");
    let client = root.join("with-client");
    write_program(&alone, ALONE_MANIFEST, ALONE_MAIN, &lock);
    let manifest = CLIENT_MANIFEST.replace("WORKSPACE", &workspace.to_string_lossy());
    write_program(&client, &manifest, CLIENT_MAIN, &lock);

    let rounds_wanted = crate::env_number("BENCH_BUILD_ROUNDS", 2).max(1);
    let mut rounds = Vec::new();
    for round in 0..rounds_wanted {
        // Alternating order, so that neither build always runs first on a machine whose load
        // drifts.
        let (alone_s, with_client_s) = if round % 2 == 0 {
            let a = clean_build(&alone);
            (a, clean_build(&client))
        } else {
            let c = clean_build(&client);
            (clean_build(&alone), c)
        };
        let ratio = with_client_s / alone_s;
        println!(
            "build round {}: {alone_s:.1} s alone, {with_client_s:.1} s with the client ({ratio:.2}x)",
            round + 1
        );
        rounds.push(BuildRound {
            alone_s,
            with_client_s,
            ratio,
        });
    }
    let ratio = crate::median(rounds.iter().map(|r| r.ratio).collect());
    BuildWeight { rounds, ratio }
}
