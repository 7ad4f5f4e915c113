//! State for near-real-time sync: the Personio webhook of a connection (id and sealed
//! token), per-account watermarks of the incremental poller and the date check, the
//! known future hires, and short "side leases" that make a targeted run exclusive with
//! the scheduler's full runs.
//!
//! The webhook token is stored only sealed (like the client secret) and is held in
//! memory as a `SecretString`; it never appears in `Debug`, errors or logs. Side leases
//! use the same lease columns as `schedule`, so a full sync and a targeted run of one
//! account never run at once, in one process or across several. De-duplication of
//! webhook deliveries is not stored here: the server keeps it in memory per process.

use crate::error::{Result, StoreError};
use crate::sql::{parse_opt_ts, ts};
use crate::{AccountId, AccountSource, Store};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use sqlx::Row as _;
use staffsync_core::dates::{format_date, parse_calendar_date};
use staffsync_core::{ApiVersion, PersonKey};
use time::{Date, OffsetDateTime};

/// The webhook registered in Personio for a connection. `Debug` redacts the token.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub token: SecretString,
}

/// Per-account watermarks of the incremental poller and the date check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncState {
    /// Changes before this instant are reflected (set by full runs and incremental polls).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_incremental_at: Option<OffsetDateTime>,
    /// The account-local date the date check last ran for.
    pub last_date_check: Option<Date>,
}

/// A connected account (or a file account) as the real-time steps of the scheduler see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealtimeAccount {
    pub account_id: AccountId,
    /// A file account has no connection: only its date check runs (no Personio request).
    pub source: AccountSource,
    /// The connection's (the default for a file account).
    pub api_version: ApiVersion,
    /// A webhook is registered: changes arrive by push, the poller leaves it alone.
    pub has_webhook: bool,
    pub state: SyncState,
}

fn parse_day(s: Option<String>) -> Result<Option<Date>> {
    s.map(|d| parse_calendar_date(&d).ok_or_else(|| StoreError::corrupt(format!("date {d:?}"))))
        .transpose()
}

impl Store {
    /// Stores the connection's webhook (id, token sealed). `NotFound` when the account
    /// is not connected.
    pub async fn set_webhook(
        &self,
        account: AccountId,
        id: &str,
        token: &SecretString,
    ) -> Result<()> {
        let sealed = self.key.seal(account, token.expose_secret().as_bytes())?;
        let done = sqlx::query(
            "UPDATE connections SET webhook_id = $1, webhook_token_ciphertext = $2 \
             WHERE account_id = $3",
        )
        .bind(id)
        .bind(sealed)
        .bind(account.0)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!(
                "connection of account {account}"
            )));
        }
        Ok(())
    }

    /// The connection's webhook with its token decrypted; `None` when there is none.
    pub async fn webhook(&self, account: AccountId) -> Result<Option<Webhook>> {
        let row = sqlx::query(
            "SELECT webhook_id, webhook_token_ciphertext FROM connections WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: Option<String> = row.try_get("webhook_id")?;
        let sealed: Option<Vec<u8>> = row.try_get("webhook_token_ciphertext")?;
        match (id, sealed) {
            (Some(id), Some(sealed)) => Ok(Some(Webhook {
                id,
                token: self.key.open_string(account, &sealed)?,
            })),
            _ => Ok(None),
        }
    }

    /// Forgets the connection's webhook; `false` when it had none.
    pub async fn clear_webhook(&self, account: AccountId) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE connections SET webhook_id = NULL, webhook_token_ciphertext = NULL \
             WHERE account_id = $1 AND webhook_id IS NOT NULL",
        )
        .bind(account.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The account's watermarks (all `None` before the first run).
    pub async fn sync_state(&self, account: AccountId) -> Result<SyncState> {
        let row = sqlx::query(
            "SELECT last_incremental_at, last_date_check FROM sync_state WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(SyncState::default());
        };
        Ok(SyncState {
            last_incremental_at: parse_opt_ts(row.try_get("last_incremental_at")?)?,
            last_date_check: parse_day(row.try_get("last_date_check")?)?,
        })
    }

    /// Every connected account with its API version, whether it has a webhook, and its
    /// watermarks, and every file account (for its date check); by account id.
    pub async fn realtime_accounts(&self) -> Result<Vec<RealtimeAccount>> {
        let rows = sqlx::query(
            "SELECT a.id AS account_id, a.source, c.api_version, c.webhook_id, \
                    s.last_incremental_at, s.last_date_check \
             FROM accounts a LEFT JOIN connections c ON c.account_id = a.id \
             LEFT JOIN sync_state s ON s.account_id = a.id \
             WHERE c.account_id IS NOT NULL OR a.source = 'file' \
             ORDER BY a.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let webhook: Option<String> = row.try_get("webhook_id")?;
                let api_version: Option<String> = row.try_get("api_version")?;
                let source: String = row.try_get("source")?;
                Ok(RealtimeAccount {
                    account_id: AccountId(row.try_get("account_id")?),
                    source: AccountSource::parse(&source)
                        .ok_or_else(|| StoreError::corrupt(format!("account source {source:?}")))?,
                    api_version: match api_version {
                        Some(v) => crate::connections::stored_api_version(&v)?,
                        None => ApiVersion::default(),
                    },
                    has_webhook: webhook.is_some(),
                    state: SyncState {
                        last_incremental_at: parse_opt_ts(row.try_get("last_incremental_at")?)?,
                        last_date_check: parse_day(row.try_get("last_date_check")?)?,
                    },
                })
            })
            .collect()
    }

    /// Moves the incremental watermark forward to `at` (never back).
    pub async fn set_last_incremental_at(
        &self,
        account: AccountId,
        at: OffsetDateTime,
    ) -> Result<()> {
        let at = ts(at);
        sqlx::query(
            "INSERT INTO sync_state (account_id, last_incremental_at) VALUES ($1, $2) \
             ON CONFLICT (account_id) DO UPDATE SET last_incremental_at = excluded.last_incremental_at \
             WHERE sync_state.last_incremental_at IS NULL \
                OR sync_state.last_incremental_at < excluded.last_incremental_at",
        )
        .bind(account.0)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(|e| map_fk(e, account))?;
        Ok(())
    }

    /// Records that the date check ran for the account-local date `day`.
    pub async fn set_last_date_check(&self, account: AccountId, day: Date) -> Result<()> {
        sqlx::query(
            "INSERT INTO sync_state (account_id, last_date_check) VALUES ($1, $2) \
             ON CONFLICT (account_id) DO UPDATE SET last_date_check = excluded.last_date_check",
        )
        .bind(account.0)
        .bind(format_date(day))
        .execute(&self.pool)
        .await
        .map_err(|e| map_fk(e, account))?;
        Ok(())
    }

    /// Known future hires (the [`staffsync_core::Plan::pending_hires`] of the last applied
    /// full run, kept up to date by targeted runs), by id.
    pub async fn pending_hires(&self, account: AccountId) -> Result<Vec<(PersonKey, Date)>> {
        let rows = sqlx::query(
            "SELECT personio_id, hire_date FROM pending_hires WHERE account_id = $1 \
             ORDER BY personio_id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let day: String = row.try_get("hire_date")?;
                let day =
                    parse_day(Some(day))?.ok_or_else(|| StoreError::corrupt("empty hire date"))?;
                Ok((PersonKey(row.try_get("personio_id")?), day))
            })
            .collect()
    }

    /// Applied targeted or incremental runs of the account after its last applied full
    /// run before `run` (so: was this full run preceded by partial ones?).
    pub async fn partial_runs_before(&self, account: AccountId, run: crate::RunId) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM sync_runs \
             WHERE account_id = $1 AND status = 'applied' AND kind IN ('targeted', 'incremental') \
               AND id < $2 AND id > COALESCE((SELECT MAX(id) FROM sync_runs \
                 WHERE account_id = $1 AND status = 'applied' AND kind = 'full' AND id < $2), 0)",
        )
        .bind(account.0)
        .bind(run.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}

fn map_fk(e: sqlx::Error, account: AccountId) -> StoreError {
    if crate::error::is_foreign_key_violation(&e) {
        StoreError::not_found(format!("account {account}"))
    } else {
        e.into()
    }
}
