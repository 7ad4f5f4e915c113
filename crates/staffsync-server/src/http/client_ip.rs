//! The client's IP address, for the login limiter and anything else that keys by address.
//!
//! It is the TCP peer, unless the peer is a trusted proxy (`--trusted-proxy`, see
//! [`ServerConfig::trusted_proxies`](staffsync_engine::ServerConfig::trusted_proxies)): then it is
//! the right-most address in `X-Forwarded-For` that is not itself a trusted proxy. Each
//! proxy appends the address it received the request from, so everything right of that
//! entry was written by proxies we trust and everything left of it by the client, who
//! can write anything. This module must never take `X-Forwarded-For` from a peer that is
//! not a trusted proxy, nor an entry left of the first untrusted one.

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
pub use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's IP address as [`client_ip`] determined it (0.0.0.0 when the server runs
/// without connection info, as when a test calls the router directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or_else(|| {
                ClientIp(
                    parts
                        .extensions
                        .get::<ConnectInfo<SocketAddr>>()
                        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
                )
            }))
    }
}

/// Middleware: puts the request's [`ClientIp`] into its extensions.
pub(crate) async fn layer(
    State(trusted): State<Arc<Vec<IpNet>>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        let ip = client_ip(peer.ip(), req.headers(), &trusted);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

/// The client's address for a request from `peer` with `headers` (see the module docs).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut nearest = peer.to_canonical();
    if !is_trusted(&nearest) {
        return nearest;
    }
    // Several headers count as one list, in order.
    let mut hops: Vec<Option<IpAddr>> = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        match value.to_str() {
            Ok(list) => hops.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(parse_hop),
            ),
            Err(_) => hops.push(None),
        }
    }
    for hop in hops.into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(&ip) => nearest = ip,
            Some(ip) => return ip,
            // Garbage where an address should be: the last proxy we trust is the best we
            // know about the client.
            None => return nearest,
        }
    }
    nearest
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`[v6]:port`, `v4:port`).
fn parse_hop(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .or_else(|_| s.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// Parses a `--trusted-proxy` value: a network in CIDR notation (`10.0.0.0/8`,
/// `fd00::/8`) or a single address.
pub fn parse_trusted_proxy(s: &str) -> Result<IpNet, String> {
    let t = s.trim();
    t.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| t.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("not an IP network or address: {s:?} (use e.g. 10.0.0.0/8 or 192.0.2.10)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(X_FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_for_is_ignored_without_trusted_proxies() {
        let h = xff(&["198.51.100.7"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &[]), ip("10.0.0.2"));
        let trusted = [parse_trusted_proxy("10.0.0.0/8").unwrap()];
        assert_eq!(
            client_ip(ip("203.0.113.1"), &h, &trusted),
            ip("203.0.113.1"),
            "the peer is not a trusted proxy"
        );
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let trusted = [
            parse_trusted_proxy("10.0.0.0/8").unwrap(),
            parse_trusted_proxy("192.0.2.10").unwrap(),
        ];
        // The client claims 1.2.3.4; the first proxy saw 198.51.100.7.
        let h = xff(&["1.2.3.4, 198.51.100.7", "10.1.1.1"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
        let h = xff(&["1.2.3.4,198.51.100.7, 192.0.2.10"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("198.51.100.7"));
        // Only proxies: the left-most of them.
        let h = xff(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        // Garbage stops the walk at the last trusted hop.
        let h = xff(&["198.51.100.7, nonsense, 10.1.1.1"]);
        assert_eq!(client_ip(ip("10.0.0.2"), &h, &trusted), ip("10.1.1.1"));
        // Ports and IPv4-mapped IPv6 peers.
        let h = xff(&["[2001:db8::1]:4711"]);
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), &h, &trusted),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn trusted_proxy_values_parse_with_clear_errors() {
        assert_eq!(
            parse_trusted_proxy("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_trusted_proxy(" 192.0.2.10 ").unwrap().to_string(),
            "192.0.2.10/32"
        );
        assert_eq!(
            parse_trusted_proxy("fd00::/8").unwrap().to_string(),
            "fd00::/8"
        );
        let e = parse_trusted_proxy("10.0.0.0/33").unwrap_err();
        assert!(e.contains("10.0.0.0/33"), "{e}");
        assert!(parse_trusted_proxy("proxy.internal").is_err());
    }
}
