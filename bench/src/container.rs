//! The mock's container image: its size, the time from `podman run` to the first `/health`
//! answered through the published port, and the mock's resident memory once idle. The image is
//! built with `mock-server/container/build`; without podman the row is skipped.

use std::{
    net::{Ipv4Addr, TcpListener},
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use serde::Serialize;

const TAG: &str = "localhost/novita-mock:bench";
const NAME: &str = "novita-mock-bench";

#[derive(Debug, Serialize)]
pub struct ContainerFigures {
    pub image_mb: f64,
    pub startup_to_health_ms: f64,
    pub idle_rss_mib: f64,
}

impl ContainerFigures {
    pub fn print(&self) {
        println!(
            "\ncontainer image: {:.1} MB, podman run to first /health {:.0} ms, idle resident {:.1} MiB",
            self.image_mb, self.startup_to_health_ms, self.idle_rss_mib
        );
    }
}

fn podman(args: &[&str]) -> Option<String> {
    let output = Command::new("podman").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Builds and measures the image; `None` (and a line saying so) without podman.
pub async fn run(http: &reqwest::Client) -> Option<ContainerFigures> {
    if podman(&["--version"]).is_none() {
        println!("\ncontainer image: podman is not installed, skipped");
        return None;
    }
    let build = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mock-server/container/build");
    let built = Command::new(build)
        .arg(TAG)
        .env("NOVITA_CONTAINER_TOOL", "podman")
        .status()
        .expect("the build script runs");
    assert!(built.success(), "the image did not build");
    let image_bytes: f64 = podman(&["image", "inspect", "--format", "{{.Size}}", TAG])
        .and_then(|size| size.parse().ok())
        .expect("the image has a size");

    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let _ = podman(&["rm", "--force", "--time", "0", NAME]);
    let publish = format!("127.0.0.1:{port}:8080");
    let started = Instant::now();
    podman(&[
        "run",
        "--detach",
        "--read-only",
        "--name",
        NAME,
        "--publish",
        &publish,
        TAG,
    ])
    .expect("the container starts");
    let health = format!("http://127.0.0.1:{port}/health");
    while !http
        .get(&health)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no /health within a minute"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let startup = started.elapsed();
    // Idle: a second with nothing to do after start-up.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = podman(&["inspect", "--format", "{{.State.Pid}}", NAME]).expect("a pid");
    let idle_rss_mib = crate::servers::status_mib(pid, "VmRSS:");
    let _ = podman(&["rm", "--force", "--time", "2", NAME]);
    Some(ContainerFigures {
        image_mb: image_bytes / 1_000_000.0,
        startup_to_health_ms: startup.as_secs_f64() * 1000.0,
        idle_rss_mib,
    })
}
