//! One sync run for one account: read its source → plan → apply (or hold, or preview).
//!
//! The source is Personio ([`run_sync`]) or an employee file ([`run_import`]); each reads
//! and plans in its own module under [`sources`](crate::sources), and everything
//! after (recording, holding, dry runs, applying, accepting a held run, metrics) is
//! shared here. An account takes exactly one source: `run_sync` refuses a file account
//! and `run_import` a Personio account, before a run is started.
//!
//! Every run is recorded in the store, whatever its outcome, and runs only with the
//! account's [`Lease`] in hand (the store will not start a run without it). This module
//! must never change the directory except through `Store::apply_plan` with a plan that is
//! not held, and must never remove anyone on the strength of an incomplete or failed
//! fetch: a fetch error ends the run as failed before the planner is even asked, and so
//! does a credential that can no longer read a mandatory attribute (applying what it
//! lists would blank that field for everybody).
//!
//! Removals beyond the deletion guard go through only when an admin accepted a held run
//! ([`SyncOptions::accept_held`]) and every removal of the new plan is among the ones
//! that held run showed; otherwise the run is held again, for a new review. Each run is counted in the metrics
//! of [`metric_names`](crate::metric_names) (result, duration, changes, Personio requests and 429s).
//!
//! Besides full runs ([`run_sync`]) there are targeted runs ([`run_targeted`]) for a few
//! people: the planner gets a snapshot with [`Snapshot::scope`] set, so everyone else
//! stays as they are. They are fed either by asking Personio for those people
//! ([`TargetSource::Fetch`], webhooks and the date check) or by records already fetched
//! ([`TargetSource::Records`], incremental polls).

use crate::clock;
use crate::metric_names;
use crate::sources::{self, AfterApply, Planned};
use employee_file::{EmployeeFile, RowError};
use personio::Client;
use serde::Serialize;
use staffsync_core::{
    MalformedEmployee, PersonioId, Plan, Policy, Settings, Snapshot, SourceEmployee, planner,
};
use staffsync_store::{
    Account, AccountSource, ImportApplied, Lease, RunId, RunKind, RunStatus, Store, StoreError,
};
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, OffsetDateTime};

/// How to run a sync.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Plan and record the plan, change nothing.
    pub dry_run: bool,
    /// The held run whose removals an admin reviewed and accepted: this run may remove
    /// those people (and no one else) beyond the deletion guard. Void when that run is no
    /// longer `held` (a newer run superseded it, or it was rejected).
    pub accept_held: Option<RunId>,
    /// Overrides "today" (tests, and replaying a day). Default: today in the account's zone.
    pub today: Option<Date>,
    /// Overrides the client's pacing (benchmarks against a simulator without limits).
    pub unlimited_rate: bool,
    /// The per-IP budget shared with the process's other syncs (`serve`), if any.
    pub ip_budget: Option<personio::IpBudget>,
    /// Plan with these settings instead of the account's (a settings preview; only
    /// with `dry_run`, so a document nobody saved never changes the directory).
    pub settings: Option<Settings>,
}

/// What a finished run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncResult {
    Applied,
    DryRun,
    /// The deletion guard stopped it; nothing changed.
    Held,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub run_id: RunId,
    pub result: SyncResult,
    pub fetched: usize,
    pub today: String,
    pub plan: Plan,
    /// An import's rows with errors and its people's `ImportId`s; `None` for Personio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportDetails>,
}

/// What an import adds to its [`SyncReport`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportDetails {
    /// The file's rows left out, each naming its row, column and problem (their people,
    /// when the row has an `ImportId`, are kept as they are).
    pub row_errors: Vec<RowError>,
    /// Rows applied with a value left out (a `ReportsToId` naming nobody in the file: the
    /// row applied without a manager), each naming its row, column and why.
    pub row_warnings: Vec<RowError>,
    /// The `ImportId` of every key in the file (a dry run's provisional keys included;
    /// people only in the directory are not here: see `Store::import_ids`).
    #[serde(skip)]
    pub import_ids: BTreeMap<PersonioId, String>,
}

/// Why a run failed. In every case the directory is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("account {0} is not connected to Personio (run `staffsync connect` first)")]
    NotConnected(String),
    /// A Personio run asked of a file account: it never contacts Personio.
    #[error("account {0} takes employee files: use `staffsync import`")]
    FileAccount(String),
    /// An import asked of a Personio account.
    #[error(
        "account {0} syncs from Personio and takes no employee files (create an account with `staffsync account create <slug> --source file` for files)"
    )]
    PersonioAccount(String),
    #[error(transparent)]
    Personio(#[from] personio::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease passed in is for account {lease}, not for account {account}")]
    WrongLease { lease: String, account: String },
}

pub use crate::sources::personio::client_for;

/// Progress of the fetch, for a progress bar: (employees read so far, total when known).
pub type ProgressFn<'a> = &'a (dyn Fn(usize, Option<usize>) + Send + Sync);

/// Runs one sync for `account`, whose `lease` the caller holds, recording it as a run in
/// the store.
#[tracing::instrument(skip_all, fields(account = %account.slug, run_id = tracing::field::Empty))]
pub async fn run_sync(
    store: &Store,
    lease: &Lease,
    account: &Account,
    options: &SyncOptions,
    progress: ProgressFn<'_>,
) -> Result<SyncReport, SyncError> {
    let work = personio_recorded(store, lease, account, options, progress);
    measured(lease, account, work).await
}

/// Runs `work` when `lease` is `account`'s, and counts its outcome in the metrics.
async fn measured(
    lease: &Lease,
    account: &Account,
    work: impl std::future::Future<Output = Result<SyncReport, SyncError>>,
) -> Result<SyncReport, SyncError> {
    let started = std::time::Instant::now();
    let outcome = match check_lease(lease, account) {
        Ok(()) => work.await,
        Err(e) => Err(e),
    };
    record_metrics(&outcome, started.elapsed());
    outcome
}

async fn personio_recorded(
    store: &Store,
    lease: &Lease,
    account: &Account,
    options: &SyncOptions,
    progress: ProgressFn<'_>,
) -> Result<SyncReport, SyncError> {
    if account.source == AccountSource::File {
        return Err(SyncError::FileAccount(account.slug.to_string()));
    }
    let connection = store
        .connection(account.id)
        .await?
        .ok_or_else(|| SyncError::NotConnected(account.slug.to_string()))?;
    let run_id = start(store, lease, options).await?;
    let planned =
        sources::personio::plan_full(store, account, &connection, options, progress).await;
    record(store, account, options, run_id, planned).await
}

/// Imports `file` (read with `employee_file::read`) into `account`, a file account whose
/// `lease` the caller holds, recording it as a run like a full sync: the file is the
/// whole company, so people not in it are removed (through the deletion guard), rows
/// with errors protect the people they name, and future hires wait for their hire date
/// (the date check creates them then, from the record kept). `options` as for
/// [`run_sync`] (`dry_run` previews with provisional keys and stores no mapping).
#[tracing::instrument(skip_all, fields(account = %account.slug, rows = file.rows.len(), run_id = tracing::field::Empty))]
pub async fn run_import(
    store: &Store,
    lease: &Lease,
    account: &Account,
    file: EmployeeFile,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    let work = import_recorded(store, lease, account, file, options);
    measured(lease, account, work).await
}

async fn import_recorded(
    store: &Store,
    lease: &Lease,
    account: &Account,
    file: EmployeeFile,
    options: &SyncOptions,
) -> Result<SyncReport, SyncError> {
    if account.source != AccountSource::File {
        return Err(SyncError::PersonioAccount(account.slug.to_string()));
    }
    let run_id = start(store, lease, options).await?;
    let (planned, details) = match sources::file::plan_full(store, account, file, options).await {
        Ok((planned, details)) => (Ok(planned), Some(details)),
        Err(e) => (Err(e), None),
    };
    let report = record(store, account, options, run_id, planned).await?;
    Ok(SyncReport {
        import: details,
        ..report
    })
}

/// Counts the run in the process's metrics (no-ops when no recorder is installed).
fn record_metrics(outcome: &Result<SyncReport, SyncError>, elapsed: std::time::Duration) {
    let result = match outcome {
        Ok(r) => match r.result {
            SyncResult::Applied => "applied",
            SyncResult::DryRun => "dry_run",
            SyncResult::Held => "held",
        },
        Err(_) => "failed",
    };
    metrics::counter!(metric_names::SYNCS_TOTAL, "result" => result).increment(1);
    metrics::histogram!(metric_names::SYNC_DURATION_SECONDS).record(elapsed.as_secs_f64());
    if let Ok(r) = outcome
        && r.result == SyncResult::Applied
    {
        for (action, n) in [
            ("create", r.plan.creates.len()),
            ("update", r.plan.updates.len()),
            ("remove", r.plan.removals.len()),
        ] {
            metrics::counter!(metric_names::EMPLOYEES_CHANGED_TOTAL, "action" => action)
                .increment(n as u64);
        }
    }
}

fn check_lease(lease: &Lease, account: &Account) -> Result<(), SyncError> {
    if lease.account() == account.id {
        return Ok(());
    }
    Err(SyncError::WrongLease {
        lease: lease.account().to_string(),
        account: account.slug.to_string(),
    })
}

/// The removals an admin accepted with `options.accept_held`, if that run is still held.
pub(crate) async fn accepted_removals(
    store: &Store,
    account: &Account,
    options: &SyncOptions,
) -> Result<Option<BTreeSet<PersonioId>>, SyncError> {
    let Some(run) = options.accept_held else {
        return Ok(None);
    };
    let removals = store.held_removals(account.id, run).await?;
    if removals.is_none() {
        tracing::warn!(
            held_run = run.0,
            "the accepted run is no longer held (superseded or rejected): its acceptance does not apply"
        );
    }
    Ok(removals)
}

/// After a run that applied with an acceptance: the held run it accepted is `accepted`.
async fn mark_accepted(store: &Store, account: &Account, options: &SyncOptions) {
    let Some(held) = options.accept_held else {
        return;
    };
    // The applied full run has just marked it superseded (`Store::apply_plan`).
    if let Err(e) = store
        .set_run_status(account.id, held, RunStatus::Superseded, RunStatus::Accepted)
        .await
    {
        tracing::warn!(held_run = held.0, error = %e, "could not mark the held run accepted");
    }
}

/// Starts a full run (a dry run with `options.dry_run`) under `lease`.
async fn start(store: &Store, lease: &Lease, options: &SyncOptions) -> Result<RunId, SyncError> {
    let kind = if options.dry_run {
        RunKind::DryRun
    } else {
        RunKind::Full
    };
    let run_id = store.start_run(lease, kind).await?;
    tracing::Span::current().record("run_id", run_id.0);
    Ok(run_id)
}

/// What both sources share once their source has been read and planned (`planned`):
/// records a failure, a dry run or a held plan as run `run_id`, or applies the plan.
async fn record(
    store: &Store,
    account: &Account,
    options: &SyncOptions,
    run_id: RunId,
    planned: Result<Planned, SyncError>,
) -> Result<SyncReport, SyncError> {
    let Planned {
        fetched,
        today,
        plan,
        after,
    } = match planned {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "sync failed; nothing changed");
            store
                .finish_run(run_id, RunStatus::Failed, None, Some(&e.to_string()))
                .await?;
            return Err(e);
        }
    };

    let result = if options.dry_run {
        store
            .finish_run(run_id, RunStatus::DryRun, Some(&plan), None)
            .await?;
        SyncResult::DryRun
    } else if plan.held.is_some() {
        store
            .finish_run(run_id, RunStatus::Held, Some(&plan), None)
            .await?;
        SyncResult::Held
    } else {
        tracing::info!(
            creates = plan.creates.len(),
            updates = plan.updates.len(),
            removals = plan.removals.len(),
            "applying plan"
        );
        let applied = match &after {
            AfterApply::Personio { .. } => store.apply_plan(account.id, run_id, &plan).await,
            AfterApply::File {
                listed,
                future_hires,
                columns,
            } => {
                let import = ImportApplied {
                    listed,
                    future_hires,
                    columns,
                };
                store.apply_import(account.id, run_id, &plan, &import).await
            }
        };
        if let Err(e) = applied {
            store
                .finish_run(run_id, RunStatus::Failed, None, Some(&e.to_string()))
                .await?;
            return Err(e.into());
        }
        if let AfterApply::Personio { fetch_started } = after {
            // Everything Personio changed before the fetch started is now reflected: the
            // incremental poller continues from here.
            store
                .set_last_incremental_at(account.id, fetch_started)
                .await?;
        }
        mark_accepted(store, account, options).await;
        SyncResult::Applied
    };
    tracing::info!(
        result = ?result,
        created = plan.creates.len(),
        updated = plan.updates.len(),
        removed = plan.removals.len(),
        skipped = plan.skips.len(),
        "sync finished"
    );
    Ok(SyncReport {
        run_id,
        result,
        fetched,
        today: staffsync_core::dates::format_date(today),
        plan,
        import: None,
    })
}

/// The run's "today" (the override, else the date in the account's zone) and policy (the
/// account's, with the removals an admin accepted for this run).
pub(crate) fn today_and_policy(
    account: &Account,
    options: &SyncOptions,
    accepted_removals: Option<BTreeSet<PersonioId>>,
) -> Result<(Date, Policy), SyncError> {
    let today = match options.today {
        Some(d) => d,
        None => clock::date_in(&account.time_zone, OffsetDateTime::now_utc()),
    };
    let settings = match (&options.settings, options.dry_run) {
        (Some(candidate), true) => candidate.clone(),
        _ => account.policy.settings.clone(),
    };
    let policy = Policy {
        settings,
        accepted_removals,
    };
    Ok((today, policy))
}

/// Where the records of a targeted run come from.
#[derive(Debug, Clone)]
pub enum TargetSource {
    /// Ask Personio for exactly these people (`Client::fetch_people`); recorded as a
    /// [`RunKind::Targeted`] run. People Personio no longer has are removed.
    Fetch,
    /// Records already fetched (an incremental poll's `updated_since` listing): no more
    /// requests; recorded as a [`RunKind::Incremental`] run, and only when it changes
    /// something (polls that find nothing new leave no trace in the history).
    Records {
        employees: Vec<SourceEmployee>,
        malformed: Vec<MalformedEmployee>,
    },
}

/// Runs a targeted sync of `ids` for `account`, whose `lease` the caller holds (see
/// [`TargetSource`]), recording it as a run: the planner sees only these people
/// ([`Snapshot::scope`]); everyone else stays as they are. The mandatory attributes are
/// checked first, as in a full run. The deletion guard applies as in a full run (a held
/// targeted run changes nothing). `client` is the account's (cached) Personio client;
/// `options.today` overrides today, `options.dry_run` and `options.accept_held` are not
/// supported (ignored).
#[tracing::instrument(skip_all, fields(account = %account.slug, people = ids.len(), run_id = tracing::field::Empty))]
pub async fn run_targeted(
    store: &Store,
    lease: &Lease,
    account: &Account,
    client: &Client,
    ids: &BTreeSet<PersonioId>,
    source: TargetSource,
    options: &SyncOptions,
) -> Result<Option<SyncReport>, SyncError> {
    let started = std::time::Instant::now();
    let outcome = match check_lease(lease, account) {
        Ok(()) => targeted_recorded(store, lease, account, client, ids, source, options).await,
        Err(e) => Err(e),
    };
    match &outcome {
        Ok(Some(report)) => record_metrics(&Ok(report.clone()), started.elapsed()),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "targeted sync failed; nothing changed");
            metrics::counter!(metric_names::SYNCS_TOTAL, "result" => "failed").increment(1);
        }
    }
    outcome
}

async fn targeted_recorded(
    store: &Store,
    lease: &Lease,
    account: &Account,
    client: &Client,
    ids: &BTreeSet<PersonioId>,
    source: TargetSource,
    options: &SyncOptions,
) -> Result<Option<SyncReport>, SyncError> {
    if account.source == AccountSource::File {
        return Err(SyncError::FileAccount(account.slug.to_string()));
    }
    if store.connection(account.id).await?.is_none() {
        return Err(SyncError::NotConnected(account.slug.to_string()));
    }
    let (today, policy) = today_and_policy(account, options, None)?;
    let (kind, run_id, snapshot) = match source {
        TargetSource::Records {
            employees,
            malformed,
        } => {
            // Unrecorded if this fails: polls leave no trace unless they change something
            // (the failure is logged and the poll retried on a later tick).
            let readable = sources::personio::readable_mandatory(client, None).await?;
            let scope: BTreeSet<PersonioId> = employees
                .iter()
                .map(|e| e.id)
                .chain(malformed.iter().filter_map(|m| m.id))
                .filter(|id| ids.contains(id))
                .collect();
            let snapshot = Snapshot {
                employees,
                malformed,
                readable_attributes: readable,
                // The listing holds complete records of everyone in the scope.
                complete: true,
                scope: Some(scope),
            };
            (RunKind::Incremental, None, snapshot)
        }
        TargetSource::Fetch => {
            let run_id = store.start_run(lease, RunKind::Targeted).await?;
            tracing::Span::current().record("run_id", run_id.0);
            let wanted: Vec<PersonioId> = ids.iter().copied().collect();
            let fetched = async {
                let readable = sources::personio::readable_mandatory(client, None).await?;
                let fetched = sendable(client.fetch_people(&wanted)).await?;
                Ok::<_, SyncError>((readable, fetched))
            };
            let (readable, fetched) = match fetched.await {
                Ok(f) => f,
                Err(e) => {
                    store
                        .finish_run(run_id, RunStatus::Failed, None, Some(&e.to_string()))
                        .await?;
                    return Err(e);
                }
            };
            metrics::counter!(metric_names::PERSONIO_REQUESTS_TOTAL)
                .increment(fetched.requests as u64);
            // Only the people Personio accounted for are planned: found, gone (removed)
            // or malformed (kept as they are).
            let scope: BTreeSet<PersonioId> = fetched
                .found
                .iter()
                .map(|e| e.id)
                .chain(fetched.gone.iter().copied())
                .chain(fetched.malformed.iter().filter_map(|m| m.id))
                .filter(|id| ids.contains(id))
                .collect();
            let snapshot = Snapshot {
                employees: fetched.found,
                malformed: fetched.malformed,
                readable_attributes: readable,
                complete: true,
                scope: Some(scope),
            };
            (RunKind::Targeted, Some(run_id), snapshot)
        }
    };
    targeted_plan_recorded(
        store, lease, account, kind, run_id, &snapshot, &policy, today,
    )
    .await
}

/// What every targeted run shares once it has its snapshot: plans it against the
/// directory, starts the run if `run_id` is `None` (only when there is something to
/// change or to learn: an unchanged poll leaves no trace), and holds or applies the plan.
#[allow(clippy::too_many_arguments)]
async fn targeted_plan_recorded(
    store: &Store,
    lease: &Lease,
    account: &Account,
    kind: RunKind,
    run_id: Option<RunId>,
    snapshot: &Snapshot,
    policy: &Policy,
    today: Date,
) -> Result<Option<SyncReport>, SyncError> {
    let directory = store.directory(account.id).await?;
    let plan = planner::plan(&directory, snapshot, policy, today);
    let fetched = snapshot.employees.len();
    let run_id = match run_id {
        Some(r) => r,
        None if plan.is_empty() && plan.held.is_none() && !has_pending_change(&plan) => {
            tracing::debug!(kind = %kind, "targeted run: nothing to change");
            return Ok(None);
        }
        None => {
            let r = store.start_run(lease, kind).await?;
            tracing::Span::current().record("run_id", r.0);
            r
        }
    };
    let result = if plan.held.is_some() {
        store
            .finish_run(run_id, RunStatus::Held, Some(&plan), None)
            .await?;
        SyncResult::Held
    } else {
        if let Err(e) = store.apply_plan(account.id, run_id, &plan).await {
            store
                .finish_run(run_id, RunStatus::Failed, None, Some(&e.to_string()))
                .await?;
            return Err(e.into());
        }
        SyncResult::Applied
    };
    tracing::info!(
        kind = %kind,
        result = ?result,
        created = plan.creates.len(),
        updated = plan.updates.len(),
        removed = plan.removals.len(),
        skipped = plan.skips.len(),
        "targeted sync finished"
    );
    Ok(Some(SyncReport {
        run_id,
        result,
        fetched,
        today: staffsync_core::dates::format_date(today),
        plan,
        import: None,
    }))
}

/// The date check's hires and leavers for `account`, a file account whose `lease` the
/// caller holds (see [`sources::file::due_snapshot`]): known future hires whose hire date
/// has come are created from the records their import kept, and people whose termination
/// date has passed are removed, without a new file. Recorded as a targeted run, and only
/// when it changes something (`None` otherwise).
pub async fn run_file_date_check(
    store: &Store,
    lease: &Lease,
    account: &Account,
    today: Date,
) -> Result<Option<SyncReport>, SyncError> {
    check_lease(lease, account)?;
    if account.source != AccountSource::File {
        return Err(SyncError::PersonioAccount(account.slug.to_string()));
    }
    let Some(snapshot) = sources::file::due_snapshot(store, account, today).await? else {
        return Ok(None);
    };
    let (_, policy) = today_and_policy(account, &SyncOptions::default(), None)?;
    let outcome = targeted_plan_recorded(
        store,
        lease,
        account,
        RunKind::Targeted,
        None,
        &snapshot,
        &policy,
        today,
    )
    .await;
    if let Ok(Some(report)) = &outcome {
        record_metrics(&Ok(report.clone()), std::time::Duration::ZERO);
    }
    outcome
}

/// The date check's tenure step for `account`, whose `lease` the caller holds: moves
/// directory people into the tenure band they are in on `today`
/// ([`planner::tenure_plan`]), without a Personio request. Recorded as a targeted run, and
/// only when someone moves (`None` otherwise).
pub async fn run_tenure_check(
    store: &Store,
    lease: &Lease,
    account: &Account,
    today: Date,
) -> Result<Option<SyncReport>, SyncError> {
    check_lease(lease, account)?;
    let (_, policy) = today_and_policy(account, &SyncOptions::default(), None)?;
    let directory = store.directory(account.id).await?;
    let plan = planner::tenure_plan(&directory, &policy, today);
    drop(directory);
    if plan.is_empty() {
        return Ok(None);
    }
    let run_id = store.start_run(lease, RunKind::Targeted).await?;
    if let Err(e) = store.apply_plan(account.id, run_id, &plan).await {
        store
            .finish_run(run_id, RunStatus::Failed, None, Some(&e.to_string()))
            .await?;
        return Err(e.into());
    }
    tracing::info!(
        account = %account.slug,
        moved = plan.updates.len(),
        "date check: people moved to their tenure band"
    );
    let report = SyncReport {
        run_id,
        result: SyncResult::Applied,
        fetched: 0,
        today: staffsync_core::dates::format_date(today),
        plan,
        import: None,
    };
    record_metrics(&Ok(report.clone()), std::time::Duration::ZERO);
    Ok(Some(report))
}

/// A plan that changes nobody but learns of a future hire (or a new hire date) still
/// needs applying: the date check depends on the known future hires.
fn has_pending_change(plan: &Plan) -> bool {
    !plan.pending_hires.is_empty()
}

/// Boxes a Personio client future as `Send`, proven here at the call site: the v2
/// listing futures are `Send`, but rustc cannot prove it through further layers of
/// `async fn` (higher-ranked lifetimes, rust-lang/rust#102211), which the scheduler's
/// spawned tasks need.
pub(crate) fn sendable<'a, T>(
    f: impl std::future::Future<Output = T> + Send + 'a,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>> {
    Box::pin(f)
}
