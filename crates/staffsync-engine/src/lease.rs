//! Taking an account's lease outside the scheduler (targeted runs, previews, the command
//! line) and keeping it alive while work runs.
//!
//! The store makes a [`Lease`] only by taking it in the database, and a run cannot start
//! without one (`Store::start_run`), so one writer per account holds by construction.
//! This module only decides how long to wait for a busy account and renews the lease
//! while the work runs. It must never run work without the lease, and never take over a
//! live lease: a busy account is waited for (bounded) or refused, never interrupted.

use staffsync_store::{AccountId, Lease, LeaseHolder, Store, StoreError};
use std::future::Future;
use std::time::Duration;
use time::OffsetDateTime;

/// How often a waiting caller asks again for a busy account's lease.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// Why the lease could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("{}", busy_text(.holder.as_ref()))]
    Busy { holder: Option<LeaseHolder> },
    #[error("the account is not connected to Personio (run `staffsync connect` first)")]
    NotConnected,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn busy_text(holder: Option<&LeaseHolder>) -> String {
    match holder.and_then(|h| h.expires_at) {
        Some(until) => format!(
            "another sync of this account is running (its lease runs until {} UTC at the \
             latest); nothing was interrupted, try again when it has finished",
            until
                .format(time::macros::format_description!(
                    "[hour]:[minute]:[second]"
                ))
                .unwrap_or_default()
        ),
        None => "another sync of this account is running; nothing was interrupted, try again \
                 when it has finished"
            .to_owned(),
    }
}

/// Takes `account`'s lease for `holder` for `lease_len` if nobody holds it: `None` when
/// someone does (a full sync, another targeted run). The one place outside the
/// scheduler's claim where a lease is taken; [`acquire`] waits with it.
pub async fn try_take(
    store: &Store,
    account: AccountId,
    holder: &str,
    lease_len: Duration,
) -> Result<Option<Lease>, StoreError> {
    let until = OffsetDateTime::now_utc() + lease_len;
    store.try_lease(account, holder, until).await
}

/// Takes `account`'s lease for `holder` for `lease_len`, asking again for up to `wait`
/// while someone else holds it. An account connected before schedules existed, or a file
/// account's first import, gets its schedule first (due now).
pub async fn acquire(
    store: &Store,
    account: AccountId,
    holder: &str,
    lease_len: Duration,
    wait: Duration,
) -> Result<Lease, LeaseError> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut scheduled = false;
    loop {
        if let Some(lease) = try_take(store, account, holder, lease_len).await? {
            return Ok(lease);
        }
        if !scheduled && store.schedule(account).await?.is_none() {
            // A file account has no connection but runs (imports) all the same; its
            // schedule only carries the lease (the scheduler claims connected accounts).
            let file = store
                .account_by_id(account)
                .await?
                .is_some_and(|a| !crate::sources::of(&a).connects);
            if !file && store.connection(account).await?.is_none() {
                return Err(LeaseError::NotConnected);
            }
            store
                .ensure_schedule(account, OffsetDateTime::now_utc())
                .await?;
            scheduled = true;
            continue;
        }
        if tokio::time::Instant::now() + RETRY_EVERY > deadline {
            return Err(LeaseError::Busy {
                holder: store.lease_holder(account).await?,
            });
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

/// Drives `work` while renewing `lease` every third of `lease_len`. A lease lost
/// meanwhile (it expired and another worker took the account) is logged: that worker's
/// `start_run` interrupted this run, which can then no longer apply.
pub async fn with_lease_renewal<T>(
    store: &Store,
    lease: &Lease,
    lease_len: Duration,
    work: impl Future<Output = T>,
) -> T {
    let every = (lease_len / 3).max(Duration::from_millis(50));
    let renew = async {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tick.tick().await;
            let until = OffsetDateTime::now_utc() + lease_len;
            match store.renew_lease(lease, until).await {
                Ok(true) => tracing::debug!("lease renewed"),
                Ok(false) => tracing::warn!("lease lost while syncing"),
                Err(e) => tracing::warn!(error = %e, "could not renew the lease"),
            }
        }
    };
    tokio::pin!(work);
    tokio::select! {
        out = &mut work => out,
        never = renew => match never {},
    }
}

/// Gives `lease` back without touching the schedule; a failure is logged (the lease then
/// expires on its own).
pub async fn give_back(store: &Store, lease: Lease) {
    let account = lease.account();
    match store.release_lease(lease).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(%account, "the lease was no longer held when given back"),
        Err(e) => tracing::warn!(%account, error = %e, "could not give back a lease"),
    }
}
