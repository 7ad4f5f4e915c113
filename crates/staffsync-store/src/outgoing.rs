//! Outgoing webhooks: the endpoints an account registered to receive its change feed, and
//! the delivery log (one row per POST with its retries).
//!
//! Deliveries are made from the feed, not by `apply_plan`: each endpoint remembers the
//! feed position it has been served up to (`delivered_after`), and [`Store::plan_deliveries`]
//! makes the next delivery (the following rows of one run, at most a chunk) only once the
//! endpoint has no open one. So deliveries reach an endpoint in feed order, a sync never
//! waits for them, and a receiver that fails holds up only its own endpoint. Claiming is
//! fair between accounts ([`Store::claim_deliveries`]): one account's dead receivers take
//! at most a few of the senders' slots.
//!
//! The endpoint secret is sealed like the Personio secret (`crypto`, bound to the account)
//! and is read only by the delivery worker ([`Store::claim_deliveries`]); it never appears
//! in `Debug`, errors or listings.

use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::feed::FeedChange;
use crate::sql::{now, parse_opt_ts, parse_ts, ts};
use crate::{AccountId, RunId, Store};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;
use std::fmt;
use time::OffsetDateTime;

/// A registered endpoint (without its secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not yet accepted by the receiver; retried until it is or the retry window ends.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up after the retry window (the changes stay readable in the feed).
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One delivery as the log shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    /// The `webhook-id` header: the same for every attempt of this delivery.
    pub message_id: String,
    pub run_id: RunId,
    /// The feed rows it carries: after this position, through `through`.
    pub after: i64,
    pub through: i64,
    pub change_count: i64,
    pub status: DeliveryStatus,
    pub attempts: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_attempt_at: Option<OffsetDateTime>,
    /// The receiver's HTTP status of the last attempt, if it answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed, in fixed words (never the receiver's body).
    pub last_error: Option<String>,
    /// Why the last attempt failed, as a value the web app says in the page's language
    /// (`None` before failures were values, or for a code a newer release wrote).
    #[serde(skip)]
    pub last_error_code: Option<DeliveryError>,
}

/// Why an attempt of a delivery failed, by kind (stored as its code in
/// `webhook_deliveries.last_error_code`; the English words stay in `last_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryError {
    /// The endpoint's URL is no longer allowed (checked again at every delivery).
    UrlNotAllowed,
    /// The host name could not be resolved.
    NotResolved,
    /// The host resolves to an address that is not allowed.
    AddressNotAllowed,
    /// The receiver did not answer in time.
    Timeout,
    /// No connection to the receiver.
    Connect,
    /// The request failed otherwise (TLS, the connection broke).
    RequestFailed,
    /// The receiver answered with a redirect, which is not followed.
    Redirect,
    /// The receiver answered with an error status (`last_status`).
    ReceiverStatus,
    /// Something on staffsync's side (reading the changes, the secret, the client).
    Internal,
}

impl DeliveryError {
    pub const ALL: [DeliveryError; 9] = [
        DeliveryError::UrlNotAllowed,
        DeliveryError::NotResolved,
        DeliveryError::AddressNotAllowed,
        DeliveryError::Timeout,
        DeliveryError::Connect,
        DeliveryError::RequestFailed,
        DeliveryError::Redirect,
        DeliveryError::ReceiverStatus,
        DeliveryError::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryError::UrlNotAllowed => "url_not_allowed",
            DeliveryError::NotResolved => "not_resolved",
            DeliveryError::AddressNotAllowed => "address_not_allowed",
            DeliveryError::Timeout => "timeout",
            DeliveryError::Connect => "connect",
            DeliveryError::RequestFailed => "request_failed",
            DeliveryError::Redirect => "redirect",
            DeliveryError::ReceiverStatus => "receiver_status",
            DeliveryError::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A delivery the worker claimed, with what it needs to send it. `Debug` redacts the secret.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery: WebhookDelivery,
    pub account: AccountId,
    pub url: String,
    pub secret: SecretString,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    Delivered {
        status: i64,
    },
    /// Failed; try again at `at`.
    Retry {
        at: OffsetDateTime,
        status: Option<i64>,
        code: DeliveryError,
        error: String,
    },
    /// Failed, and the retry window is over.
    GiveUp {
        status: Option<i64>,
        code: DeliveryError,
        error: String,
    },
}

/// Pending deliveries and how far behind the feed's oldest undelivered change is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliveryBacklog {
    pub pending: i64,
    /// When the oldest change not yet delivered to every endpoint was applied.
    pub oldest_undelivered: Option<OffsetDateTime>,
}

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.message_id, d.run_id, d.after_id, \
    d.through_id, d.change_count, d.status, d.attempts, d.created_at, d.next_attempt_at, \
    d.last_attempt_at, d.last_status, d.last_error, d.last_error_code";

fn delivery_from_row(row: &AnyRow) -> Result<WebhookDelivery> {
    let status: String = row.try_get("status")?;
    let created_at: String = row.try_get("created_at")?;
    Ok(WebhookDelivery {
        id: row.try_get("id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        message_id: row.try_get("message_id")?,
        run_id: RunId(row.try_get("run_id")?),
        after: row.try_get("after_id")?,
        through: row.try_get("through_id")?,
        change_count: row.try_get("change_count")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::corrupt(format!("delivery status {status:?}")))?,
        attempts: row.try_get("attempts")?,
        created_at: parse_ts(&created_at)?,
        next_attempt_at: parse_opt_ts(row.try_get("next_attempt_at")?)?,
        last_attempt_at: parse_opt_ts(row.try_get("last_attempt_at")?)?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        last_error_code: row
            .try_get::<Option<String>, _>("last_error_code")?
            .as_deref()
            .and_then(DeliveryError::parse),
    })
}

fn endpoint_from_row(row: &AnyRow) -> Result<WebhookEndpoint> {
    let created_at: String = row.try_get("created_at")?;
    Ok(WebhookEndpoint {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        created_at: parse_ts(&created_at)?,
    })
}

impl Store {
    /// Registers an endpoint for the account's changes from now on (it is not sent what
    /// the feed held before), sealing its secret.
    pub async fn create_webhook_endpoint(
        &self,
        account: AccountId,
        url: &str,
        secret: &SecretString,
    ) -> Result<WebhookEndpoint> {
        let sealed = self.key.seal(account, secret.expose_secret().as_bytes())?;
        let row = sqlx::query(
            "INSERT INTO webhook_endpoints \
               (account_id, url, secret_ciphertext, created_at, delivered_after) \
             VALUES ($1, $2, $3, $4, \
               COALESCE((SELECT MAX(id) FROM change_feed WHERE account_id = $1), 0)) \
             RETURNING id, url, created_at",
        )
        .bind(account.0)
        .bind(url)
        .bind(sealed)
        .bind(ts(now()))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::not_found(format!("account {account}"))
            } else {
                e.into()
            }
        })?;
        endpoint_from_row(&row)
    }

    /// The account's endpoints, oldest first.
    pub async fn webhook_endpoints(&self, account: AccountId) -> Result<Vec<WebhookEndpoint>> {
        sqlx::query(
            "SELECT id, url, created_at FROM webhook_endpoints WHERE account_id = $1 ORDER BY id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(endpoint_from_row)
        .collect()
    }

    /// Deletes an endpoint of the account and its delivery log; `false` when it has none
    /// with this id.
    pub async fn delete_webhook_endpoint(&self, account: AccountId, id: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// The newest `limit` deliveries of one endpoint of the account (all its endpoints
    /// with `None`), newest first.
    pub async fn webhook_deliveries(
        &self,
        account: AccountId,
        endpoint: Option<i64>,
        limit: usize,
    ) -> Result<Vec<WebhookDelivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             WHERE d.account_id = $1 AND ($2 = 0 OR d.endpoint_id = $2) \
             ORDER BY d.id DESC LIMIT $3"
        );
        sqlx::query(&sql)
            .bind(account.0)
            .bind(endpoint.unwrap_or(0))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(delivery_from_row)
            .collect()
    }

    /// For every endpoint without an open delivery whose account has changes it was not
    /// sent yet: makes the next delivery, due now — the following rows of one run, at
    /// most `max_changes`. Returns how many it made. Safe to call from several processes
    /// (one delivery per endpoint and start position).
    pub async fn plan_deliveries(&self, max_changes: usize) -> Result<usize> {
        let due = sqlx::query(
            "SELECT w.id, w.account_id, w.delivered_after FROM webhook_endpoints w \
             WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
                               WHERE d.endpoint_id = w.id AND d.status = 'pending') \
             AND EXISTS (SELECT 1 FROM change_feed c \
                         WHERE c.account_id = w.account_id AND c.id > w.delivered_after)",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut made = 0;
        for row in &due {
            let endpoint: i64 = row.try_get("id")?;
            let account: i64 = row.try_get("account_id")?;
            let after: i64 = row.try_get("delivered_after")?;
            let rows = sqlx::query(
                "SELECT id, run_id FROM change_feed WHERE account_id = $1 AND id > $2 \
                 ORDER BY id LIMIT $3",
            )
            .bind(account)
            .bind(after)
            .bind(i64::try_from(max_changes.max(1)).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
            let Some(first) = rows.first() else { continue };
            let run: i64 = first.try_get("run_id")?;
            let mut through = after;
            let mut count = 0i64;
            for r in &rows {
                if r.try_get::<i64, _>("run_id")? != run {
                    break;
                }
                through = r.try_get("id")?;
                count += 1;
            }
            let at = ts(now());
            let done = sqlx::query(
                "INSERT INTO webhook_deliveries \
                   (endpoint_id, account_id, message_id, run_id, after_id, through_id, \
                    change_count, status, created_at, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) \
                 ON CONFLICT (endpoint_id, after_id) DO NOTHING",
            )
            .bind(endpoint)
            .bind(account)
            .bind(format!("msg_{}", uuid::Uuid::new_v4().simple()))
            .bind(run)
            .bind(after)
            .bind(through)
            .bind(count)
            .bind(at)
            .execute(&self.pool)
            .await?;
            made += usize::try_from(done.rows_affected()).unwrap_or(0);
        }
        Ok(made)
    }

    /// Claims up to `limit` pending deliveries due at `now` for `lease` (another worker
    /// does not take them meanwhile), with their endpoint's URL and secret.
    ///
    /// Fair between accounts: an account never has more than `per_account` deliveries
    /// leased at once (counting those other workers hold), and the accounts with the fewest
    /// in flight go first (each account's oldest due delivery, then each one's second, …).
    /// So one account's receivers that never answer hold at most `per_account` of the
    /// senders' slots, and another account's delivery is claimed before their next ones.
    pub async fn claim_deliveries(
        &self,
        now: OffsetDateTime,
        lease: time::Duration,
        limit: usize,
        per_account: usize,
    ) -> Result<Vec<ClaimedDelivery>> {
        // `due_rank + in_flight`: the delivery's place in its account's queue counting the
        // ones in flight (1 = the account has none in flight and this is its oldest due one).
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS}, d.account_id, w.url, w.secret_ciphertext \
             FROM (SELECT q.*, ROW_NUMBER() OVER \
                     (PARTITION BY q.account_id ORDER BY q.next_attempt_at, q.id) AS due_rank \
                   FROM webhook_deliveries q \
                   WHERE q.status = 'pending' AND q.next_attempt_at <= $1 \
                   AND (q.leased_until IS NULL OR q.leased_until < $1)) d \
             JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             LEFT JOIN (SELECT l.account_id, COUNT(*) AS in_flight FROM webhook_deliveries l \
                        WHERE l.status = 'pending' AND l.leased_until >= $1 \
                        GROUP BY l.account_id) f ON f.account_id = d.account_id \
             WHERE d.due_rank + COALESCE(f.in_flight, 0) <= $3 \
             ORDER BY d.due_rank + COALESCE(f.in_flight, 0), d.next_attempt_at, d.id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(ts(now))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(per_account).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let delivery = delivery_from_row(row)?;
            let took = sqlx::query(
                "UPDATE webhook_deliveries SET leased_until = $1 WHERE id = $2 \
                 AND status = 'pending' AND (leased_until IS NULL OR leased_until < $3)",
            )
            .bind(ts(now + lease))
            .bind(delivery.id)
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
            if took.rows_affected() != 1 {
                continue;
            }
            let account = AccountId(row.try_get("account_id")?);
            let sealed: Vec<u8> = row.try_get("secret_ciphertext")?;
            claimed.push(ClaimedDelivery {
                delivery,
                account,
                url: row.try_get("url")?,
                secret: self.key.open_string(account, &sealed)?,
            });
        }
        Ok(claimed)
    }

    /// The changes a delivery carries (fewer if retention pruned some meanwhile; an erased
    /// person's rows as they are now).
    pub async fn delivery_changes(
        &self,
        account: AccountId,
        delivery: &WebhookDelivery,
    ) -> Result<Vec<FeedChange>> {
        let limit = usize::try_from(delivery.change_count).unwrap_or(0);
        let mut changes = self.changes(account, delivery.after, limit).await?;
        changes.retain(|c| c.seq <= delivery.through);
        Ok(changes)
    }

    /// Records an attempt of a claimed delivery. Delivered or given up, the endpoint moves
    /// on past its changes (so the next delivery can be planned).
    pub async fn record_attempt(
        &self,
        delivery: &WebhookDelivery,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        let at = ts(now());
        let (status, next, http, error) = match outcome {
            AttemptOutcome::Delivered { status } => {
                (DeliveryStatus::Delivered, None, Some(*status), None)
            }
            AttemptOutcome::Retry {
                at,
                status,
                code,
                error,
            } => (
                DeliveryStatus::Pending,
                Some(ts(*at)),
                *status,
                Some((error.as_str(), code.as_str())),
            ),
            AttemptOutcome::GiveUp {
                status,
                code,
                error,
            } => (
                DeliveryStatus::Failed,
                None,
                *status,
                Some((error.as_str(), code.as_str())),
            ),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
               next_attempt_at = $2, last_attempt_at = $3, last_status = $4, last_error = $5, \
               last_error_code = $7, leased_until = NULL \
             WHERE id = $6",
        )
        .bind(status.as_str())
        .bind(next)
        .bind(at)
        .bind(http)
        .bind(error.map(|(e, _)| e))
        .bind(delivery.id)
        .bind(error.map(|(_, c)| c))
        .execute(&mut *tx)
        .await?;
        if status != DeliveryStatus::Pending {
            sqlx::query(
                "UPDATE webhook_endpoints SET delivered_after = $1 \
                 WHERE id = $2 AND delivered_after < $1",
            )
            .bind(delivery.through)
            .bind(delivery.endpoint_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pending deliveries, and when the oldest change some endpoint still waits for was
    /// applied (for the lag metric).
    pub async fn delivery_backlog(&self) -> Result<DeliveryBacklog> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending') AS pending, \
               (SELECT MIN(r.finished_at) FROM webhook_endpoints w \
                JOIN change_feed c ON c.id = (SELECT MIN(c2.id) FROM change_feed c2 \
                    WHERE c2.account_id = w.account_id AND c2.id > w.delivered_after) \
                JOIN sync_runs r ON r.id = c.run_id) AS oldest",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(DeliveryBacklog {
            pending: row.try_get("pending")?,
            oldest_undelivered: parse_opt_ts(row.try_get("oldest")?)?,
        })
    }
}
