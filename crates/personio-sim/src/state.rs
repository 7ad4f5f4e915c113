//! The shared state of one simulator: configuration, the company and everything mutable
//! about the account (faults, readable attributes, token generation, quirks) behind one
//! `std::sync::Mutex`, plus limits and counters.
//!
//! The mutex must never be held across an `.await`: every handler locks, computes its
//! answer, and drops the guard before sleeping or writing.

use crate::attributes;
use crate::company::Company;
use crate::config::{Quirks, SimConfig};
use crate::dates::real_today;
use crate::faults::{ActiveFaults, Fault};
use crate::limits::Limits;
use crate::rng::fnv1a;
use crate::stats::{Counters, Stats};
use crate::{Result, SimError};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use time::{Date, OffsetDateTime};

/// Everything mutable about the simulated account.
#[derive(Debug)]
pub(crate) struct World {
    pub company: Company,
    pub faults: ActiveFaults,
    /// `None` = every attribute.
    pub readable: Option<BTreeSet<String>>,
    pub token_generation: u64,
    pub quirks: Quirks,
}

#[derive(Debug)]
struct Inner {
    config: SimConfig,
    world: Mutex<World>,
    limits: Option<Limits>,
    counters: Counters,
}

/// A running simulator's state; cheap to clone. Build one with [`SimState::new`] and serve
/// it with [`crate::router`].
#[derive(Debug, Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

/// Checks attribute keys for `readable`; `id` is accepted (it is always readable anyway).
pub(crate) fn validate_readable(keys: &[String]) -> std::result::Result<BTreeSet<String>, String> {
    let unknown: Vec<&str> = keys
        .iter()
        .filter(|k| !attributes::is_known(k))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        Ok(keys.iter().filter(|k| *k != "id").cloned().collect())
    } else {
        Err(format!("unknown attributes: {}", unknown.join(", ")))
    }
}

impl SimState {
    /// Generates the company and sets up limits. Fails on an invalid configuration.
    pub fn new(config: SimConfig) -> Result<SimState> {
        let readable = match &config.readable {
            Some(keys) => Some(validate_readable(keys).map_err(SimError::InvalidConfig)?),
            None => None,
        };
        if !matches!(config.quirks.wrong_credentials_status, 401 | 403) {
            return Err(SimError::InvalidConfig(
                "quirks.wrong_credentials_status must be 401 or 403".into(),
            ));
        }
        let today = config.today.unwrap_or_else(real_today);
        let company = Company::generate(
            config.employees,
            config.seed,
            today,
            OffsetDateTime::now_utc(),
        );
        let world = World {
            company,
            faults: ActiveFaults::default(),
            readable,
            token_generation: 0,
            quirks: config.quirks.clone(),
        };
        Ok(SimState {
            inner: Arc::new(Inner {
                limits: Limits::new(config.rate_limit, config.per_ip_limit),
                config,
                world: Mutex::new(world),
                counters: Counters::default(),
            }),
        })
    }

    pub(crate) fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// Locks the mutable state. Never hold the guard across an `.await`.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.inner
            .world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn limits(&self) -> Option<&Limits> {
        self.inner.limits.as_ref()
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// The company's today: the configured date, or the real UTC date.
    pub fn today(&self) -> Date {
        self.inner.config.today.unwrap_or_else(real_today)
    }

    /// A snapshot of the counters (same as `GET /_sim/stats`).
    pub fn stats(&self) -> Stats {
        self.inner.counters.snapshot()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.inner.counters.reset();
    }

    /// The token `POST /v1/auth` currently hands out for the configured credential.
    pub fn current_token(&self) -> String {
        let generation = self.world().token_generation;
        token_for(&self.inner.config, generation)
    }

    /// Adds a fault (as `POST /_sim/faults` does).
    pub fn add_fault(&self, fault: Fault) -> Result<()> {
        let today = self.today();
        let mut w = self.world();
        match fault {
            Fault::RevokeToken {} => w.token_generation += 1,
            Fault::MissingAttribute { attribute } => {
                if !attributes::is_known(&attribute) || attribute == "id" {
                    return Err(SimError::InvalidRequest(format!(
                        "unknown attribute: {attribute}"
                    )));
                }
                let mut set = w.readable.take().unwrap_or_else(|| {
                    attributes::CATALOG
                        .iter()
                        .map(|d| d.key.to_string())
                        .collect()
                });
                set.remove(&attribute);
                w.readable = Some(set);
            }
            Fault::ShiftListing { after_requests: 0 } => {
                let e = w.company.random_new_hire(today, OffsetDateTime::now_utc());
                w.company.insert_front(e);
            }
            Fault::FailPage { status, .. } if !(100..=599).contains(&status) => {
                return Err(SimError::InvalidRequest(format!(
                    "status {status} is not an HTTP status"
                )));
            }
            other => w.faults.push(other),
        }
        Ok(())
    }

    /// Removes every armed fault.
    pub fn clear_faults(&self) {
        self.world().faults.clear();
    }

    /// The armed faults, with their remaining counts.
    pub fn faults(&self) -> Vec<Fault> {
        self.world().faults.list().to_vec()
    }

    /// Replaces the attributes the credential may read (`None` = all).
    pub fn set_readable(&self, readable: Option<Vec<String>>) -> Result<()> {
        let set = match readable {
            Some(keys) => Some(validate_readable(&keys).map_err(SimError::InvalidRequest)?),
            None => None,
        };
        self.world().readable = set;
        Ok(())
    }

    /// The attributes the credential may read (`None` = all).
    pub fn readable(&self) -> Option<Vec<String>> {
        self.world()
            .readable
            .as_ref()
            .map(|s| s.iter().cloned().collect())
    }

    /// Replaces the quirks.
    pub fn set_quirks(&self, quirks: Quirks) -> Result<()> {
        if !matches!(quirks.wrong_credentials_status, 401 | 403) {
            return Err(SimError::InvalidRequest(
                "wrong_credentials_status must be 401 or 403".into(),
            ));
        }
        self.world().quirks = quirks;
        Ok(())
    }

    pub fn quirks(&self) -> Quirks {
        self.world().quirks.clone()
    }
}

/// The token for a credential and generation: stable until revoked.
pub(crate) fn token_for(config: &SimConfig, generation: u64) -> String {
    let mut h = fnv1a(&[
        config.client_id.as_bytes(),
        config.client_secret.as_bytes(),
        &config.seed.to_le_bytes(),
        &generation.to_le_bytes(),
    ]);
    let mut rng = crate::rng::Rng::new(h);
    let mut out = String::from("papi-");
    for _ in 0..4 {
        h = rng.next_u64();
        out.push_str(&format!("{h:016x}"));
    }
    out
}
