//! The scheduler and the operations endpoints, in process: SQLite, an in-process Personio
//! simulator, and `staffsync_server::serve` on port 0.
//!
//! Waits poll the store with a deadline; no fixed sleep is an assertion.

use crate::common::{
    Server, account, admin, connect_personio, csrf_of, fresh_store, logged_in, personio, wait_for,
};
use personio_sim::{Fault, SimHandle};
use staffsync_engine::{AppState, ServerConfig};
use staffsync_store::{AccountId, RunKind, RunStatus, RunSummary, Store};
use std::time::Duration;
use tempfile::TempDir;

struct World {
    _dir: TempDir,
    store: Store,
    sim: SimHandle,
    account: AccountId,
}

/// The account's schedule once `ready` holds for it (waiting up to `limit`).
async fn schedule_when(
    w: &World,
    what: &str,
    limit: Duration,
    ready: impl Fn(&staffsync_store::Schedule) -> bool,
) -> staffsync_store::Schedule {
    wait_for(what, limit, || async {
        w.store
            .schedule(w.account)
            .await
            .unwrap()
            .filter(|s| ready(s))
    })
    .await
}

/// A store with the account `acme` (not connected yet) and a company of `employees`
/// people whose every Personio request takes `latency_ms`.
async fn world(employees: usize, latency_ms: u64) -> World {
    let (dir, store) = fresh_store().await;
    let sim = personio(employees, 5, |c| c.latency_ms = latency_ms).await;
    let account = account(&store, "acme", "Acme GmbH").await.id;
    World {
        _dir: dir,
        store,
        sim,
        account,
    }
}

impl World {
    async fn connect(&self) {
        connect_personio(&self.store, self.account, &self.sim).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_account_syncs_once_by_itself_and_ops_endpoints_answer() {
    let w = world(120, 0).await;
    let server = Server::start(&w.store, config("solo")).await;
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
    let schedule = schedule_when(
        &w,
        "the lease to be released",
        Duration::from_secs(10),
        |s| s.lease_owner.is_none(),
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

    let metrics = page_of(&http, &server, "/metrics").await;
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
    let server = Server::start(&w.store, config("retrier")).await;

    let schedule = schedule_when(&w, "three failures", Duration::from_secs(30), |s| {
        s.consecutive_failures >= 3 && s.lease_owner.is_none()
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
    let schedule = schedule_when(&w, "recovery", Duration::from_secs(30), |s| {
        s.consecutive_failures == 0 && s.lease_owner.is_none()
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
    let server = Server::start(&w.store, config("stopper")).await;
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

// ---------------------------------------------------------------- issue 14: safety

/// The last run of the account after `after` that is no longer running.
async fn finished_after(w: &World, after: Option<staffsync_store::RunId>) -> Option<RunSummary> {
    w.runs()
        .await
        .into_iter()
        .find(|r| Some(r.id) > after && r.status != RunStatus::Running && r.kind == RunKind::Full)
}

async fn remove_in_personio(w: &World, http: &reqwest::Client, ids: &[i64]) {
    for id in ids {
        let r = http
            .delete(format!("{}/_sim/employees/{id}", w.sim.base_url()))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
}

/// Logs in as the account's admin (created here) and returns a client with the session.
async fn admin_session(w: &World, server: &Server) -> reqwest::Client {
    admin(&w.store, w.account, "admin@acme.example").await;
    logged_in(&server.base, "admin@acme.example").await
}

/// The HTML of `path` as `c` sees it.
async fn page_of(c: &reqwest::Client, server: &Server, path: &str) -> String {
    let r = c.get(server.url(path)).send().await.unwrap();
    r.text().await.unwrap()
}

/// Posts the Integration page's "accept" for `run` as the admin.
async fn accept_in_web(c: &reqwest::Client, server: &Server, run: staffsync_store::RunId) {
    let html = page_of(c, server, "/integration").await;
    let r = c
        .post(server.url(&format!("/integration/held/{}/accept", run.0)))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "accept answers with a redirect");
}

/// Issue 14, finding 1: accepting a held run binds to what was shown. 15 of about 45
/// people disappear and the run is held; 5 more disappear before the admin accepts; the run
/// after the acceptance removes nobody and is held again (20 ≠ the 15 reviewed); the
/// superseded review can no longer be accepted; accepting the new review removes the 20.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_a_held_run_removes_only_what_was_reviewed() {
    let w = world(50, 0).await;
    w.connect().await;
    let server = Server::start(&w.store, config("review")).await;
    let http = reqwest::Client::new();
    let limit = Duration::from_secs(60);
    let first = wait_for("the first sync", limit, || finished_after(&w, None)).await;
    assert_eq!(first.status, RunStatus::Applied);
    let size = usize::try_from(first.created).unwrap();
    assert!(size > 30, "{size}");
    let ids: Vec<i64> = w
        .store
        .directory(w.account)
        .await
        .unwrap()
        .iter()
        .map(|e| e.key.0)
        .collect();

    remove_in_personio(&w, &http, &ids[..15]).await;
    w.store.request_sync(w.account, None).await.unwrap();
    let held = wait_for("the held run", limit, || finished_after(&w, Some(first.id))).await;
    assert_eq!((held.status, held.removed), (RunStatus::Held, 15));

    // Before the admin clicks "accept", 5 more people disappear from Personio.
    remove_in_personio(&w, &http, &ids[15..20]).await;
    let admin = admin_session(&w, &server).await;
    accept_in_web(&admin, &server, held.id).await;
    let again = wait_for("the run after the acceptance", limit, || {
        finished_after(&w, Some(held.id))
    })
    .await;
    assert_eq!(
        (again.status, again.removed),
        (RunStatus::Held, 20),
        "20 removals were not all reviewed: held again for a new review"
    );
    assert_eq!(w.store.directory(w.account).await.unwrap().len(), size);
    let old = w.store.run(w.account, held.id).await.unwrap().unwrap();
    assert_eq!(old.status, RunStatus::Superseded);

    // The superseded review can no longer be accepted. (The first acceptance is
    // cleared when the scheduler lets go of the account, after the run has finished.)
    schedule_when(&w, "the lease released", limit, |s| s.lease_owner.is_none()).await;
    accept_in_web(&admin, &server, held.id).await;
    let schedule = w.store.schedule(w.account).await.unwrap().unwrap();
    assert_eq!(schedule.accept_run, None, "no acceptance recorded");
    assert_eq!(schedule.requested_at, None, "no sync requested");

    // Accepting the current review removes exactly the 20 it showed.
    accept_in_web(&admin, &server, again.id).await;
    let applied = wait_for("the accepted run", limit, || {
        finished_after(&w, Some(again.id))
    })
    .await;
    assert_eq!((applied.status, applied.removed), (RunStatus::Applied, 20));
    assert_eq!(w.store.directory(w.account).await.unwrap().len(), size - 20);
    // Marked right after the apply, in the same sync.
    wait_for("the review marked accepted", limit, || async {
        let run = w.store.run(w.account, again.id).await.unwrap().unwrap();
        (run.status == RunStatus::Accepted).then_some(())
    })
    .await;
    server.stop().await;
}

/// Issue 14, finding 2: a mandatory attribute that is no longer readable fails the run
/// (full and targeted), names the attribute and where to tick it, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mandatory_attribute_that_is_no_longer_readable_fails_the_run() {
    let w = world(40, 0).await;
    w.connect().await;
    let server = Server::start(&w.store, config("mandatory")).await;
    let limit = Duration::from_secs(60);
    let first = wait_for("the first sync", limit, || finished_after(&w, None)).await;
    assert_eq!(first.status, RunStatus::Applied);
    let before = w.store.directory(w.account).await.unwrap();
    let groups_before = w.store.groups(w.account).await.unwrap();
    assert!(before.iter().filter(|e| e.department.is_some()).count() > 30);

    // Someone un-ticks "department" for the credential in Personio.
    let all: Vec<String> = [
        "first_name",
        "last_name",
        "email",
        "gender",
        "status",
        "position",
        "employment_type",
        "hire_date",
        "termination_date",
        "office",
        "team",
        "subcompany",
        "supervisor",
        "cost_centers",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    w.sim.set_readable(Some(all)).unwrap();
    w.store.request_sync(w.account, None).await.unwrap();
    let failed = wait_for("the failed run", limit, || {
        finished_after(&w, Some(first.id))
    })
    .await;
    assert_eq!(failed.status, RunStatus::Failed);
    let error = failed.error.unwrap_or_default();
    assert!(error.contains("department"), "{error}");
    assert!(
        error.contains("API credentials"),
        "says where to tick it: {error}"
    );
    assert_eq!(w.store.directory(w.account).await.unwrap(), before);
    assert_eq!(w.store.groups(w.account).await.unwrap(), groups_before);
    // The schedule records the failure when the lease is released, just after the run.
    wait_for("the failure on the schedule", limit, || async {
        let s = w.store.schedule(w.account).await.unwrap().unwrap();
        s.last_error.filter(|e| e.contains("department"))
    })
    .await;
    // The Integration page's attribute table shows the missing tick.
    let connection = w.store.connection(w.account).await.unwrap().unwrap();
    assert!(
        !connection
            .readable_attributes
            .contains(&"department".to_owned())
    );
    assert!(connection.readable_attributes.contains(&"email".to_owned()));

    // A targeted run (a webhook's, the date check's) is refused the same way.
    server.stop().await;
    let state = AppState::new(w.store.clone(), config("mandatory-2"));
    let one = [before[0].key].into_iter().collect();
    let err = staffsync_engine::realtime::run_targeted_now(
        &state,
        w.account,
        &one,
        staffsync_engine::TargetSource::Fetch,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("department"), "{err}");
    assert_eq!(w.store.directory(w.account).await.unwrap(), before);
}

/// Issue 14, finding 6: a run needs the account's lease. While one worker holds it (a
/// sync in progress), another cannot take it, waits only as long as it was told, and
/// the running run is not interrupted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_waits_or_refuses_and_never_interrupts() {
    let w = world(10, 0).await;
    w.connect().await;
    let lease_len = Duration::from_secs(60);
    let first =
        staffsync_engine::lease::acquire(&w.store, w.account, "server", lease_len, lease_len)
            .await
            .unwrap();
    let running = w.store.start_run(&first, RunKind::Full).await.unwrap();

    let err = staffsync_engine::lease::acquire(
        &w.store,
        w.account,
        "cli",
        lease_len,
        Duration::from_millis(600),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, staffsync_engine::lease::LeaseError::Busy { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("another sync of this account is running"),
        "{err}"
    );
    let run = w.store.run(w.account, running).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Running, "not interrupted");

    // The web app's preview ("Änderungen anzeigen") is a run too: refused while busy.
    let server = Server::start(
        &w.store,
        ServerConfig {
            run_scheduler: false,
            ..config("writer")
        },
    )
    .await;
    let admin = admin_session(&w, &server).await;
    let html = page_of(&admin, &server, "/integration").await;
    let r = admin
        .post(server.url("/integration/preview"))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        303,
        "back to the Integration page with a message"
    );
    let page = page_of(&admin, &server, "/integration").await;
    assert!(page.contains("Gerade läuft eine Synchronisation"), "{page}");
    let run = w.store.run(w.account, running).await.unwrap().unwrap();
    assert_eq!(
        run.status,
        RunStatus::Running,
        "not interrupted by the preview"
    );
    assert_eq!(w.runs().await.len(), 1, "the preview started no run");
    server.stop().await;

    // Once the first worker is done, the second gets the lease (it was waiting).
    let store = w.store.clone();
    let account = w.account;
    let waiter = tokio::spawn(async move {
        staffsync_engine::lease::acquire(&store, account, "cli", lease_len, lease_len).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "still waiting while the lease is held"
    );
    assert!(w.store.release_lease(first).await.unwrap());
    let second = waiter.await.unwrap().unwrap();
    assert!(second.owner().starts_with("cli/"));
}
