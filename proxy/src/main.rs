//! `novita-proxy`: put it between a service and Novita (or the mock) to learn whether the
//! service's traffic still matches `openapi/novita.yaml`. It forwards every exchange unchanged,
//! logs one line per drift finding, writes a JSON drift report, and can record a cassette that
//! `novita-mock --replay` plays back.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use clap::Parser;
use novita_files::write_atomically;
use novita_process::{log_to, shutdown_signal, LogStream};
use novita_proxy::{
    forward,
    spec::Spec,
    stopping::{self, Stopped, DEFAULT_SHUTDOWN_GRACE_SECONDS, MAX_SHUTDOWN_GRACE_SECONDS},
    Contract, ProxyOptions, MAX_UPSTREAM_TIMEOUT_SECONDS,
};

/// Forwards requests to a Novita-compatible upstream unchanged and checks every exchange
/// against the spec this build carries.
#[derive(Parser, Debug)]
#[command(name = "novita-proxy", version)]
struct Args {
    /// Where requests go: `https://api.novita.ai`, or a running novita-mock.
    #[arg(long, env = "NOVITA_PROXY_UPSTREAM")]
    upstream: String,
    /// Where the proxy listens; point your service's Novita base URL here.
    #[arg(long, env = "NOVITA_PROXY_ADDR", default_value = "127.0.0.1:8788")]
    addr: SocketAddr,
    /// Write the drift report (JSON) here, every few seconds and on exit.
    #[arg(long, env = "NOVITA_PROXY_REPORT")]
    report: Option<PathBuf>,
    /// Record a cassette (YAML) of every task seen, for `novita-mock --replay`.
    #[arg(long, env = "NOVITA_PROXY_RECORD")]
    record: Option<PathBuf>,
    /// The proxy's own URL as the upstream can reach it. Turns on the webhook relay: webhook
    /// URLs in submissions are pointed at the proxy, which checks and records each event and
    /// forwards it to the original receiver.
    #[arg(long, env = "NOVITA_PROXY_PUBLIC_URL")]
    public_url: Option<String>,
    /// Exit with status 1 when any drift was seen (for CI).
    #[arg(long)]
    fail_on_drift: bool,
    /// Seconds the upstream may take to connect and send its answer's headers, and then to
    /// send each next part of the body. Past it the caller gets a 504 in Novita's error body
    /// (or, once the body has begun, a cut connection) and the report an upstream failure
    /// (1 to 86400).
    #[arg(long, env = "NOVITA_PROXY_UPSTREAM_TIMEOUT", value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=MAX_UPSTREAM_TIMEOUT_SECONDS))]
    upstream_timeout: u64,
    /// Seconds between writes of the report and the cassette (1 to 86400).
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    write_every: u64,
    /// Seconds a stopping proxy (SIGTERM, Ctrl-C) gives requests in flight to finish before it
    /// cuts them and writes its files (0 to 600).
    #[arg(long, env = "NOVITA_PROXY_SHUTDOWN_GRACE", value_name = "SECONDS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECONDS, value_parser = clap::value_parser!(u64).range(0..=MAX_SHUTDOWN_GRACE_SECONDS))]
    shutdown_grace: u64,
}

/// The arguments, or the exit: help and version as clap prints them, a bad value as one line
/// naming the flag, its value and what it may be, exit status 2.
fn parse_args() -> Result<Args, ExitCode> {
    use clap::error::ErrorKind;
    let error = match Args::try_parse() {
        Ok(args) => return Ok(args),
        Err(error) => error,
    };
    if !matches!(
        error.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        error.exit();
    }
    let rendered = error.render().to_string();
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or_default();
    let mut line = first.strip_prefix("error: ").unwrap_or(first).to_string();
    if let Some(values) = lines.find_map(|l| l.trim().strip_prefix("[possible values: ")) {
        line.push_str(&format!(" (possible values: {}", values.replace(']', ")")));
    }
    eprintln!("novita-proxy: {line}");
    Err(ExitCode::from(2))
}

#[tokio::main]
async fn main() -> ExitCode {
    log_to(LogStream::Stderr);
    let args = match parse_args() {
        Ok(args) => args,
        Err(code) => return code,
    };
    let options = ProxyOptions {
        upstream: args.upstream.clone(),
        record: args.record.is_some(),
        check_requests: true,
        public_url: args.public_url.clone(),
        upstream_timeout: Duration::from_secs(args.upstream_timeout),
    };
    let contract = match Contract::new(&options, Arc::new(Spec::load())) {
        Ok(contract) => Arc::new(contract),
        Err(message) => {
            eprintln!("novita-proxy: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("novita-proxy: cannot listen on {}: {e}", args.addr);
            return ExitCode::from(2);
        }
    };
    // Listen for SIGTERM before saying we are up, so that a stop sent right after is not lost.
    let shutdown = shutdown_signal();
    let local = listener.local_addr().unwrap_or(args.addr);
    println!(
        "novita-proxy listening on http://{local}, forwarding to {}",
        novita_proxy::secrets::blank_text(&args.upstream)
    );
    if let Some(public) = &args.public_url {
        println!("  webhooks relayed through {public}");
    }
    let writer = tokio::spawn(write_periodically(
        contract.clone(),
        args.report.clone(),
        args.record.clone(),
        Duration::from_secs(args.write_every),
    ));
    let grace = Duration::from_secs(args.shutdown_grace);
    let served =
        stopping::serve(listener, forward::router(contract.clone()), shutdown, grace).await;
    writer.abort();
    let mut code = ExitCode::SUCCESS;
    match served {
        Ok(Stopped::Drained) => {}
        Ok(Stopped::GraceRanOut) => eprintln!(
            "novita-proxy: requests still in flight after the {}s grace (--shutdown-grace) were cut",
            args.shutdown_grace
        ),
        Err(e) => {
            eprintln!("novita-proxy: {e}");
            code = ExitCode::from(1);
        }
    }
    if let Err(message) = write_files(&contract, args.report.as_ref(), args.record.as_ref()) {
        eprintln!("novita-proxy: {message}");
        code = ExitCode::from(1);
    }
    let report = contract.report();
    eprint!("novita-proxy: {}", report.summary());
    if let Some(path) = &args.report {
        eprintln!("  report: {}", path.display());
    }
    if let Some(path) = &args.record {
        eprintln!(
            "  cassette: {} ({} tasks)",
            path.display(),
            contract.recorded_tasks()
        );
    }
    if args.fail_on_drift && report.drift_count() > 0 {
        eprintln!("novita-proxy: drift was seen (--fail-on-drift)");
        code = ExitCode::from(1);
    }
    code
}

/// Writes the report and the cassette every `every`, when they changed.
async fn write_periodically(
    contract: Arc<Contract>,
    report: Option<PathBuf>,
    record: Option<PathBuf>,
    every: Duration,
) {
    let mut written = None;
    let mut ticker = tokio::time::interval(every);
    loop {
        ticker.tick().await;
        let generation = contract.generation();
        if written == Some(generation) {
            continue;
        }
        match write_files(&contract, report.as_ref(), record.as_ref()) {
            Ok(()) => written = Some(generation),
            Err(message) => tracing::error!("{message}"),
        }
    }
}

fn write_files(
    contract: &Contract,
    report: Option<&PathBuf>,
    record: Option<&PathBuf>,
) -> Result<(), String> {
    if let Some(path) = report {
        let json = serde_json::to_vec_pretty(&contract.report()).map_err(|e| e.to_string())?;
        write_atomically(path, &json)
            .map_err(|e| format!("writing the report {}: {e}", path.display()))?;
    }
    if let (Some(path), Some(yaml)) = (record, contract.cassette_yaml()) {
        write_atomically(path, yaml.as_bytes())
            .map_err(|e| format!("writing the cassette {}: {e}", path.display()))?;
    }
    Ok(())
}
