//! Survey audience snapshots: who a survey went to, and the groups they were in, frozen
//! at launch (migration 0014).
//!
//! A snapshot is written once, in one transaction that reads the directory and writes
//! every row ([`Store::create_snapshot`]), and afterwards never changes when people move,
//! leave or groups are renamed or removed: it keeps each group's id, kind and name as of
//! launch. The one exception is erasure: [`scrub`], called by `apply_plan` in the
//! transaction that removes people, sets their entries' person key to NULL (the entry
//! and its group ids stay, so counts and the anonymity threshold stay right) and blanks
//! the name of a reporting line called after them. A member entry holds nothing else
//! about a person: no name, no e-mail.
//!
//! Erasure must never miss a snapshot that is being written. On SQLite both transactions
//! take the write lock first; on PostgreSQL both take one advisory lock per account
//! ([`lock_erasure`]) before reading the directory (snapshot) or changing it (every
//! apply, erasure included), so a snapshot either sees the person gone or is scrubbed
//! with the others, and reads groups and people as of one moment.

use crate::directory::{GroupSummary, read_directory, read_groups};
use crate::error::{Result, StoreError};
use crate::sql::{BATCH_ROWS, now, param, parse_ts, placeholders, ts, values_list};
use crate::{AccountId, Backend, Store};
use sqlx::{AnyConnection, Row as _};
use staffsync_core::{DirectoryEmployee, GroupKey, GroupKind, PersonKey};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::OffsetDateTime;

/// A snapshot without its groups and members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub id: i64,
    pub label: String,
    pub created_at: OffsetDateTime,
    /// Members.
    pub count: i64,
}

/// A group as it was at launch, with how many of the snapshot's members were in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotGroup {
    /// The group's id at launch (a renamed group keeps it; a removed one's stays here).
    pub id: i64,
    pub kind: GroupKind,
    /// The group's name as stored then (a reporting line: the manager's key, a tenure
    /// band: its key). `None` once the manager a reporting line is named after was erased.
    pub name: Option<String>,
    /// A reporting line: its manager's name at launch (`None` once erased).
    pub manager_name: Option<String>,
    pub member_count: i64,
}

/// One member of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMember {
    /// 1, 2, …: the member's place in the snapshot (by person key at launch).
    pub position: i64,
    /// The person key (Personio id, or a file account's key); `None` once erased.
    pub person: Option<PersonKey>,
    /// The ids of the groups they were in at launch, ascending.
    pub group_ids: Vec<i64>,
}

/// Serializes a snapshot with an apply (erasure included) of the same account
/// (PostgreSQL; SQLite's write lock already does). Held until the transaction ends.
pub(crate) async fn lock_erasure(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
) -> Result<()> {
    if backend == Backend::Postgres {
        // The function returns `void`, which sqlx's Any driver cannot decode: select a
        // constant around it.
        sqlx::query(
            "SELECT 1 AS locked FROM \
             (SELECT pg_advisory_xact_lock(24002, CAST(MOD($1, 2147483647) AS INTEGER))) AS l",
        )
        .bind(account.0)
        .fetch_one(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Erasure of the people `removed` (person keys) from the account's snapshots, in the
/// caller's transaction, which holds the account's erasure lock (`apply` takes it
/// first): their entries keep their group ids and lose the key; reporting lines named
/// after them lose their name and manager's name.
pub(crate) async fn scrub(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    removed: &[i64],
) -> Result<()> {
    if removed.is_empty() {
        return Ok(());
    }
    crate::directory::execute_for_ids(
        conn,
        backend,
        "UPDATE audience_snapshot_members SET personio_id = NULL \
         WHERE account_id = {account} AND personio_id IN ({ids})",
        account,
        removed,
    )
    .await?;
    // A reporting line's stored name is its manager's key, as text.
    let names: Vec<String> = removed.iter().map(i64::to_string).collect();
    for chunk in names.chunks(BATCH_ROWS) {
        // One parameter style per statement (see `sql::param`).
        let sql = format!(
            "UPDATE audience_snapshot_groups SET name = NULL, manager_name = NULL \
             WHERE snapshot_id IN (SELECT id FROM audience_snapshots WHERE account_id = {}) \
             AND kind IN ({}) AND name IN ({})",
            param(backend, 1),
            placeholders(backend, 2, 2),
            placeholders(backend, chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql)
            .bind(account.0)
            .bind(GroupKind::ReportsDirect.as_str())
            .bind(GroupKind::ReportsAll.as_str());
        for name in chunk {
            q = q.bind(name.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

fn snapshot_from_row(row: &sqlx::any::AnyRow) -> Result<Snapshot> {
    let created_at: String = row.try_get("created_at")?;
    Ok(Snapshot {
        id: row.try_get("id")?,
        label: row.try_get("label")?,
        created_at: parse_ts(&created_at)?,
        count: row.try_get("member_count")?,
    })
}

/// Groups in the order answers list them: by kind, then name (erased names last).
fn sort_groups(groups: &mut [SnapshotGroup]) {
    groups.sort_by(|a, b| {
        (a.kind, a.name.is_none(), &a.name, a.id).cmp(&(b.kind, b.name.is_none(), &b.name, b.id))
    });
}

impl Store {
    /// Freezes the audience `select` chooses from the account's directory as it is now:
    /// `select` gets the directory (sorted by person key) and its groups, read in the
    /// snapshot's own transaction, and returns the members' keys (or its own error, which
    /// is returned and writes nothing). Everything is written in that transaction.
    pub async fn create_snapshot<E, F>(
        &self,
        account: AccountId,
        label: &str,
        select: F,
    ) -> std::result::Result<(Snapshot, Vec<SnapshotGroup>), E>
    where
        E: From<StoreError>,
        F: FnOnce(&[DirectoryEmployee], &[GroupSummary]) -> std::result::Result<Vec<PersonKey>, E>,
    {
        let mut tx = self.begin_write().await?;
        lock_erasure(&mut tx, self.backend, account).await?;
        let groups = read_groups(&mut tx, account).await?;
        let directory = read_directory(&mut tx, self.backend, account, |_| {}).await?;
        let chosen: HashSet<PersonKey> = select(&directory, &groups)?.into_iter().collect();

        let id_of: HashMap<GroupKey, i64> = groups
            .iter()
            .map(|g| (GroupKey::new(g.kind, g.name.clone()), g.id))
            .collect();
        let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
        let mut members: Vec<(i64, String)> = Vec::with_capacity(chosen.len());
        for e in directory.iter().filter(|e| chosen.contains(&e.key)) {
            let mut ids = e
                .groups
                .iter()
                .map(|g| {
                    id_of.get(g).copied().ok_or_else(|| {
                        StoreError::corrupt(format!("group {}/{} without a row", g.kind, g.name))
                    })
                })
                .collect::<Result<Vec<i64>>>()?;
            ids.sort_unstable();
            for id in &ids {
                *counts.entry(*id).or_default() += 1;
            }
            let text = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            members.push((e.key.0, text));
        }
        // A reporting line is named after its manager: their name at launch.
        let names: HashMap<String, String> = directory
            .iter()
            .map(|e| {
                (
                    e.key.0.to_string(),
                    format!("{} {}", e.first_name, e.last_name),
                )
            })
            .collect();
        let by_id: HashMap<i64, &GroupSummary> = groups.iter().map(|g| (g.id, g)).collect();
        let mut snapshot_groups = counts
            .iter()
            .filter_map(|(id, n)| by_id.get(id).map(|g| (g, *n)))
            .map(|(g, n)| SnapshotGroup {
                id: g.id,
                kind: g.kind,
                name: Some(g.name.clone()),
                manager_name: g
                    .kind
                    .is_reporting_line()
                    .then(|| names.get(&g.name).cloned())
                    .flatten(),
                member_count: n,
            })
            .collect::<Vec<_>>();
        drop(directory);

        let created_at = now();
        let count = i64::try_from(members.len()).unwrap_or(i64::MAX);
        let row = sqlx::query(
            "INSERT INTO audience_snapshots (account_id, label, created_at, member_count) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(account.0)
        .bind(label)
        .bind(ts(created_at))
        .bind(count)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let id: i64 = row.try_get("id").map_err(StoreError::from)?;
        for chunk in snapshot_groups.chunks(BATCH_ROWS) {
            let sql = format!(
                "INSERT INTO audience_snapshot_groups \
                 (snapshot_id, group_id, kind, name, manager_name, member_count) VALUES {}",
                values_list(self.backend, chunk.len(), 6, 1)
            );
            let mut q = sqlx::query(&sql);
            for g in chunk {
                q = q
                    .bind(id)
                    .bind(g.id)
                    .bind(g.kind.as_str())
                    .bind(g.name.as_deref())
                    .bind(g.manager_name.as_deref())
                    .bind(g.member_count);
            }
            q.execute(&mut *tx).await.map_err(StoreError::from)?;
        }
        let mut position = 0_i64;
        for chunk in members.chunks(BATCH_ROWS) {
            let sql = format!(
                "INSERT INTO audience_snapshot_members \
                 (snapshot_id, position, account_id, personio_id, group_ids) VALUES {}",
                values_list(self.backend, chunk.len(), 5, 1)
            );
            let mut q = sqlx::query(&sql);
            for (person, group_ids) in chunk {
                position += 1;
                q = q
                    .bind(id)
                    .bind(position)
                    .bind(account.0)
                    .bind(*person)
                    .bind(group_ids.as_str());
            }
            q.execute(&mut *tx).await.map_err(StoreError::from)?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        sort_groups(&mut snapshot_groups);
        Ok((
            Snapshot {
                id,
                label: label.to_owned(),
                created_at,
                count,
            },
            snapshot_groups,
        ))
    }

    /// The account's snapshots, newest first (without groups and members).
    pub async fn snapshots(&self, account: AccountId) -> Result<Vec<Snapshot>> {
        sqlx::query(
            "SELECT id, label, created_at, member_count FROM audience_snapshots \
             WHERE account_id = $1 ORDER BY id DESC",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(snapshot_from_row)
        .collect()
    }

    /// One snapshot of the account with its groups (by kind, then name); `None` for an
    /// unknown id or another account's.
    pub async fn snapshot(
        &self,
        account: AccountId,
        id: i64,
    ) -> Result<Option<(Snapshot, Vec<SnapshotGroup>)>> {
        let mut conn = self.pool.acquire().await?;
        let Some(row) = sqlx::query(
            "SELECT id, label, created_at, member_count FROM audience_snapshots \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account.0)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let snapshot = snapshot_from_row(&row)?;
        let mut groups = sqlx::query(
            "SELECT group_id, kind, name, manager_name, member_count \
             FROM audience_snapshot_groups WHERE snapshot_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok(SnapshotGroup {
                id: row.try_get("group_id")?,
                kind: GroupKind::parse(&kind)
                    .ok_or_else(|| StoreError::corrupt(format!("group kind {kind:?}")))?,
                name: row.try_get("name")?,
                manager_name: row.try_get("manager_name")?,
                member_count: row.try_get("member_count")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        sort_groups(&mut groups);
        Ok(Some((snapshot, groups)))
    }

    /// Members of the account's snapshot `id` in order, after `position` `after`, at most
    /// `limit` (all without). Empty for an unknown id or another account's.
    pub async fn snapshot_members(
        &self,
        account: AccountId,
        id: i64,
        after: Option<i64>,
        limit: Option<usize>,
    ) -> Result<Vec<SnapshotMember>> {
        let limit = limit.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
        sqlx::query(
            "SELECT position, personio_id, group_ids FROM audience_snapshot_members \
             WHERE snapshot_id = $1 AND account_id = $2 AND position > $3 \
             ORDER BY position LIMIT $4",
        )
        .bind(id)
        .bind(account.0)
        .bind(after.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let person: Option<i64> = row.try_get("personio_id")?;
            let group_ids: String = row.try_get("group_ids")?;
            Ok(SnapshotMember {
                position: row.try_get("position")?,
                person: person.map(PersonKey),
                group_ids: group_ids
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse()
                            .map_err(|_| StoreError::corrupt(format!("snapshot group id {s:?}")))
                    })
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
    }

    /// Deletes the account's snapshot `id` with its groups and members; false when the
    /// account has no such snapshot.
    pub async fn delete_snapshot(&self, account: AccountId, id: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let owned =
            sqlx::query("SELECT id FROM audience_snapshots WHERE account_id = $1 AND id = $2")
                .bind(account.0)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
        if owned {
            for table in ["audience_snapshot_members", "audience_snapshot_groups"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE snapshot_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM audience_snapshots WHERE account_id = $1 AND id = $2")
                .bind(account.0)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(owned)
    }
}
