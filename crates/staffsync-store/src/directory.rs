//! The employee directory: reading it, its groups, and changing it by applying a plan.
//!
//! `apply_plan` is the only code that writes employees, groups and memberships (which
//! have no foreign keys: it keeps them linked, see migration 0004). It runs in one
//! transaction, applies only the creates and updates of a held plan (its removals and
//! re-keys are recorded for the review, never made), and erases removed people: their row and
//! memberships are deleted, their feedback loses its author (keeping its group
//! snapshot), the personal details of their earlier run changes are set to NULL, and
//! their entries in survey snapshots lose their ids (see `snapshots`).
//! Applying also clears the details of the account's earlier runs that applied nothing
//! (`dry_run`, `held`, `rejected`, `failed`): their previews may name people who were
//! never imported.
//!
//! On SQLite `secure_delete=ON` overwrites deleted content in the database file, and a
//! `wal_checkpoint(TRUNCATE)` after the commit moves the zeroed pages into the file and
//! empties the WAL, so the erased bytes leave the disk. On PostgreSQL deleted rows stay
//! as dead tuples until (auto)vacuum reclaims them, and remain in WAL archives and backups
//! for as long as the operator keeps those; the store deliberately does not run `VACUUM`
//! (it cannot run inside the transaction, needs table ownership, can be slow on large
//! tables, and still would not overwrite WAL or backups).

use crate::error::{Result, StoreError, is_unique_violation};
use crate::feed;
use crate::imports::{self, ImportApplied};
use crate::runs::{Outcome, RunKind, RunStatus, finish_row, insert_changes};
use crate::sql::{
    BATCH_ROWS, add_arg, from_json, insert_pipelined, param, placeholders, to_json, values_list,
};
use crate::{AccountId, Backend, RunId, Store};
use futures::TryStreamExt as _;
use serde::Serialize;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{AnyConnection, Row as _};
use staffsync_core::dates::{format_date, parse_calendar_date};
use staffsync_core::{
    DirectoryEmployee, GroupKey, GroupKind, GroupSet, PersonKey, Plan, YearMonth,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// A group of the directory and how many people are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    pub id: i64,
    pub kind: GroupKind,
    pub name: String,
    pub member_count: i64,
}

/// The employee columns a plan writes, in bind order (after `account_id`).
const EMPLOYEE_COLUMNS: &str = "personio_id, email, first_name, last_name, department, office, \
    team, position, status, hire_date, termination_date, supervisor_personio_id, attributes, \
    age_band_next";
const EMPLOYEE_COLUMN_COUNT: usize = 14;

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_employee<'q>(q: AnyQuery<'q>, e: &'q DirectoryEmployee) -> Result<AnyQuery<'q>> {
    Ok(q.bind(e.key.0)
        .bind(e.email.as_str())
        .bind(e.first_name.as_str())
        .bind(e.last_name.as_str())
        .bind(e.department.as_deref())
        .bind(e.office.as_deref())
        .bind(e.team.as_deref())
        .bind(e.position.as_deref())
        .bind(e.status.as_deref())
        .bind(e.hire_date.map(format_date))
        .bind(e.termination_date.map(format_date))
        .bind(e.supervisor_key.map(|p| p.0))
        .bind(to_json(&e.attributes)?)
        .bind(e.age_band_next.map(|m| m.to_string())))
}

fn parse_opt_date(s: Option<String>, field: &str) -> Result<Option<time::Date>> {
    s.map(|s| parse_calendar_date(&s).ok_or_else(|| StoreError::corrupt(format!("{field} {s:?}"))))
        .transpose()
}

/// An employee row as stored, before its values are parsed: read from a row, or from the
/// JSON array a directory chunk carries it in (serde reads a struct from an array in
/// field order: `id`, then [`EMPLOYEE_COLUMNS`]). [`Stored::parse`] is the one place
/// stored values become a [`DirectoryEmployee`].
#[derive(serde::Deserialize)]
struct Stored {
    id: i64,
    personio_id: i64,
    email: String,
    first_name: String,
    last_name: String,
    department: Option<String>,
    office: Option<String>,
    team: Option<String>,
    position: Option<String>,
    status: Option<String>,
    hire_date: Option<String>,
    termination_date: Option<String>,
    supervisor_personio_id: Option<i64>,
    attributes: String,
    age_band_next: Option<String>,
}

impl Stored {
    fn of_row(row: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            personio_id: row.try_get("personio_id")?,
            email: row.try_get("email")?,
            first_name: row.try_get("first_name")?,
            last_name: row.try_get("last_name")?,
            department: row.try_get("department")?,
            office: row.try_get("office")?,
            team: row.try_get("team")?,
            position: row.try_get("position")?,
            status: row.try_get("status")?,
            hire_date: row.try_get("hire_date")?,
            termination_date: row.try_get("termination_date")?,
            supervisor_personio_id: row.try_get("supervisor_personio_id")?,
            attributes: row.try_get("attributes")?,
            age_band_next: row.try_get("age_band_next")?,
        })
    }

    /// The row id and the person, without groups.
    fn parse(self) -> Result<(i64, DirectoryEmployee)> {
        Ok((
            self.id,
            DirectoryEmployee {
                key: PersonKey(self.personio_id),
                email: self.email,
                first_name: self.first_name,
                last_name: self.last_name,
                department: self.department,
                office: self.office,
                team: self.team,
                position: self.position,
                status: self.status,
                hire_date: parse_opt_date(self.hire_date, "hire_date")?,
                termination_date: parse_opt_date(self.termination_date, "termination_date")?,
                supervisor_key: self.supervisor_personio_id.map(PersonKey),
                age_band_next: self
                    .age_band_next
                    .map(|m| {
                        YearMonth::parse(&m)
                            .ok_or_else(|| StoreError::corrupt(format!("age_band_next {m:?}")))
                    })
                    .transpose()?,
                attributes: from_json(&self.attributes, "employee attributes")?,
                groups: GroupSet::new(),
            },
        ))
    }
}

fn employee_from_row(row: &AnyRow) -> Result<(i64, DirectoryEmployee)> {
    Stored::of_row(row)?.parse()
}

pub(crate) fn group_key_from_row(row: &AnyRow) -> Result<GroupKey> {
    let kind: String = row.try_get("kind")?;
    Ok(GroupKey {
        kind: GroupKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("group kind {kind:?}")))?,
        name: row.try_get::<String, _>("name")?.into(),
    })
}

/// Creates the groups in `keys` that do not exist yet; returns every group id of the
/// account by key.
async fn ensure_groups(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    keys: &BTreeSet<&GroupKey>,
) -> Result<HashMap<GroupKey, i64>> {
    let keys: Vec<&GroupKey> = keys.iter().copied().collect();
    for chunk in keys.chunks(BATCH_ROWS) {
        let sql = format!(
            "INSERT INTO groups (account_id, kind, name) VALUES {} \
             ON CONFLICT (account_id, kind, name) DO NOTHING",
            values_list(backend, chunk.len(), 3, 1)
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(account.0).bind(k.kind.as_str()).bind(&*k.name);
        }
        q.execute(&mut *conn).await?;
    }
    let rows = sqlx::query("SELECT id, kind, name FROM groups WHERE account_id = $1")
        .bind(account.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| Ok((group_key_from_row(row)?, row.try_get("id")?)))
        .collect()
}

/// Runs `sql` for `ids` in chunks, with `{account}` replaced by the first parameter (the
/// account) and `{ids}` by the chunk's parameters; returns the rows affected.
pub(crate) async fn execute_for_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    sql: &str,
    account: AccountId,
    ids: &[i64],
) -> Result<u64> {
    let mut affected = 0;
    for chunk in ids.chunks(BATCH_ROWS) {
        let sql = chunk_sql(backend, sql, chunk.len());
        affected += chunk_query(&sql, account, chunk)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(affected)
}

/// `sql` with `{account}` and `{ids}` (`n` of them) spelled as `backend` binds them.
fn chunk_sql(backend: Backend, sql: &str, n: usize) -> String {
    sql.replace("{account}", &param(backend, 1))
        .replace("{ids}", &placeholders(backend, n, 2))
}

/// The query `sql` (from [`chunk_sql`]) bound to `account` and `chunk`.
fn chunk_query<'q>(
    sql: &'q str,
    account: AccountId,
    chunk: &[i64],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    chunk
        .iter()
        .fold(sqlx::query(sql).bind(account.0), |q, id| q.bind(*id))
}

/// Fetches the rows of `sql` for `ids` in chunks, placeholders as in
/// [`execute_for_ids`].
pub(crate) async fn fetch_for_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    sql: &str,
    account: AccountId,
    ids: &[i64],
) -> Result<Vec<AnyRow>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(BATCH_ROWS) {
        let sql = chunk_sql(backend, sql, chunk.len());
        rows.extend(
            chunk_query(&sql, account, chunk)
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    Ok(rows)
}

/// People per statement of [`read_directory`].
const DIRECTORY_CHUNK: i64 = 1_000;

/// A stored person as a directory chunk carries them: `[[id, columns…], "group ids"]`,
/// the ids joined by commas (`null` without groups).
#[derive(serde::Deserialize)]
struct StoredMember(Stored, Option<String>);

/// [`Store::directory`] on `conn` (inside a transaction: the directory as that
/// transaction sees it).
///
/// On SQLite in chunks of [`DIRECTORY_CHUNK`] people by key, each chunk one row holding
/// its people as one JSON array built by the database: at 100,000 people, handing a row
/// per person from sqlx's SQLite worker thread to the run took most of a 1.0 s read
/// whose query alone takes 0.15 s. On PostgreSQL a row per person (see below).
///
/// `read` is called with everyone read so far (see [`Store::directory_with`]) after
/// each chunk, and on PostgreSQL every [`DIRECTORY_CHUNK`] rows.
pub(crate) async fn read_directory(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    mut read: impl FnMut(&[DirectoryEmployee]),
) -> Result<Vec<DirectoryEmployee>> {
    let groups = sqlx::query("SELECT id, kind, name FROM groups WHERE account_id = $1")
        .bind(account.0)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get::<i64, _>("id")?, group_key_from_row(row)?)))
        .collect::<Result<HashMap<i64, GroupKey>>>()?;
    // Sized first: grown by doubling, the list of 100,000 people would hold both its old
    // and its new buffer at the last growth (some 90 MB at once for a 46 MB list) and keep
    // a third of its room unused. A person added meanwhile only costs one growth.
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM employees WHERE account_id = $1")
        .bind(account.0)
        .fetch_one(&mut *conn)
        .await?;
    let mut employees = Vec::with_capacity(usize::try_from(count).unwrap_or_default());
    let person = |stored: Stored, ids: Option<&str>| -> Result<DirectoryEmployee> {
        let (_, mut employee) = stored.parse()?;
        // Collected, then made a set of exactly their number (inserted one by one, each
        // person's list would keep room for twice their groups).
        employee.groups = ids
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|id| {
                id.trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(|id| groups.get(&id))
                    .cloned()
                    .ok_or_else(|| StoreError::corrupt(format!("membership in unknown group {id}")))
            })
            .collect::<Result<GroupSet>>()?;
        Ok(employee)
    };
    match backend {
        // In chunks of people by key, each one JSON row: rows handed over one by one
        // from sqlx's SQLite worker thread cost more than the query.
        Backend::Sqlite => {
            let sql = format!(
                "SELECT json_group_array(json_array(json_array(e.id, {EMPLOYEE_COLUMNS}), \
                   (SELECT group_concat(m.group_id) FROM memberships m \
                    WHERE m.employee_id = e.id))) \
                 FROM (SELECT * FROM employees WHERE account_id = $1 AND personio_id > $2 \
                       ORDER BY personio_id LIMIT {DIRECTORY_CHUNK}) e"
            );
            let mut after = i64::MIN;
            loop {
                let chunk: Option<String> = sqlx::query_scalar(&sql)
                    .bind(account.0)
                    .bind(after)
                    .fetch_one(&mut *conn)
                    .await?;
                let mut chunk: Vec<StoredMember> =
                    from_json(chunk.as_deref().unwrap_or("[]"), "directory")?;
                // An aggregate's order is the database's to choose: the chunk holds the
                // next people by key, sorted here.
                chunk.sort_unstable_by_key(|StoredMember(stored, _)| stored.personio_id);
                let next = match chunk.last() {
                    Some(StoredMember(last, _)) if chunk.len() as i64 == DIRECTORY_CHUNK => {
                        Some(last.personio_id)
                    }
                    _ => None,
                };
                for StoredMember(stored, ids) in chunk {
                    employees.push(person(stored, ids.as_deref())?);
                }
                read(&employees);
                match next {
                    Some(key) => after = key,
                    None => break,
                }
            }
        }
        // In one query, a row per person: PostgreSQL streams rows cheaply, and a query
        // per chunk was planned from statistics that a first sync has just made stale
        // (a sequential scan and a sort for each chunk: 11 s at 100,000).
        Backend::Postgres => {
            let sql = format!(
                "SELECT e.id, {EMPLOYEE_COLUMNS}, \
                 (SELECT string_agg(m.group_id::text, ',') FROM memberships m \
                  WHERE m.employee_id = e.id) AS group_ids \
                 FROM employees e WHERE e.account_id = $1 ORDER BY e.personio_id"
            );
            let mut rows = sqlx::query(&sql).bind(account.0).fetch(&mut *conn);
            while let Some(row) = rows.try_next().await? {
                let ids: Option<String> = row.try_get("group_ids")?;
                employees.push(person(Stored::of_row(&row)?, ids.as_deref())?);
                if employees.len() as i64 % DIRECTORY_CHUNK == 0 {
                    read(&employees);
                }
            }
        }
    }
    Ok(employees)
}

/// [`Store::groups`] on `conn`.
pub(crate) async fn read_groups(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<GroupSummary>> {
    let rows = sqlx::query(
        "SELECT g.id, g.kind, g.name, COUNT(m.employee_id) AS member_count \
         FROM groups g LEFT JOIN memberships m ON m.group_id = g.id \
         WHERE g.account_id = $1 GROUP BY g.id, g.kind, g.name",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut groups = rows
        .iter()
        .map(|row| {
            let key = group_key_from_row(row)?;
            Ok(GroupSummary {
                id: row.try_get("id")?,
                kind: key.kind,
                name: key.name.to_string(),
                member_count: row.try_get("member_count")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Sorted here, not in SQL: collations differ between the backends.
    groups.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(groups)
}

impl Store {
    /// The account's directory, sorted by Personio id, with each person's groups.
    ///
    /// One row per person, their group ids aggregated in SQL, against the account's groups
    /// read once; rows are decoded as they stream in. A row per membership (six times as
    /// many rows, each with a group's kind and name) and rows collected before decoding
    /// cost more than the directory itself at 100,000 people.
    pub async fn directory(&self, account: AccountId) -> Result<Vec<DirectoryEmployee>> {
        self.directory_with(account, |_| {}).await
    }

    /// [`Store::directory`], calling `read` as the people come in, about every thousand
    /// people, with everyone read so far: a prefix of the result, in key order, so the
    /// caller knows every stored person up to the last key of it (a key below it that is
    /// not there is not in the directory). A full sync plans the records Personio lists
    /// against that prefix while the rest is still being read.
    pub async fn directory_with(
        &self,
        account: AccountId,
        read: impl FnMut(&[DirectoryEmployee]),
    ) -> Result<Vec<DirectoryEmployee>> {
        let mut tx = self.begin_read().await?;
        let directory = read_directory(&mut tx, self.backend, account, read).await?;
        tx.commit().await?;
        Ok(directory)
    }

    /// How many people the account's directory has (without reading them).
    pub async fn employee_count(&self, account: AccountId) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM employees WHERE account_id = $1")
            .bind(account.0)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or_default())
    }

    /// One employee of the account's directory, with their groups.
    pub async fn employee(
        &self,
        account: AccountId,
        id: PersonKey,
    ) -> Result<Option<DirectoryEmployee>> {
        // One moment: the person and their groups as of the same update.
        let mut conn = self.begin_read().await?;
        let sql = format!(
            "SELECT id, {EMPLOYEE_COLUMNS} FROM employees WHERE account_id = $1 AND personio_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let (row_id, mut employee) = employee_from_row(&row)?;
        let rows = sqlx::query(
            "SELECT g.kind, g.name FROM memberships m JOIN groups g ON g.id = m.group_id \
             WHERE m.employee_id = $1 AND g.account_id = $2",
        )
        .bind(row_id)
        .bind(account.0)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            employee.groups.insert(group_key_from_row(row)?);
        }
        conn.commit().await?;
        Ok(Some(employee))
    }

    /// One group of the account, with its member count.
    pub async fn group(&self, account: AccountId, group_id: i64) -> Result<Option<GroupSummary>> {
        let row = sqlx::query(
            "SELECT g.id, g.kind, g.name, COUNT(m.employee_id) AS member_count \
             FROM groups g LEFT JOIN memberships m ON m.group_id = g.id \
             WHERE g.account_id = $1 AND g.id = $2 GROUP BY g.id, g.kind, g.name",
        )
        .bind(account.0)
        .bind(group_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let key = group_key_from_row(&row)?;
        Ok(Some(GroupSummary {
            id: row.try_get("id")?,
            kind: key.kind,
            name: key.name.to_string(),
            member_count: row.try_get("member_count")?,
        }))
    }

    /// The members of one group of the account (each with all their groups), sorted by
    /// Personio id. Empty for an unknown group or another account's group.
    pub async fn group_members(
        &self,
        account: AccountId,
        group_id: i64,
    ) -> Result<Vec<DirectoryEmployee>> {
        let mut conn = self.pool.acquire().await?;
        let columns = EMPLOYEE_COLUMNS
            .split(", ")
            .map(|c| format!("e.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT e.id, {columns} FROM employees e \
             JOIN memberships m ON m.employee_id = e.id \
             JOIN groups g ON g.id = m.group_id \
             WHERE g.account_id = $1 AND g.id = $2 AND e.account_id = $1 \
             ORDER BY e.personio_id"
        );
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .bind(group_id)
            .fetch_all(&mut *conn)
            .await?;
        let mut employees = rows
            .iter()
            .map(employee_from_row)
            .collect::<Result<Vec<_>>>()?;
        let index: HashMap<i64, usize> = employees
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i))
            .collect();
        let rows = sqlx::query(
            "SELECT m2.employee_id, g2.kind, g2.name FROM memberships m \
             JOIN memberships m2 ON m2.employee_id = m.employee_id \
             JOIN groups g2 ON g2.id = m2.group_id \
             WHERE m.group_id = $1 AND g2.account_id = $2",
        )
        .bind(group_id)
        .bind(account.0)
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            let employee_id: i64 = row.try_get("employee_id")?;
            if let Some(&i) = index.get(&employee_id) {
                employees[i].1.groups.insert(group_key_from_row(row)?);
            }
        }
        Ok(employees.into_iter().map(|(_, e)| e).collect())
    }

    /// The account's groups with their member counts, sorted by kind, then name.
    pub async fn groups(&self, account: AccountId) -> Result<Vec<GroupSummary>> {
        let mut conn = self.pool.acquire().await?;
        read_groups(&mut conn, account).await
    }

    /// Applies `plan` to the account's directory as run `run`, in one transaction, and
    /// marks the run `applied`; keeps the known future hires up to date (a full run
    /// replaces them by its [`Plan::pending_hires`], a targeted or incremental run updates
    /// the people it planned). A held plan applies all but its removals and re-keys,
    /// which it records for the review, and the run is `held`. Refuses a run that is not a
    /// running full, targeted or incremental run of this account (`NotFound` / `Conflict`), and a plan that does
    /// not fit the directory (`Conflict`: creating someone present, updating or removing
    /// someone absent); nothing is changed then.
    pub async fn apply_plan(&self, account: AccountId, run: RunId, plan: &Plan) -> Result<()> {
        self.apply(account, run, plan, None).await
    }

    /// [`Store::apply_plan`] for an import of a file account, in the same transaction:
    /// afterwards the account keeps the mappings of the people in its directory and of
    /// the `ImportId`s in `import.listed` (no others), and the records of the plan's
    /// future hires among `import.future_hires`.
    pub async fn apply_import(
        &self,
        account: AccountId,
        run: RunId,
        plan: &Plan,
        import: &ImportApplied<'_>,
    ) -> Result<()> {
        self.apply(account, run, plan, Some(import)).await
    }

    async fn apply(
        &self,
        account: AccountId,
        run: RunId,
        plan: &Plan,
        import: Option<&ImportApplied<'_>>,
    ) -> Result<()> {
        // A held plan applies its creates and updates and records its removals and
        // re-keys for the review; it removes and re-keys nobody (the planner kept those
        // people as they are while it planned the rest).
        let held = plan.held.is_some();
        let status = if held {
            RunStatus::Held
        } else {
            RunStatus::Applied
        };
        let mut tx = self.begin_write().await?;
        // First statement is the run's own update: it takes the write lock (SQLite) or
        // the run's row lock (PostgreSQL) so a concurrent start_run cannot interrupt a
        // run half-applied.
        let outcome = Outcome::of(Some(plan));
        let (_, kind) =
            finish_row(&mut tx, run, Some(account), status, &outcome, None, None).await?;
        if !kind.applies() {
            return Err(StoreError::conflict(format!(
                "run {run} is a {kind} run and cannot apply a plan"
            )));
        }
        // The account's erasure lock (PostgreSQL), for the whole apply: a survey snapshot
        // reads the groups and then the people in two statements under it, and must
        // neither see a membership in a group created between them nor miss an erasure
        // (the scrub below runs under it). Applies of one account are one at a time
        // anyway (the lease), so holding it throughout costs nothing.
        crate::snapshots::lock_erasure(&mut tx, self.backend, account).await?;
        if kind == RunKind::Full || held {
            // A full run applied, or a newer one held: what older held runs showed is
            // out of date.
            crate::runs::supersede_held_before(&mut tx, account, run).await?;
        }

        // Re-keys first: the row keeps its id (and with it feedback, memberships and
        // history) under its new key, and what names the old key follows it.
        let rekeyed = if held {
            Vec::new()
        } else {
            rekey_rows(&mut tx, account, plan).await?
        };

        // Removals: their memberships first (no foreign key cascades them, see migration
        // 0004), then the people; feedback keeps its snapshot but loses its author
        // (ON DELETE SET NULL).
        let removed: Vec<i64> = if held {
            Vec::new()
        } else {
            plan.removals.iter().map(|r| r.key.0).collect()
        };
        // Read while the removed (or held) people are still there: their history keeps it.
        let departments =
            crate::runs::removal_departments(&mut tx, self.backend, account, plan).await?;
        // Erasure reaches the rows the removed people left under their earlier keys.
        let erased = feed::with_former_keys(&mut tx, self.backend, account, &removed).await?;
        // What the feed compares against: the groups and the touched people's memberships
        // before anything changes.
        let groups_before = feed::groups_by_id(&mut tx, account).await?;
        let touched: Vec<i64> = plan
            .updates
            .iter()
            .map(|u| u.after.key.0)
            .chain(removed.iter().copied())
            .collect();
        let old_links = feed::links_of(&mut tx, self.backend, account, &touched).await?;
        execute_for_ids(
            &mut tx,
            self.backend,
            "DELETE FROM memberships WHERE employee_id IN (SELECT id FROM employees \
             WHERE account_id = {account} AND personio_id IN ({ids}))",
            account,
            &removed,
        )
        .await?;
        let deleted = execute_for_ids(
            &mut tx,
            self.backend,
            "DELETE FROM employees WHERE account_id = {account} AND personio_id IN ({ids})",
            account,
            &removed,
        )
        .await?;
        if deleted != removed.len() as u64 {
            return Err(StoreError::conflict(
                "the plan removes someone who is not in the directory",
            ));
        }

        // Renames as the planner decided them: the group keeps its id under its new name,
        // so the new name's memberships below land on it.
        let renamed_groups = rename_groups(&mut tx, account, plan).await?;
        let needed: BTreeSet<&GroupKey> = plan
            .creates
            .iter()
            .chain(plan.updates.iter().map(|u| &u.after))
            .flat_map(|e| e.groups.iter())
            .collect();
        let group_ids = ensure_groups(&mut tx, self.backend, account, &needed).await?;
        // (employee row id, group id)
        let mut memberships: Vec<(i64, i64)> = Vec::new();
        // The same memberships by Personio id, for the feed.
        let mut new_links: Vec<(i64, i64)> = Vec::new();
        let mut push_memberships = |employee_id: i64, e: &DirectoryEmployee| -> Result<()> {
            for g in &e.groups {
                let group_id = group_ids.get(g).ok_or_else(|| {
                    StoreError::corrupt(format!("group {}/{} vanished", g.kind, g.name))
                })?;
                memberships.push((employee_id, *group_id));
                new_links.push((e.key.0, *group_id));
            }
            Ok(())
        };

        // Updates: rewrite the row, then replace the memberships.
        let set_list = EMPLOYEE_COLUMNS
            .split(", ")
            .skip(1)
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let update_sql = format!(
            "UPDATE employees SET {set_list} WHERE account_id = $1 AND personio_id = $2 \
             RETURNING id"
        );
        let mut updated_ids = Vec::with_capacity(plan.updates.len());
        for u in &plan.updates {
            let e = &u.after;
            let q = sqlx::query(&update_sql).bind(account.0);
            let q = bind_employee(q, e)?;
            let row = q.fetch_optional(&mut *tx).await?.ok_or_else(|| {
                StoreError::conflict(format!(
                    "the plan updates {}, who is not in the directory",
                    e.key
                ))
            })?;
            let id: i64 = row.try_get("id")?;
            updated_ids.push(id);
            push_memberships(id, e)?;
        }
        for chunk in updated_ids.chunks(BATCH_ROWS) {
            let sql = format!(
                "DELETE FROM memberships WHERE employee_id IN ({})",
                placeholders(self.backend, chunk.len(), 1)
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }

        // Creates, in multi-row batches, with their row ids: on SQLite read back as one
        // JSON array per batch (`RETURNING` hands each row from SQLite's worker thread on
        // its own), on PostgreSQL returned (a lookup by key right after the insert is
        // planned from stale statistics there: a scan per batch).
        let returning = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " RETURNING personio_id, id",
        };
        for chunk in plan.creates.chunks(BATCH_ROWS) {
            let sql = format!(
                "INSERT INTO employees (account_id, {EMPLOYEE_COLUMNS}) VALUES {}{returning}",
                values_list(self.backend, chunk.len(), EMPLOYEE_COLUMN_COUNT + 1, 1)
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = bind_employee(q.bind(account.0), e)?;
            }
            let returned = q.fetch_all(&mut *tx).await.map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::conflict("the plan creates someone who is already in the directory")
                } else {
                    e.into()
                }
            })?;
            let ids: HashMap<i64, i64> = match self.backend {
                Backend::Postgres => returned
                    .iter()
                    .map(|r| Ok((r.try_get("personio_id")?, r.try_get("id")?)))
                    .collect::<Result<_>>()?,
                Backend::Sqlite => created_ids(&mut tx, account, chunk).await?,
            };
            for e in chunk {
                let id = ids.get(&e.key.0).ok_or_else(|| {
                    StoreError::corrupt(format!("no row id returned for {}", e.key))
                })?;
                push_memberships(*id, e)?;
            }
        }

        // By person (see `insert_memberships`).
        memberships.sort_unstable();
        insert_memberships(&mut tx, self.backend, &memberships).await?;

        let created_groups: BTreeMap<i64, GroupKey> = group_ids
            .iter()
            .filter(|(_, id)| !groups_before.contains_key(id))
            .map(|(key, id)| (*id, key.clone()))
            .collect();
        let removed_groups = remove_groups(&mut tx, account, plan).await?;
        new_links.sort_unstable();
        let gone: Vec<i64> = removed_groups.keys().copied().collect();
        feed::scrub(&mut tx, self.backend, account, feed::Scrub::Groups, &gone).await?;
        let delta = feed::RunDelta {
            rekeyed: &rekeyed,
            creates: &plan.creates,
            updates: &plan.updates,
            removed: &removed,
            created_groups,
            renamed_groups,
            removed_groups,
            old_links,
            new_links,
        };
        feed::write(&mut tx, self.backend, account, run, &delta).await?;
        drop(delta);
        feed::scrub(&mut tx, self.backend, account, feed::Scrub::People, &erased).await?;

        insert_changes(&mut tx, self.backend, account, run, plan, &departments).await?;
        update_pending_hires(&mut tx, self.backend, account, kind, plan).await?;
        // Kept people the plan no longer keeps, and anyone removed after all.
        let unkept: Vec<i64> = plan
            .unkept
            .iter()
            .map(|id| id.0)
            .chain(removed.iter().copied())
            .collect();
        crate::kept::forget(&mut tx, self.backend, account, &unkept).await?;
        if kind == RunKind::Full && !held {
            // The people "Jetzt entfernen" released were accepted removals of this run:
            // removed now, or (listed again meanwhile) no longer leaving. Either way the
            // release is used up and never approves a later removal.
            crate::kept::forget_released(&mut tx, account).await?;
        }
        // Deleted means gone: an erased person's ImportId no longer names a key.
        imports::forget_keys(&mut tx, self.backend, account, &removed).await?;
        if let Some(import) = import {
            imports::after_import(&mut tx, self.backend, account, import).await?;
        }
        // Erase the removed people's personal details from every run. Their removals
        // stay as recorded (reason and department, no name): who went, and why.
        execute_for_ids(
            &mut tx,
            self.backend,
            "UPDATE run_changes SET detail = NULL \
             WHERE account_id = {account} AND action <> 'remove' AND personio_id IN ({ids})",
            account,
            &erased,
        )
        .await?;
        // Survey snapshots keep an erased person's entry, so their groups still count,
        // but nothing that names them.
        crate::snapshots::scrub(&mut tx, self.backend, account, &removed).await?;
        // An applied run supersedes the previews of earlier runs that applied nothing:
        // their creates and skips may name people who were never imported, so those go.
        // Their updates and removals are of people in the directory (erased with them
        // when they go), and stay readable: what a held run would have done, and why.
        sqlx::query(
            "UPDATE run_changes SET detail = NULL \
             WHERE account_id = $1 AND detail IS NOT NULL AND action IN ('create', 'skip') \
             AND run_id IN \
               (SELECT id FROM sync_runs WHERE account_id = $1 AND id < $2 \
                AND status IN ('dry_run', 'held', 'rejected', 'failed', 'superseded', 'accepted'))",
        )
        .bind(account.0)
        .bind(run.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;

        if !removed.is_empty() {
            self.flush_erased().await;
        }
        Ok(())
    }

    /// After an erasure: on SQLite, checkpoint and truncate the WAL so the old page
    /// images holding erased data are gone. The commit has happened, so a failure here
    /// is logged, not returned (the next erasure or SQLite's own checkpoints retry it).
    async fn flush_erased(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.pool)
            .await
        {
            Ok(row) => {
                let busy: i64 = row.try_get(0).unwrap_or(1);
                if busy != 0 {
                    tracing::warn!(
                        "WAL checkpoint after erasure could not complete (database busy); \
                         erased data may remain in the WAL until the next checkpoint"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint after erasure failed"),
        }
    }
}

/// The row ids of `created` (just inserted) by key, on SQLite: one JSON array.
async fn created_ids(
    conn: &mut AnyConnection,
    account: AccountId,
    created: &[DirectoryEmployee],
) -> Result<HashMap<i64, i64>> {
    let keys: Vec<i64> = created.iter().map(|e| e.key.0).collect();
    let ids: Option<String> = sqlx::query_scalar(
        "SELECT json_group_array(json_array(personio_id, id)) FROM employees \
         WHERE account_id = $1 AND personio_id IN (SELECT value FROM json_each($2))",
    )
    .bind(account.0)
    .bind(to_json(&keys)?)
    .fetch_one(&mut *conn)
    .await?;
    Ok(
        from_json::<Vec<(i64, i64)>>(ids.as_deref().unwrap_or("[]"), "created row ids")?
            .into_iter()
            .collect(),
    )
}

/// Changes the key of each person `plan` re-keys (see `Plan::rekeys`), keeping the row:
/// supervisor links to the old key and the run history under it follow. Returns (old
/// key, new key, the old key's `ImportId` for a file account). A re-key of someone
/// absent, or to a key taken, is a plan made against another directory: refused.
async fn rekey_rows(
    conn: &mut AnyConnection,
    account: AccountId,
    plan: &Plan,
) -> Result<Vec<feed::Rekeyed>> {
    let mut out = Vec::with_capacity(plan.rekeys.len());
    for r in &plan.rekeys {
        let previous_import_id: Option<String> = sqlx::query(
            "SELECT import_id FROM import_keys WHERE account_id = $1 AND person_key = $2",
        )
        .bind(account.0)
        .bind(r.from.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get("import_id"))
        .transpose()?;
        let changed = sqlx::query(
            "UPDATE employees SET personio_id = $1 WHERE account_id = $2 AND personio_id = $3",
        )
        .bind(r.to.0)
        .bind(account.0)
        .bind(r.from.0)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::conflict(format!(
                    "the plan re-keys {} to {}, who exists",
                    r.from, r.to
                ))
            } else {
                e.into()
            }
        })?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::conflict(format!(
                "the plan re-keys {}, who is not in the directory",
                r.from
            )));
        }
        for sql in [
            "UPDATE employees SET supervisor_personio_id = $1 \
             WHERE account_id = $2 AND supervisor_personio_id = $3",
            "UPDATE run_changes SET personio_id = $1 WHERE account_id = $2 AND personio_id = $3",
        ] {
            sqlx::query(sql)
                .bind(r.to.0)
                .bind(account.0)
                .bind(r.from.0)
                .execute(&mut *conn)
                .await?;
        }
        out.push(feed::Rekeyed {
            from: r.from.0,
            to: r.to.0,
            previous_import_id,
        });
    }
    Ok(out)
}

/// Renames the groups `plan` renames (see `GroupChanges::renamed`); returns them as id →
/// (key after, name before). A group the plan renames that the directory lacks, or a new
/// name already taken, is a plan made against another directory: refused.
async fn rename_groups(
    conn: &mut AnyConnection,
    account: AccountId,
    plan: &Plan,
) -> Result<BTreeMap<i64, (GroupKey, String)>> {
    let mut renamed = BTreeMap::new();
    for r in &plan.groups.renamed {
        if r.from.kind != r.to.kind {
            return Err(StoreError::conflict(format!(
                "the plan renames group {}/{} into another kind",
                r.from.kind, r.from.name
            )));
        }
        let row = sqlx::query(
            "UPDATE groups SET name = $1 WHERE account_id = $2 AND kind = $3 AND name = $4 \
             RETURNING id",
        )
        .bind(&*r.to.name)
        .bind(account.0)
        .bind(r.from.kind.as_str())
        .bind(&*r.from.name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::conflict(format!(
                    "the plan renames a group to {}/{}, which exists",
                    r.to.kind, r.to.name
                ))
            } else {
                e.into()
            }
        })?
        .ok_or_else(|| {
            StoreError::conflict(format!(
                "the plan renames group {}/{}, which is not in the directory",
                r.from.kind, r.from.name
            ))
        })?;
        renamed.insert(
            row.try_get::<i64, _>("id")?,
            (r.to.clone(), r.from.name.to_string()),
        );
    }
    Ok(renamed)
}

/// Inserts `(employee_id, group_id)` pairs (sorted) as JSON documents of up to 50,000
/// pairs, one parameter per statement (`pairs_json`): a first sync of 100,000 people
/// with reporting lines writes about a million memberships, and two bound parameters a
/// row cost more than the database's own work for them.
///
/// By person, not by group: then the index by employee grows at its end and the table
/// (clustered by group) takes each person's few groups where those groups end. In
/// group order the index took its million inserts all over its last 10 MB, paid for in
/// page-cache misses; as one `[group, employee]` array per pair, SQLite parsed every
/// pair twice (`json_each`, then `->>`). Together: 2.2 s → 1.2 s in the `sqlite3` shell,
/// 1.97–2.34 s → 1.14–1.30 s in the apply (docs/performance.md).
async fn insert_memberships(
    conn: &mut AnyConnection,
    backend: Backend,
    memberships: &[(i64, i64)],
) -> Result<()> {
    let sql = match backend {
        Backend::Sqlite => {
            "INSERT INTO memberships (employee_id, group_id) \
             SELECT CAST(p.key AS INTEGER), g.value FROM json_each($1) AS p, json_each(p.value) AS g"
        }
        Backend::Postgres => {
            "INSERT INTO memberships (employee_id, group_id) \
             SELECT p.key::bigint, g.value::bigint \
             FROM json_each($1::json) AS p, json_array_elements_text(p.value) AS g"
        }
    };
    insert_pipelined(conn, memberships.iter().copied().map(Ok), 50_000, |chunk| {
        let mut args = AnyArguments::default();
        add_arg(&mut args, pairs_json(&chunk))?;
        Ok((sql.to_owned(), args))
    })
    .await?;
    Ok(())
}

/// `{"a":[b, …], …}` for pairs sorted by `a`: each `a` once, its `b`s in order.
fn pairs_json(pairs: &[(i64, i64)]) -> String {
    let mut json = String::with_capacity(pairs.len() * 10 + 2);
    json.push('{');
    let mut current = None;
    for &(a, b) in pairs {
        // Into the one buffer: a string per pair would be a million allocations.
        if current == Some(a) {
            let _ = write!(json, ",{b}");
        } else {
            let comma = if current.is_some() { "]," } else { "" };
            let _ = write!(json, "{comma}\"{a}\":[{b}");
            current = Some(a);
        }
    }
    if current.is_some() {
        json.push(']');
    }
    json.push('}');
    json
}

/// Removes the groups `plan` removes (see `GroupChanges::removed`); returns them by id.
/// A group the plan removes that still has members is a plan made against another
/// directory: refused.
async fn remove_groups(
    conn: &mut AnyConnection,
    account: AccountId,
    plan: &Plan,
) -> Result<BTreeMap<i64, GroupKey>> {
    let mut removed = BTreeMap::new();
    for key in &plan.groups.removed {
        let row = sqlx::query(
            "DELETE FROM groups WHERE account_id = $1 AND kind = $2 AND name = $3 \
             AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.group_id = groups.id) \
             RETURNING id",
        )
        .bind(account.0)
        .bind(key.kind.as_str())
        .bind(&*key.name)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            StoreError::conflict(format!(
                "the plan removes group {}/{}, which is not in the directory or still has members",
                key.kind, key.name
            ))
        })?;
        removed.insert(row.try_get::<i64, _>("id")?, key.clone());
    }
    Ok(removed)
}

/// Known future hires after applying `plan` (see [`Store::apply_plan`]): the plan's
/// [`Plan::pending_hires`], as the planner decided them; the store only keeps them.
async fn update_pending_hires(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    account: AccountId,
    kind: RunKind,
    plan: &Plan,
) -> Result<()> {
    if kind == RunKind::Full {
        sqlx::query("DELETE FROM pending_hires WHERE account_id = $1")
            .bind(account.0)
            .execute(&mut *conn)
            .await?;
    } else {
        let planned: Vec<i64> = plan
            .creates
            .iter()
            .map(|c| c.key.0)
            .chain(plan.updates.iter().map(|u| u.after.key.0))
            .chain(plan.removals.iter().map(|r| r.key.0))
            .chain(plan.skips.iter().filter_map(|s| s.key.map(|p| p.0)))
            .chain(plan.pending_hires.iter().map(|(id, _)| id.0))
            .collect();
        execute_for_ids(
            conn,
            backend,
            "DELETE FROM pending_hires WHERE account_id = {account} AND personio_id IN ({ids})",
            account,
            &planned,
        )
        .await?;
    }
    let hires: Vec<(i64, String)> = plan
        .pending_hires
        .iter()
        .map(|(id, day)| (id.0, staffsync_core::dates::format_date(*day)))
        .collect();
    for chunk in hires.chunks(BATCH_ROWS) {
        let sql = format!(
            "INSERT INTO pending_hires (account_id, personio_id, hire_date) VALUES {}",
            values_list(backend, chunk.len(), 3, 1)
        );
        let mut q = sqlx::query(&sql);
        for (id, day) in chunk {
            q = q.bind(account.0).bind(*id).bind(day.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pairs_json;

    #[test]
    fn pairs_become_one_key_per_first_value() {
        assert_eq!(pairs_json(&[]), "{}");
        assert_eq!(
            pairs_json(&[(-3, 7), (1, 2), (1, 5), (12, -1)]),
            r#"{"-3":[7],"1":[2,5],"12":[-1]}"#
        );
    }
}
