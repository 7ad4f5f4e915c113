//! The Personio source: a full run fetches the whole listing (`Client::fetch_all_with`)
//! and plans it, each record prepared for the planner as its page arrives.
//!
//! It must never plan from a listing that is not complete (the client returns `Ok` only
//! for a complete, consistent listing), and never plan when the credential can no longer
//! read a mandatory attribute: applying what it lists would blank that field for everybody.

use super::{AfterApply, Planned};
use crate::metric_names;
use crate::sync_job::{
    ProgressFn, SyncError, SyncOptions, accepted_removals, sendable, today_and_policy,
};
use personio::{Client, ClientConfig};
use staffsync_core::{SourceEmployee, planner};
use staffsync_store::{Account, Connection, Store, StoreError};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use time::OffsetDateTime;

/// Builds a Personio client for a stored connection.
pub fn client_for(
    connection: &Connection,
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

/// Fetches the whole listing from Personio and plans it (see the module docs).
pub async fn plan_full(
    store: &Store,
    account: &Account,
    connection: &Connection,
    options: &SyncOptions,
    progress: ProgressFn<'_>,
) -> Result<Planned, SyncError> {
    let fetch_started = OffsetDateTime::now_utc();
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
    metrics::counter!(metric_names::PERSONIO_REQUESTS_TOTAL).increment(listing.requests as u64);
    metrics::counter!(metric_names::PERSONIO_RATE_LIMITED_TOTAL)
        .increment(listing.rate_limited as u64);
    let fetched = listing.employees.len();
    let snapshot = planner::PreparedSnapshot {
        records: listing.employees,
        malformed: listing.malformed,
        // fetch_all returns Ok only for a complete, consistent listing.
        complete: true,
        scope: None,
        rules,
    };
    Ok(Planned {
        fetched,
        today,
        plan: planner::plan_prepared(directory.people(), snapshot),
        after: AfterApply::Personio { fetch_started },
    })
}

/// The attributes the credential may read now, checked: a mandatory attribute that is
/// no longer readable (un-ticked in Personio) fails the run before anything is planned,
/// naming the attribute and where to tick it. Recommended ones only warn (the planner
/// says which rules they weaken). With `stored` (a full run: the store, the account and
/// what it last recorded), a changed list is recorded first, even when the check then
/// fails, so the Integration page shows which tick went missing.
pub(crate) async fn readable_mandatory(
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
