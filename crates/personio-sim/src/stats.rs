//! Request counters: per endpoint (v1 and v2), auth calls, rate-limited and injected
//! errors, webhook deliveries; the
//! [`Stats`] snapshot is the JSON of `GET /_sim/stats`.
//!
//! Lock-free atomics only. Must never block a request or hold any other state.

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
    /// Every response a fault changed.
    pub errors_injected: u64,
    /// Webhook deliveries acknowledged with a 2xx (one per delivery, not per attempt).
    #[serde(skip_serializing_if = "is_zero")]
    pub webhooks_delivered: u64,
    /// Webhook delivery attempts that failed (non-2xx, timeout, connection error).
    #[serde(skip_serializing_if = "is_zero")]
    pub webhooks_failed: u64,
}

/// v2 and webhook counters are left out of the JSON while zero, so a v1-only run serves
/// exactly the v1 JSON (absent = 0; `Deserialize` fills them in).
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
}

impl Counters {
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

    pub(crate) fn auth_call(&self) {
        self.auth_calls.fetch_add(1, Ordering::Relaxed);
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
    }
}
