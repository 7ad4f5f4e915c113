//! Personio's rate limits, enforced with `governor`: GET employees 300/min with bursts of
//! 15 (shared with the v2 GETs: persons, employments, lookups), auth 60/min, v2 token
//! 150/min, and a per-client-IP budget across all Personio endpoints.
//!
//! Decides only "allowed or not"; the 429 body is built by the caller. Must never sleep or
//! queue a request (Personio rejects, it does not wait).

use crate::stats::Endpoint;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

const fn nz(n: u32) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => NonZeroU32::MIN,
    }
}

/// The per-IP default when `SimConfig::per_ip_limit` is `None`.
pub(crate) const DEFAULT_PER_IP: u32 = 2000;

pub(crate) struct Limits {
    employees: DefaultDirectRateLimiter,
    auth: DefaultDirectRateLimiter,
    v2_token: DefaultDirectRateLimiter,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").finish_non_exhaustive()
    }
}

impl Limits {
    /// `None` when limits are off.
    pub(crate) fn new(enabled: bool, per_ip: Option<u32>) -> Option<Limits> {
        enabled.then(|| Limits {
            employees: RateLimiter::direct(Quota::per_minute(nz(300)).allow_burst(nz(15))),
            auth: RateLimiter::direct(Quota::per_minute(nz(60))),
            v2_token: RateLimiter::direct(Quota::per_minute(nz(150))),
            per_ip: RateLimiter::keyed(Quota::per_minute(nz(per_ip.unwrap_or(DEFAULT_PER_IP)))),
        })
    }

    /// True when the request may proceed.
    pub(crate) fn allow(&self, endpoint: Endpoint, ip: IpAddr) -> bool {
        if self.per_ip.check_key(&ip).is_err() {
            return false;
        }
        match endpoint {
            Endpoint::Auth => self.auth.check().is_ok(),
            Endpoint::V2Token => self.v2_token.check().is_ok(),
            Endpoint::Employees
            | Endpoint::Employee
            | Endpoint::Attributes
            | Endpoint::V2Persons
            | Endpoint::V2Employments
            | Endpoint::V2Lookups => self.employees.check().is_ok(),
            Endpoint::Other => true,
        }
    }
}
