//! Incoming Personio events (webhooks, API v2): the intake behind
//! `POST /webhooks/personio/{slug}` (the route itself is the HTTP side's,
//! `staffsync_server::http::personio_webhooks`).
//!
//! A delivery is accepted only with the token Personio was given when staffsync
//! registered the webhook, sent verbatim in `Authorization` and compared in constant time
//! (`subtle`) with the stored one: a wrong or missing token is refused, an unknown
//! account is unknown, and nothing is queued. A body that is not the JSON envelope
//! `{"company_id","event_name","occurred_at","payload":{"person_id"?,"employment_id"?}}`
//! is refused. Otherwise the event is queued at once ([`Intake::Queued`]):
//!
//! - **de-duplicated**: the same account, event name, payload and `occurred_at` seen in
//!   the last 10 minutes is dropped (Personio retries, and may deliver twice). Only a
//!   32-byte digest of those is remembered, and at most [`SEEN_MAX`] of them (the oldest
//!   forgotten first), so a flood of large deliveries cannot grow the process;
//! - **debounced** per account (`webhook_debounce`, default 2 s): the person ids of every
//!   event in that window go into one targeted run
//!   ([`run_targeted_now`](crate::realtime::run_targeted_now)), which waits while a
//!   full sync holds the account;
//! - events naming no person (employment events without `person_id`) request a full
//!   sync instead (`Store::request_sync`).
//!
//! The de-duplication memory and the queue live in this process only: with several
//! instances behind a load balancer a duplicate reaching another instance costs one
//! targeted run that changes nothing, and work queued in a process that stops before its
//! debounce ends is caught by the next full reconciliation. This module never changes a
//! directory itself and never logs a token.

use crate::metric_names;
use crate::realtime::{Leased, run_targeted_now};
use crate::run::TargetSource;
use crate::state::AppState;
use personio::PersonioId;
use secrecy::ExposeSecret as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use staffsync_core::{AccountSlug, PersonKey};
use staffsync_store::AccountId;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq as _;

/// How long a delivery is remembered for de-duplication.
pub const DEDUP_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Deliveries remembered for de-duplication at most (32 bytes each plus bookkeeping);
/// beyond it the oldest is forgotten, which at worst costs a targeted run that changes
/// nothing.
pub const SEEN_MAX: usize = 10_000;
/// Largest delivery body accepted; Personio's events are well under 1 KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Attempts of a targeted run that failed (Personio unreachable, …) before the work is
/// left to the next full reconciliation.
const ATTEMPTS: u32 = 3;

/// The delivery envelope Personio sends.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub company_id: Option<serde_json::Value>,
    pub event_name: String,
    #[serde(default)]
    pub occurred_at: Option<String>,
    #[serde(default)]
    pub payload: serde_json::Map<String, serde_json::Value>,
}

/// What a delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A targeted run of this person.
    Person(PersonioId),
    /// A full sync (the event names no person).
    Full,
    /// Not an event staffsync follows.
    Ignore,
}

impl Envelope {
    /// The person a `person.*` or `employment.*` event is about (see the module docs).
    pub fn target(&self) -> Target {
        let person = self.payload.get("person_id").and_then(id_of);
        let family = self.event_name.split('.').next().unwrap_or_default();
        match (family, person) {
            ("person" | "employment", Some(id)) => Target::Person(id),
            ("employment", None) => Target::Full,
            _ => Target::Ignore,
        }
    }

    /// The de-duplication key: SHA-256 over the account, event name, payload and
    /// `occurred_at`, each length-prefixed so no two different deliveries share an input.
    fn key(&self, account: AccountId) -> EventKey {
        let payload = serde_json::to_vec(&self.payload).unwrap_or_default();
        let mut hash = Sha256::new();
        for part in [
            account.0.to_be_bytes().as_slice(),
            self.event_name.as_bytes(),
            &payload,
            self.occurred_at.as_deref().unwrap_or_default().as_bytes(),
        ] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        hash.finalize().into()
    }
}

/// Personio ids arrive as strings in v2 (`"3003"`) and may be numbers.
/// Anything else (zero, negative, not a number) names nobody.
fn id_of(v: &serde_json::Value) -> Option<PersonioId> {
    match v {
        serde_json::Value::Number(n) => PersonioId::parse(&n.to_string()).ok(),
        serde_json::Value::String(s) => PersonioId::parse(s).ok(),
        _ => None,
    }
}

#[derive(Debug, Default)]
struct Pending {
    ids: BTreeSet<PersonioId>,
    full: bool,
}

/// A delivery's de-duplication key ([`Envelope::key`]): fixed size whatever the payload.
type EventKey = [u8; 32];

/// The recently seen deliveries: their keys, and the same keys oldest first with when
/// they were seen. Never more than [`SEEN_MAX`].
#[derive(Debug, Default)]
struct Seen {
    keys: HashSet<EventKey>,
    order: VecDeque<(EventKey, Instant)>,
}

impl Seen {
    /// Remembers `key` seen at `now`; `false` when it was seen within [`DEDUP_WINDOW`].
    fn first_time(&mut self, key: EventKey, now: Instant) -> bool {
        while let Some(&(old, at)) = self.order.front() {
            if now.duration_since(at) < DEDUP_WINDOW {
                break;
            }
            self.order.pop_front();
            self.keys.remove(&old);
        }
        if self.keys.contains(&key) {
            return false;
        }
        while self.order.len() >= SEEN_MAX {
            if let Some((old, _)) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
        self.order.push_back((key, now));
        self.keys.insert(key);
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys.len()
    }
}

/// Webhook work waiting for its targeted run, and the recently seen deliveries. In
/// memory, per process.
#[derive(Debug, Default)]
pub struct Inbox {
    seen: Mutex<Seen>,
    pending: Mutex<HashMap<AccountId, Pending>>,
}

impl Inbox {
    /// Remembers `key`; `false` when it was seen within [`DEDUP_WINDOW`].
    fn first_time(&self, key: EventKey) -> bool {
        let mut seen = match self.seen.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        seen.first_time(key, Instant::now())
    }

    /// Queues `target`; `true` when the account had nothing queued (the caller starts
    /// the debounce).
    fn push(&self, account: AccountId, target: &Target) -> bool {
        let mut pending = match self.pending.lock() {
            Ok(p) => p,
            Err(p) => p.into_inner(),
        };
        let fresh = !pending.contains_key(&account);
        let entry = pending.entry(account).or_default();
        match target {
            Target::Person(id) => {
                entry.ids.insert(*id);
            }
            Target::Full => entry.full = true,
            Target::Ignore => {}
        }
        fresh
    }

    fn take(&self, account: AccountId) -> Pending {
        let mut pending = match self.pending.lock() {
            Ok(p) => p,
            Err(p) => p.into_inner(),
        };
        pending.remove(&account).unwrap_or_default()
    }
}

/// What became of one delivery; the HTTP side answers with [`Intake::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// Queued for a targeted run (or a full sync): 202.
    Queued,
    /// Seen in the last 10 minutes: dropped, 202.
    Duplicate,
    /// An event staffsync does not follow: 202.
    Ignored,
    /// No account by that name: 404.
    Unknown,
    /// A missing or wrong token: 401.
    Unauthorized,
    /// Not an event envelope: 400.
    BadRequest,
    /// The store did not answer: 503 (Personio retries).
    Unavailable,
}

impl Intake {
    /// The HTTP status of the answer.
    pub fn status(self) -> u16 {
        match self {
            Intake::Queued | Intake::Duplicate | Intake::Ignored => 202,
            Intake::Unknown => 404,
            Intake::Unauthorized => 401,
            Intake::BadRequest => 400,
            Intake::Unavailable => 503,
        }
    }

    /// The answer's body and the `outcome` label of the webhooks metric.
    pub fn label(self) -> &'static str {
        match self {
            Intake::Queued => "queued",
            Intake::Duplicate => "duplicate",
            Intake::Ignored => "ignored",
            Intake::Unknown => "unknown",
            Intake::Unauthorized => "unauthorized",
            Intake::BadRequest => "bad_request",
            Intake::Unavailable => "unavailable",
        }
    }
}

/// Takes one delivery for the account `slug`, with the `Authorization` header's bytes
/// and the body (at most [`MAX_BODY_BYTES`]: the HTTP side refuses larger ones).
pub async fn receive(state: &AppState, slug: &str, authorization: &[u8], body: &[u8]) -> Intake {
    let intake = intake(state, slug, authorization, body).await;
    if intake != Intake::Unavailable {
        metrics::counter!(metric_names::WEBHOOKS_TOTAL, "outcome" => intake.label()).increment(1);
    }
    intake
}

async fn intake(state: &AppState, slug: &str, given: &[u8], body: &[u8]) -> Intake {
    let Ok(slug) = AccountSlug::parse(slug) else {
        return Intake::Unknown;
    };
    let account = match state.store.account(&slug).await {
        Ok(Some(a)) => a,
        Ok(None) => return Intake::Unknown,
        Err(e) => {
            tracing::warn!(error = %e, "webhook: store unavailable");
            return Intake::Unavailable;
        }
    };
    let webhook = match state.store.webhook(account.id).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "webhook: cannot read the stored token");
            return Intake::Unavailable;
        }
    };
    let authorized = webhook.is_some_and(|w| {
        let expected = w.token.expose_secret().as_bytes();
        !expected.is_empty() && bool::from(expected.ct_eq(given))
    });
    if !authorized {
        tracing::warn!(account = %account.slug, "webhook delivery with a wrong token refused");
        return Intake::Unauthorized;
    }
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(_) => return Intake::BadRequest,
    };
    let target = envelope.target();
    if target == Target::Ignore {
        return Intake::Ignored;
    }
    if !state.inbox.first_time(envelope.key(account.id)) {
        return Intake::Duplicate;
    }
    tracing::info!(account = %account.slug, event = %envelope.event_name, ?target, "webhook queued");
    if state.inbox.push(account.id, &target) {
        tokio::spawn(drain(state.clone(), account.id));
    }
    Intake::Queued
}

/// Waits out the debounce, then runs the account's queued work.
async fn drain(state: AppState, account: AccountId) {
    let debounce = state.config.webhook_debounce;
    tokio::time::sleep(debounce).await;
    let work = state.inbox.take(account);
    if work.full
        && let Err(e) = state.store.request_sync(account, None).await
    {
        tracing::warn!(%account, error = %e, "webhook: could not request a full sync");
    }
    if work.ids.is_empty() {
        return;
    }
    let wait = debounce.max(Duration::from_millis(500));
    // The account's directory keys its Personio people by their Personio ids.
    let keys: BTreeSet<PersonKey> = work.ids.iter().copied().map(PersonioId::key).collect();
    let mut failures = 0;
    loop {
        match run_targeted_now(&state, account, &keys, TargetSource::Fetch).await {
            Ok(Leased::Ran(_)) => return,
            // A full sync (or another targeted run) holds the account: wait for it.
            Ok(Leased::Busy) => tokio::time::sleep(wait).await,
            Err(e) => {
                failures += 1;
                if failures >= ATTEMPTS {
                    tracing::warn!(%account, error = %e, "webhook: targeted sync failed; the next full sync catches up");
                    return;
                }
                tokio::time::sleep(wait * failures).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str, payload: serde_json::Value) -> Envelope {
        serde_json::from_value(serde_json::json!({
            "company_id": 1, "event_name": name, "occurred_at": "2026-03-15T10:00:00Z",
            "payload": payload,
        }))
        .expect("envelope")
    }

    #[test]
    fn targets() {
        let p = env("person.updated", serde_json::json!({"person_id": "3003"}));
        assert_eq!(p.target(), Target::Person(PersonioId(3003)));
        let e = env(
            "employment.updated",
            serde_json::json!({"employment_id": "u-1"}),
        );
        assert_eq!(e.target(), Target::Full);
        let e = env(
            "employment.terminated",
            serde_json::json!({"employment_id": "u-1", "person_id": 7}),
        );
        assert_eq!(e.target(), Target::Person(PersonioId(7)));
        assert_eq!(
            env("absence.created", serde_json::json!({})).target(),
            Target::Ignore
        );
    }

    #[test]
    fn dedup_and_queue() {
        let inbox = Inbox::default();
        let p = env("person.updated", serde_json::json!({"person_id": "1"}));
        assert!(inbox.first_time(p.key(AccountId(1))));
        assert!(!inbox.first_time(p.key(AccountId(1))));
        assert!(inbox.first_time(p.key(AccountId(2))));
        assert!(inbox.push(AccountId(1), &Target::Person(PersonioId(1))));
        assert!(!inbox.push(AccountId(1), &Target::Person(PersonioId(2))));
        let work = inbox.take(AccountId(1));
        assert_eq!(work.ids.len(), 2);
        assert!(!work.full);
        assert!(inbox.push(AccountId(1), &Target::Full));
    }

    #[test]
    fn the_seen_memory_is_bounded_and_holds_no_payload() {
        // A remembered delivery is a 32-byte digest, whatever its payload.
        assert_eq!(std::mem::size_of::<EventKey>(), 32);
        let big = "x".repeat(1024);
        let inbox = Inbox::default();
        let delivery = |i: usize| {
            env(
                "person.updated",
                serde_json::json!({"person_id": i.to_string(), "note": big}),
            )
            .key(AccountId(1))
        };
        for i in 0..(SEEN_MAX + 500) {
            assert!(inbox.first_time(delivery(i)));
            let seen = inbox.seen.lock().expect("lock");
            assert!(seen.len() <= SEEN_MAX, "{} keys remembered", seen.len());
            assert_eq!(seen.order.len(), seen.len());
        }
        // The newest are still de-duplicated; the oldest were forgotten first.
        assert!(!inbox.first_time(delivery(SEEN_MAX + 499)));
        assert!(!inbox.first_time(delivery(500)));
        assert!(inbox.first_time(delivery(0)));
    }

    #[test]
    fn keys_expire_after_the_window() {
        let mut seen = Seen::default();
        let t0 = Instant::now();
        assert!(seen.first_time([1; 32], t0));
        assert!(!seen.first_time([1; 32], t0 + DEDUP_WINDOW / 2));
        assert!(seen.first_time([1; 32], t0 + DEDUP_WINDOW));
        assert_eq!(seen.len(), 1);
    }
}
