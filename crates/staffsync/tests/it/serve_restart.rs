//! Stopping and restarting `staffsync serve` in the middle of a large sync: SIGTERM lets
//! the sync finish before the process exits; SIGKILL leaves a lease that expires, the
//! restarted process takes the account over, the killed run is marked interrupted, and
//! the directory ends complete and consistent.

use crate::common;
use crate::serve_common;

use personio_sim::SimConfig;
use secrecy::SecretString;
use serde_json::{Value, json};
use serve_common::{ServeProcess, wait_for};
use staffsync_core::AccountSlug;
use staffsync_store::{AccountId, RunId, RunStatus, Store, StoreConfig};
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "restart-client";
const CLIENT_SECRET: &str = "restart-secret-Lynx-12";

async fn expected_ids(http: &reqwest::Client, base: &str) -> Vec<i64> {
    let all: Vec<Value> = common::get_json(http, &format!("{base}/_sim/employees")).await;
    let today =
        staffsync_engine::clock::date_in(&Default::default(), time::OffsetDateTime::now_utc());
    let mut ids: Vec<i64> = all
        .iter()
        .filter(|e| common::eligible(e, today))
        .filter_map(|e| e["id"].as_i64())
        .collect();
    ids.sort_unstable();
    ids
}

async fn directory_ids(store: &Store, account: AccountId) -> Vec<i64> {
    let mut ids: Vec<i64> = store
        .directory(account)
        .await
        .unwrap()
        .iter()
        .map(|e| e.key.0)
        .collect();
    ids.sort_unstable();
    ids
}

async fn running_run(
    store: &Store,
    account: AccountId,
    newer_than: Option<RunId>,
) -> Option<RunId> {
    store
        .runs(account)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.status == RunStatus::Running && newer_than.is_none_or(|n| r.id > n))
        .map(|r| r.id)
}

const SERVE_ARGS: [&str; 8] = [
    "--scheduler-poll",
    "100ms",
    "--sync-interval",
    "12h",
    "--lease",
    "2s",
    "--personio-rate-limit",
    "off",
];

fn serve(dir: &std::path::Path, instance: &str) -> ServeProcess {
    let mut args: Vec<&str> = SERVE_ARGS.to_vec();
    args.extend(["--instance-id", instance]);
    ServeProcess::start(dir, dir.join(format!("{instance}.log")), &args, &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_stopped_or_killed_mid_way_ends_complete_after_restart() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = Store::open(&StoreConfig {
        data_dir: data.clone(),
        database_url: None,
        secret_key: None,
    })
    .await
    .unwrap();
    // 1,500 people in 15 pages, 300 ms per request: a sync takes a few seconds.
    let sim = personio_sim::spawn(SimConfig {
        employees: 1500,
        seed: 21,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_limit: false,
        latency_ms: 300,
        ..Default::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let account = store
        .create_account(
            &AccountSlug::parse("acme").unwrap(),
            "Acme GmbH",
            &Default::default(),
        )
        .await
        .unwrap()
        .id;
    staffsync_engine::connect::connect(
        &store,
        account,
        &sim.base_url(),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET.to_owned()),
    )
    .await
    .unwrap();

    // 1. SIGTERM during the first sync: the process finishes it, then exits 0.
    let mut first = serve(&data, "restart-1");
    let run1 = wait_for("the first sync to run", Duration::from_secs(60), || {
        running_run(&store, account, None)
    })
    .await;
    let status = first.terminate(Duration::from_secs(120));
    assert!(status.success(), "{status}\n{}", first.log_text());
    let r1 = store.run(account, run1).await.unwrap().unwrap();
    assert_eq!(r1.status, RunStatus::Applied, "finished before the exit");
    assert_eq!(
        directory_ids(&store, account).await,
        expected_ids(&http, &sim.base_url()).await
    );
    let schedule = store.schedule(account).await.unwrap().unwrap();
    assert_eq!(schedule.lease_owner, None, "released on the way out");

    // 2. Changes in Personio, a requested sync, and SIGKILL while it runs.
    let hired: Value = http
        .post(format!("{}/_sim/employees", sim.base_url()))
        .json(&json!({
            "first_name": "Rita", "last_name": "Restart", "email": "rita.restart@example.com",
            "status": "active", "hire_date": "2020-01-01", "department": "Resilience"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hired_id = hired["id"].as_i64().unwrap();
    let moved_id = directory_ids(&store, account).await[7];
    let resp = http
        .patch(format!("{}/_sim/employees/{moved_id}", sim.base_url()))
        .json(&json!({"department": "Moved Department"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    store.request_sync(account, None).await.unwrap();

    let mut second = serve(&data, "restart-2");
    let killed = wait_for("the second sync to run", Duration::from_secs(60), || {
        running_run(&store, account, Some(run1))
    })
    .await;
    second.kill();
    assert_eq!(
        store.run(account, killed).await.unwrap().unwrap().status,
        RunStatus::Running,
        "the killed run was left running"
    );
    let owner = store.schedule(account).await.unwrap().unwrap().lease_owner;
    assert!(
        owner
            .as_deref()
            .is_some_and(|o| o.starts_with("restart-2/")),
        "the dead process's lease is still there: {owner:?}"
    );

    // 3. Restart: once the lease expires the new process takes over.
    let mut third = serve(&data, "restart-3");
    let applied = wait_for(
        "a sync after the restart",
        Duration::from_secs(120),
        || async {
            store
                .runs(account)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.id > killed && r.status == RunStatus::Applied)
        },
    )
    .await;
    assert_eq!(
        store.run(account, killed).await.unwrap().unwrap().status,
        RunStatus::Interrupted,
        "the killed run is accounted for"
    );
    assert_eq!(applied.created, 1, "{applied:?}");
    assert_eq!(applied.updated, 1, "{applied:?}");
    let expected = expected_ids(&http, &sim.base_url()).await;
    assert!(expected.contains(&hired_id));
    assert_eq!(directory_ids(&store, account).await, expected);
    let moved = store
        .employee(account, staffsync_core::PersonKey(moved_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.department.as_deref(), Some("Moved Department"));
    let schedule = wait_for(
        "the lease to be released",
        Duration::from_secs(10),
        || async {
            store
                .schedule(account)
                .await
                .unwrap()
                .filter(|s| s.lease_owner.is_none())
        },
    )
    .await;
    assert_eq!(schedule.consecutive_failures, 0);
    let runs = store.runs(account).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![
            RunStatus::Applied,
            RunStatus::Interrupted,
            RunStatus::Applied
        ],
        "newest first: the takeover, the killed run, the first sync"
    );
    assert!(third.terminate(Duration::from_secs(60)).success());
    println!("serve_restart took {:?}", started.elapsed());
}
