//! How a simulator is configured: [`SimConfig`] (company size, seed, credential and its
//! tenants, limits, "today", webhook retry pacing) and [`Quirks`] (switches for Personio
//! behaviour the spec marks UNCONFIRMED).
//!
//! Plain data with defaults. Must never start anything or read the clock.

use serde::{Deserialize, Serialize};

/// Everything a simulator needs to start. Use `..Default::default()` for the rest.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Employees in the generated company.
    pub employees: usize,
    /// Same seed (and same `today`) ⇒ same company.
    pub seed: u64,
    pub client_id: String,
    pub client_secret: String,
    /// Extra credentials ("tenants") for fleet runs: with N > 0 the client ids
    /// `<client_id>-1` … `<client_id>-N` are accepted too, with the same secret, each with
    /// its own tokens and per-credential limits, all on the same company. Tenant 0 is the
    /// plain `client_id`. Default 0.
    pub tenants: u32,
    /// Enforce Personio's limits (per credential: employees 300/min with bursts of 15,
    /// auth 60/min, v2 token 150/min; per client IP: `per_ip_limit`). `false` turns every
    /// limit off, including the per-IP budget.
    pub rate_limit: bool,
    /// Extra latency per Personio request (not for `/_sim/`).
    pub latency_ms: u64,
    /// The company's "today"; `None` = the real UTC date.
    pub today: Option<time::Date>,
    /// Attribute keys the credential may read; `None` = all.
    pub readable: Option<Vec<String>>,
    /// Requests per minute per client IP across all Personio endpoints; `None` = 2000.
    /// Only enforced when `rate_limit` is on.
    pub per_ip_limit: Option<u32>,
    /// How many requests one client IP may send at once; `None` = one second's worth of
    /// `per_ip_limit` (rounded up), since Personio documents no burst for it.
    pub per_ip_burst: Option<u32>,
    /// Switchable behaviours where Personio's is unconfirmed.
    pub quirks: Quirks,
    /// Pause between webhook delivery attempts (a failed delivery is retried up to 6
    /// times). Default 200.
    pub retry_delay_ms: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            employees: 250,
            seed: 7,
            client_id: "demo".into(),
            client_secret: "demo".into(),
            tenants: 0,
            rate_limit: true,
            latency_ms: 0,
            today: None,
            readable: None,
            per_ip_limit: None,
            per_ip_burst: None,
            quirks: Quirks::default(),
            retry_delay_ms: 200,
        }
    }
}

/// What `limit` > 100 gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OversizeLimit {
    /// 422 naming `limit` (default).
    #[default]
    Reject,
    /// Silently served as 100 (`limit` in the response says 100).
    Clamp,
}

/// Which clock a zone-less `updated_since` is read on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdatedSinceZone {
    /// UTC (default).
    #[default]
    Utc,
    /// Europe/Berlin local time.
    EuropeBerlin,
}

/// Behaviours the spec marks UNCONFIRMED, switchable so clients can be tested against each.
/// Also settable at runtime with `PUT /_sim/quirks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quirks {
    pub oversize_limit: OversizeLimit,
    /// Status for wrong credentials on `POST /v1/auth`: 401 (default) or 403.
    pub wrong_credentials_status: u16,
    pub updated_since_zone: UpdatedSinceZone,
    /// v2 `_meta.links.next.href` as an absolute URL (`http://host/v2/…`) instead of the
    /// default relative `/v2/…`.
    pub v2_absolute_next: bool,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            oversize_limit: OversizeLimit::Reject,
            wrong_credentials_status: 401,
            updated_since_zone: UpdatedSinceZone::Utc,
            v2_absolute_next: false,
        }
    }
}
