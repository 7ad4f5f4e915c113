//! The Personio source: a full run fetches the whole listing (`Client::fetch_all_with`)
//! and plans it, each record prepared for the planner as its page arrives; a few people
//! are fetched by id (`Client::fetch_people`: webhooks, the date check's due people) or
//! taken from an incremental poll's records.
//!
//! It must never plan from a listing that is not complete (the client returns `Ok` only
//! for a complete, consistent listing), and never plan when the credential can no longer
//! read a mandatory attribute: applying what it lists would blank that field for everybody.

use super::{AfterApply, Given, Planned};
use crate::metric_names;
use crate::run::{
    ProgressFn, Recorder, Scope, SyncError, SyncOptions, TargetSource, accepted_removals,
    plan_scoped, sendable, today_and_policy, with_kept,
};
use personio::{Client, ClientConfig, PersonioId};
use staffsync_core::{DirectoryEmployee, PersonKey, Snapshot, SourceEmployee, planner};
use staffsync_store::{Account, Connection, Store};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use time::{Date, OffsetDateTime};

/// A Personio account's source, opened for one run.
pub struct PersonioSource<'a> {
    connection: Connection,
    /// The account's cached client (the real-time side), else one is made for the run.
    client: Option<Arc<Client>>,
    progress: ProgressFn<'a>,
}

impl std::fmt::Debug for PersonioSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonioSource")
            .field("base_url", &self.connection.base_url)
            .field("cached_client", &self.client.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> PersonioSource<'a> {
    /// Opens the source of `account` (which must be connected).
    pub(super) async fn open(
        store: &Store,
        account: &Account,
        given: Given<'a>,
    ) -> Result<PersonioSource<'a>, SyncError> {
        let connection = store
            .connection(account.id)
            .await?
            .ok_or_else(|| SyncError::NotConnected(account.slug.to_string()))?;
        let (client, progress): (_, ProgressFn<'a>) = match given {
            Given::Nothing { progress } => (None, progress),
            Given::Client(client) => (Some(client), &|_, _| {}),
            Given::File(_) => return Err(SyncError::PersonioAccount(account.slug.to_string())),
        };
        Ok(PersonioSource {
            connection,
            client,
            progress,
        })
    }

    pub(super) async fn read(
        self,
        store: &Store,
        account: &Account,
        scope: Scope<'_>,
        options: &SyncOptions,
        recorder: &mut Recorder<'_>,
    ) -> Result<Option<Planned>, SyncError> {
        let client = match self.client {
            Some(c) => c,
            None => Arc::new(client_for(
                &self.connection,
                options.unlimited_rate,
                options.ip_budget.as_ref(),
            )?),
        };
        match scope {
            Scope::Everyone => {
                let planned = plan_full(
                    store,
                    account,
                    &self.connection,
                    &client,
                    options,
                    self.progress,
                )
                .await?;
                Ok(Some(planned))
            }
            Scope::People { ids, from } => {
                let today = today_and_policy(account, options, None).0;
                let snapshot = match from {
                    TargetSource::Records {
                        employees,
                        malformed,
                    } => {
                        // Unrecorded if this fails: polls leave no trace unless they change
                        // something (the failure is logged and the poll retried later).
                        let readable = readable_mandatory(&client, None).await?;
                        let scope: BTreeSet<PersonKey> = employees
                            .iter()
                            .map(|e| e.id)
                            .chain(malformed.iter().filter_map(|m| m.id))
                            .filter(|id| ids.contains(id))
                            .collect();
                        Snapshot {
                            employees,
                            malformed,
                            readable_attributes: readable,
                            // The listing holds complete records of everyone in the scope.
                            complete: true,
                            scope: Some(scope),
                        }
                    }
                    TargetSource::Fetch => fetched(&client, ids, recorder).await?,
                };
                plan_scoped(store, account, &snapshot, today)
                    .await
                    .map(Some)
            }
            Scope::DueDates(today) => {
                let ids = due(store, account, today).await?;
                if ids.is_empty() {
                    return Ok(None);
                }
                tracing::info!(people = ids.len(), %today, "date check: hires starting and leavers gone");
                let snapshot = fetched(&client, &ids, recorder).await?;
                plan_scoped(store, account, &snapshot, today)
                    .await
                    .map(Some)
            }
            // The pipeline plans tenure from the directory; Personio is not asked.
            Scope::Tenure(_) => Ok(None),
        }
    }
}

/// The people of a Personio account due on `today`: leavers whose termination date has
/// passed and known future hires whose hire date has come.
async fn due(
    store: &Store,
    account: &Account,
    today: Date,
) -> Result<BTreeSet<PersonKey>, SyncError> {
    let mut ids: BTreeSet<PersonKey> = store
        .directory(account.id)
        .await?
        .iter()
        .filter(|d| d.termination_date.is_some_and(|t| t < today))
        .map(|d| d.key)
        .collect();
    ids.extend(
        store
            .pending_hires(account.id)
            .await?
            .into_iter()
            .filter(|(_, hire)| *hire <= today)
            .map(|(id, _)| id),
    );
    Ok(ids)
}

/// Asks Personio for exactly `ids` (the run is recorded from here) and makes the scoped
/// snapshot of what it accounted for: found, gone (removed) or malformed (kept as they
/// are).
async fn fetched(
    client: &Client,
    ids: &BTreeSet<PersonKey>,
    recorder: &mut Recorder<'_>,
) -> Result<Snapshot, SyncError> {
    recorder.asking().await?;
    let readable = readable_mandatory(client, None).await?;
    // A Personio account's people are keyed by their Personio ids (see PersonioId::key).
    let wanted: Vec<PersonioId> = ids.iter().copied().map(PersonioId::of_key).collect();
    let fetched = sendable(client.fetch_people(&wanted)).await?;
    metrics::counter!(metric_names::PERSONIO_REQUESTS_TOTAL).increment(fetched.requests as u64);
    let scope: BTreeSet<PersonKey> = fetched
        .found
        .iter()
        .map(|e| e.id)
        .chain(fetched.gone.iter().copied().map(PersonioId::key))
        .chain(fetched.malformed.iter().filter_map(|m| m.id))
        .filter(|id| ids.contains(id))
        .collect();
    Ok(Snapshot {
        employees: fetched.found,
        malformed: fetched.malformed,
        readable_attributes: readable,
        complete: true,
        scope: Some(scope),
    })
}

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
async fn plan_full(
    store: &Store,
    account: &Account,
    connection: &Connection,
    client: &Client,
    options: &SyncOptions,
    progress: ProgressFn<'_>,
) -> Result<Planned, SyncError> {
    let fetch_started = OffsetDateTime::now_utc();
    let stored = Some((store, account.id, connection));
    let readable = readable_mandatory(client, stored).await?;
    let accepted = accepted_removals(store, account, options).await?;
    let (today, mut policy) = today_and_policy(account, options, accepted);
    with_kept(store, account, &mut policy).await?;
    // Each record is prepared for the planner as its page arrives and the raw record is
    // dropped, so the listing is never held twice (raw and normalized), and compared with
    // the stored directory: an unchanged person's record is not built at all (most of a
    // re-sync's planning work and memory). The directory is read beside the download: the
    // records that arrive before it is read wait as they came (`Waiting`) and are
    // prepared as soon as the part of it up to their key is in (it is read in key
    // order). Read before the first page instead, it added its whole time (0.7–1.0 s at
    // 100,000 people on SQLite) to every re-sync; waiting for all of it, a third of the
    // listing waited in full. A stale directory cannot be applied against: a newer run
    // interrupts this one (`Store::start_run`) and an interrupted run's plan is refused
    // by `apply_plan`.
    let rules = planner::Rules::new(&readable, &policy, today);
    let read = std::sync::OnceLock::<Arc<planner::KnownDirectory>>::new();
    let waiting = Waiting::default();
    let prepare = |e: SourceEmployee| match read.get() {
        Some(directory) => Early::Ready(prepare_known(&e, &rules, directory)),
        None => waiting.hold(e),
    };
    let directory = async {
        let people = store
            .directory_with(account.id, |so_far| waiting.prepare_within(&rules, so_far))
            .await?;
        let directory = Arc::new(planner::KnownDirectory::new(people));
        // Only this future sets it, once; what arrived before is prepared now.
        let _ = read.set(Arc::clone(&directory));
        waiting.prepare_against(&rules, &directory);
        Ok::<_, SyncError>(directory)
    };
    let listing = async {
        let fetch = client.fetch_all_with(
            |p| progress(p.employees_done, Some(p.employees_total)),
            prepare,
        );
        Ok::<_, SyncError>(sendable(fetch).await?)
    };
    // Both run to their end, even when one fails: with `try_join!`, which drops the
    // store's read half-way when the listing fails first, the account's next runs failed
    // too (the scheduler's retry test failed 2 of 7 runs).
    let (directory, listing) = futures::join!(directory, listing);
    let (directory, listing) = (directory?, listing?);
    drop(waiting);
    let listing = listing.map(|early| early.prepared(&rules, &directory));

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
        import: None,
    })
}

/// A listed record as the listing hands it over: prepared against the stored directory,
/// or waiting for the directory, which is read beside the download (see `plan_full`).
enum Early {
    Ready(planner::Prepared),
    Waiting(Arc<Mutex<Slot>>),
}

/// A waiting record: as it came until the directory has been read, then prepared (its
/// raw record dropped).
enum Slot {
    Raw(Box<SourceEmployee>),
    Prepared(planner::Prepared),
}

impl Slot {
    /// Prepares the record against `stored` (its directory record, if any) unless that
    /// was done already.
    fn settle(&mut self, rules: &planner::Rules, stored: Option<&DirectoryEmployee>) {
        if let Slot::Raw(e) = self {
            *self = Slot::Prepared(planner::prepare_against(e, rules, stored));
        }
    }
}

impl Early {
    fn prepared(
        self,
        rules: &planner::Rules,
        directory: &planner::KnownDirectory,
    ) -> planner::Prepared {
        match self {
            Early::Ready(prepared) => prepared,
            Early::Waiting(slot) => match &*lock(&slot) {
                Slot::Prepared(prepared) => prepared.clone(),
                // Held after the read had prepared the others (a page mapped on
                // another thread meanwhile): prepared here.
                Slot::Raw(e) => prepare_known(e, rules, directory),
            },
        }
    }
}

/// The records still waiting for the directory, by key: each prepared as soon as the
/// directory is read up to its key, the rest when all of it is, so they are not held in
/// full until the listing ends (held to the end, they raised the peak of a no-change
/// re-sync of 100,000 people by 11 MB, above its first sync's; held until the whole
/// directory was in, a third of the listing waited, the re-sync's peak).
#[derive(Default)]
struct Waiting(Mutex<Vec<(PersonKey, Arc<Mutex<Slot>>)>>);

impl Waiting {
    fn hold(&self, e: SourceEmployee) -> Early {
        let key = e.id;
        let slot = Arc::new(Mutex::new(Slot::Raw(Box::new(e))));
        lock(&self.0).push((key, Arc::clone(&slot)));
        Early::Waiting(slot)
    }

    /// Prepares the records whose key `so_far` covers: everyone stored up to its last key,
    /// in key order (`Store::directory_with`), so a key not in it is nobody's yet.
    fn prepare_within(&self, rules: &planner::Rules, so_far: &[DirectoryEmployee]) {
        let Some(last) = so_far.last().map(|d| d.key) else {
            return;
        };
        lock(&self.0).retain(|(key, slot)| {
            if *key > last {
                return true;
            }
            let stored = so_far
                .binary_search_by_key(key, |d| d.key)
                .ok()
                .map(|i| &so_far[i]);
            lock(slot).settle(rules, stored);
            false
        });
    }

    fn prepare_against(&self, rules: &planner::Rules, directory: &planner::KnownDirectory) {
        let held = std::mem::take(&mut *lock(&self.0));
        for (key, slot) in held {
            lock(&slot).settle(rules, directory.get(key));
        }
    }
}

/// A lock that a panic elsewhere does not poison for us: the data is only ever replaced
/// whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn prepare_known(
    e: &SourceEmployee,
    rules: &planner::Rules,
    directory: &planner::KnownDirectory,
) -> planner::Prepared {
    planner::prepare_against(e, rules, directory.get(e.id))
}

/// The attributes the credential may read now, checked: a mandatory attribute that is
/// no longer readable (un-ticked in Personio) fails the run before anything is planned,
/// naming the attribute and where to tick it. Recommended ones only warn (the planner
/// says which rules they weaken). With `stored` (a full run: the store, the account and
/// what it last recorded), a changed list is recorded first, even when the check then
/// fails, so the Integration page shows which tick went missing; and so are changed
/// labels (settings name custom attributes by them).
pub(crate) async fn readable_mandatory(
    client: &Client,
    stored: Option<(&Store, staffsync_store::AccountId, &Connection)>,
) -> Result<BTreeSet<String>, SyncError> {
    let attributes = client.attributes().await?;
    if let Some((store, account, recorded)) = stored {
        if !attributes
            .iter()
            .map(|a| &a.key)
            .eq(recorded.readable_attributes.iter())
        {
            let keys: Vec<String> = attributes.iter().map(|a| a.key.clone()).collect();
            store.set_readable_attributes(account, &keys).await?;
        }
        let labels = crate::connect::labels_of(&attributes);
        if labels != recorded.attribute_labels {
            store.set_attribute_labels(account, &labels).await?;
        }
    }
    personio::check_mandatory(&attributes)?;
    Ok(attributes.into_iter().map(|a| a.key).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use staffsync_core::{EmploymentStatus, OrgUnit, Plan, Policy};

    fn listed(key: i64) -> SourceEmployee {
        let mut e = SourceEmployee::new(PersonKey(key));
        e.first_name = Some(format!("First{key}"));
        e.last_name = Some(format!("Last{key}"));
        e.email = Some(format!("p{key}@example.com"));
        e.status = Some(EmploymentStatus::Active);
        e.department = Some(OrgUnit {
            id: None,
            name: "Sales".into(),
        });
        e
    }

    fn prepared(early: &Early) -> planner::Prepared {
        match early {
            Early::Waiting(slot) => match &*lock(slot) {
                Slot::Prepared(p) => p.clone(),
                Slot::Raw(e) => panic!("{} still waits", e.id),
            },
            Early::Ready(_) => panic!("not held"),
        }
    }

    fn waits(early: &Early) -> bool {
        matches!(early, Early::Waiting(slot) if matches!(&*lock(slot), Slot::Raw(_)))
    }

    /// A record waiting for the directory is prepared once the directory is read up to its
    /// key, against its stored record or, not stored, against nobody; one beyond waits.
    #[test]
    fn waiting_records_are_prepared_as_the_directory_comes_in() {
        let today = time::macros::date!(2026 - 12 - 06);
        let readable: BTreeSet<String> = ["first_name", "last_name", "email", "status"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let policy = Policy::default();
        let rules = planner::Rules::new(&readable, &policy, today);
        // Stored: 2, 4 and 6, as a first run of them made them.
        let stored: Vec<DirectoryEmployee> = {
            let snapshot = Snapshot {
                employees: [2, 4, 6].map(listed).to_vec(),
                malformed: Vec::new(),
                readable_attributes: readable.clone(),
                complete: true,
                scope: None,
            };
            let plan: Plan = planner::plan(&[], &snapshot, &policy, today);
            plan.creates
        };
        assert_eq!(stored.len(), 3);
        let against = |key: i64, stored: Option<&DirectoryEmployee>| {
            planner::prepare_against(&listed(key), &rules, stored)
        };
        // Stored or not makes a difference, so the test sees which one was used.
        assert_ne!(against(4, Some(&stored[1])), against(4, None));

        let waiting = Waiting::default();
        let held: Vec<(i64, Early)> = [6, 3, 4, 7, 2]
            .into_iter()
            .map(|key| (key, waiting.hold(listed(key))))
            .collect();
        // Read up to key 4 (people 2 and 4): 2, 3 and 4 are prepared, 6 and 7 wait.
        waiting.prepare_within(&rules, &stored[..2]);
        for (key, early) in &held {
            match key {
                2 => assert_eq!(prepared(early), against(2, Some(&stored[0]))),
                3 => assert_eq!(prepared(early), against(3, None)),
                4 => assert_eq!(prepared(early), against(4, Some(&stored[1]))),
                _ => assert!(waits(early), "{key} was prepared before its part was read"),
            }
        }
        // Nothing read yet prepares nothing.
        waiting.prepare_within(&rules, &[]);
        assert!(waits(&held[0].1));
        // The whole directory: the rest.
        let directory = planner::KnownDirectory::new(stored.clone());
        waiting.prepare_against(&rules, &directory);
        assert_eq!(prepared(&held[0].1), against(6, Some(&stored[2])));
        assert_eq!(prepared(&held[3].1), against(7, None));
    }
}
