//! One run for one account, whatever its source and scope: [`run`] reads the account's
//! [`Source`] for a [`Scope`], plans, and concludes once: hold, apply, preview or fail,
//! recorded in the store and counted in the metrics.
//!
//! The scopes are a full run or an import ([`Scope::Everyone`]; a preview with
//! `dry_run`), a few people ([`Scope::People`]: webhooks and polls), the daily date check's
//! hires and leavers ([`Scope::DueDates`]) and its tenure step ([`Scope::Tenure`], from
//! the directory alone). Each source reads in its own module under
//! [`sources`](crate::sources); nothing here knows which source it runs.
//!
//! Every run runs only with the account's [`Lease`] in hand (the store will not start a
//! run without it). A full run is recorded from its start, whatever its outcome; a run
//! that asks a remote source is recorded from its first request ([`Recorder::asking`]);
//! any other run (a poll's records, the date check from kept records, tenure) only when
//! it changes something, so quiet checks leave no trace in the history.
//!
//! This module must never change the directory except through `Store::apply_plan` (or
//! `apply_import`), which makes a held plan's creates and updates and none of its
//! removals or re-keys, and must never remove anyone on the
//! strength of an incomplete or failed read: a read error ends the run as failed before
//! the planner is even asked, and so does a credential that can no longer read a
//! mandatory attribute (applying what it lists would blank that field for everybody).
//!
//! Removals beyond the deletion guard go through only when an admin accepted a held run
//! ([`SyncOptions::accept_held`]) and every removal of the new plan is among the ones
//! that held run showed; otherwise the run is held again, for a new review. While held,
//! the rest of each run applies: hires and moves never wait for a review of removals.

mod report;

pub use report::{ImportDetails, ProgressFn, SyncError, SyncOptions, SyncReport, SyncResult};

use crate::clock;
use crate::metric_names;
use crate::sources::{AfterApply, Planned, Source};
use staffsync_core::{
    MalformedEmployee, PersonKey, Plan, Policy, Snapshot, SourceEmployee, planner,
};
use staffsync_store::{Account, ImportApplied, Lease, RunId, RunKind, RunStatus, Store};
use std::collections::BTreeSet;
use time::{Date, OffsetDateTime};

pub use crate::sources::personio::client_for;

/// Which people a run reads and plans.
#[derive(Debug)]
pub enum Scope<'a> {
    /// Everyone the source lists (a full run, an import; a preview with `dry_run`):
    /// people it no longer lists are removed, through the deletion guard.
    Everyone,
    /// These people only; everyone else stays as they are ([`Snapshot::scope`]).
    People {
        ids: &'a BTreeSet<PersonKey>,
        from: TargetSource,
    },
    /// The daily date check on this day: known future hires whose hire date has come and
    /// people whose termination date has passed.
    DueDates(Date),
    /// The date check's tenure step on this day: people moved into the tenure band they
    /// are in, from the stored hire dates (the source is not asked).
    Tenure(Date),
}

/// Where the records of a [`Scope::People`] run come from.
#[derive(Debug, Clone)]
pub enum TargetSource {
    /// Ask the source for exactly these people (`Client::fetch_people`); recorded as a
    /// [`RunKind::Targeted`] run. People the source no longer has are removed.
    Fetch,
    /// Records already fetched (an incremental poll's `updated_since` listing): no more
    /// requests; recorded as a [`RunKind::Incremental`] run, and only when it changes
    /// something.
    Records {
        employees: Vec<SourceEmployee>,
        malformed: Vec<MalformedEmployee>,
    },
}

impl Scope<'_> {
    /// The kind the run is recorded as.
    fn run_kind(&self, options: &SyncOptions) -> RunKind {
        match self {
            Scope::Everyone if options.dry_run => RunKind::DryRun,
            Scope::Everyone => RunKind::Full,
            Scope::People {
                from: TargetSource::Records { .. },
                ..
            } => RunKind::Incremental,
            Scope::People { .. } | Scope::DueDates(_) | Scope::Tenure(_) => RunKind::Targeted,
        }
    }
}

/// Starts the run in the store when it is first needed, once.
#[derive(Debug)]
pub struct Recorder<'a> {
    store: &'a Store,
    lease: &'a Lease,
    kind: RunKind,
    run_id: Option<RunId>,
}

impl Recorder<'_> {
    /// The source is about to ask a remote system: from here on the run is recorded,
    /// so that a failure shows in the history.
    pub async fn asking(&mut self) -> Result<RunId, SyncError> {
        if let Some(id) = self.run_id {
            return Ok(id);
        }
        let id = self.store.start_run(self.lease, self.kind).await?;
        tracing::Span::current().record("run_id", id.0);
        self.run_id = Some(id);
        Ok(id)
    }
}

/// Runs `scope` of `account`'s `source` under `lease` (which must be the account's) with
/// `options` (see the module docs). `Ok(None)`: nothing to record (nobody due, or a
/// quiet check that changes nothing); a full run always answers with a report.
#[tracing::instrument(skip_all, fields(account = %account.slug, run_id = tracing::field::Empty))]
pub async fn run(
    store: &Store,
    lease: &Lease,
    account: &Account,
    source: Source<'_>,
    scope: Scope<'_>,
    options: &SyncOptions,
) -> Result<Option<SyncReport>, SyncError> {
    let started = std::time::Instant::now();
    let outcome = read_and_conclude(store, lease, account, source, scope, options).await;
    record_metrics(&outcome, started.elapsed());
    outcome
}

async fn read_and_conclude(
    store: &Store,
    lease: &Lease,
    account: &Account,
    source: Source<'_>,
    scope: Scope<'_>,
    options: &SyncOptions,
) -> Result<Option<SyncReport>, SyncError> {
    check_lease(lease, account)?;
    source.check(account, &scope)?;
    let mut recorder = Recorder {
        store,
        lease,
        kind: scope.run_kind(options),
        run_id: None,
    };
    if let Scope::Everyone = scope {
        recorder.asking().await?;
    }
    let planned = match scope {
        Scope::Tenure(today) => tenure(store, account, today).await.map(Some),
        _ => {
            source
                .read(store, account, scope, options, &mut recorder)
                .await
        }
    };
    conclude(store, account, options, recorder, planned).await
}

/// The tenure step: moves directory people into the band they are in on `today`
/// ([`planner::tenure_plan`]).
async fn tenure(store: &Store, account: &Account, today: Date) -> Result<Planned, SyncError> {
    let (_, policy) = today_and_policy(account, &SyncOptions::default(), None);
    let directory = store.directory(account.id).await?;
    let plan = planner::tenure_plan(&directory, &policy, today);
    Ok(Planned {
        fetched: 0,
        today,
        plan,
        after: AfterApply::Nothing,
        import: None,
    })
}

/// Plans `snapshot` (a scoped one: a few people, the date check) against the stored
/// directory with the account's settings.
pub(crate) async fn plan_scoped(
    store: &Store,
    account: &Account,
    snapshot: &Snapshot,
    today: Date,
) -> Result<Planned, SyncError> {
    let (_, mut policy) = today_and_policy(account, &SyncOptions::default(), None);
    with_kept(store, account, &mut policy).await?;
    let directory = store.directory(account.id).await?;
    let plan = planner::plan(&directory, snapshot, &policy, today);
    Ok(Planned {
        fetched: snapshot.employees.len(),
        today,
        plan,
        after: AfterApply::Nothing,
        import: None,
    })
}

/// The one conclusion of every run: records a failure, a preview or a held plan, or
/// applies the plan; a run not yet recorded that changes nothing leaves no trace.
async fn conclude(
    store: &Store,
    account: &Account,
    options: &SyncOptions,
    mut recorder: Recorder<'_>,
    planned: Result<Option<Planned>, SyncError>,
) -> Result<Option<SyncReport>, SyncError> {
    let planned = match planned {
        Ok(Some(p)) => p,
        Ok(None) if recorder.run_id.is_none() => return Ok(None),
        // Recorded, then nobody to read: an empty plan (it changes nothing, so it cannot
        // remove anyone) finishes the run, which is never left running.
        Ok(None) => Planned {
            fetched: 0,
            today: today_and_policy(account, options, None).0,
            plan: Plan::default(),
            after: AfterApply::Nothing,
            import: None,
        },
        Err(e) => {
            tracing::warn!(error = %e, kind = %recorder.kind, "run failed; nothing changed");
            if let Some(run_id) = recorder.run_id {
                fail(store, account, run_id, &e).await?;
            }
            return Err(e);
        }
    };
    let Planned {
        fetched,
        today,
        plan,
        after,
        import,
    } = planned;
    if recorder.run_id.is_none() && nothing_to_record(&plan) {
        tracing::debug!(kind = %recorder.kind, "nothing to change");
        return Ok(None);
    }
    let run_id = recorder.asking().await?;

    let result = if recorder.kind == RunKind::DryRun {
        store
            .finish_run(run_id, RunStatus::DryRun, Some(&plan), None)
            .await?;
        SyncResult::DryRun
    } else {
        // A held plan applies too: its hires and moves go in while its removals and
        // re-keys wait for the review (the store records it as held).
        tracing::info!(
            creates = plan.creates.len(),
            updates = plan.updates.len(),
            removals = plan.removals.len(),
            "applying plan"
        );
        let applied = match &after {
            AfterApply::Nothing | AfterApply::Personio { .. } => {
                store.apply_plan(account.id, run_id, &plan).await
            }
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
            let e = SyncError::from(e);
            fail(store, account, run_id, &e).await?;
            return Err(e);
        }
        if let AfterApply::Personio { fetch_started } = after {
            // Everything Personio changed before the fetch started is now reflected: the
            // incremental poller continues from here.
            store
                .set_last_incremental_at(account.id, fetch_started)
                .await?;
        }
        if plan.held.is_some() {
            SyncResult::Held
        } else {
            if recorder.kind == RunKind::Full {
                mark_accepted(store, account, options).await;
            }
            SyncResult::Applied
        }
    };
    tracing::info!(
        kind = %recorder.kind,
        result = ?result,
        created = plan.creates.len(),
        updated = plan.updates.len(),
        removed = plan.removals.len(),
        skipped = plan.skips.len(),
        "run finished"
    );
    Ok(Some(SyncReport {
        run_id,
        result,
        fetched,
        today: staffsync_core::dates::format_date(today),
        plan,
        import,
    }))
}

/// Records `run_id` as failed for `e`: the failure as a value, with its English message
/// (the source named as the account's source is called).
async fn fail(
    store: &Store,
    account: &Account,
    run_id: RunId,
    e: &SyncError,
) -> Result<(), SyncError> {
    let failure = e.failure();
    let message = failure.message(crate::sources::of(account).name(crate::lang::Lang::En));
    store.fail_run(run_id, &failure, &message).await?;
    Ok(())
}

/// The report of a run of [`Scope::Everyone`]: [`run`] answers `Some` for every run it
/// recorded, and such a run is recorded from its start.
pub fn full(report: Option<SyncReport>) -> SyncReport {
    report.expect("a run of Scope::Everyone is recorded from its start")
}

/// A plan that changes nobody, holds nothing and learns of no future hire (or new hire
/// date: the date check depends on the known future hires) has nothing to record.
fn nothing_to_record(plan: &Plan) -> bool {
    plan.is_empty() && plan.held.is_none() && plan.pending_hires.is_empty()
}

/// Counts the run in the process's metrics (no-ops when no recorder is installed); a run
/// with nothing to record is not counted.
fn record_metrics(outcome: &Result<Option<SyncReport>, SyncError>, elapsed: std::time::Duration) {
    let result = match outcome {
        Ok(Some(r)) => r.result.label(),
        Ok(None) => return,
        Err(_) => "failed",
    };
    metrics::counter!(metric_names::SYNCS_TOTAL, "result" => result).increment(1);
    metrics::histogram!(metric_names::SYNC_DURATION_SECONDS).record(elapsed.as_secs_f64());
    if let Ok(Some(r)) = outcome
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

/// What an admin accepted by accepting a held run: its removals and its re-keys.
pub(crate) type Accepted = Option<(BTreeSet<PersonKey>, BTreeSet<(PersonKey, PersonKey)>)>;

/// The removals and re-keys an admin accepted with `options.accept_held`, if that run is
/// still held.
pub(crate) async fn accepted_removals(
    store: &Store,
    account: &Account,
    options: &SyncOptions,
) -> Result<Accepted, SyncError> {
    let Some(run) = options.accept_held else {
        return Ok(None);
    };
    let removals = store.held_removals(account.id, run).await?;
    let rekeys = store.held_rekeys(account.id, run).await?;
    if removals.is_none() {
        tracing::warn!(
            held_run = run.0,
            "the accepted run is no longer held (superseded or rejected): its acceptance does not apply"
        );
    }
    Ok(removals.zip(rekeys))
}

/// Adds the people an admin kept to `policy` ([`Policy::kept`]), so no run removes or
/// holds them for the reason they were kept against; those the admin then chose to
/// remove ("Jetzt entfernen") are accepted removals instead: the click reviewed exactly
/// them, so the guard lets their removal through (and nothing beyond it).
pub(crate) async fn with_kept(
    store: &Store,
    account: &Account,
    policy: &mut Policy,
) -> Result<(), SyncError> {
    for k in store.kept_people(account.id).await? {
        if k.released {
            policy
                .accepted_removals
                .get_or_insert_with(BTreeSet::new)
                .insert(k.key);
        } else {
            policy.kept.insert(k.key, k.reason);
        }
    }
    Ok(())
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

/// The run's "today" (the override, else the date in the account's zone) and policy (the
/// account's, or a preview's candidate settings, with the removals an admin accepted for
/// this run).
pub(crate) fn today_and_policy(
    account: &Account,
    options: &SyncOptions,
    accepted: Accepted,
) -> (Date, Policy) {
    let today = match options.today {
        Some(d) => d,
        None => clock::date_in(&account.time_zone, OffsetDateTime::now_utc()),
    };
    let settings = match (&options.settings, options.dry_run) {
        (Some(candidate), true) => candidate.clone(),
        _ => account.policy.settings.clone(),
    };
    let (accepted_removals, accepted_rekeys) = accepted.unzip();
    let policy = Policy {
        settings,
        accepted_removals,
        accepted_rekeys,
        kept: Default::default(),
    };
    (today, policy)
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
