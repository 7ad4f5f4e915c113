//! The store's conformance suite: every test is written once, as an async fn taking a
//! fresh `Store` (and its `Env`), and runs on SQLite and on PostgreSQL (when
//! `STAFFSYNC_TEST_DATABASE_URL` names an admin database; each test gets its own
//! database). Plans are built by hand: the suite does not depend on the planner.

use crate::common;

use common::{Env, random_key};
use secrecy::{ExposeSecret as _, SecretString};
use staffsync_core::{
    AccountSlug, ApiVersion, DeletionGuard, DirectoryEmployee, FieldChange, GroupKey, GroupKind,
    GroupSettings, Hold, PersonKey, Plan, Policy, Removal, RemovalReason, Rule, Scope, Settings,
    Skip, SkipReason, TimeZoneName, Update, Warning,
};
use staffsync_store::{
    AccountId, Backend, IncidentDetails, IncidentKind, IncidentPhase, MailStatus, NewConnection,
    Opened, RunKind, RunStatus, ScheduleOutcome, Store, StoreError,
};
use std::collections::BTreeMap;
use std::time::Instant;

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::common::run_sqlite(super::$name).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::common::run_postgres(super::$name).await
                }
            )*
        }
    };
}

conformance!(
    accounts_create_conflict_get,
    the_month_of_the_next_age_band_roundtrips,
    settings_are_versioned_and_never_keep_accepted_removals,
    connection_is_encrypted_and_roundtrips,
    apply_creates_updates_removes_with_groups,
    group_changes_are_applied_as_planned_never_decided,
    a_held_plan_applies_all_but_its_removals,
    rejecting_a_held_run_keeps_its_people_until_a_plan_unkeeps_them,
    runs_are_listed_newest_first_with_counts,
    finish_run_leaves_directory_alone,
    feedback_survives_author_removal,
    a_re_keyed_person_keeps_row_feedback_groups_and_history,
    erasure_nulls_run_change_details,
    removals_keep_reason_and_department_through_holds_and_erasure,
    accounts_are_isolated,
    ten_thousand_creates_in_one_call,
    the_directory_is_read_whole_in_key_order_across_chunks,
    reads_see_groups_and_people_of_one_moment_while_applies_run,
    start_run_interrupts_stale_runs,
    erased_bytes_leave_the_disk,
    admins_email_unique_case_insensitive_and_hash_hidden,
    sessions_upsert_load_expire_delete,
    api_tokens_lookup_list_revoke,
    scoped_reads_employee_group_members,
    feedback_by_email,
    run_status_held_to_rejected,
    decisions_on_held_runs_are_recorded_with_who_and_when,
    apply_clears_previews_of_unapplied_runs,
    schedule_follows_connection,
    concurrent_claimers_never_share_an_account,
    expired_lease_can_be_reclaimed,
    release_records_outcome_and_keeps_requests,
    webhook_is_sealed_and_cleared,
    sync_state_watermarks,
    targeted_runs_apply_and_keep_pending_hires,
    corrupt_stored_settings_are_named,
    side_leases_exclude_claims,
    newer_held_runs_supersede_older_ones,
    one_open_incident_per_kind_opened_and_resolved_once,
    admins_are_listed_with_their_language,
    latest_runs_and_employee_count_per_account,
    snapshots_freeze_the_audience,
    snapshot_entries_of_erased_people_keep_only_their_groups,
);

// ---------------------------------------------------------------- helpers

fn slug(s: &str) -> AccountSlug {
    AccountSlug::parse(s).expect("slug")
}

fn emp(id: i64, first: &str, last: &str, groups: &[(GroupKind, &str)]) -> DirectoryEmployee {
    DirectoryEmployee {
        key: PersonKey(id),
        email: format!(
            "{}.{}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        ),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        department: groups
            .iter()
            .find(|(k, _)| *k == GroupKind::Department)
            .map(|(_, n)| (*n).to_owned()),
        office: None,
        team: None,
        position: Some("Engineer".to_owned()),
        status: Some("active".to_owned()),
        hire_date: Some(time::macros::date!(2024 - 03 - 01)),
        termination_date: None,
        supervisor_key: None,
        age_band_next: None,
        attributes: staffsync_core::Attributes::from([("weekly_hours", "40")]),
        groups: groups.iter().map(|(k, n)| GroupKey::new(*k, *n)).collect(),
    }
}

/// What the date check needs of age bands (the month the next one begins) is kept as
/// written, and read back; cleared by an update that clears it.
async fn the_month_of_the_next_age_band_roundtrips(store: Store, _env: Env) {
    let id = account(&store, "acme").await;
    let mut a = emp(1, "Ada", "Alter", &[(GroupKind::Age, "25_34")]);
    a.age_band_next = staffsync_core::YearMonth::parse("2031-06");
    let b = emp(2, "Bo", "Alter", &[(GroupKind::Age, "55_plus")]);
    apply(&store, id, &creates(vec![a.clone(), b.clone()])).await;
    let got = store.directory(id).await.unwrap();
    assert_eq!(got, [a.clone(), b]);
    let mut after = a.clone();
    after.age_band_next = None;
    after.groups = [GroupKey::new(GroupKind::Age, "35_44")]
        .into_iter()
        .collect();
    let update = Update {
        changes: staffsync_core::planner::changes(&a, &after),
        after: after.clone(),
    };
    apply(
        &store,
        id,
        &Plan {
            updates: vec![update],
            ..Plan::default()
        },
    )
    .await;
    assert_eq!(store.directory(id).await.unwrap()[0], after);
}

fn creates(employees: Vec<DirectoryEmployee>) -> Plan {
    Plan {
        creates: employees,
        ..Plan::default()
    }
}

fn removal(id: i64) -> Removal {
    Removal {
        key: PersonKey(id),
        reason: RemovalReason::NotListed,
    }
}

async fn account(store: &Store, s: &str) -> AccountId {
    store
        .create_account(&slug(s), &format!("{s} GmbH"), &TimeZoneName::default())
        .await
        .expect("create account")
        .id
}

/// Starts a run of `kind` under the account's lease, taken for it and given back at once
/// (the run stays `running`, as when its worker is still at it or died).
pub(crate) async fn start(
    store: &Store,
    account: AccountId,
    kind: RunKind,
) -> staffsync_store::RunId {
    let now = time::OffsetDateTime::now_utc();
    store
        .ensure_schedule(account, now + time::Duration::days(365))
        .await
        .expect("schedule");
    let lease = store
        .try_lease(account, "test", now + time::Duration::seconds(60))
        .await
        .expect("try_lease")
        .expect("the account's lease is free");
    let run = store.start_run(&lease, kind).await.expect("start");
    assert!(store.release_lease(lease).await.expect("release"));
    run
}

async fn apply(store: &Store, account: AccountId, plan: &Plan) -> staffsync_store::RunId {
    let plan = crate::common::with_group_changes(store, account, plan).await;
    let run = start(store, account, RunKind::Full).await;
    store.apply_plan(account, run, &plan).await.expect("apply");
    run
}

fn group_counts(groups: &[staffsync_store::GroupSummary]) -> Vec<(GroupKind, String, i64)> {
    groups
        .iter()
        .map(|g| (g.kind, g.name.clone(), g.member_count))
        .collect()
}

// ---------------------------------------------------------------- tests

/// A directory read (and a survey snapshot) reads the groups and then the people: while
/// applies create new groups and their members, every read must still see each member's
/// group, never "membership in unknown group" (which a read of several statements that
/// each see a later moment would report, as a CI run once did under load).
async fn reads_see_groups_and_people_of_one_moment_while_applies_run(store: Store, _env: Env) {
    use GroupKind::*;
    let id = account(&store, "busy").await;
    let people: Vec<DirectoryEmployee> = (1..=3_000)
        .map(|i| emp(i, "Ada", &format!("L{i}"), &[(Department, "Sales")]))
        .collect();
    apply(&store, id, &creates(people)).await;
    const WRITES: i64 = 30;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for k in 0..WRITES {
                let team = format!("Team {k}");
                let newcomer = emp(10_000 + k, "Bo", "New", &[(Team, team.as_str())]);
                apply(&store, id, &creates(vec![newcomer])).await;
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() || reads == 0 {
        let directory = store
            .directory(id)
            .await
            .expect("a directory read during applies");
        for e in directory.iter().filter(|e| e.key.0 >= 10_000) {
            assert_eq!(e.groups.len(), 1, "{:?} lost their team", e.key);
        }
        store
            .create_snapshot(id, "during applies", |directory, _| {
                Ok::<_, StoreError>(directory.iter().map(|e| e.key).collect())
            })
            .await
            .expect("a snapshot during applies");
        reads += 1;
    }
    writer.await.expect("writer");
    assert_eq!(
        store.directory(id).await.unwrap().len(),
        3_000 + WRITES as usize
    );
}

async fn accounts_create_conflict_get(store: Store, _env: Env) {
    let a = store
        .create_account(&slug("zeta"), "Zeta AG", &vienna())
        .await
        .unwrap();
    assert_eq!(a.slug.as_str(), "zeta");
    assert_eq!(a.name, "Zeta AG");
    assert_eq!(a.time_zone.as_str(), "Europe/Vienna");
    assert_eq!(a.policy, Policy::default());
    let err = store
        .create_account(&slug("zeta"), "Other", &TimeZoneName::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let b = store
        .create_account(&slug("acme"), "Acme", &TimeZoneName::default())
        .await
        .unwrap();
    assert_eq!(store.account(&slug("zeta")).await.unwrap(), Some(a.clone()));
    assert_eq!(store.account(&slug("nope")).await.unwrap(), None);
    let all = store.accounts().await.unwrap();
    assert_eq!(all, vec![b, a]);
}

async fn settings_are_versioned_and_never_keep_accepted_removals(store: Store, _env: Env) {
    let id = account(&store, "acme").await;
    let other = account(&store, "other").await;
    let settings = Settings {
        keep_on_leave: true,
        groups: GroupSettings::with_custom(["dynamic_33400", "Standort"]),
        deletion_guard: DeletionGuard {
            max_share: 0.35,
            min_people: 12,
        },
        scope: Scope {
            include: vec![],
            exclude: vec![Rule {
                attribute: "employment_type".into(),
                values: vec!["external".into()],
            }],
        },
        notify: vec!["hr@acme.de".into()],
        keep_attributes: vec!["Sprachen".into()],
    };
    assert_eq!(store.settings_history(id, 10).await.unwrap(), vec![]);
    let v1 = store.set_settings(id, &settings, "cli").await.unwrap();
    assert_eq!(v1, 1);
    // The same document again is no new version.
    assert_eq!(store.set_settings(id, &settings, "cli").await.unwrap(), 1);
    let changed = Settings {
        keep_on_leave: false,
        ..settings.clone()
    };
    let v2 = store
        .set_settings(id, &changed, "admin:anna@acme.de")
        .await
        .unwrap();
    assert_eq!(v2, 2);
    let got = store.account(&slug("acme")).await.unwrap().unwrap().policy;
    assert_eq!(got, Policy::from(changed.clone()));
    assert_eq!(got.accepted_removals, None);
    let history = store.settings_history(id, 10).await.unwrap();
    let seen: Vec<_> = history
        .iter()
        .map(|v| (v.version, v.settings.clone(), v.changed_by.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (2, changed, "admin:anna@acme.de"),
            (1, settings.clone(), "cli")
        ]
    );
    assert_eq!(store.settings_history(id, 1).await.unwrap().len(), 1);
    // Another account's history is its own.
    assert_eq!(store.settings_history(other, 10).await.unwrap(), vec![]);
    let err = store
        .set_settings(AccountId(9999), &settings, "cli")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn connection_is_encrypted_and_roundtrips(store: Store, env: Env) {
    let id = account(&store, "acme").await;
    let other = account(&store, "other").await;
    assert!(store.connection(id).await.unwrap().is_none());
    let secret = "papi-s3cr3t-Zq9xV7-do-not-leak";
    let conn = NewConnection {
        client_id: "papi-client-1".into(),
        client_secret: SecretString::from(secret),
        base_url: personio_url(),
        api_version: ApiVersion::V1,
        readable_attributes: vec!["hire_date".into(), "dynamic_1".into()],
    };
    assert!(!format!("{conn:?}").contains(secret));
    store.save_connection(id, &conn).await.unwrap();
    let got = store.connection(id).await.unwrap().unwrap();
    assert_eq!(got.client_id, "papi-client-1");
    assert_eq!(got.client_secret.expose_secret(), secret);
    assert_eq!(got.base_url, personio_url());
    assert_eq!(got.api_version, ApiVersion::V1);
    assert_eq!(got.readable_attributes, vec!["hire_date", "dynamic_1"]);
    assert!(got.attribute_labels.is_empty());
    let labels = BTreeMap::from([("dynamic_1".to_owned(), "Geburtsdatum".to_owned())]);
    assert!(store.set_attribute_labels(id, &labels).await.unwrap());
    assert!(!store.set_attribute_labels(other, &labels).await.unwrap());
    let got = store.connection(id).await.unwrap().unwrap();
    assert_eq!(got.attribute_labels, labels);
    assert!(!format!("{got:?}").contains(secret));
    assert!(store.connection(other).await.unwrap().is_none());

    // Upsert replaces.
    let conn2 = NewConnection {
        client_id: "papi-client-2".into(),
        client_secret: SecretString::from(format!("{secret}-2")),
        api_version: ApiVersion::V2,
        ..conn.clone()
    };
    store.save_connection(id, &conn2).await.unwrap();
    let got = store.connection(id).await.unwrap().unwrap();
    assert_eq!(got.client_id, "papi-client-2");
    assert_eq!(got.api_version, ApiVersion::V2);
    // A new credential's labels are read anew.
    assert!(got.attribute_labels.is_empty());
    assert_eq!(got.client_secret.expose_secret(), format!("{secret}-2"));

    // The secret is nowhere in the raw database, but the client id is (the scan works).
    assert!(!env.raw_contains(store.backend(), secret.as_bytes()).await);
    assert!(env.raw_contains(store.backend(), b"papi-client-2").await);

    // Another key cannot decrypt, and says so without the secret.
    let wrong = env.reopen(Some(random_key())).await;
    let err = wrong.connection(id).await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto { .. }), "{err:?}");
    assert!(!err.to_string().contains(secret));
    wrong.close().await;

    // The same key (configured or key file) still can.
    let again = env.reopen(None).await;
    assert_eq!(
        again
            .connection(id)
            .await
            .unwrap()
            .unwrap()
            .client_secret
            .expose_secret(),
        format!("{secret}-2")
    );
    again.close().await;

    let err = store
        .save_connection(AccountId(9999), &conn)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(store.remove_connection(id).await.unwrap());
    assert!(!store.remove_connection(id).await.unwrap());
    assert!(store.connection(id).await.unwrap().is_none());
}

async fn apply_creates_updates_removes_with_groups(store: Store, env: Env) {
    use GroupKind::*;
    let id = account(&store, "acme").await;
    let ada = emp(
        1,
        "Ada",
        "Lovelace",
        &[(Department, "R&D"), (Team, "Engines")],
    );
    let bob = emp(
        2,
        "Bob",
        "Builder",
        &[(Department, "R&D"), (Team, "Bridges")],
    );
    let cyd = emp(
        3,
        "Cyd",
        "Charisse",
        &[(Department, "Sales"), (Office, "Munich")],
    );
    let run1 = apply(
        &store,
        id,
        &creates(vec![cyd.clone(), ada.clone(), bob.clone()]),
    )
    .await;
    assert_eq!(
        store.directory(id).await.unwrap(),
        vec![ada.clone(), bob.clone(), cyd.clone()]
    );
    assert_eq!(
        group_counts(&store.groups(id).await.unwrap()),
        vec![
            (Department, "R&D".into(), 2),
            (Department, "Sales".into(), 1),
            (Office, "Munich".into(), 1),
            (Team, "Bridges".into(), 1),
            (Team, "Engines".into(), 1),
        ]
    );

    // Bob moves to Engines (Bridges empties), Cyd leaves (Sales and Munich empty),
    // Dee joins a new custom group.
    let mut bob2 = emp(
        2,
        "Bob",
        "Builder",
        &[(Department, "R&D"), (Team, "Engines")],
    );
    bob2.email = "bob@example.org".into();
    bob2.supervisor_key = Some(PersonKey(1));
    bob2.termination_date = Some(time::macros::date!(2027 - 01 - 31));
    let dee = emp(4, "Dee", "Dee", &[(Custom, "Standort: Köln")]);
    let plan2 = Plan {
        creates: vec![dee.clone()],
        updates: vec![Update {
            after: bob2.clone(),
            changes: vec![FieldChange {
                field: "email".into(),
                before: Some(bob.email.clone()),
                after: Some(bob2.email.clone()),
            }],
        }],
        removals: vec![removal(3)],
        unchanged: 1,
        ..Plan::default()
    };
    let run2 = apply(&store, id, &plan2).await;
    assert_eq!(
        store.directory(id).await.unwrap(),
        vec![ada.clone(), bob2.clone(), dee.clone()]
    );
    assert_eq!(
        group_counts(&store.groups(id).await.unwrap()),
        vec![
            (Department, "R&D".into(), 2),
            (Team, "Engines".into(), 2),
            (Custom, "Standort: Köln".into(), 1),
        ]
    );

    let r2 = store.run(id, run2).await.unwrap().unwrap();
    assert_eq!(r2.status, RunStatus::Applied);
    assert_eq!(r2.kind, RunKind::Full);
    assert!(r2.finished_at.is_some());
    assert_eq!(
        (r2.created, r2.updated, r2.removed, r2.skipped, r2.unchanged),
        (1, 1, 1, 0, 1)
    );
    let changes = store.run_changes(id, run2).await.unwrap();
    let actions: Vec<(i64, &str)> = changes
        .iter()
        .map(|c| (c.key.0, c.action.as_str()))
        .collect();
    assert_eq!(actions, vec![(4, "create"), (2, "update"), (3, "remove")]);
    let upd = changes[1].detail.as_ref().unwrap();
    assert_eq!(upd["changes"][0]["field"], "email");
    assert_eq!(upd["changes"][0]["after"], "bob@example.org");
    // Cyd's removal keeps why and where, never a name.
    assert_eq!(
        changes[2].detail,
        Some(serde_json::json!({"reason": "not_listed", "department": "Sales"}))
    );
    // Cyd's earlier create stays listed, without its personal details.
    let r1c = store.run_changes(id, run1).await.unwrap();
    assert_eq!(r1c.len(), 3);
    assert_eq!(r1c[0].key, PersonKey(3));
    assert!(r1c[0].detail.is_none());
    assert!(r1c[1].detail.is_some());

    // Plans that do not fit the directory change nothing.
    let before = store.directory(id).await.unwrap();
    for bad in [
        creates(vec![ada.clone()]),
        Plan {
            removals: vec![removal(99)],
            ..Plan::default()
        },
        Plan {
            creates: vec![emp(5, "Eve", "E", &[(Team, "New")])],
            updates: vec![Update {
                after: emp(98, "No", "One", &[]),
                changes: vec![],
            }],
            ..Plan::default()
        },
    ] {
        let run = start(&store, id, RunKind::Full).await;
        let err = store.apply_plan(id, run, &bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        assert_eq!(
            store.run(id, run).await.unwrap().unwrap().status,
            RunStatus::Running
        );
        store
            .finish_run(run, RunStatus::Failed, None, Some(&err.to_string()))
            .await
            .unwrap();
    }
    assert_eq!(store.directory(id).await.unwrap(), before);
    assert_eq!(store.groups(id).await.unwrap().len(), 3);
    // Removals and updates took their memberships with them.
    assert_eq!(env.orphan_memberships(store.backend()).await, 0);
}

async fn a_held_plan_applies_all_but_its_removals(store: Store, _env: Env) {
    let id = account(&store, "acme").await;
    let people: Vec<_> = (1..=10)
        .map(|i| emp(i, "P", &format!("N{i}"), &[]))
        .collect();
    apply(&store, id, &creates(people.clone())).await;
    let hold = Hold {
        removing: 6,
        directory_size: 10,
        rekeying: 0,
    };
    let plan = Plan {
        removals: (1..=6).map(removal).collect(),
        unchanged: 4,
        held: Some(hold),
        ..Plan::default()
    };
    let run = start(&store, id, RunKind::Full).await;
    store.apply_plan(id, run, &plan).await.unwrap();
    assert_eq!(store.directory(id).await.unwrap(), people, "nobody removed");
    let r = store.run(id, run).await.unwrap().unwrap();
    assert_eq!(r.status, RunStatus::Held);
    assert_eq!(r.held, Some(hold));
    assert_eq!(r.removed, 6);
    assert_eq!(store.run_changes(id, run).await.unwrap().len(), 6);
    assert_eq!(
        store.held_removals(id, run).await.unwrap(),
        Some((1..=6).map(PersonKey).collect())
    );

    // A held plan's hires go in while its removals wait.
    let hire = emp(11, "Neu", "N11", &[]);
    let plan = Plan {
        creates: vec![hire.clone()],
        ..plan
    };
    let run = start(&store, id, RunKind::Full).await;
    store.apply_plan(id, run, &plan).await.unwrap();
    let mut expected = people.clone();
    expected.push(hire);
    assert_eq!(store.directory(id).await.unwrap(), expected);
    let r = store.run(id, run).await.unwrap().unwrap();
    assert_eq!((r.status, r.created, r.removed), (RunStatus::Held, 1, 6));
    assert_eq!(store.latest_held_run(id).await.unwrap(), Some(run));
}

async fn rejecting_a_held_run_keeps_its_people_until_a_plan_unkeeps_them(store: Store, _env: Env) {
    let id = account(&store, "acme").await;
    let people: Vec<_> = (1..=10)
        .map(|i| emp(i, "P", &format!("N{i}"), &[]))
        .collect();
    apply(&store, id, &creates(people.clone())).await;
    let rule = RemovalReason::Excluded {
        rule: "exclude department = Vertrieb".into(),
    };
    let mut removals: Vec<Removal> = (1..=5).map(removal).collect();
    removals.push(Removal {
        key: PersonKey(6),
        reason: rule.clone(),
    });
    let plan = Plan {
        removals,
        unchanged: 4,
        held: Some(Hold {
            removing: 6,
            directory_size: 10,
            rekeying: 0,
        }),
        ..Plan::default()
    };
    let held = start(&store, id, RunKind::Full).await;
    store.apply_plan(id, held, &plan).await.unwrap();
    assert_eq!(store.kept_people(id).await.unwrap(), vec![]);
    let kept = store
        .reject_and_keep(id, held, "admin:anna@acme.de")
        .await
        .unwrap();
    assert_eq!(kept, Some(6));
    let r = store.run(id, held).await.unwrap().unwrap();
    assert_eq!(r.status, RunStatus::Rejected);
    assert_eq!(
        store
            .reject_and_keep(id, held, "admin:anna@acme.de")
            .await
            .unwrap(),
        None,
        "only a held run"
    );
    let kept = store.kept_people(id).await.unwrap();
    assert_eq!(kept.len(), 6);
    assert_eq!(kept[0].reason, RemovalReason::NotListed);
    assert_eq!((kept[5].key, &kept[5].reason), (PersonKey(6), &rule));
    assert!(
        kept.iter()
            .all(|k| k.run == held && k.kept_by == "admin:anna@acme.de" && !k.released)
    );
    assert_eq!(store.directory(id).await.unwrap(), people, "nobody removed");

    // "Jetzt entfernen" marks them; a plan unkeeps some and removes others.
    let released = store
        .release_kept(id, &[PersonKey(1), PersonKey(2)].into())
        .await
        .unwrap();
    assert_eq!(released, 2);
    let kept = store.kept_people(id).await.unwrap();
    assert_eq!(
        kept.iter()
            .filter(|k| k.released)
            .map(|k| k.key.0)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    let plan = Plan {
        removals: vec![removal(1), removal(2)],
        unkept: vec![PersonKey(3)],
        unchanged: 8,
        ..Plan::default()
    };
    apply(&store, id, &plan).await;
    let kept: Vec<i64> = store
        .kept_people(id)
        .await
        .unwrap()
        .iter()
        .map(|k| k.key.0)
        .collect();
    assert_eq!(kept, vec![4, 5, 6]);
}

async fn runs_are_listed_newest_first_with_counts(store: Store, _env: Env) {
    let id = account(&store, "acme").await;
    let r1 = apply(
        &store,
        id,
        &creates(vec![emp(1, "A", "A", &[]), emp(2, "B", "B", &[])]),
    )
    .await;
    let plan = Plan {
        creates: vec![emp(3, "C", "C", &[])],
        skips: vec![
            Skip {
                key: Some(PersonKey(7)),
                reason: SkipReason::InvalidEmail,
            },
            Skip {
                key: Some(PersonKey(8)),
                reason: SkipReason::MissingField {
                    field: "email".into(),
                },
            },
            Skip {
                key: None,
                reason: SkipReason::Malformed {
                    detail: "bad".into(),
                },
            },
            Skip {
                key: Some(PersonKey(9)),
                reason: SkipReason::MissingField {
                    field: "last_name".into(),
                },
            },
        ],
        unchanged: 2,
        warnings: vec![
            Warning::IncompleteListing,
            Warning::AttributeNotReadable {
                attribute: "hire_date".into(),
            },
        ],
        ..Plan::default()
    };
    let r2 = apply(&store, id, &plan).await;
    let r3 = start(&store, id, RunKind::DryRun).await;
    store
        .finish_run(r3, RunStatus::DryRun, Some(&Plan::default()), None)
        .await
        .unwrap();

    let runs = store.runs(id).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![r3, r2, r1]
    );
    assert_eq!(runs[2].created, 2);
    let r = &runs[1];
    assert_eq!(
        (r.created, r.updated, r.removed, r.skipped, r.unchanged),
        (1, 0, 0, 4, 2)
    );
    assert_eq!(
        r.skipped_by_reason,
        BTreeMap::from([
            ("invalid_email".to_owned(), 1),
            ("malformed".to_owned(), 1),
            ("missing_field".to_owned(), 2),
        ])
    );
    assert_eq!(
        r.warnings,
        vec![
            "incomplete_listing",
            "attribute_not_readable (attribute: hire_date)"
        ]
    );
    assert!(r.started_at <= r.finished_at.unwrap());
    assert_eq!(runs[0].kind, RunKind::DryRun);
    assert_eq!(runs[0].status, RunStatus::DryRun);
    // The id-less skip is counted but not listed.
    let changes = store.run_changes(id, r2).await.unwrap();
    assert_eq!(changes.len(), 4);
    assert_eq!(changes[1].action, "skip");
    assert_eq!(
        changes[1].detail.as_ref().unwrap()["reason"],
        "invalid_email"
    );
    // Serializes for the CLI's JSON output.
    let json = serde_json::to_value(r).unwrap();
    assert_eq!(json["status"], "applied");
    assert_eq!(serde_json::to_value(RunStatus::DryRun).unwrap(), "dry_run");
    assert_eq!(
        RunStatus::parse("interrupted"),
        Some(RunStatus::Interrupted)
    );
    assert_eq!(
        RunKind::parse(RunKind::DryRun.as_str()),
        Some(RunKind::DryRun)
    );
}

async fn finish_run_leaves_directory_alone(store: Store, _env: Env) {
    let id = account(&store, "acme").await;
    let people = vec![
        emp(1, "A", "A", &[(GroupKind::Team, "T")]),
        emp(2, "B", "B", &[]),
    ];
    apply(&store, id, &creates(people.clone())).await;
    let groups = store.groups(id).await.unwrap();
    let plan = Plan {
        creates: vec![emp(3, "C", "C", &[(GroupKind::Team, "U")])],
        removals: vec![removal(1)],
        unchanged: 1,
        ..Plan::default()
    };

    let failed = start(&store, id, RunKind::Full).await;
    store
        .finish_run(failed, RunStatus::Failed, None, Some("Personio said 503"))
        .await
        .unwrap();
    let r = store.run(id, failed).await.unwrap().unwrap();
    assert_eq!(r.status, RunStatus::Failed);
    assert_eq!(r.error.as_deref(), Some("Personio said 503"));
    assert_eq!(r.failure, None, "prose from before failures were values");
    assert_eq!((r.created, r.removed), (0, 0));

    // A failure as a value: its kind and parameters, and its English message.
    let missing = staffsync_core::RunFailure::AttributeUnreadable {
        attribute: "department".into(),
    };
    let valued = start(&store, id, RunKind::Full).await;
    store
        .fail_run(valued, &missing, "cannot read department")
        .await
        .unwrap();
    let r = store.run(id, valued).await.unwrap().unwrap();
    assert_eq!(r.status, RunStatus::Failed);
    assert_eq!(r.failure, Some(missing.clone()));
    assert_eq!(r.error.as_deref(), Some("cannot read department"));
    let err = store.fail_run(valued, &missing, "again").await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");

    let dry = start(&store, id, RunKind::DryRun).await;
    let err = store.apply_plan(id, dry, &plan).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    store
        .finish_run(dry, RunStatus::DryRun, Some(&plan), None)
        .await
        .unwrap();
    let r = store.run(id, dry).await.unwrap().unwrap();
    assert_eq!(
        (r.status, r.created, r.removed, r.unchanged),
        (RunStatus::DryRun, 1, 1, 1)
    );
    assert_eq!(store.run_changes(id, dry).await.unwrap().len(), 2);

    let held = Plan {
        held: Some(Hold {
            removing: 1,
            directory_size: 2,
            rekeying: 0,
        }),
        ..plan.clone()
    };
    let h = start(&store, id, RunKind::Full).await;
    store
        .finish_run(h, RunStatus::Held, Some(&held), None)
        .await
        .unwrap();

    assert_eq!(store.directory(id).await.unwrap(), people);
    assert_eq!(store.groups(id).await.unwrap(), groups);

    // A run finishes once; applied and running are not finishing states.
    let err = store
        .finish_run(h, RunStatus::Failed, None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let err = store.apply_plan(id, h, &Plan::default()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let r = start(&store, id, RunKind::Full).await;
    let err = store
        .finish_run(r, RunStatus::Applied, None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
    let err = store
        .finish_run(
            staffsync_store::RunId(99_999),
            RunStatus::Failed,
            None,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn feedback_survives_author_removal(store: Store, _env: Env) {
    use GroupKind::*;
    let id = account(&store, "acme").await;
    let ada = emp(
        1,
        "Ada",
        "Lovelace",
        &[(Department, "R&D"), (Team, "Engines")],
    );
    let bob = emp(2, "Bob", "Builder", &[(Department, "R&D")]);
    apply(&store, id, &creates(vec![ada, bob])).await;

    let err = store
        .add_feedback(id, PersonKey(42), "who am I")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let f1 = store
        .add_feedback(id, PersonKey(1), "More coffee, please.")
        .await
        .unwrap();
    let f2 = store.add_feedback(id, PersonKey(2), "Fine.").await.unwrap();
    let snapshot = vec![
        GroupKey::new(Department, "R&D"),
        GroupKey::new(Team, "Engines"),
    ];
    assert_eq!(f1.groups, snapshot);
    assert_eq!(f1.author, Some(PersonKey(1)));
    assert_eq!(
        store.feedback(id).await.unwrap(),
        vec![f2.clone(), f1.clone()]
    );

    apply(
        &store,
        id,
        &Plan {
            removals: vec![removal(1)],
            ..Plan::default()
        },
    )
    .await;
    let all = store.feedback(id).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].author, None);
    assert_eq!(all[1].groups, snapshot);
    assert_eq!(all[1].body, "More coffee, please.");
    assert_eq!(all[1].created_at, f1.created_at);
    assert_eq!(all[0], f2);
    // Engines is gone from the directory but stays in the snapshot.
    assert!(
        store
            .groups(id)
            .await
            .unwrap()
            .iter()
            .all(|g| g.name != "Engines")
    );

    // A new person who reuses the id is not the author of the old feedback.
    apply(&store, id, &creates(vec![emp(1, "New", "Person", &[])])).await;
    assert_eq!(store.feedback(id).await.unwrap()[1].author, None);
}

async fn a_re_keyed_person_keeps_row_feedback_groups_and_history(store: Store, _env: Env) {
    use GroupKind::*;
    let id = account(&store, "acme").await;
    let ada = emp(1, "Ada", "Lovelace", &[(Department, "R&D")]);
    let mut bob = emp(2, "Bob", "Builder", &[(Department, "R&D")]);
    bob.supervisor_key = Some(PersonKey(1));
    let first = apply(&store, id, &creates(vec![ada.clone(), bob.clone()])).await;
    let f = store.add_feedback(id, PersonKey(1), "Hi.").await.unwrap();
    let seen = store.changes(id, 0, 1000).await.unwrap().len();

    // Ada comes back under 7 (a rehire), her last name changed.
    let mut after = ada.clone();
    after.key = PersonKey(7);
    after.last_name = "King".into();
    let plan = Plan {
        rekeys: vec![staffsync_core::Rekey {
            from: PersonKey(1),
            to: PersonKey(7),
        }],
        updates: vec![Update {
            after: after.clone(),
            changes: vec![FieldChange {
                field: "last_name".into(),
                before: Some("Lovelace".into()),
                after: Some("King".into()),
            }],
        }],
        unchanged: 1,
        ..Plan::default()
    };
    let run = apply(&store, id, &plan).await;
    let mut bob_after = bob.clone();
    bob_after.supervisor_key = Some(PersonKey(7));
    assert_eq!(store.directory(id).await.unwrap(), vec![bob_after, after]);
    let feedback = store.feedback(id).await.unwrap();
    assert_eq!(feedback[0].author, Some(PersonKey(7)), "{feedback:?}");
    assert_eq!(feedback[0].body, f.body);
    assert_eq!(
        group_counts(&store.groups(id).await.unwrap()),
        vec![(Department, "R&D".to_owned(), 2)]
    );
    // The feed: re-keyed (with the old key), then the update under the new key; no
    // membership churn.
    let new: Vec<_> = store.changes(id, 0, 1000).await.unwrap()[seen..].to_vec();
    let kinds: Vec<(&str, Option<PersonKey>)> =
        new.iter().map(|c| (c.change.as_str(), c.key)).collect();
    assert_eq!(
        kinds,
        vec![
            ("employee.rekeyed", Some(PersonKey(7))),
            ("employee.updated", Some(PersonKey(7)))
        ]
    );
    assert_eq!(new[0].data.as_ref().unwrap()["previous_personio_id"], 1);
    // The run history follows the person; the run records the re-key.
    let history = store.run_changes(id, first).await.unwrap();
    assert_eq!(history[0].key, PersonKey(7));
    let rows = store.run_changes(id, run).await.unwrap();
    assert_eq!(rows[0].detail.as_ref().unwrap()["rekeyed_from"], 1);

    // Erasing her later reaches what she left under her old key.
    apply(
        &store,
        id,
        &Plan {
            removals: vec![removal(7)],
            unchanged: 1,
            ..Plan::default()
        },
    )
    .await;
    for c in store.changes(id, 0, 1000).await.unwrap() {
        if matches!(c.key, Some(PersonKey(1 | 7))) {
            assert_eq!(c.data, None, "{c:?}");
        }
    }

    // A re-key of someone absent is refused, and nothing changes.
    let before = store.directory(id).await.unwrap();
    let bad = Plan {
        rekeys: vec![staffsync_core::Rekey {
            from: PersonKey(1),
            to: PersonKey(9),
        }],
        ..Plan::default()
    };
    let run = start(&store, id, RunKind::Full).await;
    let err = store.apply_plan(id, run, &bad).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(store.directory(id).await.unwrap(), before);
}

async fn erasure_nulls_run_change_details(store: Store, _env: Env) {
    let id = account(&store, "acme").await;
    let x = emp(1, "Xavier", "Erasedson", &[(GroupKind::Team, "T")]);
    let y = emp(2, "Yolanda", "Keptsdottir", &[(GroupKind::Team, "T")]);
    let r1 = apply(&store, id, &creates(vec![x.clone(), y.clone()])).await;
    let mut x2 = x.clone();
    x2.last_name = "Erasedson-Smith".into();
    let r2 = apply(
        &store,
        id,
        &Plan {
            updates: vec![Update {
                after: x2,
                changes: vec![FieldChange {
                    field: "last_name".into(),
                    before: Some("Erasedson".into()),
                    after: Some("Erasedson-Smith".into()),
                }],
            }],
            ..Plan::default()
        },
    )
    .await;
    let dry = start(&store, id, RunKind::DryRun).await;
    store
        .finish_run(
            dry,
            RunStatus::DryRun,
            Some(&Plan {
                skips: vec![Skip {
                    key: Some(PersonKey(1)),
                    reason: SkipReason::Status {
                        status: "inactive".into(),
                    },
                }],
                ..Plan::default()
            }),
            None,
        )
        .await
        .unwrap();
    assert!(store.run_changes(id, r1).await.unwrap()[0].detail.is_some());

    let r3 = apply(
        &store,
        id,
        &Plan {
            removals: vec![removal(1)],
            unchanged: 1,
            ..Plan::default()
        },
    )
    .await;
    for run in [r1, r2, dry, r3] {
        for c in store.run_changes(id, run).await.unwrap() {
            if c.key == PersonKey(1) && c.action != "remove" {
                assert_eq!(c.detail, None, "run {run:?}: {c:?}");
            } else {
                assert!(c.detail.is_some());
            }
        }
    }
    // The removal itself stays an audit entry: the key, why, the department (team T is
    // no department here: none), no name.
    let removal = &store.run_changes(id, r3).await.unwrap()[0];
    assert_eq!(
        removal.detail,
        Some(serde_json::json!({"reason": "not_listed"}))
    );
    let r1c = store.run_changes(id, r1).await.unwrap();
    assert_eq!(r1c.len(), 2, "the change rows stay, only the details go");
    assert_eq!(
        r1c[1].detail.as_ref().unwrap()["name"],
        "Yolanda Keptsdottir"
    );
    assert_eq!(store.directory(id).await.unwrap(), vec![y]);
}

/// A held run's removals and updates stay readable after other runs apply (people still
/// in the directory, shown by their current name); once a listed person is removed,
/// every removal row of theirs keeps exactly the key, the reason and the department.
async fn removals_keep_reason_and_department_through_holds_and_erasure(store: Store, _env: Env) {
    let id = account(&store, "acme").await;
    let x = emp(
        1,
        "Xenia",
        "Leaving",
        &[(GroupKind::Department, "Vertrieb")],
    );
    let y = emp(2, "Yusuf", "Staying", &[(GroupKind::Department, "Technik")]);
    apply(&store, id, &creates(vec![x.clone(), y.clone()])).await;
    let mut y2 = y.clone();
    y2.position = Some("Lead".into());
    let excluded = RemovalReason::Excluded {
        rule: "exclude employment_type = external".into(),
    };
    let held_plan = Plan {
        removals: vec![Removal {
            key: PersonKey(1),
            reason: excluded.clone(),
        }],
        updates: vec![Update {
            changes: staffsync_core::planner::changes(&y, &y2),
            after: y2,
        }],
        ..Plan::default()
    };
    let held = start(&store, id, RunKind::Full).await;
    store
        .finish_run(held, RunStatus::Held, Some(&held_plan), None)
        .await
        .unwrap();
    let expected_removal = serde_json::json!({
        "reason": "excluded",
        "rule": "exclude employment_type = external",
        "department": "Vertrieb",
    });
    // Another run applies (nobody removed): the held run's details stay.
    apply(&store, id, &creates(vec![emp(3, "Zoe", "New", &[])])).await;
    let rows = store.run_changes(id, held).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].action, "update");
    assert_eq!(
        rows[0].detail.as_ref().unwrap()["changes"][0]["field"],
        "position"
    );
    assert_eq!(rows[1].detail.as_ref(), Some(&expected_removal));

    // Xenia goes: every row of hers keeps only what the audit needs.
    let gone = apply(
        &store,
        id,
        &Plan {
            removals: vec![Removal {
                key: PersonKey(1),
                reason: excluded,
            }],
            unchanged: 2,
            ..Plan::default()
        },
    )
    .await;
    for run in [held, gone] {
        let rows = store.run_changes(id, run).await.unwrap();
        let removal = rows.iter().find(|c| c.action == "remove").unwrap();
        assert_eq!(removal.key, PersonKey(1));
        assert_eq!(
            removal.detail.as_ref(),
            Some(&expected_removal),
            "run {run:?}"
        );
    }
    let first = store.runs(id).await.unwrap().last().unwrap().id;
    let create = &store.run_changes(id, first).await.unwrap()[0];
    assert_eq!((create.key, create.detail.as_ref()), (PersonKey(1), None));
}

async fn accounts_are_isolated(store: Store, _env: Env) {
    let a = account(&store, "alpha").await;
    let b = account(&store, "beta").await;
    let team = |n: &str| vec![(GroupKind::Team, n.to_owned())];
    let mk = |id, first: &str, t: &str| {
        let g = team(t);
        emp(
            id,
            first,
            "X",
            &g.iter().map(|(k, n)| (*k, n.as_str())).collect::<Vec<_>>(),
        )
    };
    let ra = apply(
        &store,
        a,
        &creates(vec![mk(1, "Anna", "Shared"), mk(2, "Arne", "OnlyA")]),
    )
    .await;
    let rb = apply(
        &store,
        b,
        &creates(vec![mk(1, "Berta", "Shared"), mk(2, "Bodo", "OnlyB")]),
    )
    .await;

    // Removing 2 in A leaves B's 2 alone, and deletes only A's empty group.
    apply(
        &store,
        a,
        &Plan {
            removals: vec![removal(2)],
            ..Plan::default()
        },
    )
    .await;
    let da = store.directory(a).await.unwrap();
    let db = store.directory(b).await.unwrap();
    assert_eq!(
        da.iter().map(|e| e.first_name.as_str()).collect::<Vec<_>>(),
        vec!["Anna"]
    );
    assert_eq!(
        db.iter().map(|e| e.first_name.as_str()).collect::<Vec<_>>(),
        vec!["Berta", "Bodo"]
    );
    assert_eq!(
        group_counts(&store.groups(a).await.unwrap()),
        vec![(GroupKind::Team, "Shared".into(), 1)]
    );
    assert_eq!(
        group_counts(&store.groups(b).await.unwrap()),
        vec![
            (GroupKind::Team, "OnlyB".into(), 1),
            (GroupKind::Team, "Shared".into(), 1)
        ]
    );
    // B's history of person 2 keeps its details.
    assert!(
        store
            .run_changes(b, rb)
            .await
            .unwrap()
            .iter()
            .all(|c| c.detail.is_some())
    );

    // Runs are per account.
    assert!(store.run(b, ra).await.unwrap().is_none());
    assert!(store.run_changes(b, ra).await.unwrap().is_empty());
    assert_eq!(store.runs(b).await.unwrap().len(), 1);
    let run_a = start(&store, a, RunKind::Full).await;
    let err = store
        .apply_plan(b, run_a, &Plan::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    // Starting a run in B does not interrupt A's.
    start(&store, b, RunKind::Full).await;
    assert_eq!(
        store.run(a, run_a).await.unwrap().unwrap().status,
        RunStatus::Running
    );

    // Feedback is per account too.
    store
        .add_feedback(b, PersonKey(2), "from Bodo")
        .await
        .unwrap();
    let err = store
        .add_feedback(a, PersonKey(2), "from nobody")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(store.feedback(a).await.unwrap().is_empty());
    assert_eq!(
        store.feedback(b).await.unwrap()[0].author,
        Some(PersonKey(2))
    );
}

async fn ten_thousand_creates_in_one_call(store: Store, _env: Env) {
    use GroupKind::*;
    let id = account(&store, "big").await;
    let people: Vec<DirectoryEmployee> = (1..=10_000)
        .map(|i| {
            let dept = format!("Dept {}", i % 20);
            let team = format!("Team {}", i % 150);
            emp(
                i,
                &format!("First{i}"),
                &format!("Last{i}"),
                &[(Department, &dept), (Team, &team)],
            )
        })
        .collect();
    let plan = creates(people);
    let run = start(&store, id, RunKind::Full).await;
    let started = Instant::now();
    store.apply_plan(id, run, &plan).await.unwrap();
    let took = started.elapsed();
    println!("{:?}: 10,000 creates applied in {took:?}", store.backend());
    let dir = store.directory(id).await.unwrap();
    assert_eq!(dir.len(), 10_000);
    assert_eq!(dir, plan.creates);
    let groups = store.groups(id).await.unwrap();
    assert_eq!(groups.len(), 170);
    assert_eq!(groups.iter().map(|g| g.member_count).sum::<i64>(), 20_000);
    assert_eq!(store.run(id, run).await.unwrap().unwrap().created, 10_000);
}

/// The directory is read whole and in key order whatever its size (SQLite reads it in
/// chunks of 1,000 by key): keys below and above zero, a chunk boundary falling on the
/// last person, people without groups, text that JSON must escape, and another account's
/// people in between, which are never part of it.
async fn the_directory_is_read_whole_in_key_order_across_chunks(store: Store, _env: Env) {
    use GroupKind::*;
    let id = account(&store, "chunks").await;
    let other = account(&store, "other").await;
    let mut people: Vec<DirectoryEmployee> = (-1000_i64..1000)
        .map(|i| {
            let dept = format!("Dept \"{}\" \\ ü", i.rem_euclid(7));
            if i % 5 == 0 {
                emp(i, &format!("Ohne{i}"), "Gruppe", &[])
            } else {
                emp(i, &format!("First{i}"), "Last\n", &[(Department, &dept)])
            }
        })
        .collect();
    people[3].attributes = staffsync_core::Attributes::from([("note", "{\"a\": [1, \"b\"]}")]);
    let mut mirrored = people.clone();
    for e in &mut mirrored {
        e.key = PersonKey(e.key.0 * 2 + 1);
    }
    mirrored.sort_by_key(|e| e.key);
    let run = start(&store, other, RunKind::Full).await;
    store
        .apply_plan(other, run, &creates(mirrored))
        .await
        .unwrap();
    let run = start(&store, id, RunKind::Full).await;
    store
        .apply_plan(id, run, &creates(people.clone()))
        .await
        .unwrap();

    let dir = store.directory(id).await.unwrap();
    assert_eq!(dir.len(), 2_000);
    assert_eq!(dir, people);
    // One more after the boundary: the last chunk holds one person.
    let last = emp(5_000, "Zuletzt", "Dabei", &[(Team, "Nachzügler")]);
    let run = start(&store, id, RunKind::Full).await;
    store
        .apply_plan(id, run, &creates(vec![last.clone()]))
        .await
        .unwrap();
    people.push(last);
    assert_eq!(store.directory(id).await.unwrap(), people);

    // Read as it comes in: each call sees a longer prefix of the result, in key order,
    // the first long before the end (a run plans the listing against it meanwhile).
    let mut prefixes: Vec<Vec<DirectoryEmployee>> = Vec::new();
    let dir = store
        .directory_with(id, |so_far| prefixes.push(so_far.to_vec()))
        .await
        .unwrap();
    assert_eq!(dir, people);
    assert!(prefixes.len() >= 2, "{} calls", prefixes.len());
    assert!(
        prefixes[0].len() <= 1_000,
        "first call after {}",
        prefixes[0].len()
    );
    for (earlier, later) in prefixes.iter().zip(prefixes.iter().skip(1)) {
        assert!(earlier.len() < later.len());
    }
    for prefix in &prefixes {
        assert_eq!(prefix[..], dir[..prefix.len()]);
    }
}

async fn start_run_interrupts_stale_runs(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "other").await;
    let r1 = start(&store, a, RunKind::Full).await;
    let rb = start(&store, b, RunKind::Full).await;
    let r2 = start(&store, a, RunKind::DryRun).await;
    let s1 = store.run(a, r1).await.unwrap().unwrap();
    assert_eq!(s1.status, RunStatus::Interrupted);
    assert!(s1.finished_at.is_some());
    assert_eq!(
        store.run(a, r2).await.unwrap().unwrap().status,
        RunStatus::Running
    );
    assert_eq!(
        store.run(b, rb).await.unwrap().unwrap().status,
        RunStatus::Running
    );
    // An interrupted run can no longer apply.
    let err = store
        .apply_plan(a, r1, &creates(vec![emp(1, "A", "A", &[])]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(store.directory(a).await.unwrap().is_empty());
    // An unknown account has no schedule, so no lease and no run.
    let err = store
        .ensure_schedule(AccountId(9999), time::OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let until = time::OffsetDateTime::now_utc() + secs(60);
    assert!(
        store
            .try_lease(AccountId(9999), "w", until)
            .await
            .unwrap()
            .is_none()
    );
}

/// No file below `dir` holds any of `erased`, and `kept` (someone else's) is still there.
fn assert_gone_from_disk(dir: &std::path::Path, erased: &[&[u8]], kept: &[u8]) {
    for needle in erased {
        common::locate(dir, needle);
        assert!(
            !common::files_contain(dir, needle),
            "{} still on disk",
            String::from_utf8_lossy(needle)
        );
    }
    assert!(common::files_contain(dir, kept), "others are kept");
}

/// SQLite only: after an erasure, no file of the data directory holds the person's
/// name or e-mail (secure_delete + WAL truncation). PostgreSQL keeps dead tuples until
/// vacuum; see the `directory` module docs.
async fn erased_bytes_leave_the_disk(store: Store, env: Env) {
    if store.backend() != Backend::Sqlite {
        return;
    }
    let id = account(&store, "acme").await;
    let mut people: Vec<DirectoryEmployee> = (1..=400)
        .map(|i| {
            emp(
                i,
                &format!("Keeper{i:04}"),
                &format!("Remains{i:04}"),
                &[(GroupKind::Team, "T")],
            )
        })
        .collect();
    let mut victim = emp(
        401,
        "Zebediah",
        "Quuxworthington",
        &[(GroupKind::Team, "Solo Team")],
    );
    victim.email = "zeb.quux@private-mail.example".into();
    victim.attributes.insert("nickname", "Zebbo-the-unique");
    people.push(victim.clone());
    apply(&store, id, &creates(people)).await;
    // Some history and updates to move pages around.
    let mut v2 = victim.clone();
    v2.office = Some("Quuxworthington Hall".into());
    apply(
        &store,
        id,
        &Plan {
            updates: vec![Update {
                after: v2,
                changes: vec![FieldChange {
                    field: "office".into(),
                    before: None,
                    after: Some("Quuxworthington Hall".into()),
                }],
            }],
            ..Plan::default()
        },
    )
    .await;
    store
        .add_feedback(id, PersonKey(401), "anonymous words")
        .await
        .unwrap();
    let dir = &env.cfg.data_dir;
    assert!(
        common::files_contain(dir, b"Quuxworthington"),
        "scan sanity"
    );

    apply(
        &store,
        id,
        &Plan {
            removals: vec![removal(401)],
            unchanged: 400,
            ..Plan::default()
        },
    )
    .await;
    assert_gone_from_disk(
        dir,
        &[
            b"Zebediah",
            b"Quuxworthington",
            b"zeb.quux@private-mail.example",
            b"Zebbo-the-unique",
        ],
        b"Remains0400",
    );
    assert_eq!(store.feedback(id).await.unwrap()[0].body, "anonymous words");
}

// ---------------------------------------------------------------- SQLite-only extras

#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = staffsync_store::StoreConfig {
        data_dir: tmp.path().join("nested").join("data"),
        database_url: None,
        secret_key: None,
    };
    let store = Store::open(&cfg).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cfg.data_dir), 0o700);
    assert_eq!(mode(&cfg.data_dir.join("secret.key")), 0o600);
    assert_eq!(mode(&cfg.data_dir.join("staffsync.db")), 0o600);
    let key = std::fs::read_to_string(cfg.data_dir.join("secret.key")).unwrap();
    assert!(!format!("{store:?}").contains(key.trim()));
    assert!(!format!("{cfg:?}").contains(key.trim()));
    store.close().await;
}

#[tokio::test]
async fn bad_urls_and_keys_are_refused_without_leaking() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = staffsync_store::StoreConfig {
        data_dir: tmp.path().to_path_buf(),
        database_url: Some("mysql://root:hunter2@db/x".into()),
        secret_key: None,
    };
    let err = Store::open(&cfg).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidUrl { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"));
    assert!(!format!("{cfg:?}").contains("hunter2"));
    let cfg = staffsync_store::StoreConfig {
        data_dir: tmp.path().to_path_buf(),
        database_url: None,
        secret_key: Some(SecretString::from("c2hvcnQ=")),
    };
    let err = Store::open(&cfg).await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto { .. }), "{err:?}");
}

// ---------------------------------------------------------------- service additions

fn personio_url() -> url::Url {
    url::Url::parse("https://api.personio.de").unwrap()
}

fn vienna() -> TimeZoneName {
    TimeZoneName::parse("Europe/Vienna").unwrap()
}

pub(crate) fn new_connection() -> NewConnection {
    NewConnection {
        client_id: "papi-client".into(),
        client_secret: SecretString::from("papi-secret-value".to_owned()),
        base_url: personio_url(),
        api_version: ApiVersion::V1,
        readable_attributes: vec![],
    }
}

async fn connected(store: &Store, s: &str) -> AccountId {
    let id = account(store, s).await;
    store.save_connection(id, &new_connection()).await.unwrap();
    id
}

/// Now, truncated to the microseconds the store keeps.
fn now_us() -> time::OffsetDateTime {
    let t = time::OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap()
}

fn secs(n: i64) -> time::Duration {
    time::Duration::seconds(n)
}

async fn admins_email_unique_case_insensitive_and_hash_hidden(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let admin = store
        .create_admin(
            a,
            &"Anna.Admin@Example.com".parse().unwrap(),
            "$argon2id$secret-hash",
        )
        .await
        .unwrap();
    assert_eq!(admin.account_id, a);
    assert_eq!(admin.email, "Anna.Admin@Example.com");
    assert!(!format!("{admin:?}").contains("secret-hash"));
    for (acct, email) in [
        (a, "anna.admin@example.com"),
        (b, "ANNA.ADMIN@EXAMPLE.COM "),
    ] {
        let err = store
            .create_admin(acct, &email.parse().unwrap(), "h")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    }
    let err = store
        .create_admin(AccountId(9999), &"x@example.com".parse().unwrap(), "h")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let found = store
        .admin_by_email("ANNA.admin@example.COM")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, admin);
    assert_eq!(store.admin(admin.id).await.unwrap().unwrap(), admin);
    assert!(
        store
            .admin_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.account_by_id(a).await.unwrap().unwrap().slug.as_str(),
        "acme"
    );
    assert!(
        store
            .account_by_id(AccountId(9999))
            .await
            .unwrap()
            .is_none()
    );
}

async fn sessions_upsert_load_expire_delete(store: Store, _env: Env) {
    let now = now_us();
    store
        .save_session("s1", "{\"a\":1}", now + secs(60))
        .await
        .unwrap();
    store
        .save_session("s2", "two", now - secs(1))
        .await
        .unwrap();
    assert_eq!(
        store.load_session("s1", now).await.unwrap(),
        Some(("{\"a\":1}".to_owned(), now + secs(60)))
    );
    assert_eq!(
        store.load_session("s2", now).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.load_session("nope", now).await.unwrap(), None);
    store
        .save_session("s1", "changed", now + secs(120))
        .await
        .unwrap();
    assert_eq!(
        store
            .load_session("s1", now + secs(90))
            .await
            .unwrap()
            .map(|(data, _)| data)
            .as_deref(),
        Some("changed")
    );
    assert_eq!(store.delete_expired_sessions(now).await.unwrap(), 1);
    store.delete_session("s1").await.unwrap();
    store.delete_session("s1").await.unwrap();
    assert_eq!(store.load_session("s1", now).await.unwrap(), None);
}

async fn api_tokens_lookup_list_revoke(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let digest = "ab".repeat(32);
    let t = store
        .create_api_token(a, &digest, "survey app")
        .await
        .unwrap();
    assert_eq!(t.account_id, a);
    assert_eq!(t.label, "survey app");
    assert_eq!(t.revoked_at, None);
    let t2 = store
        .create_api_token(a, &"cd".repeat(32), "second")
        .await
        .unwrap();
    let err = store.create_api_token(b, &digest, "dup").await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(store.account_for_token(&digest).await.unwrap(), Some(a));
    assert_eq!(
        store.account_for_token(&"ef".repeat(32)).await.unwrap(),
        None
    );
    let listed = store.api_tokens(a).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![t.id, t2.id]
    );
    assert!(store.api_tokens(b).await.unwrap().is_empty());
    assert!(
        !store.revoke_api_token(b, t.id).await.unwrap(),
        "other account"
    );
    assert!(store.revoke_api_token(a, t.id).await.unwrap());
    assert!(
        !store.revoke_api_token(a, t.id).await.unwrap(),
        "already revoked"
    );
    assert_eq!(store.account_for_token(&digest).await.unwrap(), None);
    let listed = store.api_tokens(a).await.unwrap();
    assert!(listed[0].revoked_at.is_some());
    assert_eq!(
        store.account_for_token(&"cd".repeat(32)).await.unwrap(),
        Some(a)
    );
}

async fn scoped_reads_employee_group_members(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let x = emp(
        1,
        "Xena",
        "One",
        &[(GroupKind::Department, "Sales"), (GroupKind::Team, "T1")],
    );
    let y = emp(2, "Yann", "Two", &[(GroupKind::Department, "Sales")]);
    let z = emp(3, "Zoe", "Three", &[(GroupKind::Department, "Ops")]);
    apply(&store, a, &creates(vec![x.clone(), y.clone(), z])).await;
    apply(
        &store,
        b,
        &creates(vec![emp(
            1,
            "Other",
            "Person",
            &[(GroupKind::Department, "Sales")],
        )]),
    )
    .await;

    assert_eq!(store.employee(a, PersonKey(1)).await.unwrap().unwrap(), x);
    assert_eq!(
        store
            .employee(b, PersonKey(1))
            .await
            .unwrap()
            .unwrap()
            .first_name,
        "Other"
    );
    assert!(store.employee(b, PersonKey(2)).await.unwrap().is_none());

    let groups = store.groups(a).await.unwrap();
    let sales = groups.iter().find(|g| g.name == "Sales").unwrap();
    let got = store.group(a, sales.id).await.unwrap().unwrap();
    assert_eq!(&got, sales);
    assert_eq!(got.member_count, 2);
    assert!(
        store.group(b, sales.id).await.unwrap().is_none(),
        "other account's group"
    );
    let members = store.group_members(a, sales.id).await.unwrap();
    assert_eq!(members, vec![x, y]);
    assert!(store.group_members(b, sales.id).await.unwrap().is_empty());
    assert!(store.group_members(a, 999_999).await.unwrap().is_empty());
}

async fn feedback_by_email(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let x = emp(1, "Xena", "One", &[(GroupKind::Team, "T1")]);
    apply(&store, a, &creates(vec![x])).await;
    let f = store
        .add_feedback_by_email(a, "XENA.one@example.com", "Great team")
        .await
        .unwrap();
    assert_eq!(f.author, Some(PersonKey(1)));
    assert_eq!(f.groups, vec![GroupKey::new(GroupKind::Team, "T1")]);
    let err = store
        .add_feedback_by_email(b, "xena.one@example.com", "wrong account")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let err = store
        .add_feedback_by_email(a, "nobody@example.com", "x")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(store.feedback(a).await.unwrap().len(), 1);
    assert!(store.feedback(b).await.unwrap().is_empty());
}

fn held_plan() -> Plan {
    Plan {
        removals: vec![removal(1)],
        held: Some(Hold {
            removing: 1,
            directory_size: 1,
            rekeying: 0,
        }),
        ..Plan::default()
    }
}

/// Who accepted or rejected a held run, and when: only on a held run of the same
/// account, listed with the run (and in `runs`).
async fn decisions_on_held_runs_are_recorded_with_who_and_when(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let applied = apply(&store, a, &creates(vec![emp(1, "Ada", "Lovelace", &[])])).await;
    let run = start(&store, a, RunKind::Full).await;
    store
        .finish_run(run, RunStatus::Held, Some(&held_plan()), None)
        .await
        .unwrap();
    assert_eq!(store.run(a, run).await.unwrap().unwrap().decision, None);
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    assert!(
        !store
            .record_decision(b, run, "admin:x@beta.example")
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_decision(a, applied, "admin:anna@acme.example")
            .await
            .unwrap()
    );
    assert!(
        store
            .record_decision(a, run, "admin:anna@acme.example")
            .await
            .unwrap()
    );
    let decision = store.run(a, run).await.unwrap().unwrap().decision.unwrap();
    assert_eq!(decision.by, "admin:anna@acme.example");
    assert!(decision.at >= before, "{decision:?}");
    // The status change that follows keeps it.
    assert!(
        store
            .set_run_status(a, run, RunStatus::Held, RunStatus::Rejected)
            .await
            .unwrap()
    );
    let listed = store.runs(a).await.unwrap();
    assert_eq!(listed[0].id, run);
    assert_eq!(listed[0].decision.as_ref(), Some(&decision));
    assert_eq!(listed[1].decision, None);
}

async fn run_status_held_to_rejected(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let run = start(&store, a, RunKind::Full).await;
    store
        .finish_run(run, RunStatus::Held, Some(&held_plan()), None)
        .await
        .unwrap();
    assert!(
        !store
            .set_run_status(b, run, RunStatus::Held, RunStatus::Rejected)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_run_status(a, run, RunStatus::Failed, RunStatus::Rejected)
            .await
            .unwrap()
    );
    assert!(
        store
            .set_run_status(a, run, RunStatus::Held, RunStatus::Rejected)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_run_status(a, run, RunStatus::Held, RunStatus::Rejected)
            .await
            .unwrap()
    );
    let s = store.run(a, run).await.unwrap().unwrap();
    assert_eq!(s.status, RunStatus::Rejected);
    assert!(s.held.is_some());
    assert_eq!(RunStatus::parse("rejected"), Some(RunStatus::Rejected));
    let err = store
        .set_run_status(a, run, RunStatus::Rejected, RunStatus::Applied)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid { .. }), "{err:?}");
}

async fn apply_clears_previews_of_unapplied_runs(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let applied = apply(&store, a, &creates(vec![emp(1, "Kept", "Person", &[])])).await;
    let preview = Plan {
        creates: vec![emp(7, "Never", "Imported", &[])],
        ..Plan::default()
    };
    let mut previews = Vec::new();
    for status in [
        RunStatus::DryRun,
        RunStatus::Held,
        RunStatus::Failed,
        RunStatus::Held,
    ] {
        let kind = if status == RunStatus::DryRun {
            RunKind::DryRun
        } else {
            RunKind::Full
        };
        let run = start(&store, a, kind).await;
        store
            .finish_run(run, status, Some(&preview), None)
            .await
            .unwrap();
        previews.push(run);
    }
    let rejected = previews[3];
    assert!(
        store
            .set_run_status(a, rejected, RunStatus::Held, RunStatus::Rejected)
            .await
            .unwrap()
    );
    // Another account's preview is not touched.
    let other = start(&store, b, RunKind::DryRun).await;
    store
        .finish_run(other, RunStatus::DryRun, Some(&preview), None)
        .await
        .unwrap();
    for run in &previews {
        assert!(
            store.run_changes(a, *run).await.unwrap()[0]
                .detail
                .is_some()
        );
    }

    apply(&store, a, &creates(vec![emp(2, "New", "Hire", &[])])).await;
    for run in &previews {
        let changes = store.run_changes(a, *run).await.unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].key, PersonKey(7), "the id stays");
        assert_eq!(changes[0].detail, None, "run {run:?}");
    }
    assert!(
        store.run_changes(a, applied).await.unwrap()[0]
            .detail
            .is_some()
    );
    assert!(
        store.run_changes(b, other).await.unwrap()[0]
            .detail
            .is_some()
    );
}

async fn schedule_follows_connection(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    assert!(store.schedule(a).await.unwrap().is_none());
    let err = store.request_sync(a, None).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let before = now_us() - secs(1);
    store.save_connection(a, &new_connection()).await.unwrap();
    let s = store.schedule(a).await.unwrap().unwrap();
    assert_eq!(s.account_id, a);
    assert!(s.next_run_at >= before && s.next_run_at <= now_us());
    assert_eq!(s.consecutive_failures, 0);
    assert_eq!(s.lease_owner, None);
    assert_eq!(s.accept_run, None);
    // Reconnecting keeps the schedule as it is.
    let later = now_us() + secs(3600);
    let mut claimed = store.claim_due("w", now_us(), later, 10).await.unwrap();
    assert_eq!(leased(&claimed), vec![a]);
    store
        .release(claimed.remove(0), later, &ScheduleOutcome::Succeeded)
        .await
        .unwrap();
    store.save_connection(a, &new_connection()).await.unwrap();
    let s2 = store.schedule(a).await.unwrap().unwrap();
    assert_eq!(s2.next_run_at, s.next_run_at.max(s2.next_run_at));
    assert!(s2.next_run_at > now_us());
    store.ensure_schedule(a, before).await.unwrap();
    assert_eq!(
        store.schedule(a).await.unwrap().unwrap(),
        s2,
        "ensure keeps an existing row"
    );
    let err = store
        .ensure_schedule(AccountId(9999), before)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    assert!(store.remove_connection(a).await.unwrap());
    assert!(store.schedule(a).await.unwrap().is_none());
    // A schedule without a connection is never claimed.
    store.ensure_schedule(a, before).await.unwrap();
    let now = now_us();
    assert!(
        store
            .claim_due("w", now, now + secs(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn concurrent_claimers_never_share_an_account(store: Store, env: Env) {
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(connected(&store, &format!("acct-{i:02}")).await);
    }
    // A second, independent pool stands for a second process.
    let other = env.reopen(None).await;
    let now = now_us();
    let until = now + secs(600);
    let mut tasks = Vec::new();
    for w in 0..6 {
        let s = if w % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            let owner = format!("worker-{w}");
            let mut got = Vec::new();
            loop {
                let batch = s.claim_due(&owner, now, until, 3).await.unwrap();
                if batch.is_empty() {
                    break;
                }
                got.extend(
                    batch
                        .into_iter()
                        .map(|l| (l.account(), l.owner().to_owned())),
                );
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let mut claimed: Vec<AccountId> = all.iter().map(|(a, _)| *a).collect();
    claimed.sort();
    assert_eq!(claimed, ids, "every due account claimed exactly once");
    for (a, owner) in &all {
        let s = store.schedule(*a).await.unwrap().unwrap();
        assert_eq!(s.lease_owner.as_deref(), Some(owner.as_str()));
        assert_eq!(s.lease_expires_at, Some(until));
    }
    assert!(
        store
            .claim_due("late", now, until, 100)
            .await
            .unwrap()
            .is_empty()
    );
    other.close().await;
}

async fn expired_lease_can_be_reclaimed(store: Store, _env: Env) {
    let a = connected(&store, "acme").await;
    let now = now_us();
    let mut dead = store
        .claim_due("dead", now, now + secs(30), 10)
        .await
        .unwrap();
    assert_eq!(leased(&dead), vec![a]);
    let dead = dead.remove(0);
    assert!(
        store
            .claim_due("live", now + secs(10), now + secs(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Renewing extends the holder's lease.
    assert!(store.renew_lease(&dead, now + secs(40)).await.unwrap());
    assert!(
        store
            .claim_due("live", now + secs(35), now + secs(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // After the lease expires another worker takes it; the old holder lost it: it can
    // neither renew nor release it, nor start a run with it.
    let mut live = store
        .claim_due("live", now + secs(41), now + secs(100), 10)
        .await
        .unwrap();
    assert_eq!(leased(&live), vec![a]);
    let live = live.remove(0);
    assert!(!store.renew_lease(&dead, now + secs(200)).await.unwrap());
    let err = store.start_run(&dead, RunKind::Full).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(
        store.runs(a).await.unwrap().is_empty(),
        "no run was started"
    );
    let err = store
        .release(dead, now + secs(3600), &ScheduleOutcome::Succeeded)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let owner = store.schedule(a).await.unwrap().unwrap().lease_owner;
    assert_eq!(owner.as_deref(), Some(live.owner()));
    assert!(live.owner().starts_with("live/"), "{}", live.owner());
    // Not due yet: nothing to claim, even without a lease.
    store
        .release(live, now + secs(3600), &ScheduleOutcome::Succeeded)
        .await
        .unwrap();
    assert!(
        store
            .claim_due("x", now + secs(3599), now + secs(4000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        leased(
            &store
                .claim_due("x", now + secs(3600), now + secs(4000), 10)
                .await
                .unwrap()
        ),
        vec![a]
    );
}

fn leased(leases: &[staffsync_store::Lease]) -> Vec<AccountId> {
    leases.iter().map(staffsync_store::Lease::account).collect()
}

async fn release_records_outcome_and_keeps_requests(store: Store, _env: Env) {
    let a = connected(&store, "acme").await;
    let now = now_us();
    let claim = |at: time::OffsetDateTime| {
        let store = store.clone();
        async move {
            let mut got = store.claim_due("w", at, at + secs(60), 10).await.unwrap();
            assert_eq!(leased(&got), vec![a]);
            got.remove(0)
        }
    };
    let mut lease = claim(now).await;
    for n in 1..=2 {
        store
            .release(
                lease,
                now,
                &ScheduleOutcome::Failed {
                    error: format!("boom {n}"),
                },
            )
            .await
            .unwrap();
        let s = store.schedule(a).await.unwrap().unwrap();
        assert_eq!(s.consecutive_failures, n);
        assert_eq!(s.last_error.as_deref(), Some(format!("boom {n}").as_str()));
        assert_eq!(s.lease_owner, None);
        assert_eq!(s.lease_expires_at, None);
        assert!(s.last_run_at.is_some());
        lease = claim(now).await;
    }
    store
        .release(lease, now, &ScheduleOutcome::Held)
        .await
        .unwrap();
    let s = store.schedule(a).await.unwrap().unwrap();
    assert_eq!((s.consecutive_failures, s.last_error), (0, None));

    // A request while a sync runs survives that sync's release, accepted run included.
    let held = staffsync_store::RunId(77);
    store.request_sync(a, Some(held)).await.unwrap();
    let s = store.schedule(a).await.unwrap().unwrap();
    assert_eq!(s.accept_run, Some(held));
    assert!(s.requested_at.is_some());
    let t = now_us();
    let lease = claim(t).await;
    assert_eq!(store.schedule(a).await.unwrap().unwrap().requested_at, None);
    store.request_sync(a, Some(held)).await.unwrap();
    store
        .release(lease, t + secs(3600), &ScheduleOutcome::Succeeded)
        .await
        .unwrap();
    let s = store.schedule(a).await.unwrap().unwrap();
    assert_eq!(s.accept_run, Some(held), "requested during the run: kept");
    assert!(s.next_run_at <= now_us(), "still due");
    // The run that uses the request clears it.
    let t = now_us();
    let lease = claim(t).await;
    store
        .release(lease, t + secs(3600), &ScheduleOutcome::Succeeded)
        .await
        .unwrap();
    let s = store.schedule(a).await.unwrap().unwrap();
    assert_eq!(s.accept_run, None);
    assert_eq!(s.next_run_at, t + secs(3600));
    assert_eq!(s.consecutive_failures, 0);
}

// ---------------------------------------------------------------- real-time (issue 5)

async fn webhook_is_sealed_and_cleared(store: Store, env: Env) {
    let a = connected(&store, "acme").await;
    let b = account(&store, "other").await;
    let token = "whtok-Qx81-do-not-leak";
    assert!(store.webhook(a).await.unwrap().is_none());
    assert_eq!(store.connection(a).await.unwrap().unwrap().webhook_id, None);
    store
        .set_webhook(a, "wh-1", &SecretString::from(token))
        .await
        .unwrap();
    let got = store.webhook(a).await.unwrap().unwrap();
    assert_eq!(got.id, "wh-1");
    assert_eq!(got.token.expose_secret(), token);
    assert!(!format!("{got:?}").contains(token));
    assert_eq!(
        store
            .connection(a)
            .await
            .unwrap()
            .unwrap()
            .webhook_id
            .as_deref(),
        Some("wh-1")
    );
    assert!(!env.raw_contains(store.backend(), token.as_bytes()).await);
    // Not connected: NotFound; another account sees nothing.
    let err = store
        .set_webhook(b, "wh-2", &SecretString::from(token))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(store.webhook(b).await.unwrap().is_none());
    let listed = store.realtime_accounts().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].has_webhook && listed[0].api_version == ApiVersion::V1);

    assert!(store.clear_webhook(a).await.unwrap());
    assert!(!store.clear_webhook(a).await.unwrap());
    assert!(store.webhook(a).await.unwrap().is_none());
    // Reconnecting forgets the webhook.
    store
        .set_webhook(a, "wh-3", &SecretString::from(token))
        .await
        .unwrap();
    store.save_connection(a, &new_connection()).await.unwrap();
    assert!(store.webhook(a).await.unwrap().is_none());
}

async fn sync_state_watermarks(store: Store, _env: Env) {
    let a = connected(&store, "acme").await;
    let b = connected(&store, "other").await;
    assert_eq!(
        store.sync_state(a).await.unwrap(),
        staffsync_store::SyncState::default()
    );
    let t = now_us();
    store.set_last_incremental_at(a, t).await.unwrap();
    // Never moves back.
    store
        .set_last_incremental_at(a, t - secs(60))
        .await
        .unwrap();
    store
        .set_last_date_check(a, time::macros::date!(2026 - 03 - 15))
        .await
        .unwrap();
    let st = store.sync_state(a).await.unwrap();
    assert_eq!(st.last_incremental_at, Some(t));
    assert_eq!(
        st.last_date_check,
        Some(time::macros::date!(2026 - 03 - 15))
    );
    store.set_last_incremental_at(a, t + secs(5)).await.unwrap();
    assert_eq!(
        store.sync_state(a).await.unwrap().last_incremental_at,
        Some(t + secs(5))
    );
    assert_eq!(
        store.sync_state(b).await.unwrap(),
        staffsync_store::SyncState::default()
    );
    let all = store.realtime_accounts().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].account_id, a);
    assert_eq!(
        all[0].state.last_date_check,
        Some(time::macros::date!(2026 - 03 - 15))
    );
    assert!(!all[1].has_webhook && all[1].state.last_incremental_at.is_none());
    let err = store
        .set_last_date_check(AccountId(9999), time::macros::date!(2026 - 03 - 15))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    // Disconnecting forgets the state.
    assert!(store.remove_connection(a).await.unwrap());
    assert_eq!(
        store.sync_state(a).await.unwrap(),
        staffsync_store::SyncState::default()
    );
}

fn not_started(id: i64, day: time::Date) -> Skip {
    Skip {
        key: Some(PersonKey(id)),
        reason: SkipReason::NotStarted { hire_date: day },
    }
}

async fn targeted_runs_apply_and_keep_pending_hires(store: Store, _env: Env) {
    use time::macros::date;
    let a = connected(&store, "acme").await;
    let other = connected(&store, "other").await;
    let mut full = creates(vec![emp(1, "Ada", "L", &[]), emp(2, "Bob", "R", &[])]);
    full.skips = vec![
        not_started(10, date!(2026 - 04 - 01)),
        not_started(11, date!(2026 - 05 - 01)),
    ];
    // The store keeps what the plan lists, not what it reads into the skips.
    full.pending_hires = vec![
        (PersonKey(10), date!(2026 - 04 - 01)),
        (PersonKey(11), date!(2026 - 05 - 01)),
    ];
    apply(&store, a, &full).await;
    assert_eq!(
        store.pending_hires(a).await.unwrap(),
        vec![
            (PersonKey(10), date!(2026 - 04 - 01)),
            (PersonKey(11), date!(2026 - 05 - 01))
        ]
    );
    assert!(store.pending_hires(other).await.unwrap().is_empty());

    // A targeted run creates 10 and removes 2: 10 is no longer pending, 11 still is.
    let run = start(&store, a, RunKind::Targeted).await;
    let mut plan = creates(vec![emp(10, "Cy", "N", &[])]);
    plan.removals = vec![removal(2)];
    store.apply_plan(a, run, &plan).await.unwrap();
    assert_eq!(
        store.pending_hires(a).await.unwrap(),
        vec![(PersonKey(11), date!(2026 - 05 - 01))]
    );
    let ids: Vec<i64> = store
        .directory(a)
        .await
        .unwrap()
        .iter()
        .map(|d| d.key.0)
        .collect();
    assert_eq!(ids, vec![1, 10]);
    let runs = store.runs(a).await.unwrap();
    assert_eq!(runs[0].kind, RunKind::Targeted);
    assert_eq!(runs[0].status, RunStatus::Applied);
    assert_eq!((runs[0].created, runs[0].removed), (1, 1));

    // An incremental run moves 11's date; a dry run may still not apply.
    let run = start(&store, a, RunKind::Incremental).await;
    let plan = Plan {
        skips: vec![not_started(11, date!(2026 - 06 - 01))],
        pending_hires: vec![(PersonKey(11), date!(2026 - 06 - 01))],
        ..Plan::default()
    };
    store.apply_plan(a, run, &plan).await.unwrap();
    assert_eq!(
        store.pending_hires(a).await.unwrap(),
        vec![(PersonKey(11), date!(2026 - 06 - 01))]
    );
    let run = start(&store, a, RunKind::DryRun).await;
    let err = store
        .apply_plan(a, run, &Plan::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");

    // Partial runs since the last applied full run, as a full run sees them.
    let full_run = start(&store, a, RunKind::Full).await;
    assert_eq!(store.partial_runs_before(a, full_run).await.unwrap(), 2);
    store
        .apply_plan(a, full_run, &Plan::default())
        .await
        .unwrap();
    // A full run replaces the pending hires with its own (none here).
    assert!(store.pending_hires(a).await.unwrap().is_empty());
    let next = start(&store, a, RunKind::Full).await;
    assert_eq!(store.partial_runs_before(a, next).await.unwrap(), 0);
    assert_eq!(store.partial_runs_before(other, next).await.unwrap(), 0);
    assert_eq!(RunKind::parse("targeted"), Some(RunKind::Targeted));
    assert_eq!(RunKind::parse("incremental"), Some(RunKind::Incremental));
}

async fn side_leases_exclude_claims(store: Store, _env: Env) {
    let a = connected(&store, "acme").await;
    let now = now_us();
    // Not due yet for claim_due's purposes does not matter to try_lease.
    let w1 = store.try_lease(a, "w1", now + secs(60)).await.unwrap();
    let w1 = w1.expect("free");
    assert_eq!(w1.account(), a);
    assert!(
        store
            .try_lease(a, "w2", now + secs(60))
            .await
            .unwrap()
            .is_none()
    );
    let holder = store.lease_holder(a).await.unwrap().expect("held");
    assert_eq!(holder.owner, w1.owner());
    // The scheduler cannot claim it while it is leased, even though it is due.
    assert!(
        store
            .claim_due("w2", now, now + secs(60), 5)
            .await
            .unwrap()
            .is_empty()
    );
    // Two leases of one holder name are still two owners: neither can stand for the other.
    assert!(store.release_lease(w1).await.unwrap());
    assert_eq!(store.lease_holder(a).await.unwrap(), None);
    // The schedule itself is untouched: still due, claimable.
    let claimed = store.claim_due("w2", now, now + secs(60), 5).await.unwrap();
    assert_eq!(leased(&claimed), vec![a]);
    assert!(
        store
            .try_lease(a, "w1", now + secs(60))
            .await
            .unwrap()
            .is_none()
    );
    // An unconnected account has no schedule, so no lease.
    let b = account(&store, "other").await;
    assert!(
        store
            .try_lease(b, "w1", now + secs(60))
            .await
            .unwrap()
            .is_none()
    );
}

// ---------------------------------------------------------------- reviewed acceptance (issue 14)

fn held_removing(ids: std::ops::RangeInclusive<i64>, size: usize) -> Plan {
    let removals: Vec<Removal> = ids
        .map(|id| Removal {
            key: PersonKey(id),
            reason: RemovalReason::NotListed,
        })
        .collect();
    Plan {
        held: Some(staffsync_core::Hold {
            removing: removals.len(),
            directory_size: size,
            rekeying: 0,
        }),
        removals,
        ..Plan::default()
    }
}

async fn newer_held_runs_supersede_older_ones(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "other").await;
    let r1 = start(&store, a, RunKind::Full).await;
    store
        .finish_run(r1, RunStatus::Held, Some(&held_removing(1..=6, 10)), None)
        .await
        .unwrap();
    let shown: std::collections::BTreeSet<PersonKey> = (1..=6).map(PersonKey).collect();
    assert_eq!(store.held_removals(a, r1).await.unwrap(), Some(shown));
    assert_eq!(store.latest_held_run(a).await.unwrap(), Some(r1));
    // Another account sees neither the run nor its removals.
    assert_eq!(store.held_removals(b, r1).await.unwrap(), None);
    assert_eq!(store.latest_held_run(b).await.unwrap(), None);

    // A newer held run replaces it: the older one can no longer be accepted.
    let r2 = start(&store, a, RunKind::Full).await;
    store
        .finish_run(r2, RunStatus::Held, Some(&held_removing(1..=7, 10)), None)
        .await
        .unwrap();
    let s1 = store.run(a, r1).await.unwrap().unwrap();
    assert_eq!(s1.status, RunStatus::Superseded);
    assert_eq!(store.held_removals(a, r1).await.unwrap(), None);
    assert_eq!(store.latest_held_run(a).await.unwrap(), Some(r2));
    assert_eq!(
        store.held_removals(a, r2).await.unwrap().map(|s| s.len()),
        Some(7)
    );

    // A targeted run applied meanwhile leaves the held full run as it is.
    let t = start(&store, a, RunKind::Targeted).await;
    store.apply_plan(a, t, &Plan::default()).await.unwrap();
    assert_eq!(store.latest_held_run(a).await.unwrap(), Some(r2));

    // An applied full run supersedes it too; marking it accepted afterwards works.
    let r3 = start(&store, a, RunKind::Full).await;
    store.apply_plan(a, r3, &Plan::default()).await.unwrap();
    assert_eq!(
        store.run(a, r2).await.unwrap().unwrap().status,
        RunStatus::Superseded
    );
    assert_eq!(store.latest_held_run(a).await.unwrap(), None);
    assert!(
        store
            .set_run_status(a, r2, RunStatus::Superseded, RunStatus::Accepted)
            .await
            .unwrap()
    );
    assert_eq!(
        store.run(a, r2).await.unwrap().unwrap().status,
        RunStatus::Accepted
    );
}

async fn corrupt_stored_settings_are_named(store: Store, env: Env) {
    let a = connected(&store, "acme").await;
    // Read back parsed: what was saved is what the server gets, no string to re-check.
    let conn = store.connection(a).await.unwrap().unwrap();
    assert_eq!(conn.base_url, personio_url());
    assert_eq!(conn.api_version, ApiVersion::V1);
    let acct = store.account_by_id(a).await.unwrap().unwrap();
    assert_eq!(acct.time_zone, TimeZoneName::default());

    for (sql, named) in [
        (
            "UPDATE connections SET api_version = 'v9'",
            "Personio API version \"v9\"",
        ),
        (
            "UPDATE connections SET api_version = 'v1', base_url = 'not a url'",
            "the connection's Personio URL is not a URL",
        ),
    ] {
        env.raw_execute(store.backend(), sql).await;
        let err = store.connection(a).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt { what } if what.contains(named)),
            "{err:?}"
        );
    }
    env.raw_execute(
        store.backend(),
        "UPDATE connections SET base_url = 'https://api.personio.de'",
    )
    .await;
    env.raw_execute(store.backend(), "UPDATE connections SET api_version = 'v3'")
        .await;
    let err = store.realtime_accounts().await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { what } if what.contains("\"v3\"")),
        "{err:?}"
    );

    env.raw_execute(
        store.backend(),
        "UPDATE accounts SET time_zone = 'Mars/Olympus'",
    )
    .await;
    let err = store.account_by_id(a).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { what } if what.contains("time zone \"Mars/Olympus\"")),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- issue 13: incidents

/// One open incident per account and kind: opening again only updates its details (no
/// new e-mail is due), resolving happens once, and afterwards a new one can open.
/// Accounts do not see each other's incidents; mail outcomes are recorded per phase.
async fn one_open_incident_per_kind_opened_and_resolved_once(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let held = |run: i64, removals: u64| IncidentDetails {
        run_id: Some(run),
        removals: Some(removals),
        directory_size: Some(40),
        ..IncidentDetails::default()
    };
    let Opened::New(first) = store
        .open_incident(a, IncidentKind::HeldRun, &held(7, 15))
        .await
        .unwrap()
    else {
        panic!("a new incident");
    };
    assert_eq!(first.kind, IncidentKind::HeldRun);
    assert_eq!(first.details, held(7, 15));
    assert_eq!((first.resolved_at, first.opened_mail), (None, None));
    // The same problem found again (a retry, a newer held run): no new incident.
    let Opened::AlreadyOpen(again) = store
        .open_incident(a, IncidentKind::HeldRun, &held(9, 20))
        .await
        .unwrap()
    else {
        panic!("still the same incident");
    };
    assert_eq!((again.id, again.opened_at), (first.id, first.opened_at));
    assert_eq!(again.details, held(9, 20), "details are brought up to date");
    // Another kind, and another account, are separate incidents.
    let credential = IncidentDetails::default();
    assert!(matches!(
        store
            .open_incident(a, IncidentKind::CredentialRejected, &credential)
            .await
            .unwrap(),
        Opened::New(_)
    ));
    assert!(matches!(
        store
            .open_incident(b, IncidentKind::HeldRun, &held(1, 5))
            .await
            .unwrap(),
        Opened::New(_)
    ));
    let open: Vec<IncidentKind> = store
        .open_incidents(a)
        .await
        .unwrap()
        .iter()
        .map(|i| i.kind)
        .collect();
    assert_eq!(
        open,
        [IncidentKind::HeldRun, IncidentKind::CredentialRejected]
    );
    assert_eq!(store.open_incidents(b).await.unwrap().len(), 1);

    store
        .record_incident_mail(a, first.id, IncidentPhase::Opened, MailStatus::Sent)
        .await
        .unwrap();
    let err = store
        .record_incident_mail(b, first.id, IncidentPhase::Opened, MailStatus::Failed)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    let resolved = store
        .resolve_incident(a, IncidentKind::HeldRun)
        .await
        .unwrap()
        .expect("resolved now");
    assert_eq!(resolved.id, first.id);
    assert!(resolved.resolved_at.is_some());
    assert_eq!(resolved.opened_mail, Some(MailStatus::Sent));
    assert!(
        store
            .resolve_incident(a, IncidentKind::HeldRun)
            .await
            .unwrap()
            .is_none(),
        "resolved once"
    );
    store
        .record_incident_mail(
            a,
            first.id,
            IncidentPhase::Resolved,
            MailStatus::NotConfigured,
        )
        .await
        .unwrap();
    // The next held run is a new incident.
    let Opened::New(next) = store
        .open_incident(a, IncidentKind::HeldRun, &held(11, 6))
        .await
        .unwrap()
    else {
        panic!("a new incident after the resolution");
    };
    assert_ne!(next.id, first.id);
    let all = store.incidents(a, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].id, next.id, "newest first");
    let old = all.iter().find(|i| i.id == first.id).unwrap();
    assert_eq!(old.resolved_mail, Some(MailStatus::NotConfigured));
    // B's incident is untouched by A's resolutions.
    assert!(
        store.open_incidents(b).await.unwrap()[0]
            .resolved_at
            .is_none()
    );
    let err = store
        .open_incident(AccountId(9999), IncidentKind::HeldRun, &held(1, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn admins_are_listed_with_their_language(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    let anna = store
        .create_admin(a, &"anna@acme.example".parse().unwrap(), "h")
        .await
        .unwrap();
    let ben = store
        .create_admin(a, &"ben@acme.example".parse().unwrap(), "h")
        .await
        .unwrap();
    store
        .create_admin(b, &"carl@beta.example".parse().unwrap(), "h")
        .await
        .unwrap();
    assert_eq!(anna.lang, None);
    store.set_admin_lang(ben.id, "en").await.unwrap();
    let listed: Vec<(String, Option<String>)> = store
        .admins(a)
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.email, x.lang))
        .collect();
    assert_eq!(
        listed,
        [
            ("anna@acme.example".to_owned(), None),
            ("ben@acme.example".to_owned(), Some("en".to_owned()))
        ]
    );
}

/// The store applies the planner's group changes and decides none: a group the plan does
/// not remove stays even when empty for a moment, a planned removal of a group that still
/// has members, or a rename of a group that does not exist, is refused and changes
/// nothing, and a planned rename keeps the group's id.
async fn group_changes_are_applied_as_planned_never_decided(store: Store, _env: Env) {
    let id = account(&store, "groups-as-planned").await;
    apply(
        &store,
        id,
        &creates(vec![
            emp(1, "Ada", "A", &[(GroupKind::Department, "Sales")]),
            emp(2, "Bo", "B", &[(GroupKind::Department, "Sales")]),
        ]),
    )
    .await;
    let sales_id = |groups: &[staffsync_store::GroupSummary], name: &str| {
        groups.iter().find(|g| g.name == name).map(|g| g.id)
    };
    let before = store.groups(id).await.unwrap();
    let sales = sales_id(&before, "Sales").expect("Sales exists");

    // A removal of a group that keeps its members is refused.
    let bad = Plan {
        groups: staffsync_core::GroupChanges {
            removed: vec![GroupKey::new(GroupKind::Department, "Sales")],
            ..Default::default()
        },
        ..Plan::default()
    };
    let run = start(&store, id, RunKind::Full).await;
    let err = store.apply_plan(id, run, &bad).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    // A rename of a group that is not there is refused.
    let bad = Plan {
        groups: staffsync_core::GroupChanges {
            renamed: vec![staffsync_core::GroupRename {
                from: GroupKey::new(GroupKind::Department, "Nowhere"),
                to: GroupKey::new(GroupKind::Department, "Somewhere"),
            }],
            ..Default::default()
        },
        ..Plan::default()
    };
    let run = start(&store, id, RunKind::Full).await;
    let err = store.apply_plan(id, run, &bad).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(
        group_counts(&store.groups(id).await.unwrap()),
        vec![(GroupKind::Department, "Sales".into(), 2)]
    );

    // Everyone moves to "Vertrieb": the planner says rename, the store keeps the id.
    let moved = |id: i64, first: &str| Update {
        after: emp(
            id,
            first,
            &first[..1],
            &[(GroupKind::Department, "Vertrieb")],
        ),
        changes: Vec::new(),
    };
    let plan = Plan {
        updates: vec![moved(1, "Ada"), moved(2, "Bo")],
        ..Plan::default()
    };
    apply(&store, id, &plan).await;
    let after = store.groups(id).await.unwrap();
    assert_eq!(sales_id(&after, "Vertrieb"), Some(sales));
    assert_eq!(sales_id(&after, "Sales"), None);
}

async fn latest_runs_and_employee_count_per_account(store: Store, _env: Env) {
    let a = account(&store, "acme").await;
    let b = account(&store, "beta").await;
    assert_eq!(store.latest_run(a, RunKind::Full).await.unwrap(), None);
    assert_eq!(store.running_run(a).await.unwrap(), None);
    assert_eq!(store.employee_count(a).await.unwrap(), 0);

    let full = apply(
        &store,
        a,
        &creates(vec![emp(1, "A", "A", &[]), emp(2, "B", "B", &[])]),
    )
    .await;
    let preview = start(&store, a, RunKind::DryRun).await;
    store
        .finish_run(preview, RunStatus::DryRun, Some(&Plan::default()), None)
        .await
        .unwrap();
    let other = apply(&store, b, &creates(vec![emp(5, "E", "E", &[])])).await;

    let latest = store.latest_run(a, RunKind::Full).await.unwrap().unwrap();
    assert_eq!((latest.id, latest.status), (full, RunStatus::Applied));
    assert_eq!(latest.created, 2);
    let latest = store.latest_run(a, RunKind::DryRun).await.unwrap().unwrap();
    assert_eq!(latest.id, preview);
    assert_eq!(store.latest_run(a, RunKind::Targeted).await.unwrap(), None);
    assert_eq!(
        store
            .latest_run(b, RunKind::Full)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(other)
    );
    assert_eq!(store.employee_count(a).await.unwrap(), 2);
    assert_eq!(store.employee_count(b).await.unwrap(), 1);

    // A run that has not finished is the running one; it is also the newest full run.
    let running = start(&store, a, RunKind::Full).await;
    let r = store.running_run(a).await.unwrap().unwrap();
    assert_eq!((r.id, r.status), (running, RunStatus::Running));
    assert_eq!(
        store
            .latest_run(a, RunKind::Full)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(running)
    );
    assert_eq!(store.running_run(b).await.unwrap(), None);
    store
        .finish_run(running, RunStatus::Failed, None, Some("personio down"))
        .await
        .unwrap();
    assert_eq!(store.running_run(a).await.unwrap(), None);
}

// ---------------------------------------------------------------- survey snapshots

fn group_id(groups: &[staffsync_store::GroupSummary], kind: GroupKind, name: &str) -> i64 {
    groups
        .iter()
        .find(|g| g.kind == kind && g.name == name)
        .unwrap_or_else(|| panic!("group {kind}/{name} in {groups:?}"))
        .id
}

/// Snapshot groups as (id, kind, name, count).
fn snapshot_groups(
    groups: &[staffsync_store::SnapshotGroup],
) -> Vec<(i64, GroupKind, Option<&str>, i64)> {
    groups
        .iter()
        .map(|g| (g.id, g.kind, g.name.as_deref(), g.member_count))
        .collect()
}

/// The people chosen by `keep` (by key), as `create_snapshot` takes them.
fn chosen(
    directory: &[DirectoryEmployee],
    keep: impl Fn(i64) -> bool,
) -> Result<Vec<PersonKey>, StoreError> {
    Ok(directory
        .iter()
        .map(|e| e.key)
        .filter(|p| keep(p.0))
        .collect())
}

/// A snapshot keeps the audience, its groups' ids, names and counts as they were, while
/// people move and leave and groups are renamed or removed; it pages, lists newest first,
/// deletes, and no other account sees it.
async fn snapshots_freeze_the_audience(store: Store, _env: Env) {
    use GroupKind::{Department, Office};
    let id = account(&store, "acme").await;
    let other = account(&store, "other").await;
    apply(
        &store,
        id,
        &creates(vec![
            emp(1, "Ada", "A", &[(Department, "Sales"), (Office, "Berlin")]),
            emp(2, "Bo", "B", &[(Department, "Sales"), (Office, "Hamburg")]),
            emp(3, "Cy", "C", &[(Department, "Tech"), (Office, "Berlin")]),
            emp(4, "Di", "D", &[(Department, "Tech")]),
        ]),
    )
    .await;
    let live = store.groups(id).await.unwrap();
    let (sales, tech) = (
        group_id(&live, Department, "Sales"),
        group_id(&live, Department, "Tech"),
    );
    let (berlin, hamburg) = (
        group_id(&live, Office, "Berlin"),
        group_id(&live, Office, "Hamburg"),
    );
    let (snap, groups) = store
        .create_snapshot(id, "Pulse Q1", |directory, groups| {
            assert_eq!((directory.len(), groups.len()), (4, 4));
            chosen(directory, |p| p <= 3)
        })
        .await
        .unwrap();
    assert_eq!((snap.label.as_str(), snap.count), ("Pulse Q1", 3));
    let expected_groups = vec![
        (sales, Department, Some("Sales"), 2),
        (tech, Department, Some("Tech"), 1),
        (berlin, Office, Some("Berlin"), 2),
        (hamburg, Office, Some("Hamburg"), 1),
    ];
    assert_eq!(snapshot_groups(&groups), expected_groups);
    let sorted = |mut ids: Vec<i64>| {
        ids.sort_unstable();
        ids
    };
    let members = store
        .snapshot_members(id, snap.id, None, None)
        .await
        .unwrap();
    let expected_members = vec![
        (1, Some(PersonKey(1)), sorted(vec![sales, berlin])),
        (2, Some(PersonKey(2)), sorted(vec![sales, hamburg])),
        (3, Some(PersonKey(3)), sorted(vec![tech, berlin])),
    ];
    let shown = |members: &[staffsync_store::SnapshotMember]| {
        members
            .iter()
            .map(|m| (m.position, m.person, m.group_ids.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&members), expected_members);
    let page = store
        .snapshot_members(id, snap.id, Some(1), Some(1))
        .await
        .unwrap();
    assert_eq!(shown(&page), expected_members[1..2]);

    // A choice that fails writes nothing.
    let refused = store
        .create_snapshot(id, "refused", |_, _| {
            Err(StoreError::Invalid { what: "no".into() })
        })
        .await;
    assert!(matches!(refused, Err(StoreError::Invalid { .. })));
    assert_eq!(store.snapshots(id).await.unwrap(), vec![snap.clone()]);

    // The directory moves on: Sales is renamed Vertrieb, Bo moves to Berlin (Hamburg
    // goes), Cy leaves.
    let update = |e: DirectoryEmployee| Update {
        after: e,
        changes: Vec::new(),
    };
    apply(
        &store,
        id,
        &Plan {
            updates: vec![
                update(emp(
                    1,
                    "Ada",
                    "A",
                    &[(Department, "Vertrieb"), (Office, "Berlin")],
                )),
                update(emp(
                    2,
                    "Bo",
                    "B",
                    &[(Department, "Vertrieb"), (Office, "Berlin")],
                )),
            ],
            removals: vec![removal(3)],
            ..Plan::default()
        },
    )
    .await;
    let live = store.groups(id).await.unwrap();
    assert_eq!(group_id(&live, Department, "Vertrieb"), sales, "renamed");
    assert!(live.iter().all(|g| g.name != "Hamburg"));
    let (again, again_groups) = store.snapshot(id, snap.id).await.unwrap().expect("kept");
    assert_eq!(again, snap);
    assert_eq!(snapshot_groups(&again_groups), expected_groups);
    let mut erased = expected_members.clone();
    erased[2].1 = None;
    assert_eq!(
        shown(
            &store
                .snapshot_members(id, snap.id, None, None)
                .await
                .unwrap()
        ),
        erased,
        "the leaver keeps their groups, not their id"
    );

    // Tenancy: another account sees nothing and deletes nothing.
    assert_eq!(store.snapshot(other, snap.id).await.unwrap(), None);
    assert!(
        store
            .snapshot_members(other, snap.id, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.snapshots(other).await.unwrap().is_empty());
    assert!(!store.delete_snapshot(other, snap.id).await.unwrap());

    // Newest first; deleting takes the groups and members along.
    let (second, second_groups) = store
        .create_snapshot(id, "Everyone", |directory, _| chosen(directory, |_| true))
        .await
        .unwrap();
    assert_eq!(second.count, 3);
    assert_eq!(
        snapshot_groups(&second_groups),
        vec![
            (tech, Department, Some("Tech"), 1),
            (sales, Department, Some("Vertrieb"), 2),
            (berlin, Office, Some("Berlin"), 2)
        ]
    );
    let listed: Vec<i64> = store
        .snapshots(id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, vec![second.id, snap.id]);
    assert!(store.delete_snapshot(id, snap.id).await.unwrap());
    assert!(!store.delete_snapshot(id, snap.id).await.unwrap());
    assert_eq!(store.snapshot(id, snap.id).await.unwrap(), None);
    assert!(
        store
            .snapshot_members(id, snap.id, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.snapshots(id).await.unwrap(), vec![second]);
}

/// Erasing a member, in `apply_plan`'s transaction: their entry keeps its group ids and
/// loses the key; a reporting line named after them keeps its id and count, not its name.
/// On SQLite, no file of the data directory holds the erased manager's name or e-mail.
async fn snapshot_entries_of_erased_people_keep_only_their_groups(store: Store, env: Env) {
    use GroupKind::{ReportsDirect, Team};
    let id = account(&store, "acme").await;
    let report = |i: i64, line: bool| {
        let mut groups = vec![(Team, "T")];
        if line {
            groups.push((ReportsDirect, "401"));
        }
        emp(
            i,
            &format!("Keeper{i:04}"),
            &format!("Remains{i:04}"),
            &groups,
        )
    };
    let mut manager = emp(401, "Zebediah", "Quuxworthington", &[(Team, "Solo Team")]);
    manager.email = "zeb.quux@private-mail.example".into();
    let mut people: Vec<DirectoryEmployee> = (1..=3).map(|i| report(i, true)).collect();
    people.push(manager);
    apply(&store, id, &creates(people)).await;
    let live = store.groups(id).await.unwrap();
    let (line, solo, team) = (
        group_id(&live, ReportsDirect, "401"),
        group_id(&live, Team, "Solo Team"),
        group_id(&live, Team, "T"),
    );
    let (snap, groups) = store
        .create_snapshot(id, "Pulse", |directory, _| chosen(directory, |_| true))
        .await
        .unwrap();
    let named = groups.iter().find(|g| g.id == line).expect("the line");
    assert_eq!(named.name.as_deref(), Some("401"));
    assert_eq!(
        named.manager_name.as_deref(),
        Some("Zebediah Quuxworthington")
    );

    // The manager leaves; their reports lose the reporting line.
    apply(
        &store,
        id,
        &Plan {
            updates: (1..=3)
                .map(|i| Update {
                    after: report(i, false),
                    changes: Vec::new(),
                })
                .collect(),
            removals: vec![removal(401)],
            ..Plan::default()
        },
    )
    .await;
    let (after, groups) = store.snapshot(id, snap.id).await.unwrap().expect("kept");
    assert_eq!(after.count, 4);
    assert_eq!(
        snapshot_groups(&groups),
        vec![
            (solo, Team, Some("Solo Team"), 1),
            (team, Team, Some("T"), 3),
            (line, ReportsDirect, None, 3),
        ]
    );
    assert!(
        groups
            .iter()
            .all(|g| g.id != line || g.manager_name.is_none())
    );
    let members = store
        .snapshot_members(id, snap.id, None, None)
        .await
        .unwrap();
    assert_eq!(members.len(), 4);
    assert_eq!(
        (members[3].person, &members[3].group_ids),
        (None, &vec![solo])
    );
    assert!(
        members[..3]
            .iter()
            .all(|m| m.person.is_some() && m.group_ids.contains(&line)),
        "the reports keep their ids and the line: {members:?}"
    );
    let backend = store.backend();
    for sql in [
        "SELECT COUNT(*) FROM audience_snapshot_members WHERE personio_id = 401",
        "SELECT COUNT(*) FROM audience_snapshot_groups WHERE name = '401' \
         OR manager_name IS NOT NULL",
    ] {
        assert_eq!(env.raw_count(backend, sql).await, 0, "{sql}");
    }
    if backend == Backend::Sqlite {
        assert_gone_from_disk(
            &env.cfg.data_dir,
            &[
                b"Zebediah",
                b"Quuxworthington",
                b"zeb.quux@private-mail.example",
            ],
            b"Remains0003",
        );
    }
}
