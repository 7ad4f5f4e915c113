//! People an admin kept by rejecting a held run (migration 0015): "Ablehnen" keeps the
//! people the run listed, and later runs neither remove nor hold them for the reason they
//! were kept against (the planner decides that from [`Store::kept_people`]; this module
//! only records). A kept person is forgotten when a plan says so (`Plan::unkept`), when
//! they are removed after all, or with the account.
//!
//! It must never decide who is kept or removed, and never hold anything but the person
//! key, the reason in the planner's words, the run, who and when.

use crate::directory::execute_for_ids;
use crate::error::Result;
use crate::runs::RunStatus;
use crate::sql::{from_json, now, parse_ts, to_json, ts};
use crate::{AccountId, Backend, RunId, Store};
use sqlx::{AnyConnection, Row as _};
use staffsync_core::{PersonKey, RemovalReason};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// Someone an admin kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPerson {
    pub key: PersonKey,
    /// Why the held run would have removed them (and so what keeps them kept).
    pub reason: RemovalReason,
    /// The held run whose rejection kept them.
    pub run: RunId,
    /// Who rejected it (`admin:<e-mail>`).
    pub kept_by: String,
    pub kept_at: OffsetDateTime,
    /// "Jetzt entfernen": the next sync removes them, as reviewed.
    pub released: bool,
}

impl Store {
    /// Rejects the held run `run`: it becomes `rejected` and the people it would have
    /// removed are kept, each against its reason (a run recorded before removals carried
    /// one keeps them against "not listed"). `None` when the run is not held (nothing
    /// changes); else how many people are kept.
    pub async fn reject_and_keep(
        &self,
        account: AccountId,
        run: RunId,
        by: &str,
    ) -> Result<Option<usize>> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE sync_runs SET status = $1 WHERE account_id = $2 AND id = $3 AND status = $4",
        )
        .bind(RunStatus::Rejected.as_str())
        .bind(account.0)
        .bind(run.0)
        .bind(RunStatus::Held.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT personio_id, detail FROM run_changes \
             WHERE account_id = $1 AND run_id = $2 AND action = 'remove'",
        )
        .bind(account.0)
        .bind(run.0)
        .fetch_all(&mut *tx)
        .await?;
        let at = ts(now());
        for row in &rows {
            let id: i64 = row.try_get("personio_id")?;
            let detail: Option<String> = row.try_get("detail")?;
            let reason = match detail {
                Some(d) => from_json::<RemovalReason>(&d, "removal reason")?,
                None => RemovalReason::NotListed,
            };
            sqlx::query(
                "INSERT INTO kept_people \
                 (account_id, personio_id, reason, run_id, kept_by, kept_at, release_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, NULL) \
                 ON CONFLICT (account_id, personio_id) DO UPDATE SET reason = excluded.reason, \
                 run_id = excluded.run_id, kept_by = excluded.kept_by, \
                 kept_at = excluded.kept_at, release_at = NULL",
            )
            .bind(account.0)
            .bind(id)
            .bind(to_json(&reason)?)
            .bind(run.0)
            .bind(by)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(rows.len()))
    }

    /// The account's kept people, by key.
    pub async fn kept_people(&self, account: AccountId) -> Result<Vec<KeptPerson>> {
        let rows = sqlx::query(
            "SELECT personio_id, reason, run_id, kept_by, kept_at, release_at \
             FROM kept_people WHERE account_id = $1 ORDER BY personio_id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let reason: String = row.try_get("reason")?;
                let kept_at: String = row.try_get("kept_at")?;
                let release_at: Option<String> = row.try_get("release_at")?;
                Ok(KeptPerson {
                    key: PersonKey(row.try_get("personio_id")?),
                    reason: from_json(&reason, "removal reason")?,
                    run: RunId(row.try_get("run_id")?),
                    kept_by: row.try_get("kept_by")?,
                    kept_at: parse_ts(&kept_at)?,
                    released: release_at.is_some(),
                })
            })
            .collect()
    }

    /// "Jetzt entfernen": these kept people are removed by the next sync, as if a held
    /// run listing exactly them had been accepted. Returns how many were kept.
    pub async fn release_kept(&self, account: AccountId, ids: &BTreeSet<PersonKey>) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        let at = ts(now());
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let sql = format!(
            "UPDATE kept_people SET release_at = '{at}' \
             WHERE account_id = {{account}} AND personio_id IN ({{ids}})"
        );
        execute_for_ids(&mut conn, self.backend, &sql, account, &ids).await
    }
}

/// Forgets the released kept people (after an applied full run, which used the release).
pub(crate) async fn forget_released(conn: &mut AnyConnection, account: AccountId) -> Result<()> {
    sqlx::query("DELETE FROM kept_people WHERE account_id = $1 AND release_at IS NOT NULL")
        .bind(account.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Forgets that `ids` were kept (a plan's `unkept`, and the people it removed), in the
/// transaction that applies the plan.
pub(crate) async fn forget(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    ids: &[i64],
) -> Result<()> {
    execute_for_ids(
        conn,
        backend,
        "DELETE FROM kept_people WHERE account_id = {account} AND personio_id IN ({ids})",
        account,
        ids,
    )
    .await?;
    Ok(())
}
