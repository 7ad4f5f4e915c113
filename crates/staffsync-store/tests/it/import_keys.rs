//! Conformance (SQLite and PostgreSQL) of what file accounts keep: person keys per
//! `ImportId` (handed out once, never reused, forgotten on erasure and after an applied
//! import), the columns of the last import, future hires' records, and the account's
//! source.

use crate::common::Env;
use crate::conformance::start;
use staffsync_core::{
    AccountSlug, DirectoryEmployee, GroupKey, GroupKind, PersonKey, Plan, Removal, RemovalReason,
    Skip, SkipReason, SourceEmployee, TimeZoneName,
};
use staffsync_store::{AccountId, AccountSource, ImportApplied, RunKind, Store, StoreError};
use time::macros::date;

conformance!(
    import_keys_are_handed_out_once_and_never_reused,
    provisional_keys_store_nothing,
    erasure_and_applied_imports_forget_mappings,
    future_hire_records_are_kept_until_the_hire_is_created,
    file_columns_and_source_roundtrip,
);

async fn file_account(store: &Store, slug: &str) -> AccountId {
    store
        .create_account_with_source(
            &AccountSlug::parse(slug).unwrap(),
            slug,
            &TimeZoneName::default(),
            AccountSource::File,
        )
        .await
        .unwrap()
        .id
}

fn person(key: PersonKey, first: &str) -> DirectoryEmployee {
    DirectoryEmployee {
        key,
        email: format!("{}@example.com", first.to_lowercase()),
        first_name: first.to_owned(),
        last_name: "Muster".to_owned(),
        department: Some("Vertrieb".to_owned()),
        office: None,
        team: None,
        position: None,
        status: None,
        hire_date: None,
        termination_date: None,
        supervisor_key: None,
        age_band_next: None,
        attributes: staffsync_core::Attributes::default(),
        groups: [GroupKey::new(GroupKind::Department, "Vertrieb")]
            .into_iter()
            .collect(),
    }
}

/// Applies `plan` as an import whose file listed `listed`, as a full run.
async fn import(
    store: &Store,
    account: AccountId,
    plan: &Plan,
    listed: &[PersonKey],
    future_hires: &[SourceEmployee],
) {
    let run = start(store, account, RunKind::Full).await;
    let import = ImportApplied {
        listed,
        future_hires,
        columns: &[],
    };
    let plan = crate::common::with_group_changes(store, account, plan).await;
    store
        .apply_import(account, run, &plan, &import)
        .await
        .unwrap();
}

async fn keys(store: &Store, account: AccountId, ids: &[&str]) -> Vec<i64> {
    store
        .allocate_import_keys(account, ids)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.0)
        .collect()
}

async fn import_keys_are_handed_out_once_and_never_reused(store: Store, _env: Env) {
    let a = file_account(&store, "acme").await;
    let b = file_account(&store, "beta").await;
    // One ImportId twice in a batch gets one key.
    assert_eq!(keys(&store, a, &["E-1", "E-2", "E-1"]).await, [1, 2, 1]);
    assert_eq!(keys(&store, a, &["E-2", "E-3"]).await, [2, 3]);
    assert_eq!(keys(&store, a, &[]).await, Vec::<i64>::new());
    // ImportIds are compared exactly: another spelling is another person.
    assert_eq!(keys(&store, a, &["e-1"]).await, [4]);
    // Each account counts on its own and sees only its own mappings.
    assert_eq!(keys(&store, b, &["E-3", "E-1"]).await, [1, 2]);
    assert_eq!(
        store.import_key(a, "E-3").await.unwrap(),
        Some(PersonKey(3))
    );
    assert_eq!(
        store.import_key(b, "E-3").await.unwrap(),
        Some(PersonKey(1))
    );
    assert_eq!(store.import_key(b, "E-2").await.unwrap(), None);
    let ids = store.import_ids(a).await.unwrap();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[&PersonKey(2)], "E-2");
    assert_eq!(ids[&PersonKey(4)], "e-1");
    // A few keys: only those with an ImportId of this account.
    let some = store
        .import_ids_of(a, &[PersonKey(2), PersonKey(4), PersonKey(99)])
        .await
        .unwrap();
    assert_eq!(some.len(), 2);
    assert_eq!(some[&PersonKey(4)], "e-1");
    assert!(
        store
            .import_ids_of(b, &[PersonKey(4)])
            .await
            .unwrap()
            .is_empty()
    );
    // An unknown account gets nothing.
    let err = store
        .allocate_import_keys(AccountId(9999), &["x"])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn provisional_keys_store_nothing(store: Store, _env: Env) {
    let a = file_account(&store, "acme").await;
    assert_eq!(keys(&store, a, &["E-1"]).await, [1]);
    let provisional: Vec<i64> = store
        .provisional_import_keys(a, &["E-2", "E-1", "E-3", "E-2"])
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.0)
        .collect();
    // Known keys as they are; unseen ones negative (never anyone's key), one per ImportId.
    assert_eq!(provisional, [-1, 1, -2, -1]);
    assert_eq!(store.import_ids(a).await.unwrap().len(), 1);
    assert_eq!(store.import_key(a, "E-2").await.unwrap(), None);
    // The counter did not move.
    assert_eq!(keys(&store, a, &["E-2"]).await, [2]);
}

async fn erasure_and_applied_imports_forget_mappings(store: Store, _env: Env) {
    let a = file_account(&store, "acme").await;
    let [ada, bob, cy, dan] = [1, 2, 3, 4].map(PersonKey);
    assert_eq!(
        keys(&store, a, &["ada", "bob", "cy", "dan"]).await,
        [1, 2, 3, 4]
    );
    // An applied import: ada, bob, cy in; dan listed but not in (a row with an error).
    let plan = Plan {
        creates: vec![person(ada, "Ada"), person(bob, "Bob"), person(cy, "Cy")],
        ..Plan::default()
    };
    import(&store, a, &plan, &[ada, bob, cy, dan], &[]).await;
    assert_eq!(store.import_ids(a).await.unwrap().len(), 4);

    // A plain run removing bob: his mapping goes with him (deleted means gone).
    let run = start(&store, a, RunKind::Targeted).await;
    let plan = Plan {
        removals: vec![Removal {
            key: bob,
            reason: RemovalReason::NotListed,
        }],
        ..Plan::default()
    };
    let plan = crate::common::with_group_changes(&store, a, &plan).await;
    store.apply_plan(a, run, &plan).await.unwrap();
    assert_eq!(store.import_key(a, "bob").await.unwrap(), None);
    assert_eq!(store.import_key(a, "dan").await.unwrap(), Some(dan));
    // His removal keeps the ImportId the admin knows him by (and no name).
    let removal = &store.run_changes(a, run).await.unwrap()[0];
    assert_eq!(
        removal.detail,
        Some(
            serde_json::json!({"reason": "not_listed", "department": "Vertrieb", "import_id": "bob"})
        )
    );

    // The next applied import lists ada only (cy stays in: the deletion guard's business
    // is not the store's): dan is neither in the directory nor in the file.
    import(&store, a, &Plan::default(), &[ada], &[]).await;
    let mut left: Vec<String> = store.import_ids(a).await.unwrap().into_values().collect();
    left.sort();
    assert_eq!(left, ["ada", "cy"]);
    // Keys are never reused: bob and dan come back under new keys.
    assert_eq!(keys(&store, a, &["bob", "dan", "ada"]).await, [5, 6, 1]);
}

async fn future_hire_records_are_kept_until_the_hire_is_created(store: Store, _env: Env) {
    let a = file_account(&store, "acme").await;
    let [ada, eve, joe] = [1, 2, 3].map(PersonKey);
    keys(&store, a, &["ada", "eve", "joe"]).await;
    let mut eve_record = SourceEmployee::new(eve);
    eve_record.first_name = Some("Eve".into());
    eve_record.email = Some("eve@example.com".into());
    eve_record.hire_date = Some(date!(2026 - 07 - 01));
    let mut joe_record = SourceEmployee::new(joe);
    joe_record.first_name = Some("Joe".into());
    let plan = Plan {
        creates: vec![person(ada, "Ada")],
        skips: vec![Skip {
            key: Some(eve),
            reason: SkipReason::NotStarted {
                hire_date: date!(2026 - 07 - 01),
            },
        }],
        pending_hires: vec![(eve, date!(2026 - 07 - 01))],
        ..Plan::default()
    };
    // Joe is no future hire of this plan: his record is not kept.
    let hires = [eve_record.clone(), joe_record];
    import(&store, a, &plan, &[ada, eve, joe], &hires).await;
    assert_eq!(
        store.pending_hires(a).await.unwrap(),
        [(eve, date!(2026 - 07 - 01))]
    );
    assert_eq!(store.pending_hire_records(a).await.unwrap(), [eve_record]);

    // On her hire date a targeted run creates her: no longer pending, record gone.
    let run = start(&store, a, RunKind::Targeted).await;
    let plan = Plan {
        creates: vec![person(eve, "Eve")],
        ..Plan::default()
    };
    store.apply_plan(a, run, &plan).await.unwrap();
    assert!(store.pending_hires(a).await.unwrap().is_empty());
    assert!(store.pending_hire_records(a).await.unwrap().is_empty());
}

async fn file_columns_and_source_roundtrip(store: Store, _env: Env) {
    let a = file_account(&store, "acme").await;
    let p = store
        .create_account(
            &AccountSlug::parse("perso").unwrap(),
            "P",
            &TimeZoneName::default(),
        )
        .await
        .unwrap();
    assert_eq!(p.source, AccountSource::Personio);
    let acct = store.account_by_id(a).await.unwrap().unwrap();
    assert_eq!(acct.source, AccountSource::File);
    assert!(store.file_columns(a).await.unwrap().is_empty());
    let columns = vec!["department".to_owned(), "Kostenstelle".to_owned()];
    store.set_file_columns(a, &columns).await.unwrap();
    assert_eq!(store.file_columns(a).await.unwrap(), columns);
    assert!(store.file_columns(p.id).await.unwrap().is_empty());
    assert!(matches!(
        store.set_file_columns(AccountId(9999), &columns).await,
        Err(StoreError::NotFound { .. })
    ));
    // The real-time steps see the file account (for its date check) and connected
    // Personio accounts, not an unconnected Personio account.
    let listed = store.realtime_accounts().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].account_id, a);
    assert_eq!(listed[0].source, AccountSource::File);
    assert!(!listed[0].has_webhook);
    store
        .save_connection(p.id, &crate::conformance::new_connection())
        .await
        .unwrap();
    let sources: Vec<AccountSource> = store
        .realtime_accounts()
        .await
        .unwrap()
        .iter()
        .map(|r| r.source)
        .collect();
    assert_eq!(sources, [AccountSource::File, AccountSource::Personio]);
}
