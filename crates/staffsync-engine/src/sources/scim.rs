//! The SCIM source: the users an identity provider (Microsoft Entra ID, Okta) pushed to
//! the account's SCIM endpoint, as the store keeps them (`Store::scim_users`), are the
//! whole company; an active user is a person, a deactivated or deleted one is not.
//!
//! Each active user becomes the planner's [`SourceEmployee`] ([`to_source`]): its id is
//! the person key the store keeps for the user's SCIM id (`import_keys`, handed out as
//! for a file's `ImportId`s; a dry run gets provisional keys and stores none). The
//! mapping (docs/scim.md):
//!
//! | SCIM | directory |
//! |---|---|
//! | `name.givenName`, `name.familyName` | first and last name |
//! | the primary work e-mail (else the first work, primary or any e-mail, else a `userName` that is an address) | e-mail |
//! | `title` | position |
//! | enterprise `department` | department |
//! | enterprise `organization` | subcompany |
//! | enterprise `costCenter` | cost center |
//! | enterprise `division` | team |
//! | the work address' `locality` (else the primary or first address') | office |
//! | enterprise `manager.value` (a user's SCIM id) | supervisor |
//! | other single-valued attributes of the core schema, the enterprise extension and custom extensions | custom attributes by their name |
//! | the `displayName` of each SCIM Group the user is a member of | an `idp_group` group |
//!
//! A write through the endpoint is stored and answered at once; [`written`] queues its
//! users (for a Group write: the members it added, removed or renamed) for a targeted run after the debounce (`--webhook-debounce`, as for Personio
//! webhooks), which plans them like any run: scope rules, the deletion guard (a burst
//! of deactivations is held for review; the identity provider's answers stay 2xx), the
//! feed, outgoing webhooks, alerts.
//!
//! This module must never contact Personio, apply a plan itself, or name a person by
//! anything but the key the store handed out for their SCIM id.

use super::{AfterApply, Planned};
use crate::realtime::{Leased, run_targeted_now};
use crate::run::{
    Scope, SyncError, SyncOptions, TargetSource, accepted_removals, plan_scoped, today_and_policy,
    with_kept,
};
use crate::state::AppState;
use serde_json::{Map, Value};
use staffsync_core::{
    CostCenter, EmploymentStatus, ExtraAttribute, OrgUnit, PersonKey, Snapshot, SourceEmployee,
    planner,
};
use staffsync_store::{Account, AccountId, ScimUser, Store};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The schema of SCIM's core User resource.
pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The schema of SCIM's core Group resource.
pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The planner's fields a SCIM user fills (what settings may name besides the custom
/// attributes pushed).
pub const STANDARD_FIELDS: [&str; 12] = [
    "first_name",
    "last_name",
    "email",
    "status",
    "position",
    "department",
    "office",
    "team",
    "subcompany",
    "cost_centers",
    "hire_date",
    "termination_date",
];

/// Core and enterprise attributes that fill a field of their own (or are the
/// protocol's), so they are not kept again as custom attributes.
const MAPPED: [&str; 16] = [
    "id",
    "externalId",
    "userName",
    "name",
    "emails",
    "title",
    "addresses",
    "active",
    "schemas",
    "meta",
    "groups",
    "password",
    "department",
    "organization",
    "costCenter",
    "division",
];

/// A SCIM account's source, opened for one run: everything is in the store.
#[derive(Debug)]
pub struct ScimSource;

impl ScimSource {
    pub(super) async fn read(
        self,
        store: &Store,
        account: &Account,
        scope: Scope<'_>,
        options: &SyncOptions,
    ) -> Result<Option<Planned>, SyncError> {
        match scope {
            Scope::Everyone => plan_everyone(store, account, options).await.map(Some),
            Scope::People { ids, .. } => {
                let today = today_and_policy(account, options, None).0;
                let (employees, readable) = listing(store, account, options.dry_run).await?;
                let employees: Vec<SourceEmployee> = employees
                    .into_iter()
                    .filter(|e| ids.contains(&e.id))
                    .collect();
                let snapshot = Snapshot {
                    employees,
                    malformed: Vec::new(),
                    readable_attributes: readable,
                    // Every user in the scope is in the store or gone: one that is not
                    // listed is deactivated or deleted, and leaves.
                    complete: true,
                    scope: Some(ids.clone()),
                };
                plan_scoped(store, account, &snapshot, today)
                    .await
                    .map(Some)
            }
            // Nothing is dated: the identity provider says when someone starts or leaves.
            Scope::DueDates(_) | Scope::Tenure(_) => Ok(None),
        }
    }
}

/// Every active user as the planner's record, with the attributes settings may name.
async fn listing(
    store: &Store,
    account: &Account,
    dry_run: bool,
) -> Result<(Vec<SourceEmployee>, BTreeSet<String>), SyncError> {
    let users: Vec<ScimUser> = store
        .scim_users(account.id)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let keys = if dry_run {
        store.provisional_import_keys(account.id, &ids).await?
    } else {
        store.allocate_import_keys(account.id, &ids).await?
    };
    let keys: HashMap<String, PersonKey> = ids.into_iter().map(str::to_owned).zip(keys).collect();
    let mut readable: BTreeSet<String> = STANDARD_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let kind: Arc<str> = Arc::from("standard");
    // Each person's groups of the identity provider (`idp_group` groups), by displayName.
    let mut groups = store.scim_group_names_by_user(account.id).await?;
    let employees: Vec<SourceEmployee> = users
        .iter()
        .filter_map(|u| {
            let mut e = to_source(u, &keys, &kind)?;
            e.idp_groups = groups.remove(&u.id).unwrap_or_default();
            Some(e)
        })
        .inspect(|e| readable.extend(e.attributes.iter().map(|a| a.key.to_string())))
        .collect();
    Ok((employees, readable))
}

async fn plan_everyone(
    store: &Store,
    account: &Account,
    options: &SyncOptions,
) -> Result<Planned, SyncError> {
    let (employees, readable) = listing(store, account, options.dry_run).await?;
    let accepted = accepted_removals(store, account, options).await?;
    let (today, mut policy) = today_and_policy(account, options, accepted);
    // People an admin kept by rejecting a review stay, as for every source.
    with_kept(store, account, &mut policy).await?;
    let directory = store.directory(account.id).await?;
    let snapshot = Snapshot {
        employees,
        malformed: Vec::new(),
        readable_attributes: readable,
        complete: true,
        scope: None,
    };
    let plan = planner::plan(&directory, &snapshot, &policy, today);
    Ok(Planned {
        fetched: snapshot.employees.len(),
        today,
        plan,
        after: AfterApply::Nothing,
        import: None,
    })
}

/// A text value: a string, or a number or boolean as text; `None` for anything else
/// and for blank strings.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The attribute `name` of `object`, its name compared ignoring case (SCIM attribute
/// names are case-insensitive).
pub fn field<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Whether a multi-valued entry (`emails`, `addresses`) has `type` `kind`.
fn of_type(entry: &Value, kind: &str) -> bool {
    entry
        .as_object()
        .and_then(|o| text(field(o, "type")))
        .is_some_and(|t| t.eq_ignore_ascii_case(kind))
}

/// Whether a multi-valued entry is marked primary (`true` or, as Entra sends, `"True"`).
fn primary(entry: &Value) -> bool {
    entry
        .as_object()
        .and_then(|o| field(o, "primary"))
        .is_some_and(|p| match p {
            Value::Bool(b) => *b,
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            _ => false,
        })
}

/// The entry of a multi-valued attribute that counts: primary and work, else work, else
/// primary, else the first.
fn preferred(entries: &[Value]) -> Option<&Value> {
    entries
        .iter()
        .find(|e| primary(e) && of_type(e, "work"))
        .or_else(|| entries.iter().find(|e| of_type(e, "work")))
        .or_else(|| entries.iter().find(|e| primary(e)))
        .or_else(|| entries.first())
}

fn entries<'v>(resource: &'v Map<String, Value>, name: &str) -> &'v [Value] {
    field(resource, name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The user's e-mail: the preferred entry of `emails`, else a `userName` that is an
/// address.
pub fn email_of(resource: &Map<String, Value>) -> Option<String> {
    preferred(entries(resource, "emails"))
        .and_then(Value::as_object)
        .and_then(|e| text(field(e, "value")))
        .or_else(|| text(field(resource, "userName")).filter(|u| u.contains('@')))
}

/// One stored user as the planner's record (see the module docs); `None` for a user
/// without a key (cannot happen: every active user gets one) or whose resource is not
/// an object.
pub fn to_source(
    user: &ScimUser,
    keys: &HashMap<String, PersonKey>,
    kind: &Arc<str>,
) -> Option<SourceEmployee> {
    let resource = user.resource.as_object()?;
    let mut e = SourceEmployee::new(*keys.get(&user.id)?);
    let name = field(resource, "name").and_then(Value::as_object);
    e.first_name = name.and_then(|n| text(field(n, "givenName")));
    e.last_name = name.and_then(|n| text(field(n, "familyName")));
    e.email = email_of(resource);
    e.status = Some(EmploymentStatus::Active);
    e.position = text(field(resource, "title"));
    let unit = |name: Option<String>| name.map(|name| OrgUnit { id: None, name });
    e.office = unit(
        preferred(entries(resource, "addresses"))
            .and_then(Value::as_object)
            .and_then(|a| text(field(a, "locality"))),
    );
    let attribute = |key: &str, value: String| ExtraAttribute {
        key: Arc::from(key),
        label: Arc::from(key),
        kind: Arc::clone(kind),
        universal_id: None,
        value: Some(value),
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut keep = |e: &mut SourceEmployee, key: &str, value: Option<String>| {
        if let Some(value) = value
            && seen.insert(key.to_lowercase())
        {
            e.attributes.push(attribute(key, value));
        }
    };
    for (key, value) in resource {
        if key.starts_with("urn:") || MAPPED.iter().any(|m| m.eq_ignore_ascii_case(key)) {
            continue;
        }
        keep(&mut e, key, text(Some(value)));
    }
    if let Some(enterprise) = field(resource, ENTERPRISE_USER).and_then(Value::as_object) {
        e.department = unit(text(field(enterprise, "department")));
        e.subcompany = unit(text(field(enterprise, "organization")));
        e.team = unit(text(field(enterprise, "division")));
        e.cost_centers = text(field(enterprise, "costCenter"))
            .map(|name| CostCenter {
                id: None,
                name,
                percentage: None,
            })
            .into_iter()
            .collect();
        e.supervisor_id = field(enterprise, "manager")
            .and_then(|m| match m {
                Value::Object(o) => text(field(o, "value")),
                other => text(Some(other)),
            })
            .and_then(|id| keys.get(&id).copied());
        for (key, value) in enterprise {
            if key.eq_ignore_ascii_case("manager")
                || MAPPED.iter().any(|m| m.eq_ignore_ascii_case(key))
            {
                continue;
            }
            keep(&mut e, key, text(Some(value)));
        }
    }
    // Custom extension schemas: their single-valued attributes by name.
    for (schema, value) in resource {
        if !schema.starts_with("urn:")
            || schema.eq_ignore_ascii_case(ENTERPRISE_USER)
            || schema.eq_ignore_ascii_case(CORE_USER)
        {
            continue;
        }
        if let Some(extension) = value.as_object() {
            for (key, value) in extension {
                keep(&mut e, key, text(Some(value)));
            }
        }
    }
    Some(e)
}

/// What a deactivated user's resource keeps: only what the identity provider needs to
/// find it again (`externalId`, `userName`, `active`; the id is the row's). The person
/// leaves the directory like a leaver, so nothing else about them stays; re-activation
/// brings them back once the identity provider sends their attributes again (Entra and
/// Okta compare what `GET` answers with what they hold, and send the difference).
pub fn kept_when_inactive(resource: &Map<String, Value>) -> Map<String, Value> {
    ["schemas", "externalId", "userName"]
        .into_iter()
        .filter_map(|name| {
            resource
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| (name.to_owned(), v.clone()))
        })
        .chain([("active".to_owned(), Value::Bool(false))])
        .collect()
}

/// SCIM writes waiting for their targeted run, per account (in memory, per process):
/// the users written and the labels of the tokens that wrote them.
#[derive(Debug, Default)]
pub struct Pending(Mutex<HashMap<AccountId, Batch>>);

#[derive(Debug, Default)]
struct Batch {
    ids: BTreeSet<String>,
    by: BTreeSet<String>,
}

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, Batch>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `ids` written by `by`; `true` when the account had nothing queued (the
    /// caller starts the debounce).
    fn push(
        &self,
        account: AccountId,
        ids: impl IntoIterator<Item = String>,
        by: impl IntoIterator<Item = String>,
    ) -> bool {
        let mut pending = self.lock();
        let fresh = !pending.contains_key(&account);
        let batch = pending.entry(account).or_default();
        batch.ids.extend(ids);
        batch.by.extend(by);
        fresh
    }

    fn take(&self, account: AccountId) -> Batch {
        self.lock().remove(&account).unwrap_or_default()
    }
}

/// A full run of what the identity provider pushed, under the account's lease, now:
/// everyone the store holds is planned (people it no longer holds leave, through the
/// deletion guard). With `accept_held`, exactly that held run's removals may go (an
/// admin reviewed them). `Busy` when a run holds the account.
pub async fn reconcile(
    state: &AppState,
    account: AccountId,
    accept_held: Option<staffsync_store::RunId>,
) -> Result<Leased<Option<crate::run::SyncReport>>, SyncError> {
    state
        .store
        .ensure_schedule(account, time::OffsetDateTime::now_utc())
        .await?;
    let Some(lease) = crate::realtime::take_side_lease(state, account).await? else {
        return Ok(Leased::Busy);
    };
    let work = async {
        let acct = state.store.account_by_id(account).await?.ok_or_else(|| {
            SyncError::Store(staffsync_store::StoreError::NotFound {
                what: format!("account {account}"),
            })
        })?;
        let options = SyncOptions {
            accept_held,
            today: Some(state.today_in(&acct.time_zone)),
            ..SyncOptions::default()
        };
        let source = super::Source::open(&state.store, &acct, super::Given::nothing()).await?;
        crate::run::run(
            &state.store,
            &lease,
            &acct,
            source,
            Scope::Everyone,
            &options,
        )
        .await
    };
    let out =
        crate::lease::with_lease_renewal(&state.store, &lease, state.config.lease, work).await;
    crate::realtime::side_run_done(state, lease, out).await
}

/// Tries of a targeted run that fails before the write waits for the next one.
const ATTEMPTS: u32 = 3;

/// The identity provider, with the token labelled `by`, wrote the users `ids` of
/// `account` (created, changed, deactivated or deleted them): a targeted run of them
/// follows once the writes settle, recorded as started by `scim:<label>`. Returns at
/// once.
pub fn written(
    state: &AppState,
    account: AccountId,
    ids: impl IntoIterator<Item = String>,
    by: &str,
) {
    if state.scim_pending.push(account, ids, [by.to_owned()]) {
        tokio::spawn(drain(state.clone(), account));
    }
}

/// Waits out the debounce, then runs the account's queued users.
async fn drain(state: AppState, account: AccountId) {
    let debounce = state.config.webhook_debounce;
    tokio::time::sleep(debounce).await;
    // The lease lives in the account's schedule row, which an account that is never
    // connected gets on its first run (the scheduler leaves it alone all the same).
    if let Err(e) = state
        .store
        .ensure_schedule(account, time::OffsetDateTime::now_utc())
        .await
    {
        tracing::warn!(%account, error = %e, "SCIM: cannot prepare the account's lease");
        return;
    }
    let wait = debounce.max(Duration::from_millis(500));
    let mut failures = 0;
    loop {
        // Taken anew on each try: writes that came in while the account was busy join.
        let batch = state.scim_pending.take(account);
        let keys = match keys_of(&state.store, account, &batch.ids).await {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(%account, error = %e, "SCIM: cannot read the written users");
                return;
            }
        };
        if keys.is_empty() {
            return;
        }
        match run_targeted_now(&state, account, &keys, TargetSource::Fetch).await {
            Ok(Leased::Ran(report)) => {
                if let Some(report) = report {
                    let by: Vec<String> = batch.by.iter().map(|l| format!("scim:{l}")).collect();
                    if let Err(e) = state
                        .store
                        .set_run_started_by(account, report.run_id, &by.join(", "))
                        .await
                    {
                        tracing::warn!(%account, error = %e, "SCIM: cannot record who wrote the run's changes");
                    }
                }
                return;
            }
            // A run holds the account: try again, with what came in meanwhile.
            Ok(Leased::Busy) => {
                state.scim_pending.push(account, batch.ids, batch.by);
                tokio::time::sleep(wait).await;
            }
            Err(e) => {
                failures += 1;
                if failures >= ATTEMPTS {
                    tracing::warn!(%account, error = %e, "SCIM: targeted run failed; the next write runs them again");
                    return;
                }
                state.scim_pending.push(account, batch.ids, batch.by);
                tokio::time::sleep(wait * failures).await;
            }
        }
    }
}

/// The person keys a run of the written users `ids` plans: each user's (a new active
/// user gets one now; a deleted or deactivated one keeps the one they had, if any) and
/// those of the active users whose manager is one of them (their supervisor link may
/// have changed with them).
async fn keys_of(
    store: &Store,
    account: AccountId,
    ids: &BTreeSet<String>,
) -> Result<BTreeSet<PersonKey>, staffsync_store::StoreError> {
    if ids.is_empty() {
        return Ok(BTreeSet::new());
    }
    let users = store.scim_users(account).await?;
    let reports = users.iter().filter(|u| {
        u.active
            && u.resource
                .get(ENTERPRISE_USER)
                .and_then(|x| x.get("manager"))
                .and_then(|m| m.get("value").or(Some(m)))
                .and_then(Value::as_str)
                .is_some_and(|m| ids.contains(m))
    });
    let active: Vec<&str> = users
        .iter()
        .filter(|u| u.active && ids.contains(&u.id))
        .chain(reports)
        .map(|u| u.id.as_str())
        .collect();
    let mut keys: BTreeSet<PersonKey> = store
        .allocate_import_keys(account, &active)
        .await?
        .into_iter()
        .collect();
    // Deleted and deactivated users keep the key they had until their person is erased.
    // One write looks its key up; a batch reads the account's mapping once.
    match ids.first() {
        Some(only) if ids.len() == 1 => keys.extend(store.import_key(account, only).await?),
        _ => keys.extend(
            store
                .import_ids(account)
                .await?
                .into_iter()
                .filter(|(_, id)| ids.contains(id))
                .map(|(key, _)| key),
        ),
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::OffsetDateTime;

    fn user(id: &str, resource: Value) -> ScimUser {
        ScimUser {
            id: id.to_owned(),
            external_id: None,
            user_name: "x".into(),
            active: true,
            resource,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn an_entra_user_becomes_the_planners_record() {
        let keys: HashMap<String, PersonKey> = [
            ("u1".to_owned(), PersonKey(1)),
            ("boss".to_owned(), PersonKey(2)),
        ]
        .into_iter()
        .collect();
        let resource = json!({
            "schemas": [CORE_USER, ENTERPRISE_USER],
            "userName": "ada@acme.de",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "title": "Lead",
            "emails": [
                {"value": "ada.private@example.com", "type": "home", "primary": true},
                {"value": "Ada@acme.de", "type": "work", "primary": "True"}
            ],
            "addresses": [{"type": "work", "locality": "Berlin"}],
            "preferredLanguage": "de-DE",
            ENTERPRISE_USER: {
                "department": "Vertrieb",
                "organization": "Acme GmbH",
                "costCenter": "4711",
                "division": "Nord",
                "employeeNumber": "E-7",
                "manager": {"value": "boss"}
            },
            "urn:ietf:params:scim:schemas:extension:acme:2.0:User": {"Standort": "Halle 3"}
        });
        let e = to_source(&user("u1", resource), &keys, &Arc::from("standard")).unwrap();
        assert_eq!(e.id, PersonKey(1));
        assert_eq!(e.first_name.as_deref(), Some("Ada"));
        assert_eq!(e.last_name.as_deref(), Some("Lovelace"));
        assert_eq!(e.email.as_deref(), Some("Ada@acme.de"));
        assert_eq!(e.position.as_deref(), Some("Lead"));
        assert_eq!(e.department.map(|u| u.name).as_deref(), Some("Vertrieb"));
        assert_eq!(e.subcompany.map(|u| u.name).as_deref(), Some("Acme GmbH"));
        assert_eq!(e.team.map(|u| u.name).as_deref(), Some("Nord"));
        assert_eq!(e.office.map(|u| u.name).as_deref(), Some("Berlin"));
        assert_eq!(e.cost_centers[0].name, "4711");
        assert_eq!(e.supervisor_id, Some(PersonKey(2)));
        let attrs: Vec<(&str, Option<&str>)> = e
            .attributes
            .iter()
            .map(|a| (&*a.key, a.value.as_deref()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("preferredLanguage", Some("de-DE")),
                ("employeeNumber", Some("E-7")),
                ("Standort", Some("Halle 3")),
            ]
        );
    }

    #[test]
    fn without_emails_a_user_name_that_is_an_address_is_the_email() {
        let keys: HashMap<String, PersonKey> =
            [("u1".to_owned(), PersonKey(1))].into_iter().collect();
        let kind = Arc::from("standard");
        let e = to_source(
            &user("u1", json!({"userName": "bob@acme.de"})),
            &keys,
            &kind,
        )
        .unwrap();
        assert_eq!(e.email.as_deref(), Some("bob@acme.de"));
        let e = to_source(&user("u1", json!({"userName": "bob"})), &keys, &kind).unwrap();
        assert_eq!(e.email, None);
        // An unknown manager id links no one.
        let e = to_source(
            &user(
                "u1",
                json!({ENTERPRISE_USER: {"manager": {"value": "nobody"}}}),
            ),
            &keys,
            &kind,
        )
        .unwrap();
        assert_eq!(e.supervisor_id, None);
    }
}
