//! What a file account keeps besides its directory: the person key of each `ImportId`,
//! the columns of its last import, and the records of its future hires.
//!
//! A file account's people are identified by the file's `ImportId` (text); the
//! directory, the history and the feed identify people by a number (the column
//! `personio_id`, the type [`PersonKey`]). The store hands out that number per
//! `ImportId` from a per-account counter that never goes back, so a key, once erased, can
//! never come to name someone else. A dry run gets provisional keys (negative, never
//! stored as anyone's key) for the `ImportId`s it has not seen, and changes nothing.
//!
//! This module must never reuse a key, never let one account see another's mappings, and
//! never keep the mapping of someone erased: [`Store::apply_plan`] deletes the mappings of
//! the people it removes in its own transaction, and an applied import also forgets the
//! `ImportId`s that are neither in the directory nor in its file.

use crate::error::{Result, StoreError};
use crate::sql::{BATCH_ROWS, from_json, param, placeholders, to_json, values_list};
use crate::{AccountId, Backend, Store};
use sqlx::Row as _;
use staffsync_core::{PersonKey, SourceEmployee};
use std::collections::{BTreeSet, HashMap};

/// What an applied import adds to [`Store::apply_plan`] (see [`Store::apply_import`]).
#[derive(Debug, Clone, Copy)]
pub struct ImportApplied<'a> {
    /// The keys of every `ImportId` in the file (good rows and rows with errors): their
    /// mappings stay even while their person is not in the directory (a future hire, a
    /// bad row, someone out of scope), so the next file finds the same keys.
    pub listed: &'a [PersonKey],
    /// The records of the file's future hires, as planned: those among the plan's
    /// `pending_hires` are kept for the date check, which creates them on their hire date.
    pub future_hires: &'a [SourceEmployee],
    /// The file's readable columns ([`Store::file_columns`]): what settings may name from
    /// now on. Recorded only with an applied import, so a preview or a held file never
    /// changes what the settings accept.
    pub columns: &'a [String],
}

/// Every mapping of the account: `ImportId` → key.
async fn all_keys(
    conn: &mut sqlx::AnyConnection,
    account: AccountId,
) -> Result<HashMap<String, i64>> {
    let rows = sqlx::query("SELECT import_id, person_key FROM import_keys WHERE account_id = $1")
        .bind(account.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("import_id")?, row.try_get("person_key")?)))
        .collect()
}

impl Store {
    /// The key of each of `import_ids` (in their order; one `ImportId` twice gets one key
    /// twice), handing out new keys for the ones the account has not seen, in one
    /// transaction. Keys are never reused. `NotFound` for an unknown account.
    pub async fn allocate_import_keys(
        &self,
        account: AccountId,
        import_ids: &[&str],
    ) -> Result<Vec<PersonKey>> {
        let mut tx = self.begin_write().await?;
        // The write comes first: it takes the account row's lock (PostgreSQL) or the write
        // lock (SQLite), so two allocations for one account never hand out one key twice.
        let next: Option<i64> = sqlx::query_scalar(
            "UPDATE accounts SET next_person_key = next_person_key WHERE id = $1 \
             RETURNING next_person_key",
        )
        .bind(account.0)
        .fetch_optional(&mut *tx)
        .await?;
        let mut next = next.ok_or_else(|| StoreError::not_found(format!("account {account}")))?;
        let mut known = all_keys(&mut tx, account).await?;
        let mut fresh: Vec<(&str, i64)> = Vec::new();
        let mut keys = Vec::with_capacity(import_ids.len());
        for id in import_ids {
            let key = match known.get(*id) {
                Some(key) => *key,
                None => {
                    let key = next;
                    next += 1;
                    known.insert((*id).to_owned(), key);
                    fresh.push((id, key));
                    key
                }
            };
            keys.push(PersonKey(key));
        }
        if !fresh.is_empty() {
            sqlx::query("UPDATE accounts SET next_person_key = $1 WHERE id = $2")
                .bind(next)
                .bind(account.0)
                .execute(&mut *tx)
                .await?;
            for chunk in fresh.chunks(BATCH_ROWS) {
                let sql = format!(
                    "INSERT INTO import_keys (account_id, import_id, person_key) VALUES {}",
                    values_list(self.backend, chunk.len(), 3, 1)
                );
                let mut q = sqlx::query(&sql);
                for (id, key) in chunk {
                    q = q.bind(account.0).bind(*id).bind(*key);
                }
                q.execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(keys)
    }

    /// Like [`Store::allocate_import_keys`], for a dry run: the keys the account has, and
    /// provisional keys (-1, -2, …: never anyone's key) for the `ImportId`s it has not
    /// seen. Stores nothing.
    pub async fn provisional_import_keys(
        &self,
        account: AccountId,
        import_ids: &[&str],
    ) -> Result<Vec<PersonKey>> {
        let mut conn = self.pool.acquire().await?;
        let mut known = all_keys(&mut conn, account).await?;
        let mut provisional = 0;
        Ok(import_ids
            .iter()
            .map(|id| {
                let key = *known.entry((*id).to_owned()).or_insert_with(|| {
                    provisional -= 1;
                    provisional
                });
                PersonKey(key)
            })
            .collect())
    }

    /// Every `ImportId` of the account by key (for showing people: file accounts show the
    /// `ImportId`, not the key). Empty for a Personio account.
    pub async fn import_ids(&self, account: AccountId) -> Result<HashMap<PersonKey, String>> {
        let mut conn = self.pool.acquire().await?;
        Ok(all_keys(&mut conn, account)
            .await?
            .into_iter()
            .map(|(id, key)| (PersonKey(key), id))
            .collect())
    }

    /// The `ImportId`s of `keys` (those that have one), for showing a few people (a page
    /// of the change feed) without reading the account's whole mapping.
    pub async fn import_ids_of(
        &self,
        account: AccountId,
        keys: &[PersonKey],
    ) -> Result<HashMap<PersonKey, String>> {
        let mut out = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(BATCH_ROWS) {
            let sql = format!(
                "SELECT import_id, person_key FROM import_keys \
                 WHERE account_id = {} AND person_key IN ({})",
                param(self.backend, 1),
                placeholders(self.backend, chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql).bind(account.0);
            for key in chunk {
                q = q.bind(key.0);
            }
            for row in q.fetch_all(&self.pool).await? {
                out.insert(
                    PersonKey(row.try_get("person_key")?),
                    row.try_get("import_id")?,
                );
            }
        }
        Ok(out)
    }

    /// The key of one `ImportId` of the account, if it has one.
    pub async fn import_key(
        &self,
        account: AccountId,
        import_id: &str,
    ) -> Result<Option<PersonKey>> {
        let key: Option<i64> = sqlx::query_scalar(
            "SELECT person_key FROM import_keys WHERE account_id = $1 AND import_id = $2",
        )
        .bind(account.0)
        .bind(import_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(key.map(PersonKey))
    }

    /// Records the columns of a file account's latest import (what its settings may
    /// name: the standard keys present and the other columns' header names).
    pub async fn set_file_columns(&self, account: AccountId, columns: &[String]) -> Result<()> {
        let done = sqlx::query("UPDATE accounts SET file_columns = $1 WHERE id = $2")
            .bind(to_json(columns)?)
            .bind(account.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("account {account}")));
        }
        Ok(())
    }

    /// The columns [`Store::set_file_columns`] recorded (empty before the first import).
    pub async fn file_columns(&self, account: AccountId) -> Result<Vec<String>> {
        let text: Option<String> =
            sqlx::query_scalar("SELECT file_columns FROM accounts WHERE id = $1")
                .bind(account.0)
                .fetch_optional(&self.pool)
                .await?;
        let text = text.ok_or_else(|| StoreError::not_found(format!("account {account}")))?;
        from_json(&text, "file columns")
    }

    /// The records of a file account's known future hires (kept by [`Store::apply_import`]),
    /// by key. Hires without a record (a Personio account's) are not listed.
    pub async fn pending_hire_records(&self, account: AccountId) -> Result<Vec<SourceEmployee>> {
        let rows = sqlx::query(
            "SELECT record FROM pending_hires WHERE account_id = $1 AND record IS NOT NULL \
             ORDER BY personio_id",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let text: String = row.try_get("record")?;
                from_json(&text, "future hire record")
            })
            .collect()
    }
}

/// In an applied import's transaction, after the plan: forgets the `ImportId`s that are
/// neither in the directory nor in the file, records the file's columns, and keeps the
/// future hires' records.
pub(crate) async fn after_import(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    account: AccountId,
    import: &ImportApplied<'_>,
) -> Result<()> {
    let listed: BTreeSet<i64> = import.listed.iter().map(|k| k.0).collect();
    let outside: Vec<i64> = sqlx::query_scalar(
        "SELECT person_key FROM import_keys k WHERE k.account_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM employees e WHERE e.account_id = $1 AND e.personio_id = k.person_key)",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    let gone: Vec<i64> = outside
        .into_iter()
        .filter(|k| !listed.contains(k))
        .collect();
    forget_keys(conn, backend, account, &gone).await?;
    sqlx::query("UPDATE accounts SET file_columns = $1 WHERE id = $2")
        .bind(to_json(import.columns)?)
        .bind(account.0)
        .execute(&mut *conn)
        .await?;
    for hire in import.future_hires {
        sqlx::query(
            "UPDATE pending_hires SET record = $1 WHERE account_id = $2 AND personio_id = $3",
        )
        .bind(to_json(hire)?)
        .bind(account.0)
        .bind(hire.id.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deletes the mappings of `keys` (people erased, or `ImportId`s no longer anywhere).
pub(crate) async fn forget_keys(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    account: AccountId,
    keys: &[i64],
) -> Result<()> {
    crate::directory::execute_for_ids(
        conn,
        backend,
        "DELETE FROM import_keys WHERE account_id = {account} AND person_key IN ({ids})",
        account,
        keys,
    )
    .await?;
    Ok(())
}
