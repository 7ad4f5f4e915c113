//! The shared state of one simulator: configuration, the company and everything mutable
//! about the account, shared by every tenant (faults, readable attributes, token
//! generation, quirks, webhook subscriptions) behind one `std::sync::Mutex`, plus limits,
//! counters, the movable "today" and the webhook delivery log (each behind its own small
//! lock).
//!
//! The mutex must never be held across an `.await`: every handler locks, computes its
//! answer, and drops the guard before sleeping or writing. Lock order: world first, then
//! `today` or `deliveries`; never the other way round.

use crate::attributes;
use crate::company::Company;
use crate::config::{Quirks, SimConfig};
use crate::dates::real_today;
use crate::faults::{ActiveFaults, Fault};
use crate::limits::Limits;
use crate::stats::{Counters, Stats};
use crate::tenant::{self, Api};
use crate::webhooks::{self, Book, Delivery, Event, WebhookMode};
use crate::{Result, SimError};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use time::{Date, OffsetDateTime};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Everything mutable about the simulated account.
#[derive(Debug)]
pub(crate) struct World {
    /// Shared with pages still rendering outside the lock; changed through
    /// [`World::company_mut`] (copy on write).
    pub company: Arc<Company>,
    pub faults: ActiveFaults,
    /// `None` = every attribute.
    pub readable: Option<BTreeSet<String>>,
    pub token_generation: u64,
    pub quirks: Quirks,
    pub webhooks: Book,
}

impl World {
    /// The company, to change: copied first if a page is still rendering from it.
    pub(crate) fn company_mut(&mut self) -> &mut Company {
        Arc::make_mut(&mut self.company)
    }

    /// The `shift_listing` fault's step: a random new hire at the front of the listing.
    pub(crate) fn hire_at_front(&mut self, today: Date) {
        let company = self.company_mut();
        let e = company.random_new_hire(today, OffsetDateTime::now_utc());
        company.insert_front(e);
    }
}

#[derive(Debug)]
struct Inner {
    config: SimConfig,
    world: Mutex<World>,
    limits: Option<Limits>,
    counters: Counters,
    /// Set by `POST /_sim/clock`; `None` = the configured (or real) date.
    today: Mutex<Option<Date>>,
    deliveries: Mutex<Vec<Delivery>>,
    http: OnceLock<reqwest::Client>,
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

/// Rejects a tenant count or per-IP burst the simulator cannot honour.
fn check_tenants_and_burst(config: &SimConfig) -> std::result::Result<(), String> {
    if config.tenants > tenant::MAX_TENANTS {
        return Err(format!("tenants must be at most {}", tenant::MAX_TENANTS));
    }
    if config.per_ip_burst == Some(0) {
        return Err("per_ip_burst must be at least 1".into());
    }
    Ok(())
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
        check_tenants_and_burst(&config).map_err(SimError::InvalidConfig)?;
        let today = config.today.unwrap_or_else(real_today);
        let company = Company::generate(
            config.employees,
            config.seed,
            today,
            OffsetDateTime::now_utc(),
        );
        let world = World {
            company: Arc::new(company),
            faults: ActiveFaults::default(),
            readable,
            token_generation: 0,
            quirks: config.quirks.clone(),
            webhooks: Book::new(config.seed),
        };
        Ok(SimState {
            inner: Arc::new(Inner {
                limits: Limits::new(&config),
                counters: Counters::new(config.tenants),
                config,
                world: Mutex::new(world),
                today: Mutex::new(None),
                deliveries: Mutex::new(Vec::new()),
                http: OnceLock::new(),
            }),
        })
    }

    pub(crate) fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// Whether the world lock is free right now (tests of what runs outside it).
    #[cfg(test)]
    pub(crate) fn world_is_free(&self) -> bool {
        self.inner.world.try_lock().is_ok()
    }

    /// Locks the mutable state. Never hold the guard across an `.await`.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.inner.world)
    }

    pub(crate) fn limits(&self) -> Option<&Limits> {
        self.inner.limits.as_ref()
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// The company's today: the date `POST /_sim/clock` set, else the configured date,
    /// else the real UTC date.
    pub fn today(&self) -> Date {
        (*lock(&self.inner.today))
            .or(self.inner.config.today)
            .unwrap_or_else(real_today)
    }

    /// Moves the company's today (as `POST /_sim/clock` does). Moving forward, for everyone
    /// whose date is now reached: an onboarding person whose hire date is reached becomes
    /// `active` and `employment.started` fires (for anyone whose hire date falls in the
    /// skipped days); anyone whose termination date is reached becomes `inactive` and
    /// `employment.terminated` fires. Moving backward only changes the date.
    pub fn set_today(&self, today: Date) {
        let now = OffsetDateTime::now_utc();
        let mut w = self.world();
        let old = self.today();
        *lock(&self.inner.today) = Some(today);
        if today <= old {
            return;
        }
        let seed = self.inner.config.seed;
        let reached = |d: Option<Date>| d.is_some_and(|d| d > old && d <= today);
        let mut events = Vec::new();
        for e in &mut w.company_mut().employees {
            let employment_id = Some(crate::v2_render::employment_id(seed, e.id));
            if reached(e.hire_date) {
                if e.status == crate::company::Status::Onboarding {
                    e.status = crate::company::Status::Active;
                    e.touch("status", now);
                }
                events.push(Event {
                    name: "employment.started",
                    person_id: e.id,
                    employment_id: employment_id.clone(),
                    occurred_at: now,
                });
            }
            if reached(e.termination_date) {
                if e.status != crate::company::Status::Inactive {
                    e.status = crate::company::Status::Inactive;
                    e.touch("status", now);
                }
                events.push(Event {
                    name: "employment.terminated",
                    person_id: e.id,
                    employment_id,
                    occurred_at: now,
                });
            }
        }
        for event in events {
            self.emit(&mut w, event);
        }
    }

    /// Fires `event` to every subscription that asked for it (deliveries run in the
    /// background; nothing here waits).
    pub(crate) fn emit(&self, w: &mut World, event: Event) {
        let company_id = crate::v2_render::company_id(self.inner.config.seed);
        let (jobs, dropped) = w.webhooks.fan_out(&company_id, &event);
        if !dropped.is_empty() {
            lock(&self.inner.deliveries).extend(dropped);
        }
        for job in jobs {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn(webhooks::deliver(self.clone(), job));
                }
                Err(_) => {
                    self.counters().webhook_failed();
                    self.record_delivery(job.record(
                        1,
                        None,
                        webhooks::DeliveryOutcome::Failed,
                        false,
                        Some("no tokio runtime to deliver from".into()),
                    ));
                }
            }
        }
    }

    /// Shorthand for [`SimState::emit`] of an event happening now.
    pub(crate) fn fire(&self, w: &mut World, name: &'static str, person_id: u64, employment: bool) {
        let employment_id =
            employment.then(|| crate::v2_render::employment_id(self.inner.config.seed, person_id));
        self.emit(
            w,
            Event {
                name,
                person_id,
                employment_id,
                occurred_at: OffsetDateTime::now_utc(),
            },
        );
    }

    pub(crate) fn record_delivery(&self, d: Delivery) {
        lock(&self.inner.deliveries).push(d);
    }

    /// The client deliveries are sent with (3 s timeout, no proxy).
    pub(crate) fn http_client(&self) -> std::result::Result<reqwest::Client, reqwest::Error> {
        if let Some(c) = self.inner.http.get() {
            return Ok(c.clone());
        }
        let c = reqwest::Client::builder()
            .timeout(webhooks::DELIVERY_TIMEOUT)
            .no_proxy()
            .build()?;
        Ok(self.inner.http.get_or_init(|| c).clone())
    }

    /// Every webhook delivery attempt so far, oldest first (same as
    /// `GET /_sim/webhooks/deliveries`).
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.inner.deliveries).clone()
    }

    /// Forgets the recorded deliveries.
    pub fn clear_deliveries(&self) {
        lock(&self.inner.deliveries).clear();
    }

    /// Replaces the delivery mode (as `PUT /_sim/webhooks/mode` does).
    pub fn set_webhook_mode(&self, mode: WebhookMode) {
        self.world().webhooks.mode = mode;
    }

    /// The delivery mode, with `drop_next` counted down so far.
    pub fn webhook_mode(&self) -> WebhookMode {
        self.world().webhooks.mode
    }

    /// A snapshot of the counters (same as `GET /_sim/stats`).
    pub fn stats(&self) -> Stats {
        self.inner.counters.snapshot()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.inner.counters.reset();
    }

    /// The token `POST /v1/auth` currently hands out for the configured credential
    /// (tenant 0).
    pub fn current_token(&self) -> String {
        tenant::token(&self.inner.config, Api::V1, 0, self.token_generation())
    }

    /// How often tokens were revoked; every tenant's tokens derive from it.
    pub(crate) fn token_generation(&self) -> u64 {
        self.world().token_generation
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
                w.hire_at_front(today);
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
