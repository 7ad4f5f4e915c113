//! Near-real-time sync end to end, in process: SQLite, the Personio simulator with 2,000
//! employees, and `staffsync_server::serve` on port 0 (so the simulator can deliver
//! webhooks to it). Changes are made through the simulator's `/_sim/` endpoints and the
//! tests wait (bounded, polling the store) until the directory shows them; no fixed sleep
//! is an assertion. Personio request counts come from `/_sim/stats` deltas and are
//! printed with the wall times (run with `--nocapture` to see them).
//!
//! Pacing is off on both sides: a paced v2 full sync of 2,000 people takes minutes,
//! and what is measured here is the number of requests, which pacing does not change.

use crate::common::wait_for;
use personio_sim::{SimConfig, SimHandle};
use secrecy::SecretString;
use serde_json::{Value, json};
use staffsync_core::{AccountSlug, PersonioId};
use staffsync_server::connect::{ConnectOptions, connect_with};
use staffsync_server::{AppState, ServerConfig};
use staffsync_store::{Account, RunKind, RunStatus, RunSummary, Store, StoreConfig};
use std::future::Future;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::sync::oneshot;

const CLIENT_ID: &str = "rt-client";
const CLIENT_SECRET: &str = "rt-secret-Heron-42";
const EMPLOYEES: usize = 2_000;
const WAIT: Duration = Duration::from_secs(60);

struct World {
    _dir: TempDir,
    store: Store,
    sim: SimHandle,
    account: Account,
    state: AppState,
    base: String,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A store, a simulator, an account connected with `api`, and a running server.
async fn world(api: personio::ApiVersion, tune: impl FnOnce(&mut ServerConfig)) -> World {
    let dir = TempDir::new().unwrap();
    let store = Store::open(&StoreConfig {
        data_dir: dir.path().join("data"),
        database_url: None,
        secret_key: None,
    })
    .await
    .unwrap();
    let sim = personio_sim::spawn(SimConfig {
        employees: EMPLOYEES,
        seed: 11,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_limit: false,
        retry_delay_ms: 100,
        ..Default::default()
    })
    .await
    .unwrap();
    let account = store
        .create_account(
            &AccountSlug::parse("acme").unwrap(),
            "Acme GmbH",
            &Default::default(),
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = ServerConfig {
        sync_interval: Duration::from_secs(3600),
        sync_jitter: Duration::ZERO,
        scheduler_poll: Duration::from_millis(100),
        lease: Duration::from_secs(60),
        instance_id: "rt-test".into(),
        personio_rate_limit: false,
        public_base_url: Some(base.clone()),
        webhook_debounce: Duration::from_millis(300),
        poll_interval: Duration::ZERO,
        ..ServerConfig::default()
    };
    tune(&mut config);
    let public = config.public_base_url.clone();
    let state = AppState::new(store.clone(), config);
    let connected = connect_with(
        &store,
        account.id,
        Some(&account.slug),
        &sim.base_url(),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET.to_owned()),
        &ConnectOptions {
            api_version: api,
            public_base_url: public,
            unlimited_rate: true,
            ip_budget: None,
            ..ConnectOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        connected.webhook_id.is_some(),
        api == personio::ApiVersion::V2,
        "{:?}",
        connected.webhook_error
    );
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(staffsync_server::serve(
        listener,
        state.clone(),
        async move {
            let _ = rx.await;
        },
    ));
    World {
        _dir: dir,
        store,
        sim,
        account,
        state,
        base,
        http: reqwest::Client::new(),
        stop: Some(tx),
    }
}

impl World {
    async fn runs(&self) -> Vec<RunSummary> {
        self.store.runs(self.account.id).await.unwrap()
    }

    async fn runs_of(&self, kind: RunKind) -> Vec<RunSummary> {
        let mut r: Vec<RunSummary> = self
            .runs()
            .await
            .into_iter()
            .filter(|r| r.kind == kind)
            .collect();
        r.reverse();
        r
    }

    /// Waits until `n` runs of `kind` finished (applied), returns them oldest first.
    async fn applied(&self, kind: RunKind, n: usize) -> Vec<RunSummary> {
        wait_for(&format!("{n} applied {kind} runs"), WAIT * 3, || async {
            let runs = self.runs_of(kind).await;
            if let Some(bad) = runs.iter().find(|r| r.status == RunStatus::Failed) {
                panic!("a {kind} run failed: {:?}", bad.error);
            }
            let done: Vec<RunSummary> = runs
                .into_iter()
                .filter(|r| r.status == RunStatus::Applied)
                .collect();
            (done.len() >= n).then_some(done)
        })
        .await
    }

    /// Every request the simulator received so far (all endpoints).
    async fn requests(&self) -> u64 {
        let stats: Value = self
            .http
            .get(format!("{}/_sim/stats", self.sim.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stats["requests"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(Value::as_u64)
            .sum()
    }

    async fn sim(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let r = self
            .http
            .request(method, format!("{}{path}", self.sim.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn hire(&self, n: u32, extra: Value) -> PersonioId {
        let mut body = json!({
            "first_name": format!("Neu{n}"), "last_name": "Person",
            "email": format!("neu{n}.person@realtime.example"),
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let e = self
            .sim(reqwest::Method::POST, "/_sim/employees", body)
            .await;
        PersonioId(e["id"].as_i64().unwrap())
    }

    async fn employee(&self, id: PersonioId) -> Option<staffsync_core::DirectoryEmployee> {
        self.store.employee(self.account.id, id).await.unwrap()
    }

    /// A department that `id` is not in.
    async fn other_department(&self, id: PersonioId) -> String {
        let company = self
            .sim(reqwest::Method::GET, "/_sim/company", Value::Null)
            .await;
        let current = self.employee(id).await.and_then(|e| e.department);
        company["departments"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["name"].as_str())
            .find(|n| Some(*n) != current.as_deref())
            .unwrap()
            .to_owned()
    }

    /// Someone in the directory without a termination date and a supervisor role.
    async fn someone(&self) -> PersonioId {
        let dir = self.store.directory(self.account.id).await.unwrap();
        let bosses: std::collections::BTreeSet<PersonioId> = dir
            .iter()
            .filter_map(|d| d.supervisor_personio_id)
            .collect();
        dir.iter()
            .find(|d| d.termination_date.is_none() && !bosses.contains(&d.personio_id))
            .unwrap()
            .personio_id
    }
}

/// What one change cost: Personio requests and wall time until the directory showed it.
struct Cost {
    requests: u64,
    wall: Duration,
}

/// Makes `change`, waits until `shows` holds, then until the runs settle (the count of
/// runs of `kind` reaches `runs_after`), and measures.
async fn measure<C, S, SF>(w: &World, change: C, kind: RunKind, runs_after: usize, shows: S) -> Cost
where
    C: Future<Output = ()>,
    S: Fn() -> SF,
    SF: Future<Output = bool>,
{
    let before = w.requests().await;
    let started = Instant::now();
    change.await;
    wait_for("the change in the directory", WAIT, || async {
        shows().await.then_some(())
    })
    .await;
    let wall = started.elapsed();
    w.applied(kind, runs_after).await;
    Cost {
        requests: w.requests().await - before,
        wall,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_webhooks_bring_hire_move_and_leaver_within_seconds() {
    let started = Instant::now();
    let w = world(personio::ApiVersion::V2, |_| {}).await;
    let full = w.applied(RunKind::Full, 1).await;
    let full_wall = started.elapsed();
    let full_requests = w.requests().await;
    assert!(full[0].created > 1_500, "{:?}", full[0]);

    let hire = w.measure_hire(1, RunKind::Targeted, 1).await;
    let (moved, dept) = (w.someone().await, None::<String>);
    let dept = match dept {
        Some(d) => d,
        None => w.other_department(moved).await,
    };
    let move_cost = measure(
        &w,
        async {
            w.sim(
                reqwest::Method::PATCH,
                &format!("/_sim/employees/{moved}"),
                json!({"department": dept}),
            )
            .await;
        },
        RunKind::Targeted,
        2,
        || async {
            w.employee(moved)
                .await
                .and_then(|e| e.department)
                .as_deref()
                == Some(dept.as_str())
        },
    )
    .await;
    let leaver = w.someone().await;
    let leave_cost = measure(
        &w,
        async {
            w.sim(
                reqwest::Method::POST,
                &format!("/_sim/employees/{leaver}/terminate"),
                json!({}),
            )
            .await;
        },
        RunKind::Targeted,
        3,
        || async { w.employee(leaver).await.is_none() },
    )
    .await;

    println!(
        "v2 full sync of {EMPLOYEES}: {full_requests} requests, {:.2} s",
        full_wall.as_secs_f64()
    );
    for (what, c) in [
        ("hire", &hire),
        ("department move", &move_cost),
        ("leaver", &leave_cost),
    ] {
        println!(
            "v2 webhook, {what}: {} requests, {:.2} s until in the directory",
            c.requests,
            c.wall.as_secs_f64()
        );
        assert!(
            c.requests * 20 < full_requests,
            "{what}: {} requests vs {full_requests} for a full sync",
            c.requests
        );
    }
    // Only targeted runs did the work; nothing else ran.
    assert_eq!(w.runs_of(RunKind::Full).await.len(), 1);
    let targeted = w.runs_of(RunKind::Targeted).await;
    assert_eq!(
        targeted
            .iter()
            .map(|r| (r.created, r.updated, r.removed))
            .collect::<Vec<_>>(),
        vec![(1, 0, 0), (0, 1, 0), (0, 0, 1)]
    );
}

impl World {
    /// Hires someone through the simulator and measures until they are in the directory.
    async fn measure_hire(&self, n: u32, kind: RunKind, runs_after: usize) -> Cost {
        let id = std::sync::Mutex::new(None);
        measure(
            self,
            async {
                *id.lock().unwrap() = Some(self.hire(n, json!({})).await);
            },
            kind,
            runs_after,
            || async {
                let hired = *id.lock().unwrap();
                match hired {
                    Some(h) => self.employee(h).await.is_some(),
                    None => false,
                }
            },
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_polls_bring_the_same_changes_within_an_interval() {
    let interval = Duration::from_secs(1);
    let w = world(personio::ApiVersion::V1, |c| c.poll_interval = interval).await;
    let started = Instant::now();
    w.applied(RunKind::Full, 1).await;
    let full_wall = started.elapsed();
    let full_requests = w.requests().await;

    // Nothing changed: each poll is one request, and leaves no run behind.
    let mark = |w: &World| {
        let store = w.store.clone();
        let account = w.account.id;
        async move { store.sync_state(account).await.unwrap().last_incremental_at }
    };
    let first = wait_for("a first poll", WAIT, || async {
        let m = mark(&w).await;
        (m > Some(w.runs_of(RunKind::Full).await[0].started_at)).then_some(m)
    })
    .await;
    let before = w.requests().await;
    let mut polls = 0;
    let mut last = first;
    while polls < 3 {
        let m = wait_for("the next poll", WAIT, || async {
            let m = mark(&w).await;
            (m != last).then_some(m)
        })
        .await;
        last = m;
        polls += 1;
    }
    let quiet = w.requests().await - before;
    println!("v1 polls with nothing changed: {polls} polls, {quiet} requests");
    assert!(
        (polls - 1..=polls + 1).contains(&quiet),
        "{quiet} requests for {polls} polls"
    );
    assert!(w.runs_of(RunKind::Incremental).await.is_empty());

    let hire = w.measure_hire(2, RunKind::Incremental, 1).await;
    let moved = w.someone().await;
    let dept = w.other_department(moved).await;
    let move_cost = measure(
        &w,
        async {
            w.sim(
                reqwest::Method::PATCH,
                &format!("/_sim/employees/{moved}"),
                json!({"department": dept}),
            )
            .await;
        },
        RunKind::Incremental,
        2,
        || async {
            w.employee(moved)
                .await
                .and_then(|e| e.department)
                .as_deref()
                == Some(dept.as_str())
        },
    )
    .await;
    let leaver = w.someone().await;
    let leave_cost = measure(
        &w,
        async {
            w.sim(
                reqwest::Method::POST,
                &format!("/_sim/employees/{leaver}/terminate"),
                json!({}),
            )
            .await;
        },
        RunKind::Incremental,
        3,
        || async { w.employee(leaver).await.is_none() },
    )
    .await;
    println!(
        "v1 full sync of {EMPLOYEES}: {full_requests} requests, {:.2} s",
        full_wall.as_secs_f64()
    );
    for (what, c) in [
        ("hire", &hire),
        ("department move", &move_cost),
        ("leaver", &leave_cost),
    ] {
        println!(
            "v1 updated_since poll, {what}: {} requests, {:.2} s until in the directory",
            c.requests,
            c.wall.as_secs_f64()
        );
        // Within one interval, shown by counting rather than timing: the first poll that
        // reaches Personio after the change picks it up, and its run checks the mandatory
        // attributes first (one `/attributes` request). At most one more poll can fall
        // between the baseline and the change, so more than 3 requests would mean a poll
        // saw the change and missed it.
        assert!(c.requests <= 3, "{what} needed {} requests", c.requests);
        assert!(
            c.requests * 5 < full_requests,
            "{what}: {} requests",
            c.requests
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_deliveries_converge_and_duplicates_change_nothing_more() {
    let w = world(personio::ApiVersion::V2, |_| {}).await;
    w.applied(RunKind::Full, 1).await;

    // Dropped: the hire's deliveries never arrive; the next full reconciliation brings it.
    w.sim(
        reqwest::Method::PUT,
        "/_sim/webhooks/mode",
        json!({"drop_next": 10, "duplicate": false}),
    )
    .await;
    let lost = w.hire(3, json!({})).await;
    let deliveries = w
        .sim(
            reqwest::Method::GET,
            "/_sim/webhooks/deliveries",
            Value::Null,
        )
        .await;
    assert!(!deliveries.to_string().is_empty());
    assert!(w.employee(lost).await.is_none());
    w.sim(
        reqwest::Method::PUT,
        "/_sim/webhooks/mode",
        json!({"drop_next": 0, "duplicate": false}),
    )
    .await;
    w.store.request_sync(w.account.id, None).await.unwrap();
    let fulls = w.applied(RunKind::Full, 2).await;
    assert!(w.employee(lost).await.is_some());
    assert_eq!(fulls[1].created, 1, "{:?}", fulls[1]);
    assert!(w.runs_of(RunKind::Targeted).await.is_empty());

    // Duplicated: every delivery arrives twice; one targeted run, one change.
    w.sim(
        reqwest::Method::PUT,
        "/_sim/webhooks/mode",
        json!({"drop_next": 0, "duplicate": true}),
    )
    .await;
    let moved = w.someone().await;
    let dept = w.other_department(moved).await;
    w.sim(
        reqwest::Method::PATCH,
        &format!("/_sim/employees/{moved}"),
        json!({"department": dept}),
    )
    .await;
    let targeted = w.applied(RunKind::Targeted, 1).await;
    assert_eq!(
        (
            targeted[0].created,
            targeted[0].updated,
            targeted[0].removed
        ),
        (0, 1, 0)
    );
    // Let any straggling duplicate be delivered, then check nothing else ran.
    wait_for("both copies delivered", WAIT, || async {
        let d = w
            .sim(
                reqwest::Method::GET,
                "/_sim/webhooks/deliveries",
                Value::Null,
            )
            .await;
        let text = d.to_string();
        (text.matches(&format!("\"{moved}\"")).count() >= 2).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await; // > debounce: a second run would have started
    let runs = w.runs().await;
    assert_eq!(
        runs.iter().filter(|r| r.kind == RunKind::Targeted).count(),
        1
    );
    assert_eq!(runs.iter().filter(|r| r.kind == RunKind::Full).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_webhooks_are_refused_and_queue_nothing() {
    let w = world(personio::ApiVersion::V2, |_| {}).await;
    w.applied(RunKind::Full, 1).await;
    let someone = w.someone().await;
    let body = json!({"company_id": 1, "event_name": "person.deleted",
        "occurred_at": "2026-03-15T10:00:00Z", "payload": {"person_id": someone.to_string()}});
    let post = |path: String, token: Option<&'static str>, body: String| {
        let mut r = w.http.post(format!("{}{path}", w.base)).body(body);
        if let Some(t) = token {
            r = r.header("authorization", t);
        }
        r.send()
    };
    let wrong = post(
        "/webhooks/personio/acme".into(),
        Some("not-the-token"),
        body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), 401);
    let none = post("/webhooks/personio/acme".into(), None, body.to_string())
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let unknown = post(
        "/webhooks/personio/nobody".into(),
        Some("not-the-token"),
        body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), 404);
    // With the right token, garbage is 400 (and nothing queued either).
    let token = w.store.webhook(w.account.id).await.unwrap().unwrap().token;
    let token: &'static str = Box::leak(
        secrecy::ExposeSecret::expose_secret(&token)
            .to_owned()
            .into_boxed_str(),
    );
    let garbage = post(
        "/webhooks/personio/acme".into(),
        Some(token),
        "{not json".into(),
    )
    .await
    .unwrap();
    assert_eq!(garbage.status(), 400);
    tokio::time::sleep(Duration::from_millis(800)).await; // > debounce: queued work would have run
    assert_eq!(w.runs().await.len(), 1);
    assert!(w.employee(someone).await.is_some());
    // The real token is accepted (the person still exists in Personio: nothing changes).
    let ok = post(
        "/webhooks/personio/acme".into(),
        Some(token),
        body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 202);
    let t = w.applied(RunKind::Targeted, 1).await;
    assert_eq!((t[0].created, t[0].updated, t[0].removed), (0, 0, 0));
    assert!(w.employee(someone).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_check_brings_future_hires_and_removes_leavers_on_the_day() {
    let w = world(personio::ApiVersion::V1, |_| {}).await;
    w.applied(RunKind::Full, 1).await;
    let today = w.sim.today();
    let day = |n: i64| today + time::Duration::days(n);
    let ymd = |d: time::Date| staffsync_core::dates::format_date(d);
    let hire = w
        .hire(4, json!({"hire_date": ymd(day(10)), "status": "active"}))
        .await;
    let leaver = w.someone().await;
    w.sim(
        reqwest::Method::POST,
        &format!("/_sim/employees/{leaver}/terminate"),
        json!({"termination_date": ymd(day(5))}),
    )
    .await;
    w.store.request_sync(w.account.id, None).await.unwrap();
    w.applied(RunKind::Full, 2).await;
    assert!(w.employee(hire).await.is_none());
    assert_eq!(
        w.employee(leaver).await.unwrap().termination_date,
        Some(day(5))
    );
    assert_eq!(
        w.store
            .pending_hires(w.account.id)
            .await
            .unwrap()
            .iter()
            .filter(|(id, _)| *id == hire)
            .count(),
        1
    );

    // The last working day: still in.
    let checked = |d: time::Date| {
        let store = w.store.clone();
        let account = w.account.id;
        async move {
            (store.sync_state(account).await.unwrap().last_date_check == Some(d)).then_some(())
        }
    };
    w.state.set_today(Some(day(5)));
    wait_for("the date check of day 5", WAIT, || checked(day(5))).await;
    assert!(w.employee(leaver).await.is_some());
    // The day after: gone, by a targeted run.
    w.state.set_today(Some(day(6)));
    wait_for("the leaver gone", WAIT, || async {
        w.employee(leaver).await.is_none().then_some(())
    })
    .await;
    // The hire date: in.
    w.state.set_today(Some(day(10)));
    wait_for("the hire in", WAIT, || async {
        w.employee(hire).await.is_some().then_some(())
    })
    .await;
    // Targeted runs did it (the generated company has leavers of its own whose dates
    // pass on these days too: they go as well, each on the day after their last).
    let targeted = w.applied(RunKind::Targeted, 2).await;
    assert_eq!(targeted.iter().map(|r| r.created).sum::<i64>(), 1);
    assert!(targeted.iter().map(|r| r.removed).sum::<i64>() >= 1);
    let dir = w.store.directory(w.account.id).await.unwrap();
    assert!(
        dir.iter()
            .all(|d| d.termination_date.is_none_or(|t| t >= day(10)))
    );
    assert!(
        w.store
            .pending_hires(w.account.id)
            .await
            .unwrap()
            .iter()
            .all(|(id, _)| *id != hire)
    );
    assert_eq!(w.runs_of(RunKind::Full).await.len(), 2);
}

impl World {
    /// A targeted run of `id` now, through the account's cached client (the client a
    /// webhook's run uses), waiting while another run holds the account.
    async fn targeted_now(&self, id: PersonioId) -> RunSummary {
        let ids = std::collections::BTreeSet::from([id]);
        let report = wait_for("the account's lease", WAIT, || async {
            match staffsync_server::realtime::run_targeted_now(
                &self.state,
                self.account.id,
                &ids,
                staffsync_server::sync_job::TargetSource::Fetch,
            )
            .await
            .unwrap()
            {
                staffsync_server::realtime::Leased::Ran(r) => Some(r),
                staffsync_server::realtime::Leased::Busy => None,
            }
        })
        .await
        .expect("a targeted Fetch run is always recorded");
        let runs = self.runs().await;
        runs.into_iter().find(|r| r.id == report.run_id).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_targeted_runs_write_a_renamed_department_not_the_cached_old_name() {
    let w = world(personio::ApiVersion::V2, |_| {}).await;
    w.applied(RunKind::Full, 1).await;
    let dir = w.store.directory(w.account.id).await.unwrap();
    let person = dir
        .iter()
        .find(|d| d.department.is_some() && d.termination_date.is_none())
        .unwrap();
    let (id, old) = (person.personio_id, person.department.clone().unwrap());
    // A webhook-triggered run for this person reads the department's name once.
    let first = w.targeted_now(id).await;
    assert_eq!(first.status, RunStatus::Applied, "{first:?}");
    assert_eq!(w.employee(id).await.unwrap().department, Some(old.clone()));

    // The department is renamed in Personio (same id, same members).
    let company = w
        .sim(reqwest::Method::GET, "/_sim/company", Value::Null)
        .await;
    let unit = company["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == old.as_str())
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let renamed = format!("{old} (umbenannt)");
    w.sim(
        reqwest::Method::PATCH,
        &format!("/_sim/units/{unit}"),
        json!({"name": renamed}),
    )
    .await;

    // The full sync writes the new name…
    w.store.request_sync(w.account.id, None).await.unwrap();
    w.applied(RunKind::Full, 2).await;
    assert_eq!(
        w.employee(id).await.unwrap().department.as_deref(),
        Some(renamed.as_str())
    );
    // …and the next targeted run through the same cached client keeps it.
    let second = w.targeted_now(id).await;
    assert_eq!(second.status, RunStatus::Applied, "{second:?}");
    assert_eq!(
        w.employee(id).await.unwrap().department.as_deref(),
        Some(renamed.as_str()),
        "a targeted run wrote the department's old name back"
    );
}
