//! Conformance of the change feed and the outgoing-webhook delivery log (SQLite and
//! PostgreSQL): the feed replays to exactly the directory, renames keep the group's id,
//! erasure leaves no personal data in the feed, retention prunes, and deliveries follow
//! the feed in order, one open delivery per endpoint, claimed fairly between accounts.

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;
use staffsync_core::{
    AccountSlug, DirectoryEmployee, FieldChange, GroupKey, GroupKind, PersonKey, Plan, Removal,
    RemovalReason, TimeZoneName, Update,
};
use staffsync_store::{
    AccountId, AttemptOutcome, ChangeType, DeliveryError, DeliveryStatus, FeedChange, RunId,
    RunKind, Store,
};
use std::collections::BTreeMap;

use crate::common::Env;

conformance!(
    feed_replays_to_the_directory_and_renames_keep_ids,
    erasure_scrubs_the_feed,
    retention_prunes_whole_runs,
    deliveries_follow_the_feed_one_at_a_time,
    deliveries_are_claimed_fairly_between_accounts,
);

async fn account(store: &Store, s: &str) -> AccountId {
    store
        .create_account(&AccountSlug::parse(s).unwrap(), s, &TimeZoneName::default())
        .await
        .unwrap()
        .id
}

async fn apply(store: &Store, account: AccountId, plan: &Plan) -> RunId {
    let now = time::OffsetDateTime::now_utc();
    store
        .ensure_schedule(account, now + time::Duration::days(365))
        .await
        .unwrap();
    let lease = store
        .try_lease(account, "feed-test", now + time::Duration::seconds(60))
        .await
        .unwrap()
        .unwrap();
    let run = store.start_run(&lease, RunKind::Full).await.unwrap();
    store.release_lease(lease).await.unwrap();
    let plan = crate::common::with_group_changes(store, account, plan).await;
    store.apply_plan(account, run, &plan).await.unwrap();
    run
}

fn person(id: i64, first: &str, department: &str) -> DirectoryEmployee {
    DirectoryEmployee {
        key: PersonKey(id),
        email: format!("{}@example.com", first.to_lowercase()),
        first_name: first.to_owned(),
        last_name: "Feedson".to_owned(),
        department: Some(department.to_owned()),
        office: Some("Berlin".to_owned()),
        team: None,
        position: None,
        status: Some("active".to_owned()),
        hire_date: None,
        termination_date: None,
        supervisor_key: None,
        age_band_next: None,
        attributes: staffsync_core::Attributes::from([("weekly_hours", "40")]),
        groups: [
            GroupKey::new(GroupKind::Department, department),
            GroupKey::new(GroupKind::Office, "Berlin"),
        ]
        .into_iter()
        .collect(),
    }
}

fn moved(e: &DirectoryEmployee, department: &str) -> Update {
    let mut after = e.clone();
    after.department = Some(department.to_owned());
    after.groups = [
        GroupKey::new(GroupKind::Department, department),
        GroupKey::new(GroupKind::Office, "Berlin"),
    ]
    .into_iter()
    .collect();
    Update {
        after,
        changes: vec![
            FieldChange {
                field: "department".into(),
                before: e.department.clone(),
                after: Some(department.to_owned()),
            },
            FieldChange {
                field: "groups".into(),
                before: None,
                after: None,
            },
        ],
    }
}

fn removal(id: i64) -> Removal {
    Removal {
        key: PersonKey(id),
        reason: RemovalReason::NotListed,
    }
}

async fn all_changes(store: &Store, account: AccountId) -> Vec<FeedChange> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.changes(account, after, 2).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(page);
    }
    out
}

/// A replica built only from the feed: people (fields as JSON), groups, memberships.
#[derive(Debug, Default, PartialEq)]
struct Replica {
    people: BTreeMap<i64, serde_json::Map<String, Value>>,
    groups: BTreeMap<i64, (String, String)>,
    members: BTreeMap<i64, Vec<i64>>,
}

fn replay(changes: &[FeedChange]) -> Replica {
    let mut r = Replica::default();
    for c in changes {
        let pid = c.key.map(|p| p.0);
        let data = c.data.clone().unwrap_or(Value::Null);
        match c.change {
            ChangeType::EmployeeCreated => {
                r.people
                    .insert(pid.unwrap(), data.as_object().cloned().unwrap_or_default());
            }
            ChangeType::EmployeeUpdated => {
                let p = r
                    .people
                    .get_mut(&pid.unwrap())
                    .expect("updated before created");
                for (k, v) in data.as_object().cloned().unwrap_or_default() {
                    if k == "attributes" {
                        let attrs = p
                            .entry("attributes")
                            .or_insert(Value::Object(Default::default()));
                        for (ak, av) in v.as_object().cloned().unwrap_or_default() {
                            if av.is_null() {
                                attrs.as_object_mut().unwrap().remove(&ak);
                            } else {
                                attrs.as_object_mut().unwrap().insert(ak, av);
                            }
                        }
                    } else {
                        p.insert(k, v);
                    }
                }
            }
            ChangeType::EmployeeRemoved => {
                r.people
                    .remove(&pid.unwrap())
                    .expect("removed before created");
            }
            ChangeType::EmployeeRekeyed => {
                let from = data["previous_personio_id"].as_i64().unwrap();
                let p = r.people.remove(&from).expect("re-keyed before created");
                r.people.insert(pid.unwrap(), p);
                for who in r.members.values_mut() {
                    for m in who.iter_mut().filter(|m| **m == from) {
                        *m = pid.unwrap();
                    }
                    who.sort_unstable();
                }
            }
            ChangeType::GroupCreated | ChangeType::GroupRenamed => {
                // No data once the group was removed (a later change removes it).
                r.groups.insert(
                    c.group_id.unwrap(),
                    (
                        data["kind"].as_str().unwrap_or_default().to_owned(),
                        data["name"].as_str().unwrap_or_default().to_owned(),
                    ),
                );
            }
            ChangeType::GroupRemoved => {
                r.groups.remove(&c.group_id.unwrap()).expect("known group");
                assert!(
                    r.members
                        .get(&c.group_id.unwrap())
                        .is_none_or(Vec::is_empty)
                );
                r.members.remove(&c.group_id.unwrap());
            }
            ChangeType::MembershipAdded => {
                let g = c.group_id.unwrap();
                assert!(r.groups.contains_key(&g), "membership of an unknown group");
                assert!(
                    r.people.contains_key(&pid.unwrap()),
                    "membership of an unknown person"
                );
                let m = r.members.entry(g).or_default();
                m.push(pid.unwrap());
                m.sort_unstable();
            }
            ChangeType::MembershipRemoved => {
                let m = r.members.get_mut(&c.group_id.unwrap()).expect("members");
                let before = m.len();
                m.retain(|p| Some(*p) != pid);
                assert_eq!(
                    m.len() + 1,
                    before,
                    "removed a membership that was not there"
                );
            }
        }
    }
    r.members.retain(|_, m| !m.is_empty());
    r
}

async fn from_store(store: &Store, account: AccountId) -> Replica {
    let mut r = Replica::default();
    for g in store.groups(account).await.unwrap() {
        r.groups
            .insert(g.id, (g.kind.as_str().to_owned(), g.name.clone()));
        let mut members: Vec<i64> = store
            .group_members(account, g.id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.key.0)
            .collect();
        members.sort_unstable();
        r.members.insert(g.id, members);
    }
    for e in store.directory(account).await.unwrap() {
        let mut v = serde_json::to_value(&e).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("personio_id");
        o.remove("groups");
        // The date check's own bookkeeping (the month the next age band begins): never
        // in the feed, which shows the band itself as a membership.
        o.remove("age_band_next");
        r.people.insert(e.key.0, o.clone());
    }
    r.members.retain(|_, m| !m.is_empty());
    r
}

async fn feed_replays_to_the_directory_and_renames_keep_ids(store: Store, _env: Env) {
    let a = account(&store, "feedco").await;
    let other = account(&store, "otherco").await;
    let ada = person(1, "Ada", "Sales");
    let bob = person(2, "Bob", "Sales");
    let cy = person(3, "Cy", "Ops");
    apply(
        &store,
        a,
        &Plan {
            creates: vec![ada.clone(), bob.clone(), cy.clone()],
            ..Plan::default()
        },
    )
    .await;
    apply(
        &store,
        other,
        &Plan {
            creates: vec![person(1, "Zed", "X")],
            ..Plan::default()
        },
    )
    .await;
    let first = all_changes(&store, a).await;
    let types: Vec<&str> = first.iter().map(|c| c.change.as_str()).collect();
    assert_eq!(types[..3], ["group.created"; 3], "groups first: {types:?}");
    assert_eq!(
        types.iter().filter(|t| **t == "employee.created").count(),
        3
    );
    assert_eq!(
        types.iter().filter(|t| **t == "membership.added").count(),
        6
    );
    assert!(first.windows(2).all(|w| w[0].seq < w[1].seq));
    // The memberships added come after the people, by person and then group.
    let added: Vec<(Option<PersonKey>, Option<i64>)> = first
        .iter()
        .filter(|c| c.change.as_str() == "membership.added")
        .map(|c| (c.key, c.group_id))
        .collect();
    assert!(
        added.windows(2).all(|w| w[0] < w[1]),
        "memberships added out of order: {added:?}"
    );
    assert_eq!(types[3..6], ["employee.created"; 3], "{types:?}");
    assert_eq!(types[6..], ["membership.added"; 6], "{types:?}");
    assert_eq!(replay(&first), from_store(&store, a).await);

    // Bob moves to Ops; then Ops is renamed Operations (all its members move at once).
    let mut bob2 = moved(&bob, "Ops");
    bob2.after.attributes.insert("nickname", "Bobby");
    bob2.changes.push(FieldChange {
        field: "attributes.nickname".into(),
        before: None,
        after: Some("Bobby".into()),
    });
    apply(
        &store,
        a,
        &Plan {
            updates: vec![bob2.clone()],
            ..Plan::default()
        },
    )
    .await;
    let ops_id = store
        .groups(a)
        .await
        .unwrap()
        .iter()
        .find(|g| g.name == "Ops")
        .unwrap()
        .id;
    apply(
        &store,
        a,
        &Plan {
            updates: vec![moved(&bob2.after, "Operations"), moved(&cy, "Operations")],
            ..Plan::default()
        },
    )
    .await;
    let groups = store.groups(a).await.unwrap();
    let operations = groups.iter().find(|g| g.name == "Operations").unwrap();
    assert_eq!(operations.id, ops_id, "a renamed group keeps its id");
    assert!(groups.iter().all(|g| g.name != "Ops"));
    // Ada leaves; Sales is empty then.
    apply(
        &store,
        a,
        &Plan {
            removals: vec![removal(1)],
            ..Plan::default()
        },
    )
    .await;

    let all = all_changes(&store, a).await;
    let renamed: Vec<&FeedChange> = all
        .iter()
        .filter(|c| c.change == ChangeType::GroupRenamed)
        .collect();
    assert_eq!(renamed.len(), 1, "{all:?}");
    assert_eq!(renamed[0].group_id, Some(ops_id));
    assert_eq!(renamed[0].data.as_ref().unwrap()["previous_name"], "Ops");
    let updated: Vec<&FeedChange> = all
        .iter()
        .filter(|c| c.change == ChangeType::EmployeeUpdated)
        .collect();
    assert_eq!(
        updated[0].data,
        Some(serde_json::json!({"department": "Ops", "attributes": {"nickname": "Bobby"}})),
        "only the changed fields"
    );
    assert!(all.iter().any(|c| c.change == ChangeType::GroupRemoved));
    assert_eq!(replay(&all), from_store(&store, a).await);
    // The other account's feed is its own.
    let theirs = all_changes(&store, other).await;
    assert!(theirs.iter().all(|c| !all.iter().any(|m| m.seq == c.seq)));
    assert_eq!(replay(&theirs), from_store(&store, other).await);
    let bounds = store.feed_bounds(a).await.unwrap();
    assert_eq!(bounds.pruned_through, 0);
    assert_eq!(bounds.latest, all.last().unwrap().seq);
}

async fn erasure_scrubs_the_feed(store: Store, _env: Env) {
    let a = account(&store, "erasefeed").await;
    let mut victim = person(7, "Quentavious", "Sales");
    victim.email = "quentavious@private.example".into();
    apply(
        &store,
        a,
        &Plan {
            creates: vec![victim.clone(), person(8, "Keeper", "Sales")],
            ..Plan::default()
        },
    )
    .await;
    let mut renamed = victim.clone();
    renamed.last_name = "Zyxwright".into();
    apply(
        &store,
        a,
        &Plan {
            updates: vec![Update {
                after: renamed,
                changes: vec![FieldChange {
                    field: "last_name".into(),
                    before: Some("Feedson".into()),
                    after: Some("Zyxwright".into()),
                }],
            }],
            ..Plan::default()
        },
    )
    .await;
    let text = |cs: &[FeedChange]| serde_json::to_string(cs).unwrap();
    let before = all_changes(&store, a).await;
    assert!(text(&before).contains("Zyxwright") && text(&before).contains("Quentavious"));
    apply(
        &store,
        a,
        &Plan {
            removals: vec![removal(7)],
            ..Plan::default()
        },
    )
    .await;
    let after = all_changes(&store, a).await;
    for needle in ["Quentavious", "Zyxwright", "quentavious@private.example"] {
        assert!(!text(&after).contains(needle), "{needle} still in the feed");
    }
    assert!(text(&after).contains("Keeper"), "others keep their rows");
    let mine: Vec<&FeedChange> = after
        .iter()
        .filter(|c| c.key == Some(PersonKey(7)))
        .collect();
    assert!(mine.iter().any(|c| c.change == ChangeType::EmployeeRemoved));
    assert!(
        mine.iter()
            .filter(|c| matches!(
                c.change,
                ChangeType::EmployeeCreated | ChangeType::EmployeeUpdated
            ))
            .all(|c| c.data.is_none())
    );
}

async fn retention_prunes_whole_runs(store: Store, _env: Env) {
    let a = account(&store, "prune").await;
    apply(
        &store,
        a,
        &Plan {
            creates: vec![person(1, "Ann", "A")],
            ..Plan::default()
        },
    )
    .await;
    let first_latest = store.feed_bounds(a).await.unwrap().latest;
    assert_eq!(
        store
            .prune_changes(time::OffsetDateTime::now_utc() - time::Duration::days(1))
            .await
            .unwrap(),
        0
    );
    let cutoff = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    apply(
        &store,
        a,
        &Plan {
            creates: vec![person(2, "Ben", "A")],
            ..Plan::default()
        },
    )
    .await;
    assert!(store.prune_changes(cutoff).await.unwrap() > 0);
    let bounds = store.feed_bounds(a).await.unwrap();
    assert_eq!(bounds.pruned_through, first_latest);
    let left = all_changes(&store, a).await;
    assert!(left.iter().all(|c| c.seq > first_latest));
    assert!(left.iter().any(|c| c.key == Some(PersonKey(2))));
    // Pruning everything keeps positions: new rows never reuse an id.
    store
        .prune_changes(time::OffsetDateTime::now_utc() + time::Duration::days(1))
        .await
        .unwrap();
    let emptied = store.feed_bounds(a).await.unwrap();
    assert!(all_changes(&store, a).await.is_empty());
    apply(
        &store,
        a,
        &Plan {
            creates: vec![person(3, "Cat", "A")],
            ..Plan::default()
        },
    )
    .await;
    assert!(
        all_changes(&store, a)
            .await
            .iter()
            .all(|c| c.seq > emptied.latest)
    );
}

async fn deliveries_follow_the_feed_one_at_a_time(store: Store, _env: Env) {
    let a = account(&store, "hooks").await;
    apply(
        &store,
        a,
        &Plan {
            creates: vec![person(1, "Old", "A")],
            ..Plan::default()
        },
    )
    .await;
    let secret = SecretString::from("whsec_c2VjcmV0");
    let ep = store
        .create_webhook_endpoint(a, "https://hooks.example.com/in", &secret)
        .await
        .unwrap();
    assert_eq!(store.webhook_endpoints(a).await.unwrap(), vec![ep.clone()]);
    assert_eq!(
        store.plan_deliveries(1000).await.unwrap(),
        0,
        "earlier changes are not sent"
    );
    let r1 = apply(
        &store,
        a,
        &Plan {
            creates: vec![person(2, "New", "B")],
            ..Plan::default()
        },
    )
    .await;
    let r2 = apply(
        &store,
        a,
        &Plan {
            removals: vec![removal(1)],
            ..Plan::default()
        },
    )
    .await;
    assert_eq!(store.plan_deliveries(2).await.unwrap(), 1);
    assert_eq!(
        store.plan_deliveries(2).await.unwrap(),
        0,
        "one open delivery per endpoint"
    );
    let now = time::OffsetDateTime::now_utc();
    let claimed = store
        .claim_deliveries(now, time::Duration::seconds(30), 10, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        store
            .claim_deliveries(now, time::Duration::seconds(30), 10, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    let d = &claimed[0];
    assert_eq!(d.secret.expose_secret(), "whsec_c2VjcmV0");
    assert!(!format!("{d:?}").contains("c2VjcmV0"));
    assert_eq!(d.delivery.run_id, r1);
    assert_eq!(d.delivery.change_count, 2, "chunked at 2");
    let changes = store.delivery_changes(a, &d.delivery).await.unwrap();
    assert_eq!(changes.len(), 2);
    store
        .record_attempt(
            &d.delivery,
            &AttemptOutcome::Retry {
                at: now,
                status: Some(500),
                code: DeliveryError::ReceiverStatus,
                error: "HTTP 500".into(),
            },
        )
        .await
        .unwrap();
    let log = store.webhook_deliveries(a, Some(ep.id), 10).await.unwrap();
    assert_eq!(log[0].last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(log[0].last_error_code, Some(DeliveryError::ReceiverStatus));
    assert_eq!(store.plan_deliveries(1000).await.unwrap(), 0, "still open");
    let again = store
        .claim_deliveries(
            time::OffsetDateTime::now_utc(),
            time::Duration::seconds(30),
            10,
            10,
        )
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].delivery.message_id, d.delivery.message_id,
        "same id for a retry"
    );
    store
        .record_attempt(
            &again[0].delivery,
            &AttemptOutcome::Delivered { status: 204 },
        )
        .await
        .unwrap();
    let log = store.webhook_deliveries(a, Some(ep.id), 10).await.unwrap();
    assert_eq!(log[0].status, DeliveryStatus::Delivered);
    assert_eq!(log[0].attempts, 2);
    // The rest of run 1, then run 2: in order.
    let mut runs = Vec::new();
    loop {
        store.plan_deliveries(2).await.unwrap();
        let c = store
            .claim_deliveries(
                time::OffsetDateTime::now_utc(),
                time::Duration::seconds(30),
                10,
                10,
            )
            .await
            .unwrap();
        let Some(c) = c.first() else { break };
        runs.push(c.delivery.run_id);
        store
            .record_attempt(&c.delivery, &AttemptOutcome::Delivered { status: 200 })
            .await
            .unwrap();
    }
    assert_eq!(runs.first(), Some(&r1));
    assert_eq!(runs.last(), Some(&r2));
    assert_eq!(store.delivery_backlog().await.unwrap().pending, 0);
    assert!(
        store
            .delivery_backlog()
            .await
            .unwrap()
            .oldest_undelivered
            .is_none()
    );
    assert!(store.delete_webhook_endpoint(a, ep.id).await.unwrap());
    assert!(store.webhook_endpoints(a).await.unwrap().is_empty());
    assert!(
        store
            .webhook_deliveries(a, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Two accounts with ten endpoints each and a third with one, every endpoint with a due
/// delivery: a claim of 16 with a cap of 4 per account takes the third account's in the
/// first round, and no account gets more than 4 in flight until one of its attempts ends.
async fn deliveries_are_claimed_fairly_between_accounts(store: Store, _env: Env) {
    let secret = SecretString::from("whsec_c2VjcmV0");
    let mut accounts = Vec::new();
    for (slug, endpoints) in [("busy-a", 10), ("busy-b", 10), ("quiet", 1)] {
        let a = account(&store, slug).await;
        for i in 0..endpoints {
            store
                .create_webhook_endpoint(a, &format!("https://{slug}.example.com/{i}"), &secret)
                .await
                .unwrap();
        }
        accounts.push(a);
    }
    for (i, a) in accounts.iter().enumerate() {
        let id = i64::try_from(i).unwrap() + 1;
        apply(
            &store,
            *a,
            &Plan {
                creates: vec![person(id, "Fair", "A")],
                ..Plan::default()
            },
        )
        .await;
    }
    assert_eq!(store.plan_deliveries(1000).await.unwrap(), 21);
    let lease = time::Duration::seconds(30);
    let now = time::OffsetDateTime::now_utc();
    let claimed = store.claim_deliveries(now, lease, 16, 4).await.unwrap();
    let of = |c: &[staffsync_store::ClaimedDelivery], a: AccountId| {
        c.iter().filter(|d| d.account == a).count()
    };
    assert_eq!(
        accounts
            .iter()
            .map(|a| of(&claimed, *a))
            .collect::<Vec<_>>(),
        vec![4, 4, 1],
        "at most 4 per account, the quiet account's included"
    );
    let quiet = claimed
        .iter()
        .position(|d| d.account == accounts[2])
        .unwrap();
    assert!(quiet < 3, "the first round serves every account: {quiet}");
    assert!(
        store
            .claim_deliveries(now, lease, 16, 4)
            .await
            .unwrap()
            .is_empty(),
        "the busy accounts are at their cap"
    );
    // One attempt of the first account ends: it may have one more in flight.
    let done = claimed.iter().find(|d| d.account == accounts[0]).unwrap();
    store
        .record_attempt(&done.delivery, &AttemptOutcome::Delivered { status: 204 })
        .await
        .unwrap();
    let next = store
        .claim_deliveries(time::OffsetDateTime::now_utc(), lease, 16, 4)
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].account, accounts[0]);
}
