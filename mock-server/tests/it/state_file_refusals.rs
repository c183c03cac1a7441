//! A state file (`--state`) that cannot be used stops the start with one line and exit status
//! 2; a write cut short never replaces the good file; links are followed, FIFOs refused.

use crate::common;

use std::{path::Path, process::Command};

use common::{start, with_state};
use serde_json::{json, Value};

/// Runs the binary on the state file `path`, expecting it to refuse to start, and returns its
/// exit code and standard error.
fn start_binary_on(path: &Path) -> (Option<i32>, String) {
    run_binary(&["--state".as_ref(), path.as_os_str()])
}

/// Runs the binary with `args`, expecting it to refuse to start, and returns its exit code and
/// standard error. A mock that starts instead (it prints its address) is stopped and fails the
/// test, so that nothing waits on a mock that runs on.
fn run_binary(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    use std::io::{BufRead, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_novita-mock"))
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Its log goes to standard output too: the address line is the sign it listens.
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    if let Some(line) = stdout
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("novita-mock listening"))
    {
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("the mock started: {line}");
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn a_state_file_that_cannot_be_used_stops_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    let prefix = format!("novita-mock: state file {}: ", path.display());
    type Write<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, Write); 4] = [
        ("bad JSON", &|p| {
            std::fs::write(p, "{\"version\": 1, \"tasks\": [").unwrap()
        }),
        ("unknown version", &|p| {
            std::fs::write(p, r#"{"version": 99}"#).unwrap()
        }),
        ("wrong shape", &|p| {
            std::fs::write(p, r#"{"version": 1, "tasks": 3}"#).unwrap()
        }),
        ("too large", &|p| {
            // Sparse: the size is refused before anything is read.
            let file = std::fs::File::create(p).unwrap();
            file.set_len(257 * 1024 * 1024).unwrap();
        }),
    ];
    for (case, write) in cases {
        write(&path);
        let (code, stderr) = start_binary_on(&path);
        assert_eq!(code, Some(2), "{case}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{case}: {stderr}");
        assert!(stderr.starts_with(&prefix), "{case}: {stderr}");
        if case == "unknown version" {
            assert!(stderr.contains("version 99"), "{stderr}");
        }
        if case == "too large" {
            assert!(stderr.contains("more than the 268435456"), "{stderr}");
        }
    }
}

#[tokio::test]
async fn a_write_cut_short_does_not_replace_the_good_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    let mock = start(with_state(&path)).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "kept"}))
        .await;
    mock.server.shutdown().await.unwrap();
    let good = std::fs::read(&path).unwrap();
    // A mock killed mid-write leaves its half-written temporary file beside the state.
    let temp = dir.path().join(".mock.json.99999.tmp");
    std::fs::write(&temp, &good[..good.len() / 2]).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), good);

    let mock = start(with_state(&path)).await;
    assert_eq!(mock.result(&id).await.0, 200, "the good state was read");
    assert!(!temp.exists(), "the leftover is removed at start");
    mock.server.shutdown().await.unwrap();
    let saved: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["tasks"][0]["id"], id.as_str());
}

#[tokio::test]
async fn a_second_mock_on_the_same_state_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    let first = start(with_state(&path)).await;
    let id = first
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "first"}))
        .await;
    let (code, stderr) = start_binary_on(&path);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let prefix = format!(
        "novita-mock: state file {}: another process is using it",
        path.display()
    );
    assert!(stderr.starts_with(&prefix), "{stderr}");
    first.server.shutdown().await.unwrap();
    let again = start(with_state(&path)).await;
    assert_eq!(
        again.result(&id).await.0,
        200,
        "free once the first stopped"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_place_stops_the_start_with_one_line() {
    let (code, stderr) = start_binary_on(Path::new("/proc/novita-mock-state.json"));
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "novita-mock: state file /proc/novita-mock-state.json: its folder /proc cannot be written"
        ),
        "{stderr}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_link_at_the_state_path_is_followed_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let volume = dir.path().join("volume");
    std::fs::create_dir(&volume).unwrap();
    let link = dir.path().join("mock.json");
    std::os::unix::fs::symlink("volume/real.json", &link).unwrap();
    let mock = start(with_state(&link)).await;
    let id = mock
        .submit_ok("/v3/async/wan-t2v", &json!({"prompt": "on the volume"}))
        .await;
    mock.server.shutdown().await.unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let saved: Value =
        serde_json::from_slice(&std::fs::read(volume.join("real.json")).unwrap()).unwrap();
    assert_eq!(
        saved["tasks"][0]["id"],
        id.as_str(),
        "the target holds the save"
    );
}

/// Makes a FIFO at `path` and a writer that sends `text` once a reader opens it (a reader that
/// only looks at it and closes it lets the writer go too).
#[cfg(unix)]
fn fifo_with_writer(path: &Path, text: &'static str) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        use std::io::Write;
        if let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(path) {
            let _ = fifo.write_all(text.as_bytes());
        }
    });
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_as_state_file_and_as_cassette() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mock.json");
    fifo_with_writer(&state, r#"{"version": 99}"#);
    let (code, stderr) = start_binary_on(&state);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "novita-mock: state file {}: it is a FIFO, not a regular file",
            state.display()
        )
    );
    let cassette = dir.path().join("day.yaml");
    fifo_with_writer(&cassette, "version: 99\n");
    let (code, stderr) = run_binary(&["--replay".as_ref(), cassette.as_os_str()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "novita-mock: cassette {}: it is a FIFO, not a regular file",
            cassette.display()
        )
    );
}
