//! Near-real-time steps the scheduler runs on every tick, besides the 12-hour full
//! reconciliation:
//!
//! - the **date check**, once per account per local day: directory people whose
//!   termination date has passed and known future hires whose hire date has come get a
//!   targeted run (`fetch_people`), so leavers go the day after their last day and new
//!   hires arrive on their first, without waiting for the full sync; then everyone whose
//!   tenure band changes that day moves to it, from the stored hire dates alone (no
//!   Personio request: [`Scope::Tenure`]). Both are asked of the account's source
//!   ([`Scope::DueDates`]): a file account's date check asks no one, its due hires come
//!   from the records their import kept, its leavers from the directory's termination
//!   dates;
//! - the **incremental poll** of connections without a webhook, every `poll_interval`
//!   (off with 0): `fetch_updated_since(watermark − 1 min)` and a run over exactly the
//!   records it returned (no further requests). Nothing changed ⇒ one request and no run
//!   in the history. A poll that fails is not retried on every tick: the next try waits
//!   the poll interval, then twice that, four times, … up to the sync interval or
//!   [`MAX_POLL_BACKOFF`], whichever is shorter ([`PollBackoff`], in each process's
//!   memory); a poll that succeeds, or a watermark moved by a full sync, starts over.
//!
//! Every targeted run holds the account's lease (a "side lease", `lease::try_take`; the
//! store starts no run without it) so it never overlaps a full sync or another targeted
//! run, in this process or another; when the account is busy the step is skipped and
//! tried again on a later tick. This
//! module never changes a directory itself: it calls [`run`](crate::run::run), which
//! applies through the store.

use crate::lease::{give_back, with_lease_renewal};
use crate::run::{Scope, SyncError, SyncOptions, SyncReport, TargetSource, run};
use crate::sources::{self, Given, Source};
use crate::state::AppState;
use staffsync_core::PersonKey;
use staffsync_store::{AccountId, Lease, RealtimeAccount, StoreError};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;

/// How far back an incremental poll looks before its watermark (clock skew, and
/// Personio's whole-second timestamps).
pub const POLL_OVERLAP: time::Duration = time::Duration::minutes(1);

/// The longest wait between two tries of a poll that keeps failing (shorter when the
/// sync interval is: the full sync reconciles anyway).
pub const MAX_POLL_BACKOFF: Duration = Duration::from_secs(3600);

/// Failing polls per account (see the module docs): when each may be tried again.
/// In memory: another process keeps its own, and a restart tries at once.
#[derive(Debug, Default)]
pub(crate) struct PollBackoff(Mutex<HashMap<AccountId, FailedPolls>>);

#[derive(Debug, Clone, Copy)]
struct FailedPolls {
    /// The watermark the polls failed from; a newer one means something succeeded since.
    mark: OffsetDateTime,
    failures: u32,
    retry_at: OffsetDateTime,
}

impl PollBackoff {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, FailedPolls>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// When the account's poll from watermark `mark` may be tried again, if it failed.
    fn retry_at(&self, account: AccountId, mark: OffsetDateTime) -> Option<OffsetDateTime> {
        let mut failed = self.lock();
        match failed.get(&account) {
            Some(f) if f.mark == mark => Some(f.retry_at),
            Some(_) => {
                failed.remove(&account);
                None
            }
            None => None,
        }
    }

    /// Records a failed poll at `now`: it may be tried again `interval` later after the
    /// first failure, twice that after the second, and so on, at most `longest` later.
    fn failed(
        &self,
        account: AccountId,
        mark: OffsetDateTime,
        now: OffsetDateTime,
        interval: Duration,
        longest: Duration,
    ) {
        let mut failed = self.lock();
        let failures = match failed.get(&account) {
            Some(f) if f.mark == mark => f.failures.saturating_add(1),
            _ => 1,
        };
        let wait = interval
            .saturating_mul(2u32.saturating_pow(failures - 1))
            .min(longest.max(interval));
        let retry_at = now + time::Duration::try_from(wait).unwrap_or(time::Duration::HOUR);
        failed.insert(
            account,
            FailedPolls {
                mark,
                failures,
                retry_at,
            },
        );
    }

    fn succeeded(&self, account: AccountId) {
        self.lock().remove(&account);
    }
}

/// The result of work that needs the account's lease.
#[derive(Debug)]
pub enum Leased<T> {
    Ran(T),
    /// Someone else (a full sync, another targeted run) holds the account.
    Busy,
}

/// Takes `account`'s side lease for a targeted run; `None` when someone holds it.
pub async fn take_side_lease(
    state: &AppState,
    account: AccountId,
) -> Result<Option<Lease>, SyncError> {
    let holder = format!("{}:targeted", state.config.instance_id);
    Ok(crate::lease::try_take(&state.store, account, &holder, state.config.lease).await?)
}

/// A targeted run of `ids` for `account` under its side lease, with the account's cached
/// client and "today" from the state's clock.
pub async fn run_targeted_now(
    state: &AppState,
    account: AccountId,
    ids: &BTreeSet<PersonKey>,
    source: TargetSource,
) -> Result<Leased<Option<SyncReport>>, SyncError> {
    let Some(lease) = take_side_lease(state, account).await? else {
        return Ok(Leased::Busy);
    };
    let work = targeted(state, &lease, ids, source);
    let out = with_lease_renewal(&state.store, &lease, state.config.lease, work).await;
    side_run_done(state, lease, out).await
}

/// After a run under a side lease: gives the lease back and tells the alerts how the
/// run went.
pub(crate) async fn side_run_done(
    state: &AppState,
    lease: Lease,
    out: Result<Option<SyncReport>, SyncError>,
) -> Result<Leased<Option<SyncReport>>, SyncError> {
    let account = lease.account();
    give_back(&state.store, lease).await;
    crate::alerts::after_run(
        state,
        account,
        crate::alerts::Origin::Targeted,
        out.as_ref().map(Option::as_ref),
    )
    .await;
    out.map(Leased::Ran)
}

async fn targeted(
    state: &AppState,
    lease: &Lease,
    ids: &BTreeSet<PersonKey>,
    source: TargetSource,
) -> Result<Option<SyncReport>, SyncError> {
    let account = lease.account();
    let acct = state.store.account_by_id(account).await?.ok_or_else(|| {
        SyncError::Store(StoreError::NotFound {
            what: format!("account {account}"),
        })
    })?;
    // A connected source is asked with the account's cached client; one that is not
    // (SCIM: what the identity provider pushed) reads what the store keeps.
    let given = if sources::of(&acct).connects {
        Given::Client(client_of(state, &acct).await?)
    } else {
        Given::nothing()
    };
    let options = SyncOptions {
        today: Some(state.today_in(&acct.time_zone)),
        unlimited_rate: !state.config.personio_rate_limit,
        ..SyncOptions::default()
    };
    let opened = Source::open(&state.store, &acct, given).await?;
    let scope = Scope::People { ids, from: source };
    run(&state.store, lease, &acct, opened, scope, &options).await
}

async fn account_and_client(
    state: &AppState,
    account: AccountId,
) -> Result<(staffsync_store::Account, std::sync::Arc<personio::Client>), SyncError> {
    let acct = state.store.account_by_id(account).await?.ok_or_else(|| {
        SyncError::Store(StoreError::NotFound {
            what: format!("account {account}"),
        })
    })?;
    let client = client_of(state, &acct).await?;
    Ok((acct, client))
}

async fn client_of(
    state: &AppState,
    acct: &staffsync_store::Account,
) -> Result<std::sync::Arc<personio::Client>, SyncError> {
    let connection = state
        .store
        .connection(acct.id)
        .await?
        .ok_or_else(|| SyncError::NotConnected(acct.slug.to_string()))?;
    state.client(acct.id, &connection)
}

/// One pass over every connected account: the date check, then the incremental poll.
/// Errors are logged per account; one account's failure does not stop the others.
pub async fn step(state: &AppState) {
    let accounts = match state.store.realtime_accounts().await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "could not list accounts for real-time sync");
            return;
        }
    };
    for ra in accounts {
        let account = ra.account_id;
        if let Err(e) = date_check(state, &ra).await {
            tracing::warn!(%account, error = %e, "date check failed; retried on a later tick");
        }
        if let Err(e) = poll(state, &ra).await {
            tracing::warn!(%account, error = %e, "incremental poll failed; retried after a backoff");
        }
    }
}

/// The date check of one account (see the module docs). Returns whether it ran.
pub async fn date_check(state: &AppState, ra: &RealtimeAccount) -> Result<bool, SyncError> {
    let account = ra.account_id;
    let Some(acct) = state.store.account_by_id(account).await? else {
        return Ok(false);
    };
    let today = state.today_in(&acct.time_zone);
    if ra.state.last_date_check == Some(today) {
        return Ok(false);
    }
    if let Leased::Busy = dates_now(state, &acct, today).await? {
        return Ok(false);
    }
    state.store.set_last_date_check(account, today).await?;
    Ok(true)
}

/// The date check of `acct` on `today` under its side lease: the hires and leavers due
/// ([`Scope::DueDates`], asked of the account's source), then the tenure step
/// ([`Scope::Tenure`], from the directory).
async fn dates_now(
    state: &AppState,
    acct: &staffsync_store::Account,
    today: time::Date,
) -> Result<Leased<()>, SyncError> {
    let Some(lease) = take_side_lease(state, acct.id).await? else {
        return Ok(Leased::Busy);
    };
    let store = &state.store;
    let options = SyncOptions {
        today: Some(today),
        unlimited_rate: !state.config.personio_rate_limit,
        ..SyncOptions::default()
    };
    let work = async {
        let dates = async {
            let opened = Source::open(store, acct, given(state, acct).await?).await?;
            run(
                store,
                &lease,
                acct,
                opened,
                Scope::DueDates(today),
                &options,
            )
            .await
        }
        .await;
        crate::alerts::after_run(
            state,
            acct.id,
            crate::alerts::Origin::Targeted,
            dates.as_ref().map(Option::as_ref),
        )
        .await;
        if let Some(report) = dates? {
            tracing::info!(account = %acct.slug, run = report.run_id.0, %today, "date check: hires starting and leavers gone");
        }
        let opened = Source::open(store, acct, Given::nothing()).await?;
        run(store, &lease, acct, opened, Scope::Tenure(today), &options).await
    };
    let out = with_lease_renewal(store, &lease, state.config.lease, work).await;
    give_back(store, lease).await;
    out.map(|_| Leased::Ran(()))
}

/// What a run of `acct` is given from the state: the cached client of a connected
/// source, nothing otherwise.
async fn given(
    state: &AppState,
    acct: &staffsync_store::Account,
) -> Result<Given<'static>, SyncError> {
    if !sources::of(acct).connects {
        return Ok(Given::nothing());
    }
    let connection = state
        .store
        .connection(acct.id)
        .await?
        .ok_or_else(|| SyncError::NotConnected(acct.slug.to_string()))?;
    Ok(Given::Client(state.client(acct.id, &connection)?))
}

/// The incremental poll of one account, when due (see the module docs). Returns whether
/// it ran.
pub async fn poll(state: &AppState, ra: &RealtimeAccount) -> Result<bool, SyncError> {
    poll_at(state, ra, OffsetDateTime::now_utc()).await
}

/// [`poll`] with the clock read by the caller (`now`: when it is due, and the watermark a
/// successful poll leaves).
pub async fn poll_at(
    state: &AppState,
    ra: &RealtimeAccount,
    now: OffsetDateTime,
) -> Result<bool, SyncError> {
    let interval = state.config.poll_interval;
    // A file account has nothing to poll: its people change with the next file.
    if interval.is_zero() || ra.has_webhook || !sources::kind(ra.source).polls {
        return Ok(false);
    }
    // Before the first full sync there is nothing to be incremental to.
    let Some(mark) = ra.state.last_incremental_at else {
        return Ok(false);
    };
    if now < mark + interval {
        return Ok(false);
    }
    let account = ra.account_id;
    if state
        .poll_backoff
        .retry_at(account, mark)
        .is_some_and(|at| now < at)
    {
        return Ok(false);
    }
    let Some(lease) = take_side_lease(state, account).await? else {
        return Ok(false);
    };
    let work = async {
        let (acct, client) = account_and_client(state, account).await?;
        let listing = crate::run::sendable(client.fetch_updated_since(mark - POLL_OVERLAP)).await?;
        metrics::counter!(crate::metric_names::PERSONIO_REQUESTS_TOTAL)
            .increment(listing.requests as u64);
        let ids: BTreeSet<PersonKey> = listing
            .employees
            .iter()
            .map(|e| e.id)
            .chain(listing.malformed.iter().filter_map(|m| m.id))
            .collect();
        if !ids.is_empty() {
            let options = SyncOptions {
                today: Some(state.today_in(&acct.time_zone)),
                unlimited_rate: !state.config.personio_rate_limit,
                ..SyncOptions::default()
            };
            let source = TargetSource::Records {
                employees: listing.employees,
                malformed: listing.malformed,
            };
            let opened = Source::open(&state.store, &acct, Given::Client(client)).await?;
            let scope = Scope::People {
                ids: &ids,
                from: source,
            };
            run(&state.store, &lease, &acct, opened, scope, &options).await?;
        }
        state
            .store
            // Read before the request: the next poll looks back from before this one asked.
            .set_last_incremental_at(account, now)
            .await?;
        Ok(())
    };
    let out = with_lease_renewal(&state.store, &lease, state.config.lease, work).await;
    give_back(&state.store, lease).await;
    match &out {
        Ok(()) => state.poll_backoff.succeeded(account),
        Err(_) => {
            // Logged by the caller; here only when to try again.
            let longest = state.config.sync_interval.min(MAX_POLL_BACKOFF);
            state
                .poll_backoff
                .failed(account, mark, now, interval, longest);
        }
    }
    out.map(|()| true)
}
