//! One sync run for one account: fetch from Personio → plan → apply (or hold, or preview).
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
//! of [`ops`](crate::http::ops) (result, duration, changes, Personio requests and 429s).
//!
//! Besides full runs ([`run_sync`]) there are targeted runs ([`run_targeted`]) for a few
//! people: the planner gets a snapshot with [`Snapshot::scope`] set, so everyone else
//! stays as they are. They are fed either by asking Personio for those people
//! ([`TargetSource::Fetch`], webhooks and the date check) or by records already fetched
//! ([`TargetSource::Records`], incremental polls).

use crate::{clock, ops};
use personio::{Client, ClientConfig};
use serde::Serialize;
use staffsync_core::{
    MalformedEmployee, PersonioId, Plan, Policy, Settings, Snapshot, SourceEmployee, planner,
};
use staffsync_store::{Account, Lease, RunId, RunKind, RunStatus, Store, StoreError};
use std::collections::BTreeSet;
use std::sync::OnceLock;
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
}

/// Why a run failed. In every case the directory is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("account {0} is not connected to Personio (run `staffsync connect` first)")]
    NotConnected(String),
    #[error(transparent)]
    Personio(#[from] personio::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease passed in is for account {lease}, not for account {account}")]
    WrongLease { lease: String, account: String },
}

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
    let started = std::time::Instant::now();
    let outcome = match check_lease(lease, account) {
        Ok(()) => run_recorded(store, lease, account, options, progress).await,
        Err(e) => Err(e),
    };
    record_metrics(&outcome, started.elapsed());
    outcome
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
    metrics::counter!(ops::SYNCS_TOTAL, "result" => result).increment(1);
    metrics::histogram!(ops::SYNC_DURATION_SECONDS).record(elapsed.as_secs_f64());
    if let Ok(r) = outcome
        && r.result == SyncResult::Applied
    {
        for (action, n) in [
            ("create", r.plan.creates.len()),
            ("update", r.plan.updates.len()),
            ("remove", r.plan.removals.len()),
        ] {
            metrics::counter!(ops::EMPLOYEES_CHANGED_TOTAL, "action" => action).increment(n as u64);
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
async fn accepted_removals(
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

async fn run_recorded(
    store: &Store,
    lease: &Lease,
    account: &Account,
    options: &SyncOptions,
    progress: ProgressFn<'_>,
) -> Result<SyncReport, SyncError> {
    let connection = store
        .connection(account.id)
        .await?
        .ok_or_else(|| SyncError::NotConnected(account.slug.to_string()))?;
    let kind = if options.dry_run {
        RunKind::DryRun
    } else {
        RunKind::Full
    };
    let fetch_started = OffsetDateTime::now_utc();
    let run_id = store.start_run(lease, kind).await?;
    tracing::Span::current().record("run_id", run_id.0);

    let outcome = fetch_and_plan(store, account, &connection, options, progress).await;
    let (snapshot_len, today, plan) = match outcome {
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
        if let Err(e) = store.apply_plan(account.id, run_id, &plan).await {
            store
                .finish_run(run_id, RunStatus::Failed, None, Some(&e.to_string()))
                .await?;
            return Err(e.into());
        }
        // Everything Personio changed before the fetch started is now reflected: the
        // incremental poller continues from here.
        store
            .set_last_incremental_at(account.id, fetch_started)
            .await?;
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
        fetched: snapshot_len,
        today: staffsync_core::dates::format_date(today),
        plan,
    })
}

/// Builds a Personio client for a stored connection.
pub fn client_for(
    connection: &staffsync_store::Connection,
    unlimited_rate: bool,
    ip_budget: Option<&personio::IpBudget>,
) -> Result<Client, SyncError> {
    let mut config = ClientConfig::new(
        connection.client_id.clone(),
        connection.client_secret.clone(),
    )
    .with_base_url(connection.base_url.clone())
    .with_api_version(connection.api_version);
    if unlimited_rate {
        config.rate = personio::RateLimit::Unlimited;
    }
    config.ip_budget = ip_budget.cloned();
    Ok(Client::new(config)?)
}

async fn fetch_and_plan(
    store: &Store,
    account: &Account,
    connection: &staffsync_store::Connection,
    options: &SyncOptions,
    progress: ProgressFn<'_>,
) -> Result<(usize, Date, Plan), SyncError> {
    let client = client_for(
        connection,
        options.unlimited_rate,
        options.ip_budget.as_ref(),
    )?;
    let stored = Some((store, account.id, connection.readable_attributes.as_slice()));
    let readable = readable_mandatory(&client, stored).await?;
    let accepted = accepted_removals(store, account, options).await?;
    let (today, policy) = today_and_policy(account, options, accepted)?;
    // Each record is prepared for the planner as its page arrives and the raw record is
    // dropped, so the listing is never held twice (raw and normalized). Once the stored
    // directory is in, each record is also compared with it: an unchanged person's record
    // is not built at all (most of a re-sync's planning work and memory). Records that
    // arrive earlier are prepared in full; the plan is the same either way.
    let rules = planner::Rules::new(&readable, &policy, today);
    let known: OnceLock<planner::KnownDirectory> = OnceLock::new();
    let prepare = |e: SourceEmployee| {
        planner::prepare_against(&e, &rules, known.get().and_then(|k| k.get(e.id)))
    };
    // The stored directory loads while Personio pages download: the two are independent,
    // and a stale directory cannot be applied against, because a newer run interrupts this
    // one (`Store::start_run`) and an interrupted run's plan is refused by `apply_plan`.
    let load = async {
        let directory = store.directory(account.id).await?;
        // Set once, here only: `get` above sees it from then on.
        let _ = known.set(planner::KnownDirectory::new(directory));
        Ok::<(), StoreError>(())
    };
    let (listing, loaded) = tokio::join!(
        sendable(client.fetch_all_with(
            |p| progress(p.employees_done, Some(p.employees_total)),
            prepare
        )),
        load
    );
    let listing = listing?;
    loaded?;
    // Planned against the very records the listing was compared with (set when `load`
    // succeeded, which it has by now).
    let directory = known.into_inner().ok_or_else(|| StoreError::Corrupt {
        what: "the directory was loaded but not kept".into(),
    })?;
    metrics::counter!(ops::PERSONIO_REQUESTS_TOTAL).increment(listing.requests as u64);
    metrics::counter!(ops::PERSONIO_RATE_LIMITED_TOTAL).increment(listing.rate_limited as u64);
    let fetched = listing.employees.len();
    let snapshot = planner::PreparedSnapshot {
        records: listing.employees,
        malformed: listing.malformed,
        // fetch_all returns Ok only for a complete, consistent listing.
        complete: true,
        scope: None,
        rules,
    };
    Ok((
        fetched,
        today,
        planner::plan_prepared(directory.people(), snapshot),
    ))
}

/// The attributes the credential may read now, checked: a mandatory attribute that is
/// no longer readable (un-ticked in Personio) fails the run before anything is planned,
/// naming the attribute and where to tick it. Recommended ones only warn (the planner
/// says which rules they weaken). With `stored` (a full run: the store, the account and
/// what it last recorded), a changed list is recorded first, even when the check then
/// fails, so the Integration page shows which tick went missing.
async fn readable_mandatory(
    client: &Client,
    stored: Option<(&Store, staffsync_store::AccountId, &[String])>,
) -> Result<BTreeSet<String>, SyncError> {
    let attributes = client.attributes().await?;
    if let Some((store, account, recorded)) = stored
        && !attributes.iter().map(|a| &a.key).eq(recorded.iter())
    {
        let keys: Vec<String> = attributes.iter().map(|a| a.key.clone()).collect();
        store.set_readable_attributes(account, &keys).await?;
    }
    personio::check_mandatory(&attributes)?;
    Ok(attributes.into_iter().map(|a| a.key).collect())
}

/// The run's "today" (the override, else the date in the account's zone) and policy (the
/// account's, with the removals an admin accepted for this run).
fn today_and_policy(
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
            metrics::counter!(ops::SYNCS_TOTAL, "result" => "failed").increment(1);
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
            let readable = readable_mandatory(client, None).await?;
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
                let readable = readable_mandatory(client, None).await?;
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
            metrics::counter!(ops::PERSONIO_REQUESTS_TOTAL).increment(fetched.requests as u64);
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
    let directory = store.directory(account.id).await?;
    let plan = planner::plan(&directory, &snapshot, &policy, today);
    let fetched = snapshot.employees.len();
    let run_id = match run_id {
        Some(r) => r,
        None if plan.is_empty() && plan.held.is_none() && !has_pending_change(&plan) => {
            tracing::debug!("incremental poll: nothing to change");
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
    }))
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
