//! Starting the servers under test as separate processes, and reading what they use.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A server process, killed on drop.
pub struct Server {
    pub url: String,
    child: Child,
    /// How long from spawn to the first successful answer.
    pub startup: Duration,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

pub fn release_binary(name: &str) -> PathBuf {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/release")
        .join(name);
    assert!(
        target.exists(),
        "{} is missing: run `cargo build --release -p novita-mock -p novita-proxy -p bench --bins`",
        target.display()
    );
    target
}

/// What each server is, how to start it, and which request proves it is up.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Mock,
    Bare,
    Prism,
    /// `novita-proxy`; its upstream comes in the extra arguments.
    Proxy,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mock => "novita-mock",
            Kind::Bare => "bare axum",
            Kind::Prism => "prism",
            Kind::Proxy => "novita-proxy",
        }
    }
}

pub fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/novita.yaml")
}

pub fn start(kind: Kind, extra_args: &[&str]) -> Option<Server> {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut command = match kind {
        Kind::Mock => {
            let mut c = Command::new(release_binary("novita-mock"));
            c.args(["--addr", &addr]).env("RUST_LOG", "warn");
            c
        }
        Kind::Proxy => {
            let mut c = Command::new(release_binary("novita-proxy"));
            c.args(["--addr", &addr]).env("RUST_LOG", "error");
            c
        }
        Kind::Bare => {
            let mut c = Command::new(release_binary("bare"));
            c.arg(&addr);
            c
        }
        Kind::Prism => {
            if Command::new("prism").arg("--version").output().is_err() {
                return None;
            }
            let mut c = Command::new("prism");
            c.args([
                "mock",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--errors",
                "false",
            ])
            .arg(spec_path());
            c
        }
    };
    command
        .args(extra_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let child = command.spawn().expect("server starts");
    let url = format!("http://{addr}");
    let path = match kind {
        // The proxy forwards it to the mock behind it.
        Kind::Mock | Kind::Proxy => "/health",
        Kind::Bare => "/",
        Kind::Prism => "/v3/async/task-result?task_id=probe",
    };
    let host = addr.clone();
    loop {
        if started.elapsed() > Duration::from_secs(60) {
            panic!("{} did not answer within 60 s", kind.name());
        }
        if probe::answers_200(&host, path) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Some(Server {
        url,
        startup: started.elapsed(),
        child,
    })
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in MiB, from /proc.
    pub fn rss_mib(&self) -> f64 {
        self.proc_status_mib("VmRSS:")
    }

    /// The most resident memory the process ever had, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.proc_status_mib("VmHWM:")
    }

    fn proc_status_mib(&self, field: &str) -> f64 {
        status_mib(self.pid(), field)
    }
}

/// A minimal synchronous HTTP probe over a raw socket, so that the start-up measurement does
/// not include a client library's own start-up.
mod probe {
    use std::{
        io::{Read, Write},
        net::TcpStream,
        time::Duration,
    };

    pub fn answers_200(host: &str, path: &str) -> bool {
        let Ok(mut stream) = TcpStream::connect(host) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer bench\r\nConnection: close\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
    }
}

/// A memory figure of process `pid` from `/proc/PID/status` (`VmRSS:`, `VmHWM:`), in MiB; 0
/// when it cannot be read.
pub fn status_mib(pid: impl std::fmt::Display, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
