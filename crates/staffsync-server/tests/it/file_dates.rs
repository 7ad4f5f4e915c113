//! A file account between imports: the scheduler's date check creates a future hire on
//! their hire date from the record their import kept, removes a leaver the day after
//! their termination date, and moves people into their tenure band, all without a new
//! file and without any Personio request (the account has no connection at all).

use crate::common::{file_account, fresh_store};
use staffsync_core::{DirectoryEmployee, GroupKind};
use staffsync_engine::{AppState, ServerConfig, SyncOptions, SyncResult};
use staffsync_store::{RunKind, RunStatus};
use time::macros::date;

const FILE: &str = "ImportId;E-Mail;Vorname;Nachname;Eintrittsdatum;Austrittsdatum\n\
    E-1;ada@example.com;Ada;Muster;2025-12-20;\n\
    E-2;eve@example.com;Eve;Muster;2026-06-20;\n\
    E-3;leo@example.com;Leo;Muster;2019-01-01;2026-06-16\n";

fn import_ids(
    directory: &[DirectoryEmployee],
    ids: &std::collections::HashMap<staffsync_core::PersonKey, String>,
) -> Vec<String> {
    let mut out: Vec<String> = directory.iter().map(|d| ids[&d.key].clone()).collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_date_check_brings_hires_and_lets_leavers_go_without_a_new_file() {
    let (_dir, store) = fresh_store().await;
    let account = file_account(&store, "acme", "Acme").await;
    let mut settings = account.policy.settings.clone();
    settings.groups.tenure = true;
    store
        .set_settings(account.id, &settings, "test")
        .await
        .unwrap();
    let account = store.account_by_id(account.id).await.unwrap().unwrap();

    let file = employee_file::read(
        FILE.as_bytes(),
        employee_file::Format::Csv,
        None,
        &Default::default(),
    )
    .unwrap();
    let options = SyncOptions {
        today: Some(date!(2026 - 06 - 15)),
        ..SyncOptions::default()
    };
    let report = crate::common::import_now(&store, &account, file, &options).await;
    assert_eq!(report.result, SyncResult::Applied);
    let ids = store.import_ids(account.id).await.unwrap();
    let directory = store.directory(account.id).await.unwrap();
    assert_eq!(import_ids(&directory, &ids), ["E-1", "E-3"]);
    let tenure = |d: &[DirectoryEmployee]| -> Vec<String> {
        d.iter()
            .flat_map(|e| e.groups.iter())
            .filter(|g| g.kind == GroupKind::Tenure)
            .map(|g| g.name.to_string())
            .collect()
    };
    // Ada started on 2025-12-20: under 6 months on June 15.
    assert_eq!(tenure(&directory[..1]), ["3_6m"]);

    let state = AppState::new(
        store.clone(),
        ServerConfig {
            run_scheduler: false,
            today: Some(date!(2026 - 06 - 19)),
            ..ServerConfig::default()
        },
    );
    // The day before her hire date: Leo has gone (his last day was the 16th), Eve waits.
    staffsync_engine::realtime::step(&state).await;
    let directory = store.directory(account.id).await.unwrap();
    assert_eq!(import_ids(&directory, &ids), ["E-1"]);
    // On her hire date Eve arrives; Ada has moved into her next tenure band on the 20th.
    state.set_today(Some(date!(2026 - 06 - 20)));
    staffsync_engine::realtime::step(&state).await;
    let directory = store.directory(account.id).await.unwrap();
    let ids = store.import_ids(account.id).await.unwrap();
    assert_eq!(import_ids(&directory, &ids), ["E-1", "E-2"]);
    let eve = directory.iter().find(|d| ids[&d.key] == "E-2").unwrap();
    assert_eq!(eve.email, "eve@example.com");
    assert_eq!(eve.hire_date, Some(date!(2026 - 06 - 20)));
    let ada = directory.iter().find(|d| ids[&d.key] == "E-1").unwrap();
    assert_eq!(tenure(std::slice::from_ref(ada)), ["6_12m"]);
    // Each day is one applied targeted run; nothing else ran.
    let runs = store.runs(account.id).await.unwrap();
    let targeted: Vec<_> = runs
        .iter()
        .filter(|r| r.kind == RunKind::Targeted && r.status == RunStatus::Applied)
        .collect();
    assert!(targeted.len() >= 2, "{runs:?}");
    assert!(
        runs.iter().all(|r| r.status != RunStatus::Failed),
        "{runs:?}"
    );
    // Nothing is left waiting: no pending hire, no record kept.
    assert!(
        store
            .pending_hire_records(account.id)
            .await
            .unwrap()
            .is_empty()
    );
    // The same day again does nothing.
    let before = store.runs(account.id).await.unwrap().len();
    staffsync_engine::realtime::step(&state).await;
    assert_eq!(store.runs(account.id).await.unwrap().len(), before);
}
