//! The address of the client of a request: the connection's peer, or, when that peer is one of
//! `TRUSTED_PROXIES`, the address that the proxies' `X-Forwarded-For` gives for the client.
//! The header is read from the right: each trusted proxy appends the address it saw, so the
//! first address from the right that is not a trusted proxy is the client; anything further
//! left was written by the client itself and is never believed.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;

use crate::config::IpRange;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The reverse proxies whose `X-Forwarded-For` is believed (app data).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Vec<IpRange>);

impl TrustedProxies {
    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(address))
    }
}

/// The client's address, as far as it can be told.
pub fn client_address(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let Some(trusted) = req.app_data::<TrustedProxies>() else {
        return Some(peer);
    };
    let forwarded = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    Some(through(trusted, peer, &forwarded))
}

/// The client behind `peer`, given the `X-Forwarded-For` list the request arrived with.
fn through(trusted: &TrustedProxies, peer: IpAddr, forwarded: &str) -> IpAddr {
    let mut client = peer;
    for hop in forwarded.rsplit(',') {
        if !trusted.trusts(client) {
            break;
        }
        match hop.trim().parse::<IpAddr>() {
            Ok(address) => client = address,
            // A hop a proxy could not have written: the client is the last proxy's peer.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(raw: &str) -> IpAddr {
        raw.parse().expect("an address")
    }

    fn proxies(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies(ranges.iter().map(|r| IpRange::parse(r).expect("a range")).collect())
    }

    #[test]
    fn through_believes_only_what_trusted_proxies_appended() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // No proxy trusted: the peer, whatever the header says.
        assert_eq!(through(&proxies(&[]), ip("10.0.0.2"), "198.51.100.7"), ip("10.0.0.2"));
        // A direct client cannot forge its address.
        assert_eq!(through(&trusted, ip("203.0.113.5"), "198.51.100.7"), ip("203.0.113.5"));
        // Behind one trusted proxy: the address it appended.
        assert_eq!(through(&trusted, ip("10.0.0.2"), "198.51.100.7"), ip("198.51.100.7"));
        // A client that sends its own header gets only the address the proxy saw.
        assert_eq!(
            through(&trusted, ip("10.0.0.2"), "192.0.2.66, 198.51.100.7"),
            ip("198.51.100.7")
        );
        // Two trusted proxies in a row.
        assert_eq!(
            through(&trusted, ip("10.0.0.2"), "198.51.100.7, 10.0.0.3"),
            ip("198.51.100.7")
        );
        // A trusted proxy with no header, or garbage: the proxy itself.
        assert_eq!(through(&trusted, ip("10.0.0.2"), ""), ip("10.0.0.2"));
        assert_eq!(through(&trusted, ip("10.0.0.2"), "unknown"), ip("10.0.0.2"));
    }
}
