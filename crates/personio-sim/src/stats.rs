//! Request counters: per endpoint, auth calls, rate-limited and injected errors; the
//! [`Stats`] snapshot is the JSON of `GET /_sim/stats`.
//!
//! Lock-free atomics only. Must never block a request or hold any other state.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests received per Personio endpoint (every request, whatever its answer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// `POST /v1/auth`.
    pub auth: u64,
    /// `GET /v1/company/employees`.
    pub employees: u64,
    /// `GET /v1/company/employees/{id}`.
    pub employee: u64,
    /// `GET /v1/company/employees/attributes`.
    pub attributes: u64,
}

/// A snapshot of the counters, as served by `GET /_sim/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: RequestCounts,
    /// Every 429 sent (real limits and `rate_limit_storm`).
    pub rate_limited: u64,
    /// Successful token issues.
    pub auth_calls: u64,
    /// Every response a fault changed.
    pub errors_injected: u64,
}

/// The endpoint a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Auth,
    Employees,
    Employee,
    Attributes,
    Other,
}

impl Endpoint {
    pub(crate) fn classify(method: &axum::http::Method, path: &str) -> Endpoint {
        let path = path.trim_end_matches('/');
        if method == axum::http::Method::POST && path == "/v1/auth" {
            return Endpoint::Auth;
        }
        if method != axum::http::Method::GET {
            return Endpoint::Other;
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
    rate_limited: AtomicU64,
    auth_calls: AtomicU64,
    errors_injected: AtomicU64,
}

impl Counters {
    pub(crate) fn request(&self, endpoint: Endpoint) {
        let c = match endpoint {
            Endpoint::Auth => &self.auth,
            Endpoint::Employees => &self.employees,
            Endpoint::Employee => &self.employee,
            Endpoint::Attributes => &self.attributes,
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

    pub(crate) fn snapshot(&self) -> Stats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: RequestCounts {
                auth: g(&self.auth),
                employees: g(&self.employees),
                employee: g(&self.employee),
                attributes: g(&self.attributes),
            },
            rate_limited: g(&self.rate_limited),
            auth_calls: g(&self.auth_calls),
            errors_injected: g(&self.errors_injected),
        }
    }

    pub(crate) fn reset(&self) {
        for c in [
            &self.auth,
            &self.employees,
            &self.employee,
            &self.attributes,
            &self.rate_limited,
            &self.auth_calls,
            &self.errors_injected,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}
