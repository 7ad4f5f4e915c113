//! The SCIM source's groups: each group an identity provider (Microsoft Entra ID, Okta)
//! pushed to an account, with its members (users of the same account).
//!
//! A group is kept by the id staffsync issued for it (a UUID, handed out here), with the
//! identity provider's `externalId`, its `displayName` (unique per account ignoring case:
//! the planner names an `idp_group` group by it) and its members' user ids. Members are
//! only ever users of the group's account: ids the account has no user for are left
//! out (the caller checks them first, to name them), and deleting a user removes it from
//! every group.
//!
//! This module must never let one account read or change another's groups, and never
//! decide anything about the directory: the planner makes groups of what it keeps.

use crate::error::{Result, StoreError};
use crate::scim::{taken, user_name_key as display_name_key};
use crate::sql::{now, parse_ts, ts};
use crate::{AccountId, Store};
use sqlx::Row as _;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// One SCIM group as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimGroup {
    /// The id staffsync issued (a UUID as text).
    pub id: String,
    pub external_id: Option<String>,
    pub display_name: String,
    /// Its members' user ids, sorted.
    pub members: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What [`Store::replace_scim_group_from`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupWrite {
    Written(ScimGroup),
    /// The account has no such group (any more).
    Missing,
    /// The group changed since the change was computed: nothing was written.
    Stale,
}

/// What a write of a group gives the store (its id and times are the store's).
#[derive(Debug, Clone, PartialEq)]
pub struct ScimGroupData {
    pub external_id: Option<String>,
    pub display_name: String,
    /// User ids of the account; others are left out.
    pub members: Vec<String>,
}

const COLUMNS: &str = "id, external_id, display_name, created_at, updated_at";

fn group_from_row(row: &AnyRow, members: Vec<String>) -> Result<ScimGroup> {
    let created_at: String = row.try_get("created_at")?;
    let updated_at: String = row.try_get("updated_at")?;
    Ok(ScimGroup {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        display_name: row.try_get("display_name")?,
        members,
        created_at: parse_ts(&created_at)?,
        updated_at: parse_ts(&updated_at)?,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Makes `members` (those the account has a user for) the members of `group`: only the
/// memberships that change are written, so adding a batch to a large group costs the
/// batch, not the group.
async fn set_members(
    tx: &mut Tx,
    account: AccountId,
    group: &str,
    members: &[String],
) -> Result<()> {
    let now: BTreeSet<String> = members_of(&mut **tx, account, Some(group))
        .await?
        .remove(group)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let wanted: BTreeSet<&str> = members.iter().map(String::as_str).collect();
    for gone in now.iter().filter(|m| !wanted.contains(m.as_str())) {
        sqlx::query(
            "DELETE FROM scim_group_members WHERE account_id = $1 AND group_id = $2 AND user_id = $3",
        )
        .bind(account.0)
        .bind(group)
        .bind(gone.as_str())
        .execute(&mut **tx)
        .await?;
    }
    for user in wanted.into_iter().filter(|m| !now.contains(*m)) {
        // Through scim_users: an id the account has no user for adds nobody.
        sqlx::query(
            "INSERT INTO scim_group_members (account_id, group_id, user_id) \
             SELECT account_id, $2, id FROM scim_users WHERE account_id = $1 AND id = $3 \
             ON CONFLICT DO NOTHING",
        )
        .bind(account.0)
        .bind(group)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The members of every group of `account` (or of `group` only), by group id.
async fn members_of<'e, E>(
    executor: E,
    account: AccountId,
    group: Option<&str>,
) -> Result<BTreeMap<String, Vec<String>>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let one = if group.is_some() {
        "AND group_id = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT group_id, user_id FROM scim_group_members \
         WHERE account_id = $1 {one} ORDER BY group_id, user_id"
    );
    let mut query = sqlx::query(&sql).bind(account.0);
    if let Some(group) = group {
        query = query.bind(group);
    }
    let rows = query.fetch_all(executor).await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in &rows {
        out.entry(row.try_get("group_id")?)
            .or_default()
            .push(row.try_get("user_id")?);
    }
    Ok(out)
}

impl Store {
    /// Stores a new group of `account` under a fresh id. `Conflict` when the account has
    /// a group with this `displayName` (ignoring case).
    pub async fn create_scim_group(
        &self,
        account: AccountId,
        group: &ScimGroupData,
    ) -> Result<ScimGroup> {
        let at = ts(now());
        let id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO scim_groups (account_id, id, external_id, display_name, \
             display_name_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(account.0)
        .bind(id.as_str())
        .bind(group.external_id.as_deref())
        .bind(group.display_name.as_str())
        .bind(display_name_key(&group.display_name))
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(taken("displayName", &group.display_name))?;
        set_members(&mut tx, account, &id, &group.members).await?;
        let found = read_group(&mut tx, account, &id).await?;
        tx.commit().await?;
        found.ok_or_else(|| StoreError::corrupt("a SCIM group vanished while written"))
    }

    /// The account's group `id`, if it has one.
    pub async fn scim_group(&self, account: AccountId, id: &str) -> Result<Option<ScimGroup>> {
        let mut conn = self.pool.acquire().await?;
        read_group(&mut conn, account, id).await
    }

    /// Every group of the account, oldest first (the order SCIM lists page through).
    pub async fn scim_groups(&self, account: AccountId) -> Result<Vec<ScimGroup>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scim_groups WHERE account_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&self.pool)
            .await?;
        let mut members = members_of(&self.pool, account, None).await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                group_from_row(row, members.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    /// Replaces the account's group `id` (name, externalId, members) with `group`; `None`
    /// when it has no such group, `Conflict` when another of its groups has this
    /// `displayName`.
    pub async fn replace_scim_group(
        &self,
        account: AccountId,
        id: &str,
        group: &ScimGroupData,
    ) -> Result<Option<ScimGroup>> {
        let mut tx = self.begin_write().await?;
        let found = write_group(&mut tx, account, id, group).await?;
        if found.is_some() {
            tx.commit().await?;
        }
        Ok(found)
    }

    /// [`Store::replace_scim_group`] for a change computed from `before` (a PATCH): made
    /// only while the group is still exactly `before`, else [`GroupWrite::Stale`] and
    /// nothing changes, so two PATCHes of one group at once (members added in batches)
    /// cannot drop each other's members; the caller computes its change again.
    pub async fn replace_scim_group_from(
        &self,
        account: AccountId,
        before: &ScimGroup,
        group: &ScimGroupData,
    ) -> Result<GroupWrite> {
        let mut tx = self.begin_write().await?;
        // A write of the row first: it waits for any other write of this group (the row
        // lock on PostgreSQL, the database's write lock on SQLite), so the read below
        // sees the group as the last such write left it.
        let locked = sqlx::query(
            "UPDATE scim_groups SET updated_at = updated_at WHERE account_id = $1 AND id = $2",
        )
        .bind(account.0)
        .bind(before.id.as_str())
        .execute(&mut *tx)
        .await?;
        if locked.rows_affected() == 0 {
            return Ok(GroupWrite::Missing);
        }
        let Some(now) = read_group(&mut tx, account, &before.id).await? else {
            return Ok(GroupWrite::Missing);
        };
        if now.members != before.members
            || now.display_name != before.display_name
            || now.external_id != before.external_id
        {
            return Ok(GroupWrite::Stale);
        }
        match write_group(&mut tx, account, &before.id, group).await? {
            Some(written) => {
                tx.commit().await?;
                Ok(GroupWrite::Written(written))
            }
            None => Ok(GroupWrite::Missing),
        }
    }

    /// Deletes the account's group `id` (and its memberships); `false` when it has no
    /// such group.
    pub async fn delete_scim_group(&self, account: AccountId, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM scim_groups WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Of `ids`, those the account has no user for, once each, in the order given.
    pub async fn unknown_scim_users(
        &self,
        account: AccountId,
        ids: &[String],
    ) -> Result<Vec<String>> {
        let mut known: BTreeSet<String> = BTreeSet::new();
        // A few hundred ids a query: well under both backends' limits on bound values.
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT id FROM scim_users WHERE account_id = $1 AND id IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(account.0);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            for row in query.fetch_all(&self.pool).await? {
                known.insert(row.try_get("id")?);
            }
        }
        let mut unknown: Vec<String> = Vec::new();
        for id in ids {
            if !known.contains(id) && !unknown.contains(id) {
                unknown.push(id.clone());
            }
        }
        Ok(unknown)
    }

    /// The displayNames of the groups each user of the account is a member of, by user
    /// id (users in no group are left out), each list sorted.
    pub async fn scim_group_names_by_user(
        &self,
        account: AccountId,
    ) -> Result<BTreeMap<String, Vec<String>>> {
        let rows = sqlx::query(
            "SELECT m.user_id, g.display_name FROM scim_group_members m \
             JOIN scim_groups g ON g.account_id = m.account_id AND g.id = m.group_id \
             WHERE m.account_id = $1 ORDER BY m.user_id, g.display_name",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in &rows {
            out.entry(row.try_get("user_id")?)
                .or_default()
                .push(row.try_get("display_name")?);
        }
        Ok(out)
    }
}

/// Writes `group` as the account's group `id` inside `tx`; `None` when there is no such
/// group.
async fn write_group(
    tx: &mut Tx,
    account: AccountId,
    id: &str,
    group: &ScimGroupData,
) -> Result<Option<ScimGroup>> {
    let done = sqlx::query(
        "UPDATE scim_groups SET external_id = $1, display_name = $2, \
         display_name_key = $3, updated_at = $4 WHERE account_id = $5 AND id = $6",
    )
    .bind(group.external_id.as_deref())
    .bind(group.display_name.as_str())
    .bind(display_name_key(&group.display_name))
    .bind(ts(now()))
    .bind(account.0)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(taken("displayName", &group.display_name))?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    set_members(tx, account, id, &group.members).await?;
    read_group(tx, account, id).await
}

async fn read_group(
    conn: &mut sqlx::AnyConnection,
    account: AccountId,
    id: &str,
) -> Result<Option<ScimGroup>> {
    let sql = format!("SELECT {COLUMNS} FROM scim_groups WHERE account_id = $1 AND id = $2");
    let Some(row) = sqlx::query(&sql)
        .bind(account.0)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut members = members_of(&mut *conn, account, Some(id)).await?;
    group_from_row(&row, members.remove(id).unwrap_or_default()).map(Some)
}
