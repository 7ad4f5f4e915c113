//! A dry run for someone waiting on it (the web app's preview, a settings preview): it
//! takes the account's lease at once or not at all, and gives up after a time limit.
//!
//! A dry run is a run: it needs the lease like any other, so it can never interrupt a
//! running sync; a busy account is refused, not waited for. One that gives up is
//! recorded as failed while the lease is still held, so no run is left "running". This
//! module must never apply anything: it only runs with `dry_run` set.

use crate::lease::{self, LeaseError};
use crate::run::{self, Scope, SyncError, SyncOptions, SyncReport};
use crate::sources::{Given, Source};
use staffsync_store::{Account, RunKind, RunStatus, Store};
use std::time::Duration;
use time::OffsetDateTime;

/// Why a bounded dry run did not produce a plan.
#[derive(Debug, thiserror::Error)]
pub enum DryRunError {
    #[error("another sync of this account is running; try again when it has finished")]
    Busy,
    #[error(transparent)]
    Lease(LeaseError),
    #[error("Personio did not answer within {} s; the preview gave up", .0.as_secs())]
    TimedOut(Duration),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl DryRunError {
    /// Why the dry run failed, as a value (what the pages say in their language); `None`
    /// when the account was busy (nothing failed: try again).
    pub fn failure(&self) -> Option<staffsync_core::RunFailure> {
        use staffsync_core::RunFailure as F;
        match self {
            DryRunError::Busy | DryRunError::Lease(LeaseError::Busy { .. }) => None,
            DryRunError::Lease(LeaseError::NotConnected) => Some(F::NotConnected),
            DryRunError::Lease(LeaseError::Store(_)) => Some(F::Internal),
            DryRunError::TimedOut(limit) => Some(F::TimedOut {
                seconds: limit.as_secs(),
            }),
            DryRunError::Sync(e) => Some(e.failure()),
        }
    }
}

/// Runs `options` as a dry run of `account` under a lease held by `holder`, for at most
/// `limit`.
pub async fn bounded(
    store: &Store,
    account: &Account,
    options: SyncOptions,
    holder: &str,
    lease_len: Duration,
    limit: Duration,
) -> Result<SyncReport, DryRunError> {
    let options = SyncOptions {
        dry_run: true,
        ..options
    };
    let lease = match lease::acquire(store, account.id, holder, lease_len, Duration::ZERO).await {
        Ok(lease) => lease,
        Err(LeaseError::Busy { .. }) => return Err(DryRunError::Busy),
        Err(e) => return Err(DryRunError::Lease(e)),
    };
    // Whole microseconds, as the store keeps run times.
    let asked = OffsetDateTime::now_utc();
    let asked = asked
        .replace_microsecond(asked.microsecond())
        .unwrap_or(asked);
    let run = async {
        let source = Source::open(store, account, Given::nothing()).await?;
        let report = run::run(store, &lease, account, source, Scope::Everyone, &options).await?;
        Ok::<_, SyncError>(run::full(report))
    };
    let bounded = tokio::time::timeout(limit, run);
    let outcome = lease::with_lease_renewal(store, &lease, lease_len, bounded).await;
    if outcome.is_err() {
        // Finished as failed while the lease is still held: nobody else can start a run.
        give_up(store, account, asked, limit).await;
    }
    lease::give_back(store, lease).await;
    match outcome {
        Ok(result) => Ok(result?),
        Err(_) => Err(DryRunError::TimedOut(limit)),
    }
}

async fn give_up(store: &Store, account: &Account, asked: OffsetDateTime, limit: Duration) {
    let failure = staffsync_core::RunFailure::TimedOut {
        seconds: limit.as_secs(),
    };
    let message = failure.message(crate::sources::of(account).name(crate::lang::Lang::En));
    let runs = match store.runs(account.id).await {
        Ok(runs) => runs,
        Err(e) => {
            tracing::warn!(account = %account.slug, error = %e, "cannot find the dry run that timed out");
            return;
        }
    };
    let mine = runs.iter().filter(|r| {
        r.kind == RunKind::DryRun && r.status == RunStatus::Running && r.started_at >= asked
    });
    for run in mine {
        if let Err(e) = store.fail_run(run.id, &failure, &message).await {
            tracing::warn!(account = %account.slug, run = run.id.0, error = %e, "cannot finish the dry run that timed out");
        }
    }
    tracing::warn!(account = %account.slug, timeout_s = limit.as_secs(), "preview gave up waiting for Personio");
}
