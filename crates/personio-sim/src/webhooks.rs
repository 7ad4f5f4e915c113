//! Webhooks: subscriptions (`/v2/webhooks`), the events the `/_sim/` mutations and the
//! clock fire, the delivery mode (`drop_next`, `duplicate`) and delivery itself.
//!
//! Each delivery runs in its own tokio task (spawned when the event fires, so a mutation
//! never waits for a receiver): `POST url` with `Authorization: <token>` verbatim and the
//! dataless envelope, 3 s timeout, retried up to 6 times `retry_delay_ms` apart on a
//! non-2xx answer, a timeout or a connection error. Every attempt is recorded (see
//! [`Delivery`]). Must never hold the state lock across an `.await`, and must never
//! deliver an event to a subscription that did not ask for it.

use crate::rng::{Rng, fnv1a};
use crate::state::SimState;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;

/// Every event name a subscription may ask for.
pub(crate) const EVENT_NAMES: &[&str] = &[
    "person.created",
    "person.updated",
    "person.deleted",
    "employment.created",
    "employment.updated",
    "employment.deleted",
    "employment.started",
    "employment.terminated",
];

/// Retries after the first attempt.
pub(crate) const MAX_RETRIES: u32 = 6;

/// How long a receiver has to answer.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);

/// One subscription, as `POST /v2/webhooks` created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subscription {
    pub id: String,
    pub url: String,
    pub enabled_events: Vec<String>,
    pub description: Option<String>,
    pub token: String,
    pub enabled: bool,
}

impl Subscription {
    /// The v2 JSON of a subscription.
    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "url": self.url,
            "enabled_events": self.enabled_events,
            "description": self.description,
            "token": self.token,
            "status": if self.enabled { "ENABLED" } else { "DISABLED" },
        })
    }
}

/// How the next deliveries misbehave (`PUT /_sim/webhooks/mode`). Missing keys take the
/// defaults (0, false).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookMode {
    /// The next N deliveries (event × subscription) are never sent (recorded as
    /// `dropped`); counts down.
    pub drop_next: u32,
    /// While true, every delivery is sent twice (two independent deliveries with the same
    /// envelope).
    pub duplicate: bool,
}

/// What one recorded attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Non-2xx, timeout or connection error (`will_retry` says whether another attempt
    /// follows).
    Failed,
    /// Not sent because of `drop_next` (`attempt` is 0).
    Dropped,
}

/// One delivery attempt, as `GET /_sim/webhooks/deliveries` lists it (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Same for every attempt of one delivery; a `duplicate` copy gets its own.
    pub delivery_id: u64,
    pub subscription_id: String,
    /// `person.created`, …
    pub event: String,
    pub url: String,
    /// 1 for the first attempt, up to 7; 0 for a dropped delivery.
    pub attempt: u32,
    /// The receiver's HTTP status; `None` for a timeout, a connection error or a drop.
    pub status: Option<u16>,
    pub outcome: DeliveryOutcome,
    pub will_retry: bool,
    /// What went wrong on the wire, if anything.
    pub error: Option<String>,
    pub person_id: Option<String>,
    pub employment_id: Option<String>,
    /// The envelope's `occurred_at`.
    pub occurred_at: String,
}

/// What fired: one event about one person (and maybe one employment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    pub name: &'static str,
    pub person_id: u64,
    pub employment_id: Option<String>,
    pub occurred_at: OffsetDateTime,
}

/// One delivery to send (an event for one subscription).
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub delivery_id: u64,
    pub subscription_id: String,
    pub url: String,
    pub token: String,
    pub event: Event,
    pub body: Value,
}

impl Job {
    /// The record of one attempt of this job.
    pub(crate) fn record(
        &self,
        attempt: u32,
        status: Option<u16>,
        outcome: DeliveryOutcome,
        will_retry: bool,
        error: Option<String>,
    ) -> Delivery {
        Delivery {
            delivery_id: self.delivery_id,
            subscription_id: self.subscription_id.clone(),
            event: self.event.name.to_string(),
            url: self.url.clone(),
            attempt,
            status,
            outcome,
            will_retry,
            error,
            person_id: Some(self.event.person_id.to_string()),
            employment_id: self.event.employment_id.clone(),
            occurred_at: crate::v2_render::timestamp(self.event.occurred_at),
        }
    }
}

/// Subscriptions and mode, part of the locked world.
#[derive(Debug)]
pub(crate) struct Book {
    pub subscriptions: Vec<Subscription>,
    pub mode: WebhookMode,
    next_delivery: u64,
    rng: Rng,
}

impl Book {
    pub(crate) fn new(seed: u64) -> Book {
        Book {
            subscriptions: Vec::new(),
            mode: WebhookMode::default(),
            next_delivery: 1,
            rng: Rng::new(fnv1a(&[b"webhooks", &seed.to_le_bytes()])),
        }
    }

    /// A new subscription with a fresh id and token.
    pub(crate) fn subscribe(
        &mut self,
        url: String,
        enabled_events: Vec<String>,
        description: Option<String>,
    ) -> Subscription {
        let id = crate::v2_render::uuid(self.rng.next_u64(), self.rng.next_u64());
        let token = format!(
            "whtok_{:016x}{:016x}",
            self.rng.next_u64(),
            self.rng.next_u64()
        );
        let sub = Subscription {
            id,
            url,
            enabled_events,
            description,
            token,
            enabled: true,
        };
        self.subscriptions.push(sub.clone());
        sub
    }

    /// Fans `event` out to the enabled subscriptions that asked for it, applying the mode.
    /// Returns the jobs to send and the records of dropped ones.
    pub(crate) fn fan_out(&mut self, company_id: &str, event: &Event) -> (Vec<Job>, Vec<Delivery>) {
        let mut jobs = Vec::new();
        let mut dropped = Vec::new();
        let mut payload = serde_json::Map::new();
        payload.insert("person_id".into(), json!(event.person_id.to_string()));
        if let Some(emp) = &event.employment_id {
            payload.insert("employment_id".into(), json!(emp));
        }
        let body = json!({
            "company_id": company_id,
            "event_name": event.name,
            "occurred_at": crate::v2_render::timestamp(event.occurred_at),
            "payload": payload,
        });
        for sub in &self.subscriptions {
            if !sub.enabled || !sub.enabled_events.iter().any(|e| e == event.name) {
                continue;
            }
            let copies = if self.mode.duplicate { 2 } else { 1 };
            for _ in 0..copies {
                let job = Job {
                    delivery_id: self.next_delivery,
                    subscription_id: sub.id.clone(),
                    url: sub.url.clone(),
                    token: sub.token.clone(),
                    event: event.clone(),
                    body: body.clone(),
                };
                self.next_delivery += 1;
                if self.mode.drop_next > 0 {
                    self.mode.drop_next -= 1;
                    dropped.push(job.record(0, None, DeliveryOutcome::Dropped, false, None));
                } else {
                    jobs.push(job);
                }
            }
        }
        (jobs, dropped)
    }
}

/// Whether `url` is something we can POST to.
pub(crate) fn valid_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Sends one job with retries, recording every attempt on `state`.
pub(crate) async fn deliver(state: SimState, job: Job) {
    let delay = Duration::from_millis(state.config().retry_delay_ms);
    let client = match state.http_client() {
        Ok(c) => c,
        Err(e) => {
            state.counters().webhook_failed();
            state.record_delivery(job.record(
                1,
                None,
                DeliveryOutcome::Failed,
                false,
                Some(format!("cannot build an HTTP client: {e}")),
            ));
            return;
        }
    };
    for attempt in 1..=MAX_RETRIES + 1 {
        let sent = client
            .post(&job.url)
            .header(reqwest::header::AUTHORIZATION, job.token.as_str())
            .json(&job.body)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) => (None, Some(describe(&e))),
        };
        if status.is_some_and(|s| (200..300).contains(&s)) {
            state.counters().webhook_delivered();
            state.record_delivery(job.record(
                attempt,
                status,
                DeliveryOutcome::Delivered,
                false,
                None,
            ));
            return;
        }
        let will_retry = attempt <= MAX_RETRIES;
        state.counters().webhook_failed();
        state.record_delivery(job.record(
            attempt,
            status,
            DeliveryOutcome::Failed,
            will_retry,
            error,
        ));
        if will_retry {
            tokio::time::sleep(delay).await;
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}
