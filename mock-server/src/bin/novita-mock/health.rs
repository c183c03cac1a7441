//! `novita-mock health`: asks a running mock's `/health` over plain HTTP, with nothing but the
//! binary itself, so that a container's HEALTHCHECK needs no shell, curl or CA certificates.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    process::ExitCode,
    time::Duration,
};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most of the answer read: `/health` is a few hundred bytes.
const MAX_ANSWER: u64 = 64 * 1024;

/// Exit 0 when the mock at `addr` answers `/health` with 200 and `"status":"ok"` within
/// `timeout`; exit 1, with one line saying why, otherwise.
pub async fn check(addr: SocketAddr, timeout: Duration) -> ExitCode {
    let target = asked(addr);
    match tokio::time::timeout(timeout, ask(target)).await {
        Ok(Ok(())) => {
            println!("novita-mock at {target}: healthy");
            ExitCode::SUCCESS
        }
        Ok(Err(why)) => {
            eprintln!("novita-mock at {target}: unhealthy: {why}");
            ExitCode::from(1)
        }
        Err(_) => {
            eprintln!(
                "novita-mock at {target}: unhealthy: no answer within {} s",
                timeout.as_secs_f64()
            );
            ExitCode::from(1)
        }
    }
}

/// A mock listening on every address (`0.0.0.0`, `::`) is asked on loopback.
fn asked(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(v6) if v6.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

async fn ask(target: SocketAddr) -> Result<(), String> {
    let mut stream = tokio::net::TcpStream::connect(target)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let request = format!("GET /health HTTP/1.0\r\nHost: {target}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    judge(&answer)
}

/// Healthy is a 200 whose body says `"status":"ok"`.
fn judge(answer: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(answer);
    let status_line = text.lines().next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).unwrap_or_default();
    if status != "200" {
        return Err(format!("answered {status_line:?}"));
    }
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let ok = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .is_some_and(|health| health["status"] == "ok");
    if ok {
        Ok(())
    } else {
        Err("answered 200 without \"status\":\"ok\"".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_ok_status_is_healthy() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"status\":\"ok\",\"tasks\":0}";
        assert_eq!(judge(ok), Ok(()));
        assert!(judge(b"HTTP/1.1 503 Service Unavailable\r\n\r\n{}").is_err());
        assert!(judge(b"HTTP/1.1 200 OK\r\n\r\n{\"status\":\"starting\"}").is_err());
        assert!(judge(b"HTTP/1.1 200 OK\r\n\r\nnot json").is_err());
        assert!(judge(b"").is_err());
    }

    #[test]
    fn an_unspecified_address_is_asked_on_loopback() {
        assert_eq!(
            asked("0.0.0.0:8080".parse().unwrap()),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(asked("[::]:9".parse().unwrap()), "[::1]:9".parse().unwrap());
        assert_eq!(
            asked("10.1.2.3:80".parse().unwrap()),
            "10.1.2.3:80".parse().unwrap()
        );
    }
}
