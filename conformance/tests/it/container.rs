//! The mock's container image, built from this checkout with `mock-server/container/build` and
//! run for real with podman, the way a QA engineer runs it: reached through a published port,
//! driven from outside by the `novita` CLI and the control API, its webhook delivered to a
//! receiver on the host named by `--add-host`, stopped by SIGTERM.
//!
//! Without podman the test prints SKIPPED; with `CI` set a missing podman fails (`.ci/run`
//! installs it and points `CONTAINERS_CONF` at the settings this kind of machine needs).
//! `.ci/run` builds the image once, before the tests, and says so with
//! `NOVITA_CONTAINER_PREBUILT=1`; without it the tests build the image themselves.

use std::{
    future::Future,
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

const TAG: &str = "localhost/novita-mock:conformance";
const KEY: &str = "container-key";
const TOKEN: &str = "container-token";
/// How long a step that waits on something real (a container starting, a webhook crossing the
/// network) may take before the test gives up: a guard against hanging, not a measurement.
const GIVE_UP: Duration = Duration::from_secs(120);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

fn podman_available() -> bool {
    Command::new("podman")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs podman and expects success; returns its standard output, trimmed.
fn podman(args: &[&str]) -> String {
    let output = Command::new("podman")
        .args(args)
        .output()
        .expect("podman runs");
    assert!(
        output.status.success(),
        "podman {args:?}: {}",
        shown(&output)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn shown(output: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Set by `.ci/run`, which builds the image (tagged [`TAG`]) and the static binaries from this
/// checkout in a step of their own: the tests then use them instead of compiling the whole tree
/// a second time, in release, inside `cargo test`.
const PREBUILT: &str = "NOVITA_CONTAINER_PREBUILT";

/// Builds the image with the documented command, once for both tests (or takes the one
/// [`PREBUILT`] names); returns the static CLI built beside it.
fn build_image() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if std::env::var_os(PREBUILT).is_some_and(|v| v == "1") {
                prebuilt()
            } else {
                build()
            }
        })
        .clone()
}

fn build() -> PathBuf {
    let output = Command::new(root().join("mock-server/container/build"))
        .arg(TAG)
        .env("NOVITA_CONTAINER_TOOL", "podman")
        .output()
        .expect("the build script runs");
    assert!(output.status.success(), "build: {}", shown(&output));
    static_cli()
}

/// The image and CLI that `.ci/run` built; a missing one fails loudly rather than be rebuilt.
fn prebuilt() -> PathBuf {
    let exists = Command::new("podman")
        .args(["image", "exists", TAG])
        .status()
        .expect("podman runs");
    assert!(
        exists.success(),
        "{PREBUILT}=1 but there is no image {TAG}: build it with mock-server/container/build {TAG}"
    );
    let cli = static_cli();
    assert!(
        cli.is_file(),
        "{PREBUILT}=1 but there is no static CLI at {}",
        cli.display()
    );
    cli
}

/// Where `mock-server/container/build` leaves the static `novita` CLI.
fn static_cli() -> PathBuf {
    let host = String::from_utf8(Command::new("rustc").arg("-vV").output().unwrap().stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .unwrap();
    // The profile the build script used (`.ci/run` sets it); `release` by default.
    let profile = std::env::var("NOVITA_BUILD_PROFILE").unwrap_or_else(|_| "release".into());
    root().join(format!("target/container/{host}/{profile}/novita"))
}

/// A free port on the host's loopback for the published port (the URL the mock hands out
/// must name it, so it is chosen before the container starts).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The host's address on podman's default network: what a container reaches the host by.
fn host_address_for_containers() -> String {
    podman(&[
        "network",
        "inspect",
        "podman",
        "--format",
        "{{range .Subnets}}{{.Gateway}}{{end}}",
    ])
}

/// A container removed when the test ends, however it ends.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("podman")
            .args(["rm", "--force", "--time", "0", &self.0])
            .output();
    }
}

fn run_detached(name: &str, args: &[&str]) -> Container {
    let _ = Command::new("podman")
        .args(["rm", "--force", "--time", "0", name])
        .output();
    let mut all = vec!["run", "--detach", "--name", name];
    all.extend_from_slice(args);
    all.push(TAG);
    podman(&all);
    Container(name.to_string())
}

/// Polls until `ready` holds, giving up after [`GIVE_UP`].
async fn until<F: Future<Output = bool>>(what: &str, mut ready: impl FnMut() -> F) {
    let started = Instant::now();
    while !ready().await {
        assert!(started.elapsed() < GIVE_UP, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn novita(cli: &Path, base_url: &str, args: &[&str]) -> Value {
    let output = Command::new(cli)
        .args(args)
        .arg("--json")
        .env("NOVITA_BASE_URL", base_url)
        .env("NOVITA_API_KEY", KEY)
        .output()
        .expect("the novita CLI runs");
    assert!(
        output.status.success(),
        "novita {args:?}: {}",
        shown(&output)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("novita {args:?} printed no JSON ({e}): {}", shown(&output)))
}

// Long, as one story: the container starts once (seconds under podman) and each step reads
// what the one before it left (the token it made up, the task, the webhook, the stop).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_serves_a_service_outside_it_and_stops_on_sigterm() {
    if !podman_available() {
        if std::env::var_os("CI").is_some() {
            panic!("podman is not installed; CI must install it (bash .ci/run does)");
        }
        eprintln!("SKIPPED: podman is not installed (bash .ci/run installs it)");
        return;
    }
    let cli = build_image();

    // The webhook receiver, on the host, reachable from the container's network.
    let receiver = MockServer::builder()
        .listener(TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap())
        .start()
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let receiver_port = receiver.address().port();

    // A scenario file mounted read-only: its key list is the only one the mock accepts.
    let scenario_dir = tempfile::tempdir().unwrap();
    let scenario = scenario_dir.path().join("qa.yaml");
    std::fs::write(&scenario, format!("api_keys: [{KEY}]\nmax_tasks: 500\n")).unwrap();
    let mount = format!("{}:/scenario/qa.yaml:ro", scenario.display());

    let port = free_port();
    let base_url = format!("http://127.0.0.1:{port}");
    let publish = format!("127.0.0.1:{port}:8080");
    let public_url = format!("NOVITA_MOCK_PUBLIC_URL={base_url}");
    let add_host = format!("receiver.test:{}", host_address_for_containers());
    let container = run_detached(
        "novita-mock-conformance",
        &[
            "--read-only",
            "--publish",
            &publish,
            "--add-host",
            &add_host,
            "--volume",
            &mount,
            "--env",
            "NOVITA_MOCK_SCENARIO=/scenario/qa.yaml",
            "--env",
            &format!("NOVITA_MOCK_CONTROL_TOKEN={TOKEN}"),
            "--env",
            "NOVITA_MOCK_PAUSED=true",
            "--env",
            &public_url,
        ],
    );
    let http = reqwest::Client::new();
    let health = format!("{base_url}/health");
    until("/health through the published port", || async {
        http.get(&health)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    // The image's own HEALTHCHECK, run by podman inside the container.
    podman(&["healthcheck", "run", &container.0]);

    // Not root, on a read-only root file system.
    let pid = podman(&["inspect", "--format", "{{.State.Pid}}", &container.0]);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next())
        .unwrap();
    assert_ne!(uid, "0", "the mock runs as root");
    assert_eq!(
        podman(&[
            "inspect",
            "--format",
            "{{.HostConfig.ReadonlyRootfs}}",
            &container.0
        ]),
        "true"
    );

    // A Wan 2.7 task from outside, its webhook to the receiver by host name.
    let hook = format!("http://receiver.test:{receiver_port}/novita");
    let submitted = novita(
        &cli,
        &base_url,
        &[
            "submit",
            "wan2.7-t2v",
            "--prompt",
            "a fox in the snow",
            "--webhook",
            &hook,
        ],
    );
    let task_id = submitted["task_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no task id in {submitted}"))
        .to_string();
    // The clock is paused: the test moves it past the job, from outside, with the token.
    let advanced = http
        .post(format!("{base_url}/_mock/clock/advance"))
        .header("x-mock-token", TOKEN)
        .json(&json!({"seconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    let video = scenario_dir.path().join("fox.mp4");
    let waited = novita(
        &cli,
        &base_url,
        &["wait", &task_id, "--out", video.to_str().unwrap()],
    );
    assert_eq!(waited["task"]["status"], "TASK_STATUS_SUCCEED", "{waited}");
    let bytes = std::fs::read(&video).unwrap();
    assert_eq!(&bytes[4..8], b"ftyp", "not an MP4");

    until("the webhook at the receiver", || async {
        receiver
            .received_requests()
            .await
            .is_some_and(|r| !r.is_empty())
    })
    .await;
    let delivered = &receiver.received_requests().await.unwrap()[0];
    let event: Value = serde_json::from_slice(&delivered.body).unwrap();
    assert_eq!(
        event["payload"]["task"]["task_id"],
        task_id.as_str(),
        "{event}"
    );

    // SIGTERM: podman sends the image's stop signal, and kills it if it is not gone in 2 s.
    podman(&["stop", "--time", "2", &container.0]);
    let exit = podman(&["inspect", "--format", "{{.State.ExitCode}}", &container.0]);
    assert_eq!(
        exit, "0",
        "the mock did not stop cleanly on SIGTERM within 2 s"
    );
    let logs = Command::new("podman")
        .args(["logs", &container.0])
        .output()
        .unwrap();
    let logs = String::from_utf8_lossy(&logs.stdout);
    assert!(
        logs.contains("at most 500 tasks"),
        "the scenario was not read: {logs}"
    );
    assert!(logs.contains("shut down:"), "no shutdown summary: {logs}");
}

#[test]
fn the_image_refuses_a_bad_variable_and_makes_up_a_token_beyond_loopback() {
    if !podman_available() {
        if std::env::var_os("CI").is_some() {
            panic!("podman is not installed; CI must install it (bash .ci/run does)");
        }
        eprintln!("SKIPPED: podman is not installed (bash .ci/run installs it)");
        return;
    }
    build_image();
    let output = Command::new("podman")
        .args([
            "run",
            "--rm",
            "--read-only",
            "--env",
            "NOVITA_MOCK_SPEED=fast",
            TAG,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
    // podman's own complaints (no systemd for the healthcheck timer) share the stream.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mock_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("novita-mock"))
        .collect();
    assert_eq!(mock_lines.len(), 1, "{stderr}");
    assert!(
        mock_lines[0].starts_with("novita-mock: NOVITA_MOCK_SPEED: invalid value 'fast'"),
        "{stderr}"
    );

    // Listening on 0.0.0.0 without a token: one is made up and printed.
    let container = run_detached("novita-mock-conformance-token", &["--read-only"]);
    let started = Instant::now();
    let logs = loop {
        let logs = podman(&["logs", &container.0]);
        if logs.contains("X-Mock-Token: ") {
            break logs;
        }
        assert!(started.elapsed() < GIVE_UP, "no token printed: {logs}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        logs.contains("the control API needs a token, made up now"),
        "{logs}"
    );
    let listening: SocketAddr = logs
        .lines()
        .find_map(|l| l.strip_prefix("novita-mock listening on http://"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(listening, "0.0.0.0:8080".parse().unwrap());
}
