//! The outgoing-webhook worker: POSTs each account's applied changes to its endpoints,
//! signed the Standard Webhooks way, and prunes the change feed after its retention.
//!
//! It runs beside the scheduler in every `serve` process and works only from the store:
//! `plan_deliveries` makes an endpoint's next delivery once its previous one is done (so
//! an endpoint receives its changes in order), `claim_deliveries` leases due ones (so two
//! processes never send the same attempt at once). Each attempt is its own task with a
//! timeout, at most [`MAX_IN_FLIGHT_PER_ACCOUNT`] of one account (over all processes).
//! An account with nothing in flight gets its next attempt at once, outside the process's
//! [`MAX_IN_FLIGHT`] shared slots (so at most one such attempt per account); further
//! attempts share those slots, the accounts with the fewest in flight first. So a slow or
//! failing receiver holds up only its own endpoint, and an account whose receivers never
//! answer holds a few attempts until their timeout: a sync, another endpoint or another
//! account never waits for it, however many accounts' receivers are dead. A failed
//! attempt is retried after [`ServerConfig::webhook_retry_backoff`] until
//! [`ServerConfig::webhook_retry_window`] after the delivery was made; then it is given up
//! (the changes stay in the feed) and the endpoint moves on.
//!
//! Signing (<https://www.standardwebhooks.com/>): headers `webhook-id` (the same for
//! every attempt of a delivery), `webhook-timestamp` (Unix seconds of the attempt) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with
//! the base64-decoded part of the endpoint's `whsec_…` secret.
//!
//! This worker must never send to an address the policy refuses
//! ([`crate::outgoing_webhooks::targets`]), never follow a redirect, and never log or record
//! the secret or what a receiver answered (only its status code).
//!
//! [`ServerConfig::webhook_retry_backoff`]: crate::ServerConfig::webhook_retry_backoff
//! [`ServerConfig::webhook_retry_window`]: crate::ServerConfig::webhook_retry_window

pub mod targets;

use crate::feed::{change_json, cursor};
use crate::metric_names::WEBHOOK_DELIVERIES_TOTAL;
use crate::state::AppState;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret as _, SecretString};
use staffsync_store::{AttemptOutcome, ClaimedDelivery, DeliveryError};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// Attempts in flight at once, over all endpoints (per process).
pub const MAX_IN_FLIGHT: usize = 16;
/// Attempts of one account in flight at once (over all processes): an account's
/// receivers that never answer hold no more slots than this until their timeout.
pub const MAX_IN_FLIGHT_PER_ACCOUNT: usize = 4;
/// Accounts whose first attempt (with none of theirs in flight) is claimed in one round
/// outside [`MAX_IN_FLIGHT`]; more wait for the next round.
pub const FIRST_ATTEMPTS: usize = 64;
/// Changes per delivery at most.
pub const MAX_CHANGES_PER_DELIVERY: usize = 1000;
/// Prefix of endpoint secrets.
pub const SECRET_PREFIX: &str = "whsec_";
/// How often the feed is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// A new endpoint secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> SecretString {
    let bytes: [u8; 32] = rand::random();
    SecretString::from(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// `v1,<signature>` for one message (see the module doc). `None` when the secret is not
/// a `whsec_` secret (it always is: this service makes them).
pub fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = secret.expose_secret().strip_prefix(SECRET_PREFIX)?;
    let key = STANDARD.decode(key).ok()?;
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Runs until `stop` turns true; lets attempts in flight finish.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut running: JoinSet<()> = JoinSet::new();
    let poll = state.config.webhook_poll.max(Duration::from_millis(10));
    let mut last_prune: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            stopped = stop.wait_for(|s| *s) => {
                let _ = stopped;
                break;
            }
            () = tokio::time::sleep(poll) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
        while running.try_join_next().is_some() {}
        if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(tokio::time::Instant::now());
            prune(&state).await;
        }
        if let Err(e) = state.store.plan_deliveries(MAX_CHANGES_PER_DELIVERY).await {
            tracing::warn!(error = %e, "could not plan webhook deliveries");
        }
        let now = OffsetDateTime::now_utc();
        let lease = time::Duration::try_from(state.config.webhook_timeout * 2)
            .unwrap_or(time::Duration::minutes(1));
        // An account with nothing in flight is served at once, without one of the
        // process's slots: however many of them other accounts' dead receivers hold, they
        // never delay it. (Bounded: one attempt per account, and only while it has none.)
        match state
            .store
            .claim_deliveries(now, lease, FIRST_ATTEMPTS, 1)
            .await
        {
            Ok(claimed) => {
                for delivery in claimed {
                    let state = state.clone();
                    running.spawn(async move { attempt(&state, delivery).await });
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not claim webhook deliveries"),
        }
        let free = slots.available_permits();
        if free > 0 {
            match state
                .store
                .claim_deliveries(now, lease, free, MAX_IN_FLIGHT_PER_ACCOUNT)
                .await
            {
                Ok(claimed) => {
                    for delivery in claimed {
                        let Ok(permit) = slots.clone().acquire_owned().await else {
                            break;
                        };
                        let state = state.clone();
                        running.spawn(async move {
                            attempt(&state, delivery).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not claim webhook deliveries"),
            }
        }
        record_backlog(&state).await;
    }
    while running.join_next().await.is_some() {}
}

async fn prune(state: &AppState) {
    let retention =
        time::Duration::try_from(state.config.change_retention).unwrap_or(time::Duration::MAX);
    let cutoff = OffsetDateTime::now_utc()
        .checked_sub(retention)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    match state.store.prune_changes(cutoff).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "pruned the change feed"),
        Err(e) => tracing::warn!(error = %e, "could not prune the change feed"),
    }
}

async fn record_backlog(state: &AppState) {
    match state.store.delivery_backlog().await {
        Ok(b) => {
            metrics::gauge!(crate::metric_names::WEBHOOK_PENDING_DELIVERIES).set(b.pending as f64);
            let lag = b
                .oldest_undelivered
                .map_or(0.0, |t| (OffsetDateTime::now_utc() - t).as_seconds_f64());
            metrics::gauge!(crate::metric_names::CHANGE_FEED_LAG_SECONDS).set(lag.max(0.0));
        }
        Err(e) => tracing::warn!(error = %e, "could not measure the webhook backlog"),
    }
}

/// One attempt of a claimed delivery, recorded in the store.
async fn attempt(state: &AppState, claimed: ClaimedDelivery) {
    let d = &claimed.delivery;
    let result = send(state, &claimed).await;
    let outcome = match result {
        Ok(status) => AttemptOutcome::Delivered { status },
        Err((status, code, error)) => {
            let failures = u32::try_from(d.attempts).unwrap_or(u32::MAX);
            let backoff = &state.config.webhook_retry_backoff;
            let wait = backoff
                .get(failures as usize)
                .or(backoff.last())
                .copied()
                .unwrap_or(Duration::from_secs(60));
            let next = OffsetDateTime::now_utc()
                + time::Duration::try_from(wait).unwrap_or(time::Duration::HOUR);
            let window = time::Duration::try_from(state.config.webhook_retry_window)
                .unwrap_or(time::Duration::DAY);
            if next > d.created_at + window {
                AttemptOutcome::GiveUp {
                    status,
                    code,
                    error,
                }
            } else {
                AttemptOutcome::Retry {
                    at: next,
                    status,
                    code,
                    error,
                }
            }
        }
    };
    let result = match &outcome {
        AttemptOutcome::Delivered { .. } => "delivered",
        AttemptOutcome::Retry { .. } => "retry",
        AttemptOutcome::GiveUp { .. } => "failed",
    };
    metrics::counter!(WEBHOOK_DELIVERIES_TOTAL, "result" => result).increment(1);
    if let AttemptOutcome::GiveUp { error, .. } = &outcome {
        tracing::warn!(
            delivery = d.id,
            endpoint = d.endpoint_id,
            %error,
            "gave up a webhook delivery after its retry window"
        );
    }
    if let Err(e) = state.store.record_attempt(d, &outcome).await {
        tracing::warn!(error = %e, delivery = d.id, "could not record a webhook attempt");
    }
}

/// Why an attempt failed: the receiver's status (if it answered), the kind (which the
/// web app says in the page's language) and fixed English words (the API's).
type Failed = (Option<i64>, DeliveryError, String);

/// Sends one attempt: `Ok(status)` for a 2xx, else the status (if any) and why.
async fn send(state: &AppState, claimed: &ClaimedDelivery) -> Result<i64, Failed> {
    let d = &claimed.delivery;
    let allow_private = state.config.webhook_allow_private;
    let internal = |e: &str| (None, DeliveryError::Internal, e.to_owned());
    let url = targets::check_endpoint_url(&claimed.url, allow_private).map_err(|e| {
        (
            None,
            DeliveryError::UrlNotAllowed,
            format!("the URL is not allowed: {e}"),
        )
    })?;
    let addrs = targets::resolve(&url, allow_private)
        .await
        .map_err(|e| (None, e, targets::words(e).to_owned()))?;
    let changes = state
        .store
        .delivery_changes(claimed.account, d)
        .await
        .map_err(|_| internal("could not read the changes"))?;
    let refs = crate::feed::refs_of(&state.store, claimed.account, &changes)
        .await
        .map_err(|_| internal("could not read the changes"))?;
    let body = serde_json::json!({
        "type": "directory.changed",
        "timestamp": OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        "data": {
            "run_id": d.run_id.0,
            "changes": changes
                .iter()
                .map(|c| change_json(claimed.account, c, &refs))
                .collect::<Vec<_>>(),
            "next_cursor": cursor(claimed.account, d.through),
        },
    });
    let body = serde_json::to_vec(&body).map_err(|_| internal("could not encode the changes"))?;
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(&claimed.secret, &d.message_id, timestamp, &body)
        .ok_or_else(|| internal("the endpoint's secret is unusable"))?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(state.config.webhook_timeout)
        .user_agent(concat!("staffsync-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some(host) = url.host_str()
        && url.domain().is_some()
    {
        // Connect only to the addresses checked above.
        builder = builder.resolve_to_addrs(host, &addrs);
    }
    let client = builder
        .build()
        .map_err(|_| internal("could not build the HTTP client"))?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            let (code, why) = if e.is_timeout() {
                (
                    DeliveryError::Timeout,
                    "the receiver did not answer in time",
                )
            } else if e.is_connect() {
                (DeliveryError::Connect, "could not connect to the receiver")
            } else {
                (DeliveryError::RequestFailed, "the request failed")
            };
            (None, code, why.to_owned())
        })?;
    let status = i64::from(response.status().as_u16());
    if response.status().is_success() {
        Ok(status)
    } else if response.status().is_redirection() {
        Err((
            Some(status),
            DeliveryError::Redirect,
            "the receiver answered with a redirect (not followed)".into(),
        ))
    } else {
        Err((
            Some(status),
            DeliveryError::ReceiverStatus,
            format!("the receiver answered HTTP {status}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_like_the_standard_webhooks_reference() {
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert!(new_secret().expose_secret().starts_with("whsec_"));
    }
}
