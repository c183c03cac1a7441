//! `novita-mock`: run the mock Novita server.

mod cli;
mod health;

use std::process::ExitCode;

use cli::{Command, EventStatus, Refusal};
use novita_mock::Config;
use novita_process::{log_to, LogStream};

// Many small allocations per request (JSON values, strings): mimalloc serves them faster than
// the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    log_to(LogStream::Stdout);
    let (cli, sources) = match cli::parse(std::env::args_os().collect()) {
        Ok(parsed) => parsed,
        Err(Refusal::Clap(e)) => e.exit(),
        Err(Refusal::Line(line)) => {
            eprintln!("novita-mock: {line}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::SendWebhook {
            url,
            status,
            retries,
            speed,
        }) => return send_webhook(&url, status, retries, speed).await,
        Some(Command::Health { addr, timeout }) => {
            return health::check(addr, std::time::Duration::from_secs(timeout)).await;
        }
        None => {}
    }
    let mut config = match cli.serve.into_config(&sources) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("novita-mock: {message}");
            return ExitCode::from(2);
        }
    };
    raise_file_limit();
    let bound = match novita_mock::bind(&config).await {
        Ok(bound) => bound,
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            eprintln!("novita-mock: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("novita-mock: cannot listen on {}: {e}", config.addr);
            return ExitCode::from(1);
        }
    };
    let url = bound.url.clone();
    let stop = novita_mock::shutdown_signal();
    let Ok(local) = bound.local_addr() else {
        eprintln!("novita-mock: the listening socket has no address");
        return ExitCode::from(1);
    };
    if config.secure_for(local).is_some() {
        println!(
            "  {local} is reachable beyond loopback: the control API needs a token, made up now"
        );
    }
    println!("novita-mock listening on http://{local}");
    println!("  point a client at it:  NOVITA_BASE_URL={url} NOVITA_API_KEY=any-key");
    match &config.control_token {
        Some(token) => {
            println!("  control API:           {url}/_mock/tasks  (header X-Mock-Token: {token})");
            println!("  dashboard:             {url}/_mock/ui?token={token}");
        }
        None => {
            println!("  control API:           {url}/_mock/tasks");
            println!("  dashboard:             {url}/_mock/ui");
        }
    }
    println!(
        "  speed x{}{}, webhook retries {}, rate limit {}, at most {} tasks",
        config.speed,
        if config.paused { " (clock paused)" } else { "" },
        config.webhook_retries,
        config
            .rate_limit
            .map_or("off".to_string(), |r| format!("{r}/min")),
        config.max_tasks,
    );
    let stopping = async {
        stop.await;
        tracing::info!("shutting down");
    };
    match novita_mock::serve(bound, config, stopping).await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("novita-mock: {e}");
            ExitCode::from(1)
        }
    }
}

/// Turns transparent huge pages off for this process, as `MIMALLOC_ALLOW_THP=0` would.
/// mimalloc asks for them on its arena, so each 2 MiB of it that is touched turns resident
/// whole: 8 of an idle mock's 17.5 MiB, where the allocator committed under 7. Without them
/// an idle mock holds 10.6 MiB; wrk saw no loss, the soak's rate is in `bench/README.md`. It
/// runs as the program is loaded, before the first allocation touches the arena: a huge page
/// taken then would stay.
#[cfg(target_os = "linux")]
extern "C" fn no_huge_pages() {
    // SAFETY: this option takes integers only and touches no memory of ours; a kernel without
    // it answers -1, and the mock runs on as it would have.
    let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

/// The loader runs the functions of `.init_array` before `main` and the Rust runtime.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static NO_HUGE_PAGES: extern "C" fn() = no_huge_pages;

/// Raises the soft limit on open files to the hard one: every client connection is a file.
/// A failure is logged and the mock goes on with the limit it has.
fn raise_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open files allowed: {limit}"),
        Err(e) => tracing::warn!("cannot raise the open-file limit: {e}"),
    }
}

async fn send_webhook(url: &str, status: EventStatus, retries: u32, speed: f64) -> ExitCode {
    let config = Config {
        webhook_retries: retries,
        speed,
        ..Config::default()
    };
    if let Err(message) = config.validate() {
        eprintln!("novita-mock: {message}");
        return ExitCode::from(2);
    }
    let failed = matches!(status, EventStatus::Failed);
    let (delivery, attempts) = match novita_mock::send_test_event(url, failed, config).await {
        Ok(sent) => sent,
        Err(message) => {
            eprintln!("novita-mock: {message}");
            return ExitCode::from(1);
        }
    };
    for attempt in &attempts {
        let outcome = match (attempt.status, &attempt.error) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_string(),
        };
        println!(
            "attempt {}: {outcome} in {} ms",
            attempt.attempt, attempt.duration_ms
        );
    }
    if delivery == novita_mock::Delivery::Delivered {
        println!("delivered to {url}");
        ExitCode::SUCCESS
    } else {
        println!("not delivered to {url} after {} attempts", attempts.len());
        ExitCode::from(1)
    }
}
