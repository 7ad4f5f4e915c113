//! Request counters: per endpoint (v1 and v2), auth calls, distinct tenants authenticated,
//! rate-limited and injected errors, webhook deliveries; the [`Stats`] snapshot is the JSON
//! of `GET /_sim/stats`.
//!
//! Lock-free atomics only. Must never block a request or hold any other state.

use crate::tenant::Tenant;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests received per Personio endpoint (every request, whatever its answer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestCounts {
    /// `POST /v1/auth`.
    pub auth: u64,
    /// `GET /v1/company/employees`.
    pub employees: u64,
    /// `GET /v1/company/employees/{id}`.
    pub employee: u64,
    /// `GET /v1/company/employees/attributes`.
    pub attributes: u64,
    /// `POST /v2/auth/token`.
    #[serde(skip_serializing_if = "is_zero")]
    pub v2_token: u64,
    /// `GET /v2/persons`.
    #[serde(skip_serializing_if = "is_zero")]
    pub v2_persons: u64,
    /// `GET /v2/persons/{id}/employments`.
    #[serde(skip_serializing_if = "is_zero")]
    pub v2_employments: u64,
    /// `GET /v2/org-units[/{id}]`, `/v2/offices[/{id}]`, `/v2/subcompanies[/{id}]`,
    /// `/v2/cost-centers[/{id}]`.
    #[serde(skip_serializing_if = "is_zero")]
    pub v2_lookups: u64,
}

/// A snapshot of the counters, as served by `GET /_sim/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub requests: RequestCounts,
    /// Every 429 sent (real limits and `rate_limit_storm`).
    pub rate_limited: u64,
    /// Successful token issues.
    pub auth_calls: u64,
    /// How many distinct tenants (the plain credential included) got a token, v1 or v2.
    /// Counted only when the simulator serves tenants (`SimConfig::tenants` > 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub tenants_authenticated: u64,
    /// Every response a fault changed.
    pub errors_injected: u64,
    /// Webhook deliveries acknowledged with a 2xx (one per delivery, not per attempt).
    #[serde(skip_serializing_if = "is_zero")]
    pub webhooks_delivered: u64,
    /// Webhook delivery attempts that failed (non-2xx, timeout, connection error).
    #[serde(skip_serializing_if = "is_zero")]
    pub webhooks_failed: u64,
}

/// v2, webhook and tenant counters are left out of the JSON while zero, so a v1-only,
/// single-credential run serves exactly the v1 JSON (absent = 0; `Deserialize` fills them
/// in).
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The endpoint a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Auth,
    Employees,
    Employee,
    Attributes,
    V2Token,
    V2Persons,
    V2Employments,
    V2Lookups,
    Other,
}

impl Endpoint {
    pub(crate) fn classify(method: &axum::http::Method, path: &str) -> Endpoint {
        let path = path.trim_end_matches('/');
        if method == axum::http::Method::POST && path == "/v1/auth" {
            return Endpoint::Auth;
        }
        if method == axum::http::Method::POST && path == "/v2/auth/token" {
            return Endpoint::V2Token;
        }
        if method != axum::http::Method::GET {
            return Endpoint::Other;
        }
        if let Some(rest) = path.strip_prefix("/v2/") {
            let parts: Vec<&str> = rest.split('/').collect();
            return match parts.as_slice() {
                ["persons"] => Endpoint::V2Persons,
                ["persons", _, "employments"] => Endpoint::V2Employments,
                ["org-units" | "offices" | "subcompanies" | "cost-centers"]
                | ["org-units" | "offices" | "subcompanies" | "cost-centers", _] => {
                    Endpoint::V2Lookups
                }
                _ => Endpoint::Other,
            };
        }
        match path.strip_prefix("/v1/company/employees") {
            Some("") => Endpoint::Employees,
            Some("/attributes") => Endpoint::Attributes,
            Some(rest) if rest.starts_with('/') && !rest[1..].contains('/') => Endpoint::Employee,
            _ => Endpoint::Other,
        }
    }
}

/// Which tenants got a token: one bit per tenant 0..=N, so counting distinct tenants stays
/// lock-free and takes N/8 bytes. Empty (marks nothing) without tenants.
#[derive(Debug, Default)]
struct SeenTenants {
    words: Box<[AtomicU64]>,
    distinct: AtomicU64,
}

impl SeenTenants {
    fn new(tenants: u32) -> SeenTenants {
        let words = if tenants == 0 {
            0
        } else {
            (tenants as usize + 1).div_ceil(64)
        };
        SeenTenants {
            words: (0..words).map(|_| AtomicU64::new(0)).collect(),
            distinct: AtomicU64::new(0),
        }
    }

    fn mark(&self, tenant: Tenant) {
        let Some(word) = self.words.get((tenant / 64) as usize) else {
            return;
        };
        let bit = 1u64 << (tenant % 64);
        // Only the call that flips the bit counts, however many race for it.
        if word.fetch_or(bit, Ordering::Relaxed) & bit == 0 {
            self.distinct.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn reset(&self) {
        for w in &self.words {
            w.store(0, Ordering::Relaxed);
        }
        self.distinct.store(0, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    auth: AtomicU64,
    employees: AtomicU64,
    employee: AtomicU64,
    attributes: AtomicU64,
    v2_token: AtomicU64,
    v2_persons: AtomicU64,
    v2_employments: AtomicU64,
    v2_lookups: AtomicU64,
    rate_limited: AtomicU64,
    auth_calls: AtomicU64,
    errors_injected: AtomicU64,
    webhooks_delivered: AtomicU64,
    webhooks_failed: AtomicU64,
    tenants: SeenTenants,
}

impl Counters {
    /// Counters for a simulator serving tenants 0..=`tenants`.
    pub(crate) fn new(tenants: u32) -> Counters {
        Counters {
            tenants: SeenTenants::new(tenants),
            ..Counters::default()
        }
    }

    pub(crate) fn request(&self, endpoint: Endpoint) {
        let c = match endpoint {
            Endpoint::Auth => &self.auth,
            Endpoint::Employees => &self.employees,
            Endpoint::Employee => &self.employee,
            Endpoint::Attributes => &self.attributes,
            Endpoint::V2Token => &self.v2_token,
            Endpoint::V2Persons => &self.v2_persons,
            Endpoint::V2Employments => &self.v2_employments,
            Endpoint::V2Lookups => &self.v2_lookups,
            Endpoint::Other => return,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// A token was issued to `tenant`.
    pub(crate) fn auth_call(&self, tenant: Tenant) {
        self.auth_calls.fetch_add(1, Ordering::Relaxed);
        self.tenants.mark(tenant);
    }

    pub(crate) fn error_injected(&self) {
        self.errors_injected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn webhook_delivered(&self) {
        self.webhooks_delivered.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn webhook_failed(&self) {
        self.webhooks_failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: RequestCounts {
                auth: g(&self.auth),
                employees: g(&self.employees),
                employee: g(&self.employee),
                attributes: g(&self.attributes),
                v2_token: g(&self.v2_token),
                v2_persons: g(&self.v2_persons),
                v2_employments: g(&self.v2_employments),
                v2_lookups: g(&self.v2_lookups),
            },
            rate_limited: g(&self.rate_limited),
            auth_calls: g(&self.auth_calls),
            tenants_authenticated: g(&self.tenants.distinct),
            errors_injected: g(&self.errors_injected),
            webhooks_delivered: g(&self.webhooks_delivered),
            webhooks_failed: g(&self.webhooks_failed),
        }
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.auth,
            &self.employees,
            &self.employee,
            &self.attributes,
            &self.v2_token,
            &self.v2_persons,
            &self.v2_employments,
            &self.v2_lookups,
            &self.rate_limited,
            &self.auth_calls,
            &self.errors_injected,
            &self.webhooks_delivered,
            &self.webhooks_failed,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.tenants.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_authenticated_counts_each_tenant_once() {
        let c = Counters::new(130);
        for t in [0, 1, 1, 64, 130, 130] {
            c.auth_call(t);
        }
        let s = c.snapshot();
        assert_eq!((s.auth_calls, s.tenants_authenticated), (6, 4));
        c.reset();
        c.auth_call(1);
        assert_eq!(c.snapshot().tenants_authenticated, 1);

        let single = Counters::new(0);
        single.auth_call(0);
        assert_eq!(single.snapshot().tenants_authenticated, 0);
    }
}
