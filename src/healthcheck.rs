//! `talentflow healthcheck`: is the server on this machine ready? For container healthchecks,
//! so the runtime image needs no HTTP client of its own. One plain HTTP/1.1 request to
//! `/readyz`; ready means a 200, which `/readyz` answers only while the database is reachable.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use anyhow::{Context, Result, bail};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Where to reach a server listening on `bind`: an unspecified address (`0.0.0.0`, `[::]`)
/// listens on every interface, loopback among them.
pub fn reachable(bind: SocketAddr) -> SocketAddr {
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bind.port())
}

pub async fn check(bind: SocketAddr, timeout: Duration) -> Result<()> {
    let address = reachable(bind);
    let status = tokio::time::timeout(timeout, readyz_status(address))
        .await
        .with_context(|| format!("no answer from http://{address}/readyz within {timeout:?}"))??;
    if status != 200 {
        bail!("http://{address}/readyz answered {status}: not ready");
    }
    Ok(())
}

async fn readyz_status(address: SocketAddr) -> Result<u16> {
    let mut stream = TcpStream::connect(address)
        .await
        .with_context(|| format!("cannot connect to {address}"))?;
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    // The status line is all that is needed: `HTTP/1.1 200 OK`.
    let mut head = Vec::new();
    let mut buffer = [0u8; 256];
    while !head.contains(&b'\n') {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("{address} did not answer HTTP: {:?}", line.lines().next()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_bind_address_is_reached_on_loopback() {
        let reach = |bind: &str| reachable(bind.parse().unwrap()).to_string();
        assert_eq!(reach("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(reach("[::]:8080"), "[::1]:8080");
        assert_eq!(reach("10.1.2.3:9000"), "10.1.2.3:9000");
    }
}
