//! The scheduler: every `scheduler_poll` it claims due accounts (leases in the store) and
//! runs their syncs, at most `max_concurrent_syncs` at once; each sync renews its lease
//! while it runs and releases it with the next due time (the sync interval with jitter
//! after success or hold; the retry backoff after a failure).
//!
//! Several processes may run a scheduler on one database: the lease is what makes a sync
//! exclusive. A process that dies leaves its lease to expire, and then another claims the
//! account; the run it left `running` is marked `interrupted` by the next `start_run`.
//! On stop the scheduler claims nothing new, waits for its running syncs, and returns.
//!
//! Each tick also starts the real-time step ([`realtime::step`](crate::realtime::step):
//! the date check and incremental polls) unless the previous one is still running. A
//! scheduled full sync of an account kept current by webhooks or polls counts its
//! changes as drift (`staffsync_reconciliation_drift_total`): what the real-time path
//! missed.
//!
//! Each outcome goes to [`alerts`] (incidents and their e-mails, sent in the background)
//! before the lease is released.
//!
//! This module must never run a sync without holding its lease, never release a lease it
//! does not hold (the store refuses), and never change a directory itself: it calls
//! [`run_sync`](crate::run::run_sync), which applies only through the store.

use crate::alerts;
use crate::lease::with_lease_renewal;
use crate::run::{self, Scope, SyncError, SyncOptions, SyncReport, SyncResult};
use crate::sources::{self, Given, Source};
use crate::state::AppState;
use rand::Rng as _;
use staffsync_store::{AccountId, Lease, ScheduleOutcome, StoreError};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tracing::Instrument as _;

/// Runs until `stop` turns true (or its sender is dropped); then waits for running syncs
/// and returns.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let config = state.config.clone();
    let slots = Arc::new(Semaphore::new(config.max_concurrent_syncs.max(1)));
    let mut running: JoinSet<()> = JoinSet::new();
    let mut realtime: Option<tokio::task::JoinHandle<()>> = None;
    let mut tick = tokio::time::interval(config.scheduler_poll.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(
        instance = %config.instance_id,
        max_concurrent_syncs = config.max_concurrent_syncs,
        "scheduler started"
    );
    loop {
        tokio::select! {
            stopped = stop.wait_for(|s| *s) => {
                let _ = stopped;
                break;
            }
            _ = tick.tick() => {}
            // A sync finished: its slot is free, look for work at once.
            Some(done) = running.join_next(), if !running.is_empty() => log_join(done),
        }
        if *stop.borrow() {
            break;
        }
        while let Some(done) = running.try_join_next() {
            log_join(done);
        }
        if realtime.as_ref().is_none_or(|h| h.is_finished()) {
            let state = state.clone();
            realtime = Some(tokio::spawn(
                async move {
                    crate::realtime::step(&state).await;
                    crate::inbox::step(&state).await;
                }
                .instrument(tracing::info_span!("realtime_step")),
            ));
        }
        let free = slots.available_permits();
        if free == 0 {
            continue;
        }
        let now = OffsetDateTime::now_utc();
        let claimed = match state
            .store
            .claim_due(&config.instance_id, now, now + config.lease, free)
            .await
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim due accounts");
                continue;
            }
        };
        for lease in claimed {
            let account = lease.account();
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                // Cannot happen (only this loop takes permits); give the lease back.
                tracing::warn!(%account, "no free slot for a claimed account");
                release_unrun(&state, lease).await;
                continue;
            };
            let state = state.clone();
            let span = tracing::info_span!(
                "scheduled_sync",
                account_id = account.0,
                instance = %config.instance_id
            );
            running.spawn(
                async move {
                    let _permit = permit;
                    let _ = run_account_sync(&state, lease).await;
                }
                .instrument(span),
            );
        }
    }
    tracing::info!(
        running = running.len(),
        "scheduler stopping; waiting for running syncs"
    );
    while let Some(done) = running.join_next().await {
        log_join(done);
    }
    if let Some(handle) = realtime {
        log_join(handle.await);
    }
    tracing::info!("scheduler stopped");
}

fn log_join(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        tracing::error!(error = %e, "a sync task panicked or was cancelled");
    }
}

/// Gives back a lease without running (due again at once).
async fn release_unrun(state: &AppState, lease: Lease) {
    let account = lease.account();
    let now = OffsetDateTime::now_utc();
    if let Err(e) = state
        .store
        .release(lease, now, &ScheduleOutcome::Succeeded)
        .await
    {
        tracing::warn!(%account, error = %e, "could not give back a lease");
    }
}

/// Runs one scheduled sync of the account whose `lease` this process holds: loads the
/// account, runs [`run_sync`] (with the held run an admin accepted, when the schedule
/// names one), renews the lease while it runs, then releases it with the next due time.
/// Store errors around the run are logged; the sync's own outcome is returned.
pub async fn run_account_sync(state: &AppState, lease: Lease) -> Result<SyncReport, SyncError> {
    let config = &state.config;
    let account = lease.account();
    let schedule = match state.store.schedule(account).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the schedule");
            None
        }
    };
    let failures_before = schedule.as_ref().map_or(0, |s| s.consecutive_failures);
    let requested = schedule.as_ref().is_some_and(|s| s.requested_at.is_some());
    let accept_held = schedule.as_ref().and_then(|s| s.accept_run);

    // Which accounts the scheduler runs: those whose source connects (the registry says);
    // the store claims only connected accounts, so this holds already, and should it not,
    // such an account is skipped without an incident.
    let found = state.store.account_by_id(account).await.ok().flatten();
    // How failures name the source in the schedule's English `last_error`.
    let source_name = found
        .as_ref()
        .map_or("the source", |a| sources::of(a).name(crate::lang::Lang::En));
    if let Some(acct) = found
        && !sources::of(&acct).connects
    {
        tracing::debug!(account = %acct.slug, "an account whose source does not connect takes no scheduled sync; skipped");
        let next = OffsetDateTime::now_utc() + jittered(config.sync_interval, config.sync_jitter);
        if let Err(e) = state
            .store
            .release(lease, next, &ScheduleOutcome::Succeeded)
            .await
        {
            tracing::warn!(error = %e, "could not release the lease");
        }
        return Err(SyncError::FileAccount(acct.slug.to_string()));
    }
    let synced = async {
        let Some(acct) = state.store.account_by_id(account).await? else {
            return Err(SyncError::Store(StoreError::NotFound {
                what: format!("account {account}"),
            }));
        };
        let options = SyncOptions {
            accept_held,
            unlimited_rate: !config.personio_rate_limit,
            ip_budget: state.ip_budget(),
            today: state.today_override(),
            ..SyncOptions::default()
        };
        let realtime_before = realtime_mode(state, account).await;
        // What the fetch reports is shown on the web app's live status, nothing more.
        let tracker = state.progress.track(account);
        let progress = |read, total| tracker.report(read, total);
        let report = async {
            let source = Source::open(
                &state.store,
                &acct,
                Given::Nothing {
                    progress: &progress,
                },
            )
            .await?;
            run::run(
                &state.store,
                &lease,
                &acct,
                source,
                Scope::Everyone,
                &options,
            )
            .await
        }
        .await;
        drop(tracker);
        state.forget_client(account);
        let report = run::full(report?);
        if counts_as_drift(realtime_before, requested, report.result) {
            count_drift(state, account, &report).await;
        }
        Ok(report)
    };
    let outcome = with_lease_renewal(&state.store, &lease, config.lease, synced).await;
    let failures = if outcome.is_err() {
        failures_before + 1
    } else {
        0
    };
    alerts::after_run(
        state,
        account,
        alerts::Origin::Full { failures },
        outcome.as_ref().map(Some),
    )
    .await;
    if outcome.is_ok() {
        alerts::check_webhook(state, account);
    }

    let now = OffsetDateTime::now_utc();
    let (next_run_at, schedule_outcome) = match &outcome {
        Ok(report) => {
            let next = now + jittered(config.sync_interval, config.sync_jitter);
            let o = if report.result == SyncResult::Held {
                ScheduleOutcome::Held
            } else {
                ScheduleOutcome::Succeeded
            };
            tracing::info!(result = ?report.result, run_id = report.run_id.0, next_run_at = %next, "scheduled sync finished");
            (next, o)
        }
        Err(e) => {
            let wait = backoff(&config.retry_backoff, failures_before, config.sync_interval);
            let next = now + wait;
            tracing::warn!(error = %e, consecutive_failures = failures_before + 1, next_run_at = %next, "scheduled sync failed");
            (
                next,
                // The English message of the failure: never a remote server's text.
                ScheduleOutcome::Failed {
                    error: e.failure().message(source_name),
                },
            )
        }
    };
    if let Err(e) = state
        .store
        .release(lease, next_run_at, &schedule_outcome)
        .await
    {
        tracing::warn!(error = %e, "could not release the lease");
    }
    outcome
}

/// Whether `account` is kept current between full syncs (a webhook, or polling on) and
/// has been synced before (so a full sync's changes are what the real-time path missed).
async fn realtime_mode(state: &AppState, account: AccountId) -> bool {
    match state.store.realtime_accounts().await {
        Ok(all) => all.iter().any(|ra| {
            ra.account_id == account
                && ra.state.last_incremental_at.is_some()
                && (ra.has_webhook || !state.config.poll_interval.is_zero())
        }),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the real-time state");
            false
        }
    }
}

/// Whether a full run's changes are drift: what the real-time path (webhooks, polls)
/// missed. Only for the run the schedule brought, applied, of an account kept current in
/// real time. Not for a sync an admin asked for ("sync now", `POST /api/v1/sync`): they
/// ask after changing something (a policy, the credential's attributes), and those
/// changes are theirs, not missed events; warning about them only alarms. (`staffsync
/// sync` on the command line does not come here at all.)
fn counts_as_drift(realtime_before: bool, requested: bool, result: SyncResult) -> bool {
    realtime_before && !requested && result == SyncResult::Applied
}

/// Counts a full reconciliation's changes as drift, and logs them.
async fn count_drift(state: &AppState, account: AccountId, report: &SyncReport) {
    let plan = &report.plan;
    for (action, n) in [
        ("create", plan.creates.len()),
        ("update", plan.updates.len()),
        ("remove", plan.removals.len()),
    ] {
        metrics::counter!(crate::metric_names::RECONCILIATION_DRIFT_TOTAL, "action" => action)
            .increment(n as u64);
    }
    let partial = state
        .store
        .partial_runs_before(account, report.run_id)
        .await
        .unwrap_or(0);
    let drift = plan.creates.len() + plan.updates.len() + plan.removals.len();
    if drift > 0 {
        tracing::warn!(%account, drift, partial_runs = partial, "full reconciliation found changes the real-time path missed");
    } else {
        tracing::info!(%account, partial_runs = partial, "full reconciliation found no drift");
    }
}

/// `interval` shifted by a uniformly random amount within ±`jitter` (never below zero).
pub fn jittered(interval: Duration, jitter: Duration) -> time::Duration {
    let base = i128::try_from(interval.as_millis()).unwrap_or(i128::MAX / 4);
    let j = i128::try_from(jitter.as_millis()).unwrap_or(0);
    let shift = if j > 0 {
        rand::rng().random_range(-j..=j)
    } else {
        0
    };
    let millis = (base + shift).max(0);
    time::Duration::milliseconds(i64::try_from(millis).unwrap_or(i64::MAX))
}

/// The wait after a failure, `failures_before` being the consecutive failures before
/// this one: `backoff[min(failures_before, len - 1)]`, or `fallback` without a backoff.
pub fn backoff(backoff: &[Duration], failures_before: i64, fallback: Duration) -> time::Duration {
    let i = usize::try_from(failures_before.max(0)).unwrap_or(usize::MAX);
    let wait = backoff
        .get(i.min(backoff.len().saturating_sub(1)))
        .copied()
        .unwrap_or(fallback);
    time::Duration::try_from(wait).unwrap_or(time::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_scheduled_applied_run_of_a_real_time_account_counts_drift() {
        assert!(counts_as_drift(true, false, SyncResult::Applied));
        // An admin's "sync now" follows their own changes: not drift, no warning.
        assert!(!counts_as_drift(true, true, SyncResult::Applied));
        assert!(!counts_as_drift(false, false, SyncResult::Applied));
        assert!(!counts_as_drift(true, false, SyncResult::Held));
        assert!(!counts_as_drift(true, false, SyncResult::DryRun));
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let i = Duration::from_secs(100);
        for _ in 0..200 {
            let d = jittered(i, Duration::from_secs(10));
            assert!(d >= time::Duration::seconds(90) && d <= time::Duration::seconds(110));
        }
        assert_eq!(jittered(i, Duration::ZERO), time::Duration::seconds(100));
        assert!(jittered(Duration::from_secs(1), Duration::from_secs(10)) >= time::Duration::ZERO);
    }

    #[test]
    fn backoff_steps_then_stays_at_the_last() {
        let b = [Duration::from_secs(1), Duration::from_secs(5)];
        let f = Duration::from_secs(99);
        assert_eq!(backoff(&b, 0, f), time::Duration::seconds(1));
        assert_eq!(backoff(&b, 1, f), time::Duration::seconds(5));
        assert_eq!(backoff(&b, 7, f), time::Duration::seconds(5));
        assert_eq!(backoff(&[], 0, f), time::Duration::seconds(99));
    }
}
