//! The scheduler and the operations endpoints, in process: SQLite, an in-process Personio
//! simulator, and `staffsync_server::serve` on port 0.
//!
//! Waits poll the store with a deadline; no fixed sleep is an assertion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use personio_sim::{Fault, SimConfig, SimHandle};
use secrecy::SecretString;
use staffsync_core::AccountSlug;
use staffsync_server::{AppState, ServerConfig};
use staffsync_store::{AccountId, RunStatus, RunSummary, Store, StoreConfig};
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const CLIENT_ID: &str = "sched-client";
const CLIENT_SECRET: &str = "sched-secret-Otter-99";

struct World {
    _dir: TempDir,
    store: Store,
    sim: SimHandle,
    account: AccountId,
}

async fn world(employees: usize, latency_ms: u64) -> World {
    let dir = TempDir::new().unwrap();
    let store = Store::open(&StoreConfig {
        data_dir: dir.path().join("data"),
        database_url: None,
        secret_key: None,
    })
    .await
    .unwrap();
    let sim = personio_sim::spawn(SimConfig {
        employees,
        seed: 5,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_limit: false,
        latency_ms,
        ..Default::default()
    })
    .await
    .unwrap();
    let account = store
        .create_account(
            &AccountSlug::parse("acme").unwrap(),
            "Acme GmbH",
            "Europe/Berlin",
        )
        .await
        .unwrap()
        .id;
    World {
        _dir: dir,
        store,
        sim,
        account,
    }
}

impl World {
    async fn connect(&self) {
        staffsync_server::connect::connect(
            &self.store,
            self.account,
            &self.sim.base_url(),
            CLIENT_ID,
            SecretString::from(CLIENT_SECRET.to_owned()),
        )
        .await
        .unwrap();
    }

    async fn runs(&self) -> Vec<RunSummary> {
        self.store.runs(self.account).await.unwrap()
    }
}

fn config(instance: &str) -> ServerConfig {
    ServerConfig {
        sync_interval: Duration::from_secs(3600),
        sync_jitter: Duration::ZERO,
        retry_backoff: vec![Duration::from_millis(300), Duration::from_millis(600)],
        scheduler_poll: Duration::from_millis(50),
        lease: Duration::from_secs(30),
        max_concurrent_syncs: 2,
        instance_id: instance.into(),
        personio_rate_limit: false,
        ..ServerConfig::default()
    }
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(store: &Store, config: ServerConfig) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let state = AppState::new(store.clone(), config);
    let task = tokio::spawn(staffsync_server::serve(listener, state, async move {
        let _ = rx.await;
    }));
    Server {
        addr,
        stop: Some(tx),
        task,
    }
}

impl Server {
    async fn stop(mut self) -> Duration {
        let asked = Instant::now();
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("serve returns after stop")
            .unwrap()
            .unwrap();
        asked.elapsed()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Polls `check` until it returns `Some`, failing after `limit`.
async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_account_syncs_once_by_itself_and_ops_endpoints_answer() {
    let w = world(120, 0).await;
    let server = start(&w.store, config("solo")).await;
    let http = reqwest::Client::new();

    let health = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let ready = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // Not connected yet: nothing to do.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(w.runs().await.is_empty());

    let connected_at = time::OffsetDateTime::now_utc();
    w.connect().await;
    let run = wait_for(
        "the first scheduled sync",
        Duration::from_secs(30),
        || async {
            w.runs()
                .await
                .into_iter()
                .find(|r| r.status == RunStatus::Applied)
        },
    )
    .await;
    assert!(run.created > 0);
    let schedule = wait_for(
        "the lease to be released",
        Duration::from_secs(10),
        || async {
            w.store
                .schedule(w.account)
                .await
                .unwrap()
                .filter(|s| s.lease_owner.is_none())
        },
    )
    .await;
    assert_eq!(schedule.consecutive_failures, 0);
    assert!(schedule.last_run_at.is_some());
    let next_in = schedule.next_run_at - connected_at;
    assert!(
        next_in > time::Duration::minutes(59) && next_in < time::Duration::minutes(61),
        "next run in about the sync interval, was {next_in}"
    );
    // Several more polls: still exactly one run.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.runs().await.len(), 1, "synced once");
    assert_eq!(
        w.store.directory(w.account).await.unwrap().len() as i64,
        run.created
    );

    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "staffsync_syncs_total{result=\"applied\"}",
        "staffsync_sync_duration_seconds_bucket",
        "staffsync_employees_changed_total{action=\"create\"}",
        "staffsync_personio_requests_total",
        "staffsync_personio_rate_limited_total",
    ] {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
    let applied: f64 = metrics
        .lines()
        .find(|l| l.starts_with("staffsync_syncs_total{result=\"applied\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(applied >= 1.0);

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_personio_is_retried_with_backoff_and_counted() {
    let w = world(120, 0).await;
    w.connect().await;
    // Every listing fails at once (400 is not retried inside the client).
    w.sim
        .add_fault(Fault::FailPage {
            offset: 0,
            status: 400,
            times: None,
        })
        .unwrap();
    let server = start(&w.store, config("retrier")).await;

    let schedule = wait_for("three failures", Duration::from_secs(30), || async {
        w.store
            .schedule(w.account)
            .await
            .unwrap()
            .filter(|s| s.consecutive_failures >= 3 && s.lease_owner.is_none())
    })
    .await;
    assert!(schedule.last_error.is_some(), "{schedule:?}");
    let mut runs = w.runs().await;
    runs.reverse();
    assert!(runs.len() >= 3);
    assert!(
        runs.iter().all(|r| r.status == RunStatus::Failed),
        "{runs:?}"
    );
    // Backoff: 300 ms after the first failure, 600 ms after the second and later ones.
    let gap = |a: &RunSummary, b: &RunSummary| b.started_at - a.finished_at.unwrap();
    assert!(gap(&runs[0], &runs[1]) >= time::Duration::milliseconds(280));
    assert!(gap(&runs[1], &runs[2]) >= time::Duration::milliseconds(580));
    assert!(w.store.directory(w.account).await.unwrap().is_empty());

    // Personio recovers: the next retry applies and the failures reset.
    w.sim.clear_faults();
    let schedule = wait_for("recovery", Duration::from_secs(30), || async {
        w.store
            .schedule(w.account)
            .await
            .unwrap()
            .filter(|s| s.consecutive_failures == 0 && s.lease_owner.is_none())
    })
    .await;
    assert_eq!(schedule.last_error, None);
    assert_eq!(w.runs().await[0].status, RunStatus::Applied);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_waits_for_the_running_sync() {
    // ~300 employees in 3 pages, 700 ms per request: the sync takes a few seconds.
    let w = world(300, 700).await;
    w.connect().await;
    let server = start(&w.store, config("stopper")).await;
    wait_for("a running sync", Duration::from_secs(30), || async {
        w.runs()
            .await
            .into_iter()
            .find(|r| r.status == RunStatus::Running)
    })
    .await;
    let waited = server.stop().await;
    let runs = w.runs().await;
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].status,
        RunStatus::Applied,
        "the sync finished before serve returned"
    );
    assert!(runs[0].finished_at.is_some());
    assert!(
        waited >= Duration::from_millis(500),
        "serve waited for the sync ({waited:?})"
    );
    let s = w.store.schedule(w.account).await.unwrap().unwrap();
    assert_eq!(s.lease_owner, None, "the lease was released");
}
