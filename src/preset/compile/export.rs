//! `[export]`: where live metrics are served, and the address rule `--metrics-addr` shares.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::Context;
use crate::preset::model::ExportSpec;

pub(super) fn compile(ctx: &mut Context<'_>, spec: Option<&ExportSpec>) -> Option<SocketAddr> {
    let addr = spec?.metrics_addr.as_ref()?;
    match parse_metrics_addr(addr.get_ref()) {
        Ok(parsed) => Some(parsed),
        Err(why) => {
            ctx.push_at(addr, format!("export metrics_addr {:?}: {why}", addr.get_ref()));
            None
        }
    }
}

/// `HOST:PORT` with an IP address (`0.0.0.0:9464` to be scraped from other machines), or a
/// port alone (`9464`, `:9464`) for 127.0.0.1, which only this machine can reach.
pub fn parse_metrics_addr(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    let port_only = text.strip_prefix(':').unwrap_or(text);
    if let Ok(port) = port_only.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse::<SocketAddr>().map_err(|_| {
        "not an address to listen on: write HOST:PORT with an IP address (127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 for other machines) or a port alone for 127.0.0.1".to_string()
    })
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
        let err = parse_metrics_addr("localhost:9464").expect_err("a host name is refused");
        assert!(err.contains("HOST:PORT") && err.contains("127.0.0.1:9464"), "{err}");
        assert!(parse_metrics_addr("99999").is_err());
    }
}
