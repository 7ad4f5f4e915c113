//! Two `staffsync serve` processes on one PostgreSQL database share 50 due accounts: every
//! account is synced exactly once, no account's runs overlap, and both processes work.
//!
//! Needs `STAFFSYNC_TEST_DATABASE_URL` (an admin URL; the test creates and drops its own
//! database); without it the test fails, and `scripts/test` skips it by name and says so.

use crate::serve_common;

use personio_sim::SimConfig;
use secrecy::SecretString;
use serde_json::Value;
use serve_common::{ServeProcess, wait_for, with_database};
use sqlx::Connection as _;
use staffsync_core::AccountSlug;
use staffsync_store::{AccountId, RunStatus, Store, StoreConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const ACCOUNTS: usize = 50;
const CLIENT_ID: &str = "fleet-client";
const CLIENT_SECRET: &str = "fleet-secret-Heron-31";

/// Accounts whose sync a process finished, read from its JSON log.
fn finished_by(log: &str) -> Vec<i64> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "scheduled sync finished")
        .filter_map(|v| {
            let mut spans: Vec<Value> = v["spans"].as_array().cloned().unwrap_or_default();
            spans.push(v["span"].clone());
            spans
                .iter()
                .find(|s| s["name"] == "scheduled_sync")
                .and_then(|s| s["account_id"].as_i64())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_fifty_due_accounts_without_overlap() {
    let admin = std::env::var("STAFFSYNC_TEST_DATABASE_URL").expect(
        "needs PostgreSQL: set STAFFSYNC_TEST_DATABASE_URL (scripts/test skips this test \
         visibly when no server answers)",
    );
    let started = Instant::now();
    let db = format!("ss_fleet_{}", uuid::Uuid::new_v4().simple());
    let mut admin_conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin_conn)
        .await
        .unwrap();
    let url = with_database(&admin, &db);

    let dir = tempfile::tempdir().unwrap();
    // The key file in the shared data dir is the processes' encryption key too.
    let store = Store::open(&StoreConfig {
        data_dir: dir.path().to_path_buf(),
        database_url: Some(url.clone()),
        secret_key: None,
    })
    .await
    .unwrap();
    let sim = personio_sim::spawn(SimConfig {
        employees: 20,
        seed: 3,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_limit: false,
        latency_ms: 20,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut accounts: Vec<AccountId> = Vec::new();
    for i in 0..ACCOUNTS {
        let slug = AccountSlug::parse(&format!("fleet-{i:02}")).unwrap();
        accounts.push(
            store
                .create_account(&slug, "Fleet GmbH", &Default::default())
                .await
                .unwrap()
                .id,
        );
    }

    let args = |instance: &'static str| {
        vec![
            "--log-format",
            "json",
            "--instance-id",
            instance,
            "--scheduler-poll",
            "100ms",
            "--sync-interval",
            "12h",
            "--personio-rate-limit",
            "off",
            "--max-concurrent-syncs",
            "3",
        ]
    };
    let envs = [("STAFFSYNC_DATABASE_URL", url.as_str())];
    let mut a = ServeProcess::start(
        dir.path(),
        dir.path().join("a.log"),
        &args("fleet-a"),
        &envs,
    );
    let mut b = ServeProcess::start(
        dir.path(),
        dir.path().join("b.log"),
        &args("fleet-b"),
        &envs,
    );

    // Connecting makes each account due at once; both processes are already polling.
    for id in &accounts {
        staffsync_engine::connect::connect(
            &store,
            *id,
            &sim.base_url(),
            CLIENT_ID,
            SecretString::from(CLIENT_SECRET.to_owned()),
        )
        .await
        .unwrap();
    }
    let connected = Instant::now();

    wait_for(
        "every account to have an applied run",
        Duration::from_secs(180),
        || async {
            for id in &accounts {
                let runs = store.runs(*id).await.unwrap();
                if !runs.iter().any(|r| r.status == RunStatus::Applied) {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    let all_synced = connected.elapsed();

    for id in &accounts {
        let runs = store.runs(*id).await.unwrap();
        let applied = runs
            .iter()
            .filter(|r| r.status == RunStatus::Applied)
            .count();
        assert_eq!(applied, 1, "account {id}: {runs:?}");
        for (i, r) in runs.iter().enumerate() {
            let r_end = r.finished_at.expect("finished");
            for s in &runs[i + 1..] {
                let s_end = s.finished_at.expect("finished");
                assert!(
                    r_end <= s.started_at || s_end <= r.started_at,
                    "account {id}: runs {} and {} overlap",
                    r.id,
                    s.id
                );
            }
        }
        let created = runs
            .iter()
            .find(|r| r.status == RunStatus::Applied)
            .map_or(0, |r| r.created);
        assert!(created > 0);
        assert_eq!(store.directory(*id).await.unwrap().len() as i64, created);
        let schedule = store.schedule(*id).await.unwrap().unwrap();
        assert_eq!(schedule.consecutive_failures, 0);
    }

    // Stop both; then read who did what from their logs.
    assert!(a.terminate(Duration::from_secs(60)).success());
    assert!(b.terminate(Duration::from_secs(60)).success());
    let by_a = finished_by(&a.log_text());
    let by_b = finished_by(&b.log_text());
    let mut count: BTreeMap<i64, usize> = BTreeMap::new();
    for id in by_a.iter().chain(&by_b) {
        *count.entry(*id).or_default() += 1;
    }
    let expected: BTreeSet<i64> = accounts.iter().map(|a| a.0).collect();
    assert_eq!(
        count.keys().copied().collect::<BTreeSet<_>>(),
        expected,
        "every account's sync is in one of the logs"
    );
    assert!(
        count.values().all(|n| *n == 1),
        "no account synced twice: {count:?}"
    );
    assert!(
        !by_a.is_empty() && !by_b.is_empty(),
        "both processes worked: a {} b {}",
        by_a.len(),
        by_b.len()
    );
    println!(
        "fleet: {ACCOUNTS} accounts synced in {all_synced:?} (a: {}, b: {}); test took {:?}",
        by_a.len(),
        by_b.len(),
        started.elapsed()
    );

    store.close().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin_conn)
        .await
        .unwrap();
}
