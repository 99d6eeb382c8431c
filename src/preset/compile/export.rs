//! `[export]`: where live metrics are served, and the address rule `--metrics-addr` shares.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::Context;
use crate::preset::model::ExportSpec;

/// How long a run stopped by a signal waits for Prometheus's last scrape, by default: inside
/// docker's 10 s grace period, with room for the outputs written before it.
pub const DEFAULT_FINAL_SCRAPE_WAIT: Duration = Duration::from_secs(5);

/// Where `/metrics` is served, and how long a signalled run waits for its last scrape.
pub(super) fn compile(ctx: &mut Context<'_>, spec: Option<&ExportSpec>) -> (Option<SocketAddr>, Duration) {
    let Some(spec) = spec else {
        return (None, DEFAULT_FINAL_SCRAPE_WAIT);
    };
    let wait = match &spec.final_scrape_wait {
        Some(wait) if wait.get_ref().0 > Duration::from_secs(60) => {
            ctx.push_at(
                wait,
                format!(
                    "export final_scrape_wait {}: at most 60s (a container's grace period, e.g. Kubernetes' 30s, must cover it)",
                    crate::format::duration(wait.get_ref().0)
                ),
            );
            DEFAULT_FINAL_SCRAPE_WAIT
        }
        Some(wait) => wait.get_ref().0,
        None => DEFAULT_FINAL_SCRAPE_WAIT,
    };
    let Some(addr) = spec.metrics_addr.as_ref() else {
        return (None, wait);
    };
    match parse_metrics_addr(addr.get_ref()) {
        Ok(parsed) => (Some(parsed), wait),
        Err(why) => {
            ctx.push_at(addr, format!("export metrics_addr {:?}: {why}", addr.get_ref()));
            (None, wait)
        }
    }
}

/// `HOST:PORT` with an IP address (`0.0.0.0:9464` to be scraped from other machines), or a
/// port alone (`9464`, `:9464`) for 127.0.0.1, which only this machine can reach.
/// A metrics address that is neither `HOST:PORT` with an IP address nor a port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not an address to listen on: write HOST:PORT with an IP address (127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 for other machines) or a port alone for 127.0.0.1"
)]
pub struct NotAnAddress;

pub fn parse_metrics_addr(text: &str) -> Result<SocketAddr, NotAnAddress> {
    let text = text.trim();
    let port_only = text.strip_prefix(':').unwrap_or(text);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse::<SocketAddr>().map_err(|_| NotAnAddress)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_addresses_default_to_loopback() {
        assert_eq!(parse_metrics_addr("9464"), Ok("127.0.0.1:9464".parse().expect("an address")));
        assert_eq!(parse_metrics_addr(":0"), Ok("127.0.0.1:0".parse().expect("an address")));
        assert_eq!(parse_metrics_addr("0.0.0.0:9464"), Ok("0.0.0.0:9464".parse().expect("an address")));
        assert_eq!(parse_metrics_addr("[::1]:9464"), Ok("[::1]:9464".parse().expect("an address")));
        let err = parse_metrics_addr("localhost:9464")
            .expect_err("a host name is refused")
            .to_string();
        assert!(err.contains("HOST:PORT") && err.contains("127.0.0.1:9464"), "{err}");
        assert!(parse_metrics_addr("99999").is_err());
    }
}
