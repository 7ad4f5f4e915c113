//! Which URLs an account may have its changes POSTed to.
//!
//! Customers type these URLs (API, web app); without a limit the server would send
//! requests wherever they point it, internal addresses included (a metadata service, an
//! admin port on localhost). The policy:
//!
//! - when registering: `https` only, a host, no user name or password, no fragment, at most
//!   2,000 characters; an IP-address host must be a public address, and `localhost` is
//!   refused;
//! - when delivering: the host name is resolved and every address must be public (not
//!   loopback, private, link-local, unique-local, CGNAT, multicast, documentation or
//!   otherwise reserved); the request then goes to the checked address only (no second
//!   look-up a DNS rebinding could answer differently), follows no redirect, and its
//!   failure is recorded in fixed words, never with what the receiver answered.
//!
//! The operator may allow `http` and non-public addresses (`staffsync serve
//! --webhook-allow-private`: tests, or receivers inside the operator's own network).
//! This module never sends a request itself.

use staffsync_store::DeliveryError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::Url;

/// The longest endpoint URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Checks a URL an account wants to register; the error says what is wrong, in words
/// safe to show.
pub fn check_endpoint_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    if raw.len() > MAX_URL_LEN {
        return Err(format!("at most {MAX_URL_LEN} characters"));
    }
    let url = Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err("must be an https:// URL".into()),
    }
    let Some(host) = url.host() else {
        return Err("a URL without a host".into());
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("must not contain a fragment (#…)".into());
    }
    if !allow_private {
        let refused = match host {
            url::Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
        };
        if refused {
            return Err("must point to a public address".into());
        }
    }
    Ok(url)
}

const NOT_ALLOWED: DeliveryError = DeliveryError::AddressNotAllowed;
const NOT_RESOLVED: DeliveryError = DeliveryError::NotResolved;

/// Why a delivery cannot be sent to a URL, in fixed English words (the delivery log's
/// `last_error`; the web app says the kind in its own words).
pub fn words(e: DeliveryError) -> &'static str {
    match e {
        DeliveryError::AddressNotAllowed => "the host resolves to an address that is not allowed",
        _ => "the host name could not be resolved",
    }
}

/// The addresses a delivery to `url` may connect to: all of the host's addresses, each
/// checked against the policy (unless `allow_private`).
pub async fn resolve(url: &Url, allow_private: bool) -> Result<Vec<SocketAddr>, DeliveryError> {
    let host = url.host_str().ok_or(NOT_RESOLVED)?;
    let port = url.port_or_known_default().ok_or(NOT_RESOLVED)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| NOT_RESOLVED)?
        .collect();
    if addrs.is_empty() {
        return Err(NOT_RESOLVED);
    }
    if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(NOT_ALLOWED);
    }
    Ok(addrs)
}

/// Whether `ip` is a public unicast address a customer's receiver may have.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64: may reach private v4
                || s[0] == 0x2002 // 6to4: embeds a v4 address
                || v6 == Ipv6Addr::UNSPECIFIED)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_policy() {
        assert!(check_endpoint_url("https://hooks.example.com/x", false).is_ok());
        for bad in [
            "http://hooks.example.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://localhost:8080/",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
            "",
        ] {
            assert!(check_endpoint_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_endpoint_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(is_public("8.8.8.8".parse().unwrap()));
        assert!(!is_public("100.64.0.1".parse().unwrap()));
        assert!(!is_public("::ffff:10.0.0.1".parse().unwrap()));
    }
}
