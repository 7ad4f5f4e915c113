//! Leases: the right to sync one account now, held by exactly one worker at a time across
//! every process sharing the database.
//!
//! A [`Lease`] can only be made here, by taking it in the database (`claim_due` for the
//! scheduler, [`Store::try_lease`] for everything else: targeted runs, previews, the
//! command line), and [`Store::start_run`] takes one: so no run, preview or apply can
//! start for an account without its lease in hand, and a run whose lease was lost (it
//! expired and another worker took it) is interrupted by that worker's `start_run` and
//! can no longer apply. Each lease has an owner token of its own (`holder/uuid`), so two
//! holders in one process can never renew or release each other's lease.
//!
//! This module must never hand out a lease that someone else holds and has not let
//! expire, and never make a `Lease` value without taking the lease in the database.

use crate::error::Result;
use crate::sql::{now, parse_opt_ts, ts};
use crate::{AccountId, Store};
use sqlx::Row as _;
use time::OffsetDateTime;

/// Proof that this worker holds `account`'s lease (see the module docs). Not `Clone`:
/// giving it back ([`Store::release`], [`Store::release_lease`]) consumes it.
#[derive(Debug, PartialEq, Eq)]
pub struct Lease {
    account: AccountId,
    owner: String,
}

impl Lease {
    /// Made only by the store, right after it took the lease in the database.
    pub(crate) fn taken(account: AccountId, owner: String) -> Lease {
        Lease { account, owner }
    }

    /// A fresh owner token for `holder` (an instance id, `cli`, …): unique per lease.
    pub(crate) fn token(holder: &str) -> String {
        format!("{holder}/{}", uuid::Uuid::new_v4().simple())
    }

    /// The account this lease is for.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The owner token stored with the lease (`holder/uuid`).
    pub fn owner(&self) -> &str {
        &self.owner
    }
}

/// Who holds an account's lease, when someone does (for a "busy" message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    pub owner: String,
    pub expires_at: Option<OffsetDateTime>,
}

impl Store {
    /// Takes the account's lease until `lease_until` for `holder`, if nobody holds it (or
    /// its lease expired). Unlike `claim_due` it ignores the due time and leaves the
    /// schedule as it is. `None` when someone else holds it, or the account has no
    /// schedule (it is not connected).
    pub async fn try_lease(
        &self,
        account: AccountId,
        holder: &str,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Lease>> {
        let owner = Lease::token(holder);
        let done = sqlx::query(
            "UPDATE schedules SET lease_owner = $1, lease_expires_at = $2 \
             WHERE account_id = $3 AND (lease_owner IS NULL OR lease_expires_at IS NULL \
               OR lease_expires_at <= $4)",
        )
        .bind(&owner)
        .bind(ts(lease_until))
        .bind(account.0)
        .bind(ts(now()))
        .execute(&self.pool)
        .await?;
        Ok((done.rows_affected() > 0).then(|| Lease::taken(account, owner)))
    }

    /// Who holds the account's lease now, if anyone (an expired lease counts as free).
    pub async fn lease_holder(&self, account: AccountId) -> Result<Option<LeaseHolder>> {
        let row = sqlx::query(
            "SELECT lease_owner, lease_expires_at FROM schedules \
             WHERE account_id = $1 AND lease_owner IS NOT NULL",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires_at = parse_opt_ts(row.try_get("lease_expires_at")?)?;
        if expires_at.is_some_and(|e| e <= now()) {
            return Ok(None);
        }
        Ok(Some(LeaseHolder {
            owner: row.try_get("lease_owner")?,
            expires_at,
        }))
    }

    /// Extends the lease until `lease_until`; `false` if it is no longer held (another
    /// worker took it after it expired, or the account was disconnected).
    pub async fn renew_lease(&self, lease: &Lease, lease_until: OffsetDateTime) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE schedules SET lease_expires_at = $1 \
             WHERE account_id = $2 AND lease_owner = $3",
        )
        .bind(ts(lease_until))
        .bind(lease.account.0)
        .bind(&lease.owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Gives back a lease without touching the schedule (a targeted run, a preview, a
    /// command-line sync); `false` when it was no longer held.
    pub async fn release_lease(&self, lease: Lease) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE schedules SET lease_owner = NULL, lease_expires_at = NULL \
             WHERE account_id = $1 AND lease_owner = $2",
        )
        .bind(lease.account.0)
        .bind(&lease.owner)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
