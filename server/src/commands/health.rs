//! `skytrace health`: whether a running server answers `GET /healthz`, for container health
//! checks (the image has no curl).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::cli::HealthArgs;

pub fn run(args: &HealthArgs) -> anyhow::Result<ExitCode> {
    let url = format!("http://{}/healthz", reachable(args.addr));
    // reqwest is built without a TLS provider of its own (see the alerts crate); the check is
    // plain HTTP, but the client wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout_secs))
        // The server itself is asked, never an HTTP_PROXY from the environment.
        .no_proxy()
        .build()
        .context("cannot build the HTTP client")?;
    let status = super::runtime()?.block_on(async {
        let response = client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("no answer from {url}"))?;
        anyhow::Ok(response.status())
    })?;
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    println!("{url}: {status}");
    Ok(ExitCode::SUCCESS)
}

/// Where to reach a server listening on `addr`: one listening on every interface (0.0.0.0 or ::)
/// is asked on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}
