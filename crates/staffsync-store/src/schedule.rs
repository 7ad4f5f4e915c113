//! The sync schedule: one row per connected account saying when it syncs next, and
//! which process (if any) holds the lease to sync it now.
//!
//! Leases make syncs exclusive across processes sharing one database (see
//! [`lease`](crate::lease)): `claim_due` hands each due account to exactly one claimer (PostgreSQL: `FOR UPDATE SKIP LOCKED` in a
//! transaction; SQLite: one conditional `UPDATE … RETURNING`, which holds the database's
//! write lock), and a lease that expires (its holder died) can be claimed again. This
//! module must never hand one account to two live leases, and never clear or extend a
//! lease that its caller does not own.

use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::sql::{now, parse_opt_ts, parse_ts, placeholders, ts};
use crate::{AccountId, Backend, Lease, RunId, Store};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

/// An account's place in the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub account_id: AccountId,
    #[serde(with = "time::serde::rfc3339")]
    pub next_run_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_run_at: Option<OffsetDateTime>,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub lease_expires_at: Option<OffsetDateTime>,
    /// The held run whose removals an admin reviewed and accepted: the next run may
    /// remove those people (and no one else) beyond the deletion guard. Cleared when
    /// that run is released.
    pub accept_run: Option<RunId>,
    /// When a sync was asked for ("sync now", the API) and not yet claimed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub requested_at: Option<OffsetDateTime>,
}

/// How a leased sync ended, for [`Store::release`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleOutcome {
    Succeeded,
    /// Held by the deletion guard: not a failure (nothing is retried sooner).
    Held,
    Failed {
        error: String,
    },
}

impl Schedule {
    /// Whether someone holds the account's lease at `now` (an expired lease counts as free).
    pub fn leased_at(&self, now: OffsetDateTime) -> bool {
        self.lease_owner.is_some() && self.lease_expires_at.is_some_and(|t| t > now)
    }
}

const COLUMNS: &str = "account_id, next_run_at, last_run_at, consecutive_failures, last_error, \
    lease_owner, lease_expires_at, accept_run_id, requested_at";

fn schedule_from_row(row: &AnyRow) -> Result<Schedule> {
    let next_run_at: String = row.try_get("next_run_at")?;
    let accept: Option<i64> = row.try_get("accept_run_id")?;
    Ok(Schedule {
        account_id: AccountId(row.try_get("account_id")?),
        next_run_at: parse_ts(&next_run_at)?,
        last_run_at: parse_opt_ts(row.try_get("last_run_at")?)?,
        consecutive_failures: row.try_get("consecutive_failures")?,
        last_error: row.try_get("last_error")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_expires_at: parse_opt_ts(row.try_get("lease_expires_at")?)?,
        accept_run: accept.map(RunId),
        requested_at: parse_opt_ts(row.try_get("requested_at")?)?,
    })
}

/// Due, connected, and not leased (or the lease expired) at `$1`.
const DUE: &str = "s.next_run_at <= $1 \
    AND (s.lease_owner IS NULL OR s.lease_expires_at IS NULL OR s.lease_expires_at <= $1) \
    AND EXISTS (SELECT 1 FROM connections c WHERE c.account_id = s.account_id)";

impl Store {
    /// The account's schedule, if it has one (it is connected).
    pub async fn schedule(&self, account: AccountId) -> Result<Option<Schedule>> {
        let sql = format!("SELECT {COLUMNS} FROM schedules WHERE account_id = $1");
        let row = sqlx::query(&sql)
            .bind(account.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    /// Gives the account a schedule first due at `next_run_at`, unless it has one.
    pub async fn ensure_schedule(
        &self,
        account: AccountId,
        next_run_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO schedules (account_id, next_run_at) VALUES ($1, $2) \
             ON CONFLICT (account_id) DO NOTHING",
        )
        .bind(account.0)
        .bind(ts(next_run_at))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::not_found(format!("account {account}"))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// Makes the account due now (an admin's "sync now"), optionally accepting the
    /// removals of one held run for that one run. A request made while a sync runs is
    /// kept for after it. `NotFound` when the account has no schedule (it is not
    /// connected).
    pub async fn request_sync(&self, account: AccountId, accept: Option<RunId>) -> Result<()> {
        let at = ts(now());
        let done = sqlx::query(
            "UPDATE schedules SET next_run_at = $1, requested_at = $1, accept_run_id = $2 \
             WHERE account_id = $3",
        )
        .bind(&at)
        .bind(accept.map(|r| r.0))
        .bind(account.0)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!(
                "schedule of account {account} (is it connected?)"
            )));
        }
        Ok(())
    }

    /// Leases up to `limit` due schedules of connected accounts to `holder` until
    /// `lease_until`, earliest due first; returns the leases. Atomic: concurrent
    /// claimers never get the same account while its lease is live.
    pub async fn claim_due(
        &self,
        holder: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Lease>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        // One token for the batch: each account appears in it once, so (account, token)
        // is unique.
        let owner = Lease::token(holder);
        let owner = owner.as_str();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let now = ts(now);
        let until = ts(lease_until);
        match self.backend {
            Backend::Postgres => {
                let mut tx = self.begin_write().await?;
                let sql = format!(
                    "SELECT s.account_id FROM schedules s WHERE {DUE} \
                     ORDER BY s.next_run_at, s.account_id LIMIT $2 \
                     FOR UPDATE OF s SKIP LOCKED"
                );
                let rows = sqlx::query(&sql)
                    .bind(&now)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                let ids = rows
                    .iter()
                    .map(|r| r.try_get::<i64, _>("account_id"))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                if ids.is_empty() {
                    tx.commit().await?;
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "UPDATE schedules SET lease_owner = $1, lease_expires_at = $2, \
                     requested_at = NULL WHERE account_id IN ({})",
                    placeholders(self.backend, ids.len(), 3)
                );
                let mut q = sqlx::query(&sql).bind(owner).bind(&until);
                for id in &ids {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(ids
                    .into_iter()
                    .map(|id| Lease::taken(AccountId(id), owner.to_owned()))
                    .collect())
            }
            Backend::Sqlite => {
                // One statement: it takes SQLite's write lock before reading, so the
                // rows it picks cannot be picked by anyone else meanwhile.
                let sql = format!(
                    "UPDATE schedules SET lease_owner = $2, lease_expires_at = $3, \
                       requested_at = NULL \
                     WHERE account_id IN (SELECT s.account_id FROM schedules s WHERE {DUE} \
                       ORDER BY s.next_run_at, s.account_id LIMIT $4) \
                     RETURNING account_id"
                );
                let mut tx = self.begin_write().await?;
                let rows = sqlx::query(&sql)
                    .bind(&now)
                    .bind(owner)
                    .bind(&until)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                let mut ids = rows
                    .iter()
                    .map(|r| Ok(AccountId(r.try_get("account_id")?)))
                    .collect::<Result<Vec<_>>>()?;
                ids.sort();
                Ok(ids
                    .into_iter()
                    .map(|id| Lease::taken(id, owner.to_owned()))
                    .collect())
            }
        }
    }

    /// Ends a scheduled sync's lease: records the outcome (failures reset on success or
    /// hold, +1 on failure), schedules the next run at `next_run_at` and clears the
    /// accepted run — unless a sync was requested while this one ran, which then stays
    /// due. `Conflict` if the lease is no longer held (nothing is changed then).
    pub async fn release(
        &self,
        lease: Lease,
        next_run_at: OffsetDateTime,
        outcome: &ScheduleOutcome,
    ) -> Result<()> {
        let (failed, error) = match outcome {
            ScheduleOutcome::Succeeded | ScheduleOutcome::Held => (0_i64, None),
            ScheduleOutcome::Failed { error } => (1_i64, Some(error.as_str())),
        };
        let done = sqlx::query(
            "UPDATE schedules SET lease_owner = NULL, lease_expires_at = NULL, \
               last_run_at = $1, \
               consecutive_failures = CASE WHEN $2 = 1 THEN consecutive_failures + 1 ELSE 0 END, \
               last_error = $3, \
               next_run_at = CASE WHEN requested_at IS NULL THEN $4 ELSE next_run_at END, \
               accept_run_id = CASE WHEN requested_at IS NULL THEN NULL ELSE accept_run_id END \
             WHERE account_id = $5 AND lease_owner = $6",
        )
        .bind(ts(now()))
        .bind(failed)
        .bind(error)
        .bind(ts(next_run_at))
        .bind(lease.account().0)
        .bind(lease.owner())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::conflict(format!(
                "{} no longer holds the lease of account {}",
                lease.owner(),
                lease.account()
            )));
        }
        Ok(())
    }
}
