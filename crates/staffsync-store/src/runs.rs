//! Sync runs: their lifecycle (`start_run` → `apply_plan` or `finish_run`), their
//! summaries and their per-employee changes.
//!
//! A run finishes exactly once: finishing or applying a run that is no longer `running`
//! (for instance marked `interrupted` by a newer run) is a `Conflict`. This module never
//! touches the directory; only `directory::apply_plan` does.
//!
//! Changes of skipped records without a Personio id are not stored (they are counted):
//! their free-text detail could hold personal data that could never be erased, because
//! nothing links it to a person.

use crate::error::{Result, StoreError};
use crate::sql::{
    BATCH_ROWS, add_arg, from_json, insert_pipelined, now, parse_opt_ts, parse_ts, to_json, ts,
    values_list,
};
use crate::{AccountId, Backend, Lease, RunId, Store};
use serde::Serialize;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{AnyConnection, Row as _};
use staffsync_core::{Hold, PersonKey, Plan, RunFailure, Warning};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use time::OffsetDateTime;

/// What a run was started for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Full,
    DryRun,
    /// Only some people (a webhook, or the date check): `Snapshot::scope` set.
    Targeted,
    /// The people Personio reported changed since the last poll (`updated_since`).
    Incremental,
}

impl RunKind {
    pub const ALL: [RunKind; 4] = [
        RunKind::Full,
        RunKind::DryRun,
        RunKind::Targeted,
        RunKind::Incremental,
    ];

    /// Whether runs of this kind may apply a plan (all but dry runs).
    pub fn applies(self) -> bool {
        self != RunKind::DryRun
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Full => "full",
            RunKind::DryRun => "dry_run",
            RunKind::Targeted => "targeted",
            RunKind::Incremental => "incremental",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Applied,
    Failed,
    Held,
    DryRun,
    Interrupted,
    /// A held run that an admin rejected (it will never be applied).
    Rejected,
    /// A held run replaced by a newer held run or an applied full run: what it showed is
    /// out of date, so it can no longer be accepted.
    Superseded,
    /// A held run whose removals an admin accepted and a later run applied.
    Accepted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 9] = [
        RunStatus::Running,
        RunStatus::Applied,
        RunStatus::Failed,
        RunStatus::Held,
        RunStatus::DryRun,
        RunStatus::Interrupted,
        RunStatus::Rejected,
        RunStatus::Superseded,
        RunStatus::Accepted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Applied => "applied",
            RunStatus::Failed => "failed",
            RunStatus::Held => "held",
            RunStatus::DryRun => "dry_run",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Rejected => "rejected",
            RunStatus::Superseded => "superseded",
            RunStatus::Accepted => "accepted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A run as listed: what it did (or would have done) in numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub id: RunId,
    pub kind: RunKind,
    pub status: RunStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    pub created: i64,
    pub updated: i64,
    pub removed: i64,
    pub skipped: i64,
    pub unchanged: i64,
    pub skipped_by_reason: BTreeMap<String, i64>,
    pub warnings: Vec<String>,
    /// Why it failed, in English (the API's and the command line's words); runs from
    /// before failures were values have only this.
    pub error: Option<String>,
    /// Why it failed, as a value the web app says in the page's language (`None` for a
    /// run that did not fail, or failed before failures were values).
    pub failure: Option<RunFailure>,
    pub held: Option<Hold>,
    /// Who accepted or rejected this held run, and when (runs decided before this was
    /// recorded, and runs nobody decided on, have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Whose changes the run applied when not staffsync's own: `scim:<token label>` for
    /// a run of SCIM writes (several labels joined by `, `).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
}

/// An admin's decision on a held run: who (`admin:<e-mail>`, `cli`) and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One person's part in a run. `detail` is `None` once the person has been erased (a
/// removal then keeps its reason and department: the audit trail of who went and why
/// names no one), and for removals recorded before removals kept their reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunChange {
    #[serde(rename = "personio_id")]
    pub key: PersonKey,
    /// `create`, `update`, `remove`, `skip` or `keep` (kept after a rejected review).
    pub action: String,
    pub detail: Option<serde_json::Value>,
}

/// The numbers a finished run records.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    created: i64,
    updated: i64,
    removed: i64,
    skipped: i64,
    unchanged: i64,
    skipped_by_reason: BTreeMap<String, i64>,
    warnings: Vec<String>,
    held: Option<Hold>,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Outcome {
    pub(crate) fn of(plan: Option<&Plan>) -> Outcome {
        let Some(plan) = plan else {
            return Outcome::default();
        };
        let mut skipped_by_reason = BTreeMap::new();
        for s in &plan.skips {
            *skipped_by_reason
                .entry(s.reason.code().to_owned())
                .or_insert(0) += 1;
        }
        Outcome {
            created: count(plan.creates.len()),
            updated: count(plan.updates.len()),
            removed: count(plan.removals.len()),
            skipped: count(plan.skips.len()),
            unchanged: count(plan.unchanged),
            skipped_by_reason,
            warnings: plan.warnings.iter().map(warning_text).collect(),
            held: plan.held,
        }
    }
}

/// `incomplete_listing`, `attribute_not_readable (attribute: hire_date)`: readable, and
/// independent of which warnings the planner grows.
fn warning_text(w: &Warning) -> String {
    let Ok(serde_json::Value::Object(mut map)) = serde_json::to_value(w) else {
        return format!("{w:?}");
    };
    let tag = match map.remove("warning") {
        Some(serde_json::Value::String(s)) => s,
        _ => "warning".to_owned(),
    };
    if map.is_empty() {
        return tag;
    }
    let fields = map
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("{tag} ({fields})")
}

/// Marks `run` finished with `status`, if it is still running (and belongs to `account`
/// when given). Returns the run's account and kind.
pub(crate) async fn finish_row(
    conn: &mut AnyConnection,
    run: RunId,
    account: Option<AccountId>,
    status: RunStatus,
    outcome: &Outcome,
    error: Option<&str>,
    failure: Option<&RunFailure>,
) -> Result<(AccountId, RunKind)> {
    let row = sqlx::query(
        "UPDATE sync_runs SET status = $1, finished_at = $2, created = $3, updated = $4, \
           removed = $5, skipped = $6, unchanged = $7, skipped_by_reason = $8, warnings = $9, \
           error = $10, held = $11, failure = $14 \
         WHERE id = $12 AND status = 'running' AND ($13 IS NULL OR account_id = $13) \
         RETURNING account_id, kind",
    )
    .bind(status.as_str())
    .bind(ts(now()))
    .bind(outcome.created)
    .bind(outcome.updated)
    .bind(outcome.removed)
    .bind(outcome.skipped)
    .bind(outcome.unchanged)
    .bind(to_json(&outcome.skipped_by_reason)?)
    .bind(to_json(&outcome.warnings)?)
    .bind(error)
    .bind(outcome.held.as_ref().map(to_json).transpose()?)
    .bind(run.0)
    .bind(account.map(|a| a.0))
    .bind(failure.map(to_json).transpose()?)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        let kind: String = row.try_get("kind")?;
        let kind = RunKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("run kind {kind:?}")))?;
        return Ok((AccountId(row.try_get("account_id")?), kind));
    }
    // Why not: unknown (in this account), or already finished.
    let row = sqlx::query(
        "SELECT status FROM sync_runs WHERE id = $1 AND ($2 IS NULL OR account_id = $2)",
    )
    .bind(run.0)
    .bind(account.map(|a| a.0))
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Err(StoreError::not_found(format!("run {run}"))),
        Some(row) => {
            let status: String = row.try_get("status")?;
            Err(StoreError::conflict(format!(
                "run {run} is no longer running (status: {status})"
            )))
        }
    }
}

/// Marks the account's runs still `held` before `run` as `superseded`: they can no
/// longer be accepted.
pub(crate) async fn supersede_held_before(
    conn: &mut AnyConnection,
    account: AccountId,
    run: RunId,
) -> Result<()> {
    sqlx::query(
        "UPDATE sync_runs SET status = 'superseded' \
         WHERE account_id = $1 AND status = 'held' AND id < $2",
    )
    .bind(account.0)
    .bind(run.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What each of `plan`'s removals records besides its reason, read from the directory
/// before the plan applies: the department, and a file account's `ImportId` (forgotten
/// with the person's key, but the id the admin knows them by).
pub(crate) async fn removal_departments(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    plan: &Plan,
) -> Result<Departments> {
    let ids: Vec<i64> = plan.removals.iter().map(|r| r.key.0).collect();
    let rows = crate::directory::fetch_for_ids(
        conn,
        backend,
        "SELECT e.personio_id, e.department, k.import_id FROM employees e \
         LEFT JOIN import_keys k ON k.account_id = e.account_id AND k.person_key = e.personio_id \
         WHERE e.account_id = {account} AND e.personio_id IN ({ids})",
        account,
        &ids,
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("personio_id")?,
                Recorded {
                    department: row.try_get("department")?,
                    // The history names a removed person by their source id, as it does a
                    // Personio id; but an ImportId is the customer's free text, and one
                    // that is an e-mail address would keep the erased person's address.
                    import_id: row
                        .try_get::<Option<String>, _>("import_id")?
                        .filter(|id| !id.contains('@')),
                },
            ))
        })
        .collect()
}

/// What a removal records of the person besides the reason.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    department: Option<String>,
    import_id: Option<String>,
}

/// Removed people's records by key (see [`removal_departments`]).
pub(crate) type Departments = std::collections::HashMap<i64, Recorded>;

/// What a removal records: why, the department the person was in and a file account's
/// `ImportId`. Never a name: this row outlives the person's erasure.
#[derive(Serialize)]
struct RemoveDetail<'a> {
    #[serde(flatten)]
    reason: &'a staffsync_core::RemovalReason,
    #[serde(skip_serializing_if = "Option::is_none")]
    department: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    import_id: Option<&'a str>,
}

/// One `run_changes` row: Personio id, action, detail (JSON).
type Row = (i64, &'static str, Option<String>);

/// The `i`-th change of `plan` (creates, updates, removals, skips, then kept people) as a row; `None`
/// for a skip without an id (nothing to show per person).
fn change_row(rows: &Rows<'_>, i: usize) -> Result<Option<Row>> {
    let Rows {
        plan,
        departments,
        waiting,
        rekeyed_from,
    } = rows;
    let (c, u, r) = (plan.creates.len(), plan.updates.len(), plan.removals.len());
    if let Some(e) = plan.creates.get(i) {
        // Serialized straight from the record (no `serde_json::Value` per person), keys in
        // the order `json!` would sort them, so the stored text is as before.
        #[derive(serde::Serialize)]
        struct CreateDetail<'a> {
            email: &'a str,
            groups: &'a staffsync_core::GroupSet,
            name: String,
        }
        let detail = CreateDetail {
            email: &e.email,
            groups: &e.groups,
            name: format!("{} {}", e.first_name, e.last_name),
        };
        return Ok(Some((e.key.0, "create", Some(to_json(&detail)?))));
    }
    if let Some(u) = plan.updates.get(i - c) {
        let mut detail = serde_json::json!({
            "name": format!("{} {}", u.after.first_name, u.after.last_name),
            "changes": u.changes,
        });
        // A re-key is recorded as its new key's update, naming the old key.
        if let Some(from) = rekeyed_from.get(&u.after.key) {
            detail["rekeyed_from"] = serde_json::json!(from.0);
        }
        return Ok(Some((u.after.key.0, "update", Some(to_json(&detail)?))));
    }
    if let Some(removal) = plan.removals.get(i - c - u) {
        // Its reason (for the review of a held run), department and ImportId; the
        // erasure of an applied removal keeps no name.
        let recorded = departments.get(&removal.key.0);
        let detail = RemoveDetail {
            reason: &removal.reason,
            department: recorded.and_then(|r| r.department.as_deref()),
            import_id: recorded.and_then(|r| r.import_id.as_deref()),
        };
        return Ok(Some((removal.key.0, "remove", Some(to_json(&detail)?))));
    }
    if let Some(s) = plan.skips.get(i - c - u - r) {
        return match s.key {
            Some(id) => Ok(Some((id.0, "skip", Some(to_json(&s.reason)?)))),
            None => Ok(None),
        };
    }
    // Kept people (a rejected review) the plan did not remove, with why it would have.
    let k = i - c - u - r - plan.skips.len();
    if let Some(kept) = plan.kept.get(k) {
        return Ok(Some((kept.key.0, "keep", Some(to_json(&kept.reason)?))));
    }
    // A held plan's re-keys wait (the plan has no update for them): recorded as their new
    // key's update naming the old one, without changes, as an applied re-key is, so the
    // review lists them and accepting the run accepts exactly them.
    match waiting.get(k - plan.kept.len()) {
        Some(rekey) => {
            let detail = serde_json::json!({"changes": [], "rekeyed_from": rekey.from.0});
            Ok(Some((rekey.to.0, "update", Some(to_json(&detail)?))))
        }
        None => Ok(None),
    }
}

/// What the rows of a plan are made from, each looked up once per plan, not per row.
struct Rows<'p> {
    plan: &'p Plan,
    departments: &'p Departments,
    /// The re-keys of a held plan, which wait for the review (none for any other plan):
    /// those without an update of their new key.
    waiting: Vec<&'p staffsync_core::Rekey>,
    /// The old key of each re-keyed person's new key.
    rekeyed_from: HashMap<PersonKey, PersonKey>,
}

impl<'p> Rows<'p> {
    fn of(plan: &'p Plan, departments: &'p Departments) -> Self {
        let rekeyed_from: HashMap<PersonKey, PersonKey> =
            plan.rekeys.iter().map(|r| (r.to, r.from)).collect();
        let waiting = if plan.held.is_some() {
            let updated: HashSet<PersonKey> = plan.updates.iter().map(|u| u.after.key).collect();
            plan.rekeys
                .iter()
                .filter(|r| !updated.contains(&r.to))
                .collect()
        } else {
            Vec::new()
        };
        Rows {
            plan,
            departments,
            waiting,
            rekeyed_from,
        }
    }
}

pub(crate) async fn insert_changes(
    conn: &mut AnyConnection,
    backend: Backend,
    account: AccountId,
    run: RunId,
    plan: &Plan,
    departments: &Departments,
) -> Result<()> {
    // The rows are built a batch at a time: a first sync of 100,000 people would
    // otherwise hold every row's JSON at once (tens of MB at the run's peak).
    let rows = Rows::of(plan, departments);
    let total = plan.creates.len()
        + plan.updates.len()
        + plan.removals.len()
        + plan.skips.len()
        + plan.kept.len()
        + rows.waiting.len();
    let made = (0..total).filter_map(|i| change_row(&rows, i).transpose());
    insert_pipelined(conn, made, BATCH_ROWS, |chunk| {
        let sql = format!(
            "INSERT INTO run_changes (run_id, account_id, personio_id, action, detail) VALUES {}",
            values_list(backend, chunk.len(), 5, 1)
        );
        let mut args = AnyArguments::default();
        for (personio_id, action, detail) in chunk {
            add_arg(&mut args, run.0)?;
            add_arg(&mut args, account.0)?;
            add_arg(&mut args, personio_id)?;
            add_arg(&mut args, action)?;
            add_arg(&mut args, detail)?;
        }
        Ok((sql, args))
    })
    .await?;
    Ok(())
}

const SUMMARY_COLUMNS: &str = "id, kind, status, started_at, finished_at, created, updated, \
    removed, skipped, unchanged, skipped_by_reason, warnings, error, failure, held, \
    decided_by, decided_at, started_by";

fn summary_from_row(row: &AnyRow) -> Result<RunSummary> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let started_at: String = row.try_get("started_at")?;
    let by_reason: String = row.try_get("skipped_by_reason")?;
    let warnings: String = row.try_get("warnings")?;
    let held: Option<String> = row.try_get("held")?;
    let failure: Option<String> = row.try_get("failure")?;
    Ok(RunSummary {
        id: RunId(row.try_get("id")?),
        kind: RunKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("run kind {kind:?}")))?,
        status: RunStatus::parse(&status)
            .ok_or_else(|| StoreError::corrupt(format!("run status {status:?}")))?,
        started_at: parse_ts(&started_at)?,
        finished_at: parse_opt_ts(row.try_get("finished_at")?)?,
        created: row.try_get("created")?,
        updated: row.try_get("updated")?,
        removed: row.try_get("removed")?,
        skipped: row.try_get("skipped")?,
        unchanged: row.try_get("unchanged")?,
        skipped_by_reason: from_json(&by_reason, "skipped_by_reason")?,
        warnings: from_json(&warnings, "warnings")?,
        error: row.try_get("error")?,
        failure: failure
            .as_deref()
            .map(|f| from_json(f, "failure"))
            .transpose()?,
        held: held.as_deref().map(|h| from_json(h, "held")).transpose()?,
        decision: match (
            row.try_get::<Option<String>, _>("decided_by")?,
            row.try_get::<Option<String>, _>("decided_at")?,
        ) {
            (Some(by), Some(at)) => Some(Decision {
                by,
                at: parse_ts(&at)?,
            }),
            _ => None,
        },
        started_by: row.try_get("started_by")?,
    })
}

impl Store {
    /// Records whose changes the account's run `run` applies (see
    /// [`RunSummary::started_by`]); `false` for a run the account does not have.
    pub async fn set_run_started_by(
        &self,
        account: AccountId,
        run: RunId,
        started_by: &str,
    ) -> Result<bool> {
        let done =
            sqlx::query("UPDATE sync_runs SET started_by = $1 WHERE account_id = $2 AND id = $3")
                .bind(started_by)
                .bind(account.0)
                .bind(run.0)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Starts a run (`running`) for the lease's account; only the lease's holder can.
    /// The account's older runs still `running` are marked `interrupted` first: they can
    /// no longer finish or apply. `Conflict` when the lease is no longer held (it expired
    /// and another worker took the account, or the account was disconnected): nothing
    /// changes then.
    pub async fn start_run(&self, lease: &Lease, kind: RunKind) -> Result<RunId> {
        let account = lease.account();
        let mut tx = self.begin_write().await?;
        let at = ts(now());
        // The write comes first: on SQLite it takes the write lock (waiting out the busy
        // timeout) instead of upgrading a read snapshot, which fails at once when another
        // connection wrote meanwhile ("database is locked").
        sqlx::query(
            "UPDATE sync_runs SET status = 'interrupted', finished_at = $1 \
             WHERE account_id = $2 AND status = 'running'",
        )
        .bind(&at)
        .bind(account.0)
        .execute(&mut *tx)
        .await?;
        let exists = sqlx::query("SELECT id FROM accounts WHERE id = $1")
            .bind(account.0)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::not_found(format!("account {account}")));
        }
        // Checked inside the transaction that writes: a lease lost meanwhile cannot start
        // a run (the dropped transaction undoes the interruption above).
        let held = sqlx::query(
            "SELECT account_id FROM schedules WHERE account_id = $1 AND lease_owner = $2",
        )
        .bind(account.0)
        .bind(lease.owner())
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_none() {
            return Err(StoreError::conflict(format!(
                "the lease of account {account} is no longer held; no run was started"
            )));
        }
        let row = sqlx::query(
            "INSERT INTO sync_runs (account_id, kind, status, started_at) \
             VALUES ($1, $2, 'running', $3) RETURNING id",
        )
        .bind(account.0)
        .bind(kind.as_str())
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let id = RunId(row.try_get("id")?);
        tx.commit().await?;
        Ok(id)
    }

    /// Finishes a run without touching the directory: `failed`, `held`, `dry_run` or
    /// `interrupted`. Counts and per-employee changes come from `plan`, when given.
    pub async fn finish_run(
        &self,
        run: RunId,
        status: RunStatus,
        plan: Option<&Plan>,
        error: Option<&str>,
    ) -> Result<()> {
        if matches!(status, RunStatus::Running | RunStatus::Applied) {
            return Err(StoreError::Invalid {
                what: format!(
                    "a run cannot be finished as {status}; applied runs finish in apply_plan"
                ),
            });
        }
        let mut tx = self.begin_write().await?;
        let outcome = Outcome::of(plan);
        let (account, _kind) =
            finish_row(&mut tx, run, None, status, &outcome, error, None).await?;
        if let Some(plan) = plan {
            let departments = removal_departments(&mut tx, self.backend, account, plan).await?;
            insert_changes(&mut tx, self.backend, account, run, plan, &departments).await?;
        }
        if status == RunStatus::Held {
            // What older held runs showed is out of date: only this one can be accepted.
            supersede_held_before(&mut tx, account, run).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Finishes a run as `failed` for `failure`, with its English `message` in `error`
    /// (what the API and the command line show).
    pub async fn fail_run(&self, run: RunId, failure: &RunFailure, message: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        finish_row(
            &mut tx,
            run,
            None,
            RunStatus::Failed,
            &Outcome::default(),
            Some(message),
            Some(failure),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The removals a held run showed, if it is still `held` in this account (not
    /// superseded, rejected or already accepted): what an admin's acceptance of it may
    /// remove, and nothing more.
    pub async fn held_removals(
        &self,
        account: AccountId,
        run: RunId,
    ) -> Result<Option<BTreeSet<PersonKey>>> {
        match self.run(account, run).await? {
            Some(r) if r.status == RunStatus::Held => {}
            _ => return Ok(None),
        }
        let rows = sqlx::query(
            "SELECT personio_id FROM run_changes \
             WHERE account_id = $1 AND run_id = $2 AND action = 'remove'",
        )
        .bind(account.0)
        .bind(run.0)
        .fetch_all(&self.pool)
        .await?;
        let ids = rows
            .iter()
            .map(|row| Ok(PersonKey(row.try_get("personio_id")?)))
            .collect::<Result<BTreeSet<_>>>()?;
        Ok(Some(ids))
    }

    /// The re-keys (old key, new key) of run `run` if it is still held, else `None`:
    /// with [`Store::held_removals`], what an admin accepts by accepting it.
    pub async fn held_rekeys(
        &self,
        account: AccountId,
        run: RunId,
    ) -> Result<Option<BTreeSet<(PersonKey, PersonKey)>>> {
        match self.run(account, run).await? {
            Some(r) if r.status == RunStatus::Held => {}
            _ => return Ok(None),
        }
        let rows = sqlx::query(
            "SELECT personio_id, detail FROM run_changes \
             WHERE account_id = $1 AND run_id = $2 AND action = 'update' \
             AND detail LIKE '%\"rekeyed_from\"%'",
        )
        .bind(account.0)
        .bind(run.0)
        .fetch_all(&self.pool)
        .await?;
        let mut out = BTreeSet::new();
        for row in &rows {
            let detail: Option<String> = row.try_get("detail")?;
            let detail: serde_json::Value =
                from_json(detail.as_deref().unwrap_or("null"), "run change detail")?;
            if let Some(from) = detail["rekeyed_from"].as_i64() {
                out.insert((PersonKey(from), PersonKey(row.try_get("personio_id")?)));
            }
        }
        Ok(Some(out))
    }

    /// The account's newest run still `held` (older ones are superseded), if any.
    pub async fn latest_held_run(&self, account: AccountId) -> Result<Option<RunId>> {
        let row = sqlx::query(
            "SELECT MAX(id) AS id FROM sync_runs WHERE account_id = $1 AND status = 'held'",
        )
        .bind(account.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<i64>, _>("id")?.map(RunId))
    }

    /// Moves the account's run from status `from` to `to` (e.g. `Held` → `Rejected`);
    /// `false` if the run is unknown in this account or not in status `from`. A run can
    /// never be set `running` or `applied` this way (`Invalid`): only `start_run` and
    /// `apply_plan` do that.
    pub async fn set_run_status(
        &self,
        account: AccountId,
        run: RunId,
        from: RunStatus,
        to: RunStatus,
    ) -> Result<bool> {
        if matches!(to, RunStatus::Running | RunStatus::Applied) {
            return Err(StoreError::Invalid {
                what: format!("a run cannot be set {to} by a status change"),
            });
        }
        let done = sqlx::query(
            "UPDATE sync_runs SET status = $1 WHERE account_id = $2 AND id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(account.0)
        .bind(run.0)
        .bind(from.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records who decided on the account's held run `run` (accepted or rejected it) and
    /// when; `false` if the run is unknown in this account or not held. It records only:
    /// what the decision does is the caller's (a queued acceptance, a status change).
    pub async fn record_decision(&self, account: AccountId, run: RunId, by: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sync_runs SET decided_by = $1, decided_at = $2 \
             WHERE account_id = $3 AND id = $4 AND status = 'held'",
        )
        .bind(by)
        .bind(ts(now()))
        .bind(account.0)
        .bind(run.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The account's runs, newest first.
    pub async fn runs(&self, account: AccountId) -> Result<Vec<RunSummary>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM sync_runs WHERE account_id = $1 ORDER BY id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(summary_from_row).collect()
    }

    /// One run of the account.
    pub async fn run(&self, account: AccountId, run: RunId) -> Result<Option<RunSummary>> {
        let sql =
            format!("SELECT {SUMMARY_COLUMNS} FROM sync_runs WHERE account_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(run.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(summary_from_row).transpose()
    }

    /// The account's newest run of `kind` (whatever its status), if any: what a page
    /// that is polled every few seconds reads instead of every run ([`Store::runs`]).
    pub async fn latest_run(
        &self,
        account: AccountId,
        kind: RunKind,
    ) -> Result<Option<RunSummary>> {
        self.newest_run_with(account, "kind", kind.as_str()).await
    }

    /// The account's newest run still `running` (of any kind), if any.
    pub async fn running_run(&self, account: AccountId) -> Result<Option<RunSummary>> {
        self.newest_run_with(account, "status", RunStatus::Running.as_str())
            .await
    }

    /// The newest run of the account whose `column` (a fixed name) is `value`.
    async fn newest_run_with(
        &self,
        account: AccountId,
        column: &'static str,
        value: &str,
    ) -> Result<Option<RunSummary>> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM sync_runs WHERE account_id = $1 AND {column} = $2 \
             ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(summary_from_row).transpose()
    }

    /// The run's per-employee changes, in the order recorded (creates, updates, removals,
    /// skips). Empty for an unknown run or another account's run.
    pub async fn run_changes(&self, account: AccountId, run: RunId) -> Result<Vec<RunChange>> {
        let rows = sqlx::query(
            "SELECT personio_id, action, detail FROM run_changes \
             WHERE account_id = $1 AND run_id = $2 ORDER BY id",
        )
        .bind(account.0)
        .bind(run.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let detail: Option<String> = row.try_get("detail")?;
                Ok(RunChange {
                    key: PersonKey(row.try_get("personio_id")?),
                    action: row.try_get("action")?,
                    detail: detail
                        .as_deref()
                        .map(|d| from_json(d, "run change detail"))
                        .transpose()?,
                })
            })
            .collect()
    }
}
