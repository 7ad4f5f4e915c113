//! Personio's rate limits, enforced with `governor`. Per credential, keyed by tenant (so one
//! tenant exhausting its budget never slows another): GET employees 300/min with bursts of
//! 15 (shared with the v2 GETs: persons, employments, lookups), auth 60/min, v2 token
//! 150/min. Per client IP, across all Personio endpoints and tenants: `per_ip_limit`/min
//! with a burst of `per_ip_burst` (default one second's worth).
//!
//! Decides only "allowed or not"; the caller builds the 429 body and decides which tenant a
//! request counts against (only authenticated tenants, so keys stay bounded by
//! `SimConfig::tenants`). Must never sleep or queue a request (Personio rejects, it does not
//! wait).

use crate::config::SimConfig;
use crate::stats::Endpoint;
use crate::tenant::Tenant;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
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

/// The per-IP burst when `SimConfig::per_ip_burst` is `None`: Personio documents a
/// per-minute budget and no burst, so the conservative reading is the budget spread evenly,
/// one second's worth at a time (rounded up: 2000/min → 34).
pub(crate) fn default_per_ip_burst(per_minute: u32) -> u32 {
    per_minute.div_ceil(60)
}

pub(crate) struct Limits {
    employees: DefaultKeyedRateLimiter<Tenant>,
    auth: DefaultKeyedRateLimiter<Tenant>,
    v2_token: DefaultKeyedRateLimiter<Tenant>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").finish_non_exhaustive()
    }
}

impl Limits {
    /// `None` when limits are off.
    pub(crate) fn new(config: &SimConfig) -> Option<Limits> {
        let per_ip = config.per_ip_limit.unwrap_or(DEFAULT_PER_IP);
        let per_ip_burst = config
            .per_ip_burst
            .unwrap_or_else(|| default_per_ip_burst(per_ip));
        config.rate_limit.then(|| Limits {
            employees: RateLimiter::keyed(Quota::per_minute(nz(300)).allow_burst(nz(15))),
            auth: RateLimiter::keyed(Quota::per_minute(nz(60))),
            v2_token: RateLimiter::keyed(Quota::per_minute(nz(150))),
            per_ip: RateLimiter::keyed(Quota::per_minute(nz(per_ip)).allow_burst(nz(per_ip_burst))),
        })
    }

    /// True when the client IP's budget (every Personio endpoint, every tenant) allows one
    /// more request.
    pub(crate) fn allow_ip(&self, ip: IpAddr) -> bool {
        self.per_ip.check_key(&ip).is_ok()
    }

    /// True when `tenant`'s own limiter for `endpoint` allows one more request. Endpoints
    /// without a per-credential limit (webhooks) always pass.
    pub(crate) fn allow_tenant(&self, endpoint: Endpoint, tenant: Tenant) -> bool {
        let limiter = match endpoint {
            Endpoint::Auth => &self.auth,
            Endpoint::V2Token => &self.v2_token,
            Endpoint::Employees
            | Endpoint::Employee
            | Endpoint::Attributes
            | Endpoint::V2Persons
            | Endpoint::V2Employments
            | Endpoint::V2Lookups => &self.employees,
            Endpoint::Other => return true,
        };
        limiter.check_key(&tenant).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_per_ip_burst_is_one_second_rounded_up() {
        assert_eq!(default_per_ip_burst(2000), 34);
        assert_eq!(default_per_ip_burst(120), 2);
        assert_eq!(default_per_ip_burst(5), 1);
    }
}
