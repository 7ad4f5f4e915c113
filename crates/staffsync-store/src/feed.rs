//! The change feed: what each applied run changed in an account's directory, one row per
//! change, in the order a consumer can replay it (`GET /api/v1/changes`, outgoing webhooks).
//!
//! Rows are written only by `apply_plan` ([`write`]), in the run's transaction,
//! so the feed never shows a change the directory does not have, nor misses one. Within a
//! run the order is: groups created, groups renamed, employees created, employees updated,
//! memberships removed, memberships added, employees removed, groups removed — each
//! change can be applied to a replica in turn without referring to something it does not
//! have yet. Ids are never reused (pruning included), so a row's id is a stable position.
//!
//! This module must never keep personal data of an erased person: `apply_plan` scrubs the
//! `data` of a removed person's earlier rows ([`scrub`]), leaving only their
//! Personio id, as the run history does, and the name of a removed group
//! ([`scrub`]), which may name a person.

use crate::error::{Result, StoreError};
use crate::sql::{BATCH_ROWS, add_arg, from_json, insert_pipelined, parse_ts, ts, values_list};
use crate::{AccountId, Backend, RunId, Store};
use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::{AnyConnection, Row as _};
use staffsync_core::Field;
use staffsync_core::dates::format_date;
use staffsync_core::{DirectoryEmployee, GroupKey, PersonKey, Update};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use time::OffsetDateTime;

/// What kind of change a feed row records. Stored as a small number (`code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ChangeType {
    EmployeeCreated,
    EmployeeUpdated,
    EmployeeRemoved,
    GroupCreated,
    GroupRenamed,
    GroupRemoved,
    MembershipAdded,
    MembershipRemoved,
    EmployeeRekeyed,
}

impl ChangeType {
    pub const ALL: [ChangeType; 9] = [
        ChangeType::EmployeeCreated,
        ChangeType::EmployeeUpdated,
        ChangeType::EmployeeRemoved,
        ChangeType::GroupCreated,
        ChangeType::GroupRenamed,
        ChangeType::GroupRemoved,
        ChangeType::MembershipAdded,
        ChangeType::MembershipRemoved,
        ChangeType::EmployeeRekeyed,
    ];

    /// The name consumers see: `employee.created`, …
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::EmployeeCreated => "employee.created",
            ChangeType::EmployeeUpdated => "employee.updated",
            ChangeType::EmployeeRemoved => "employee.removed",
            ChangeType::GroupCreated => "group.created",
            ChangeType::GroupRenamed => "group.renamed",
            ChangeType::GroupRemoved => "group.removed",
            ChangeType::MembershipAdded => "membership.added",
            ChangeType::MembershipRemoved => "membership.removed",
            ChangeType::EmployeeRekeyed => "employee.rekeyed",
        }
    }

    fn code(self) -> i64 {
        match self {
            ChangeType::EmployeeCreated => 1,
            ChangeType::EmployeeUpdated => 2,
            ChangeType::EmployeeRemoved => 3,
            ChangeType::GroupCreated => 4,
            ChangeType::GroupRenamed => 5,
            ChangeType::GroupRemoved => 6,
            ChangeType::MembershipAdded => 7,
            ChangeType::MembershipRemoved => 8,
            ChangeType::EmployeeRekeyed => 9,
        }
    }

    fn from_code(code: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

impl fmt::Display for ChangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the feed, as stored.
///
/// `data` by type: employee created → all fields but the groups (`{"email", "first_name",
/// …, "attributes"}`); employee updated → only the changed fields (`attributes` holds only
/// the changed keys, `null` for a key that went); group created → `{"kind", "name"}`;
/// group renamed → `{"kind", "name", "previous_name"}`; group removed → `{"kind"}`;
/// employee re-keyed (the row's `personio_id` is the new key) → `{"previous_personio_id"}`
/// and, for a file account, `"previous_import_id"`;
/// otherwise `None`. An erased person's employee rows, and the created and renamed rows
/// of a group that was removed since, have `data: None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedChange {
    /// The row's position in the feed (stable; the API wraps it in an opaque cursor).
    pub seq: i64,
    pub run_id: RunId,
    /// When the run that made the change was applied.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub change: ChangeType,
    /// The person the change is about (none for a group's own change, or once erased).
    #[serde(rename = "personio_id")]
    pub key: Option<PersonKey>,
    pub group_id: Option<i64>,
    pub data: Option<serde_json::Value>,
}

/// Where an account's feed stands: rows up to `pruned_through` were deleted by retention
/// (a reader behind it missed changes), `latest` is the newest row (0: none yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeedBounds {
    pub pruned_through: i64,
    pub latest: i64,
}

/// One row to insert: type, Personio id, group id, data (JSON text).
type NewRow = (ChangeType, Option<i64>, Option<i64>, Option<String>);

/// Rows a statement holds: 6 parameters a row stay far below both backends' limits.
const FEED_BATCH: usize = BATCH_ROWS * 2;

/// The fields of an employee as a created row shows them (borrowed: 100,000 of these are
/// serialized in a first sync).
#[derive(Serialize)]
struct CreatedFields<'a> {
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    department: Option<&'a str>,
    office: Option<&'a str>,
    team: Option<&'a str>,
    position: Option<&'a str>,
    status: Option<&'a str>,
    hire_date: Option<String>,
    termination_date: Option<String>,
    supervisor_personio_id: Option<i64>,
    attributes: &'a staffsync_core::Attributes,
}

fn created_fields(e: &DirectoryEmployee) -> Result<String> {
    crate::sql::to_json(&CreatedFields {
        email: &e.email,
        first_name: &e.first_name,
        last_name: &e.last_name,
        department: e.department.as_deref(),
        office: e.office.as_deref(),
        team: e.team.as_deref(),
        position: e.position.as_deref(),
        status: e.status.as_deref(),
        hire_date: e.hire_date.map(format_date),
        termination_date: e.termination_date.map(format_date),
        supervisor_personio_id: e.supervisor_key.map(|p| p.0),
        attributes: &e.attributes,
    })
}

/// The fields the update changes, with their new values taken from `after` (typed as in a
/// created row); `None` when only the groups changed (memberships say that).
fn updated_fields(u: &Update) -> Result<Option<String>> {
    use serde_json::{Map, Value};
    let e = &u.after;
    let text = |v: Option<&str>| v.map_or(Value::Null, |s| Value::String(s.to_owned()));
    let mut fields = Map::new();
    let mut attributes = Map::new();
    for change in &u.changes {
        let value = match &change.field {
            Field::Email => Value::String(e.email.clone()),
            Field::FirstName => Value::String(e.first_name.clone()),
            Field::LastName => Value::String(e.last_name.clone()),
            Field::Department => text(e.department.as_deref()),
            Field::Office => text(e.office.as_deref()),
            Field::Team => text(e.team.as_deref()),
            Field::Position => text(e.position.as_deref()),
            Field::Status => text(e.status.as_deref()),
            Field::HireDate => text(e.hire_date.map(format_date).as_deref()),
            Field::TerminationDate => text(e.termination_date.map(format_date).as_deref()),
            Field::Supervisor => e.supervisor_key.map_or(Value::Null, |p| Value::from(p.0)),
            Field::Attribute(key) => {
                attributes.insert(key.clone(), text(e.attributes.get(key)));
                continue;
            }
            // Memberships carry groups; an unknown field has no value here.
            Field::Groups | Field::Unknown(_) => continue,
        };
        fields.insert(change.field.name().into_owned(), value);
    }
    if !attributes.is_empty() {
        fields.insert("attributes".to_owned(), Value::Object(attributes));
    }
    if fields.is_empty() {
        return Ok(None);
    }
    crate::sql::to_json(&fields).map(Some)
}

fn group_data(key: &GroupKey, previous_name: Option<&str>) -> Result<String> {
    #[derive(Serialize)]
    struct GroupData<'a> {
        kind: &'static str,
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_name: Option<&'a str>,
    }
    crate::sql::to_json(&GroupData {
        kind: key.kind.as_str(),
        name: &key.name,
        previous_name,
    })
}

/// One re-keyed person, for [`write`].
pub(crate) struct Rekeyed {
    pub from: i64,
    pub to: i64,
    /// The `ImportId` the old key had (a file account).
    pub previous_import_id: Option<String>,
}

/// `ids` and every key those people had before a re-key (from their `employee.rekeyed`
/// rows, followed back): what an erasure of `ids` must scrub.
pub(crate) async fn with_former_keys(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    ids: &[i64],
) -> Result<Vec<i64>> {
    let mut all: Vec<i64> = ids.to_vec();
    let mut next: Vec<i64> = ids.to_vec();
    while !next.is_empty() {
        let mut found = Vec::new();
        for chunk in next.chunks(BATCH_ROWS) {
            let sql = format!(
                "SELECT data FROM change_feed WHERE account_id = {} AND kind = {} \
                 AND data IS NOT NULL AND personio_id IN ({})",
                crate::sql::param(backend, 1),
                ChangeType::EmployeeRekeyed.code(),
                crate::sql::placeholders(backend, chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql).bind(account.0);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut *conn).await? {
                let data: String = row.try_get("data")?;
                let v: serde_json::Value = from_json(&data, "feed data")?;
                if let Some(old) = v["previous_personio_id"].as_i64()
                    && !all.contains(&old)
                {
                    found.push(old);
                }
            }
        }
        all.extend(&found);
        next = found;
    }
    Ok(all)
}

/// What `apply_plan` knows about one run's changes, for [`write`].
pub(crate) struct RunDelta<'a> {
    pub rekeyed: &'a [Rekeyed],
    pub creates: &'a [DirectoryEmployee],
    pub updates: &'a [Update],
    pub removed: &'a [i64],
    /// Groups created by this run, by id (not those reused by a rename).
    pub created_groups: BTreeMap<i64, GroupKey>,
    /// Renamed groups: id → (key after, name before).
    pub renamed_groups: BTreeMap<i64, (GroupKey, String)>,
    /// Groups deleted because they became empty.
    pub removed_groups: BTreeMap<i64, GroupKey>,
    /// Memberships of the updated and removed people before the run: (personio id, group).
    pub old_links: BTreeSet<(i64, i64)>,
    /// Memberships of the created and updated people after the run (renames applied),
    /// sorted: (personio id, group).
    pub new_links: Vec<(i64, i64)>,
}

/// Writes the rows for one run's delta for `run`, in replay order (see the module doc),
/// made a batch at a time as they are inserted, so a large run (a first sync of 100,000
/// people makes about a million rows) never holds them all; then records the newest id on
/// the run (retention prunes by it).
pub(crate) async fn write(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    run: RunId,
    d: &RunDelta<'_>,
) -> Result<()> {
    let inserted = insert_pipelined(&mut *conn, rows(d), FEED_BATCH, |batch| {
        let sql = format!(
            "INSERT INTO change_feed (account_id, run_id, kind, personio_id, group_id, data) \
             VALUES {}",
            values_list(backend, batch.len(), 6, 1)
        );
        let mut args = AnyArguments::default();
        for (kind, person, group, data) in batch {
            add_arg(&mut args, account.0)?;
            add_arg(&mut args, run.0)?;
            add_arg(&mut args, kind.code())?;
            add_arg(&mut args, person)?;
            add_arg(&mut args, group)?;
            add_arg(&mut args, data)?;
        }
        Ok((sql, args))
    })
    .await?;
    if inserted == 0 {
        return Ok(());
    }
    sqlx::query(
        "UPDATE sync_runs SET feed_through = \
           (SELECT MAX(id) FROM change_feed WHERE account_id = $1) \
         WHERE id = $2 AND account_id = $1",
    )
    .bind(account.0)
    .bind(run.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The rows of `d`, in replay order (see the module doc), each made when it is asked for.
fn rows(d: &RunDelta<'_>) -> impl Iterator<Item = Result<NewRow>> {
    use ChangeType::*;
    let created_groups = d.created_groups.iter().map(|(id, key)| -> Result<NewRow> {
        Ok((GroupCreated, None, Some(*id), Some(group_data(key, None)?)))
    });
    let renamed_groups = d
        .renamed_groups
        .iter()
        .map(|(id, (key, previous))| -> Result<NewRow> {
            let data = group_data(key, Some(previous))?;
            Ok((GroupRenamed, None, Some(*id), Some(data)))
        });
    let rekeyed = d.rekeyed.iter().map(|r| -> Result<NewRow> {
        #[derive(Serialize)]
        struct RekeyData<'a> {
            previous_personio_id: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            previous_import_id: Option<&'a str>,
        }
        let data = crate::sql::to_json(&RekeyData {
            previous_personio_id: r.from,
            previous_import_id: r.previous_import_id.as_deref(),
        })?;
        Ok((EmployeeRekeyed, Some(r.to), None, Some(data)))
    });
    let created = d.creates.iter().map(|e| -> Result<NewRow> {
        Ok((
            EmployeeCreated,
            Some(e.key.0),
            None,
            Some(created_fields(e)?),
        ))
    });
    let updated = d.updates.iter().filter_map(|u| match updated_fields(u) {
        Ok(Some(fields)) => Some(Ok((
            EmployeeUpdated,
            Some(u.after.key.0),
            None,
            Some(fields),
        ))),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    });
    // Only the touched people have old links; a first sync compares nothing.
    let touched: HashSet<i64> = d.old_links.iter().map(|(p, _)| *p).collect();
    let kept: HashSet<&(i64, i64)> = d
        .new_links
        .iter()
        .filter(|(p, _)| touched.contains(p))
        .collect();
    let links_removed = d.old_links.iter().filter(move |l| !kept.contains(l)).map(
        |(person, group)| -> Result<NewRow> {
            Ok((MembershipRemoved, Some(*person), Some(*group), None))
        },
    );
    let links_added = d.new_links.iter().filter(|l| !d.old_links.contains(l)).map(
        |(person, group)| -> Result<NewRow> {
            Ok((MembershipAdded, Some(*person), Some(*group), None))
        },
    );
    let removed = d
        .removed
        .iter()
        .map(|id| -> Result<NewRow> { Ok((EmployeeRemoved, Some(*id), None, None)) });
    let removed_groups = d.removed_groups.iter().map(|(id, key)| -> Result<NewRow> {
        // Without the name: see `Scrub::Groups`.
        let data = crate::sql::to_json(&serde_json::json!({ "kind": key.kind.as_str() }))?;
        Ok((GroupRemoved, None, Some(*id), Some(data)))
    });
    created_groups
        .chain(renamed_groups)
        .chain(rekeyed)
        .chain(created)
        .chain(updated)
        .chain(links_removed)
        .chain(links_added)
        .chain(removed)
        .chain(removed_groups)
}

/// What [`scrub`] clears.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scrub {
    /// Erasure: the removed people's earlier rows keep only their Personio id.
    People,
    /// A removed group's earlier rows lose their data (kind and name): a group's name may
    /// name a person (a team or reporting line called after someone, a position only they
    /// held), and the group is often removed because that person left. A name is
    /// therefore kept in the feed only while its group exists. Run before the run's own
    /// rows are inserted.
    Groups,
}

/// Clears the `data` of the earlier rows of the removed people or groups `ids`.
pub(crate) async fn scrub(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    what: Scrub,
    ids: &[i64],
) -> Result<()> {
    let rows = match what {
        Scrub::People => "personio_id IN ({ids})",
        Scrub::Groups => "personio_id IS NULL AND group_id IN ({ids})",
    };
    crate::directory::execute_for_ids(
        conn,
        backend,
        &format!(
            "UPDATE change_feed SET data = NULL WHERE account_id = {{account}} \
             AND data IS NOT NULL AND {rows}"
        ),
        account,
        ids,
    )
    .await?;
    Ok(())
}

/// The memberships of the people `ids` (Personio ids), as (personio id, group id).
pub(crate) async fn links_of(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    ids: &[i64],
) -> Result<BTreeSet<(i64, i64)>> {
    let rows = crate::directory::fetch_for_ids(
        conn,
        backend,
        "SELECT e.personio_id, m.group_id FROM memberships m \
         JOIN employees e ON e.id = m.employee_id \
         WHERE e.account_id = {account} AND e.personio_id IN ({ids})",
        account,
        ids,
    )
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("personio_id")?, row.try_get("group_id")?)))
        .collect()
}

/// Groups of the account by id.
pub(crate) async fn groups_by_id(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<HashMap<i64, GroupKey>> {
    sqlx::query("SELECT id, kind, name FROM groups WHERE account_id = $1")
        .bind(account.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<i64, _>("id")?,
                crate::directory::group_key_from_row(row)?,
            ))
        })
        .collect()
}

impl Store {
    /// Up to `limit` changes of the account after position `after` (0: from the start), in
    /// the order they were applied.
    pub async fn changes(
        &self,
        account: AccountId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<FeedChange>> {
        let rows = sqlx::query(
            "SELECT c.id, c.run_id, c.kind, c.personio_id, c.group_id, c.data, r.finished_at \
             FROM change_feed c JOIN sync_runs r ON r.id = c.run_id \
             WHERE c.account_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
        )
        .bind(account.0)
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let code: i64 = row.try_get("kind")?;
                let data: Option<String> = row.try_get("data")?;
                let at: Option<String> = row.try_get("finished_at")?;
                Ok(FeedChange {
                    seq: row.try_get("id")?,
                    run_id: RunId(row.try_get("run_id")?),
                    at: parse_ts(at.as_deref().unwrap_or_default())?,
                    change: ChangeType::from_code(code)
                        .ok_or_else(|| StoreError::corrupt(format!("change kind {code}")))?,
                    key: row.try_get::<Option<i64>, _>("personio_id")?.map(PersonKey),
                    group_id: row.try_get("group_id")?,
                    data: data.map(|d| from_json(&d, "change data")).transpose()?,
                })
            })
            .collect()
    }

    /// Where the account's feed stands (see [`FeedBounds`]).
    pub async fn feed_bounds(&self, account: AccountId) -> Result<FeedBounds> {
        let row = sqlx::query(
            "SELECT \
               (SELECT pruned_through FROM change_feed_horizon WHERE account_id = $1) AS pruned, \
               (SELECT MAX(id) FROM change_feed WHERE account_id = $1) AS latest",
        )
        .bind(account.0)
        .fetch_one(&self.pool)
        .await?;
        let pruned: Option<i64> = row.try_get("pruned")?;
        let latest: Option<i64> = row.try_get("latest")?;
        let pruned_through = pruned.unwrap_or(0);
        Ok(FeedBounds {
            pruned_through,
            latest: latest.unwrap_or(0).max(pruned_through),
        })
    }

    /// Deletes the feed rows of runs that finished before `cutoff`, for every account,
    /// remembering per account how far it pruned; returns the rows deleted.
    pub async fn prune_changes(&self, cutoff: OffsetDateTime) -> Result<u64> {
        let due = sqlx::query(
            "SELECT r.account_id, MAX(r.feed_through) AS through FROM sync_runs r \
             WHERE r.feed_through IS NOT NULL AND r.finished_at < $1 \
             AND r.feed_through > COALESCE((SELECT h.pruned_through FROM change_feed_horizon h \
                                            WHERE h.account_id = r.account_id), 0) \
             GROUP BY r.account_id",
        )
        .bind(ts(cutoff))
        .fetch_all(&self.pool)
        .await?;
        let mut deleted = 0;
        for row in &due {
            let account: i64 = row.try_get("account_id")?;
            let through: i64 = row.try_get("through")?;
            let mut tx = self.begin_write().await?;
            deleted += sqlx::query("DELETE FROM change_feed WHERE account_id = $1 AND id <= $2")
                .bind(account)
                .bind(through)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(
                "INSERT INTO change_feed_horizon (account_id, pruned_through) VALUES ($1, $2) \
                 ON CONFLICT (account_id) DO UPDATE SET pruned_through = excluded.pruned_through \
                 WHERE change_feed_horizon.pruned_through < excluded.pruned_through",
            )
            .bind(account)
            .bind(through)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(deleted)
    }
}
