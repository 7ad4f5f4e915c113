//! Near-real-time sync end to end, in process: SQLite, the Personio simulator with 2,000
//! employees, and `staffsync_server::serve` on port 0 (so the simulator can deliver
//! webhooks to it). Changes are made through the simulator's `/_sim/` endpoints and the
//! tests wait (bounded, polling the store) until the directory shows them; no fixed sleep
//! is an assertion. Personio request counts come from `/_sim/stats` deltas and are
//! printed with the wall times (run with `--nocapture` to see them).
//!
//! Pacing is off on both sides: a paced v2 full sync of 2,000 people takes minutes,
//! and what is measured here is the number of requests, which pacing does not change.

use crate::common::{
    CLIENT_ID, CLIENT_SECRET, TestApp, account, fresh_store, personio, sim_call, sync_now, wait_for,
};
use personio_sim::SimHandle;
use secrecy::SecretString;
use serde_json::{Value, json};
use staffsync_core::PersonKey;
use staffsync_engine::connect::{ConnectOptions, connect_with};
use staffsync_engine::{AppState, ServerConfig};
use staffsync_store::{Account, RunKind, RunStatus, RunSummary, Store};
use std::future::Future;
use std::time::{Duration, Instant};

const EMPLOYEES: usize = 2_000;
const WAIT: Duration = Duration::from_secs(60);

struct World {
    app: TestApp,
    sim: SimHandle,
    account: Account,
}

/// A simulator with `employees` people, and the account `acme` in `store` connected to
/// it with `api` (a v2 connection registers its Personio webhook to `public_base_url`).
async fn connected(
    store: &Store,
    employees: usize,
    api: personio::ApiVersion,
    public_base_url: Option<String>,
) -> (SimHandle, Account) {
    let sim = personio(employees, 11, |c| c.retry_delay_ms = 100).await;
    let account = account(store, "acme", "Acme GmbH").await;
    let connected = connect_with(
        store,
        account.id,
        Some(&account.slug),
        &sim.base_url(),
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
        &ConnectOptions {
            api_version: api,
            public_base_url,
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
    (sim, account)
}

/// A store, a simulator, an account connected with `api`, and a running server (with
/// the scheduler) whose URL is the account's webhook's.
async fn world(api: personio::ApiVersion, tune: impl FnOnce(&mut ServerConfig)) -> World {
    let unstarted = TestApp::unstarted().await;
    let mut config = ServerConfig {
        sync_interval: Duration::from_secs(3600),
        sync_jitter: Duration::ZERO,
        scheduler_poll: Duration::from_millis(100),
        lease: Duration::from_secs(60),
        instance_id: "rt-test".into(),
        personio_rate_limit: false,
        public_base_url: Some(unstarted.base.clone()),
        webhook_debounce: Duration::from_millis(300),
        poll_interval: Duration::ZERO,
        ..ServerConfig::default()
    };
    tune(&mut config);
    let (sim, account) = connected(
        &unstarted.store,
        EMPLOYEES,
        api,
        config.public_base_url.clone(),
    )
    .await;
    World {
        app: unstarted.start(config),
        sim,
        account,
    }
}

impl World {
    async fn runs(&self) -> Vec<RunSummary> {
        self.app.store.runs(self.account.id).await.unwrap()
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
            .app
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
        sim_call(&self.sim, method, path, body).await
    }

    async fn hire(&self, n: u32, extra: Value) -> PersonKey {
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
        PersonKey(e["id"].as_i64().unwrap())
    }

    async fn employee(&self, id: PersonKey) -> Option<staffsync_core::DirectoryEmployee> {
        self.app.store.employee(self.account.id, id).await.unwrap()
    }

    /// A department that `id` is not in.
    async fn other_department(&self, id: PersonKey) -> String {
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
    async fn someone(&self) -> PersonKey {
        let dir = self.app.store.directory(self.account.id).await.unwrap();
        let bosses: std::collections::BTreeSet<PersonKey> =
            dir.iter().filter_map(|d| d.supervisor_key).collect();
        dir.iter()
            .find(|d| d.termination_date.is_none() && !bosses.contains(&d.key))
            .unwrap()
            .key
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
        let store = w.app.store.clone();
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
    w.app.store.request_sync(w.account.id, None).await.unwrap();
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
        let mut r = w.app.http.post(format!("{}{path}", w.app.base)).body(body);
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
    let token = w
        .app
        .store
        .webhook(w.account.id)
        .await
        .unwrap()
        .unwrap()
        .token;
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
    w.app.store.request_sync(w.account.id, None).await.unwrap();
    w.applied(RunKind::Full, 2).await;
    assert!(w.employee(hire).await.is_none());
    assert_eq!(
        w.employee(leaver).await.unwrap().termination_date,
        Some(day(5))
    );
    assert_eq!(
        w.app
            .store
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
        let store = w.app.store.clone();
        let account = w.account.id;
        async move {
            (store.sync_state(account).await.unwrap().last_date_check == Some(d)).then_some(())
        }
    };
    w.app.state.set_today(Some(day(5)));
    wait_for("the date check of day 5", WAIT, || checked(day(5))).await;
    assert!(w.employee(leaver).await.is_some());
    // The day after: gone, by a targeted run.
    w.app.state.set_today(Some(day(6)));
    wait_for("the leaver gone", WAIT, || async {
        w.employee(leaver).await.is_none().then_some(())
    })
    .await;
    // The hire date: in.
    w.app.state.set_today(Some(day(10)));
    wait_for("the hire in", WAIT, || async {
        w.employee(hire).await.is_some().then_some(())
    })
    .await;
    // Targeted runs did it (the generated company has leavers of its own whose dates
    // pass on these days too: they go as well, each on the day after their last).
    let targeted = w.applied(RunKind::Targeted, 2).await;
    assert_eq!(targeted.iter().map(|r| r.created).sum::<i64>(), 1);
    assert!(targeted.iter().map(|r| r.removed).sum::<i64>() >= 1);
    let dir = w.app.store.directory(w.account.id).await.unwrap();
    assert!(
        dir.iter()
            .all(|d| d.termination_date.is_none_or(|t| t >= day(10)))
    );
    assert!(
        w.app
            .store
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
    async fn targeted_now(&self, id: PersonKey) -> RunSummary {
        let ids = std::collections::BTreeSet::from([id]);
        let report = wait_for("the account's lease", WAIT, || async {
            match staffsync_engine::realtime::run_targeted_now(
                &self.app.state,
                self.account.id,
                &ids,
                staffsync_engine::run::TargetSource::Fetch,
            )
            .await
            .unwrap()
            {
                staffsync_engine::realtime::Leased::Ran(r) => Some(r),
                staffsync_engine::realtime::Leased::Busy => None,
            }
        })
        .await
        .expect("a targeted Fetch run is always recorded");
        let runs = self.runs().await;
        runs.into_iter().find(|r| r.id == report.run_id).unwrap()
    }
}

impl World {
    /// Requests the simulator answered on one endpoint (`v2_lookups`, `v2_persons`, …).
    async fn requests_on(&self, endpoint: &str) -> u64 {
        let stats = self
            .sim(reqwest::Method::GET, "/_sim/stats", Value::Null)
            .await;
        stats["requests"][endpoint].as_u64().unwrap_or(0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_events_for_people_of_known_units_cost_two_requests_each() {
    let w = world(personio::ApiVersion::V2, |_| {}).await;
    w.applied(RunKind::Full, 1).await;
    let dir = w.app.store.directory(w.account.id).await.unwrap();
    let person = dir
        .iter()
        .find(|d| d.department.is_some() && d.office.is_some())
        .unwrap()
        .key;
    // The first event's run looks the person's units up…
    let lookups = w.requests_on("v2_lookups").await;
    w.targeted_now(person).await;
    assert!(w.requests_on("v2_lookups").await > lookups);
    // …and the next ones reuse those names: the person and their employments only.
    let (lookups, all) = (w.requests_on("v2_lookups").await, w.requests().await);
    for _ in 0..3 {
        let run = w.targeted_now(person).await;
        assert_eq!(run.status, RunStatus::Applied, "{run:?}");
    }
    assert_eq!(w.requests_on("v2_lookups").await, lookups);
    assert_eq!(
        w.requests().await - all,
        3 * 2,
        "persons and employments per run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_targeted_runs_write_a_renamed_department_not_the_cached_old_name() {
    let w = world(personio::ApiVersion::V2, |_| {}).await;
    w.applied(RunKind::Full, 1).await;
    let dir = w.app.store.directory(w.account.id).await.unwrap();
    let person = dir
        .iter()
        .find(|d| d.department.is_some() && d.termination_date.is_none())
        .unwrap();
    let (id, old) = (person.key, person.department.clone().unwrap());
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
    w.app.store.request_sync(w.account.id, None).await.unwrap();
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

// ------------------------------------------------- directory rules (issue 11, planner side)

impl World {
    /// Stores `edit` of the account's settings as the admin would save them.
    async fn settings(&self, edit: impl FnOnce(&mut staffsync_core::Settings)) {
        let mut s = self
            .app
            .store
            .account_by_id(self.account.id)
            .await
            .unwrap()
            .unwrap()
            .policy
            .settings;
        edit(&mut s);
        self.app
            .store
            .set_settings(self.account.id, &s, "test")
            .await
            .unwrap();
    }

    /// Requests a full sync (accepting `accept`'s removals) and waits until `n` full runs
    /// have finished; returns the `n`th.
    async fn full_sync(&self, accept: Option<staffsync_store::RunId>, n: usize) -> RunSummary {
        self.app
            .store
            .request_sync(self.account.id, accept)
            .await
            .unwrap();
        wait_for(&format!("full run {n}"), WAIT * 3, || async {
            let runs = self.runs_of(RunKind::Full).await;
            if let Some(bad) = runs.iter().find(|r| r.status == RunStatus::Failed) {
                panic!("a full run failed: {:?}", bad.error);
            }
            // (A held run that is accepted later changes its status: counted by end.)
            let done: Vec<RunSummary> = runs
                .into_iter()
                .filter(|r| r.finished_at.is_some())
                .collect();
            (done.len() >= n).then(|| done[n - 1].clone())
        })
        .await
    }
}

fn employment_type(d: &staffsync_core::DirectoryEmployee) -> Option<&str> {
    d.attributes.get("employment_type")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluding_an_employment_type_removes_those_people_after_review() {
    let w = world(personio::ApiVersion::V1, |_| {}).await;
    w.applied(RunKind::Full, 1).await;
    let before = w.app.store.directory(w.account.id).await.unwrap();
    let externals: std::collections::BTreeSet<PersonKey> = before
        .iter()
        .filter(|d| employment_type(d).is_some_and(|t| t.eq_ignore_ascii_case("external")))
        .map(|d| d.key)
        .collect();
    assert!(externals.len() >= 10, "{} externals", externals.len());
    w.settings(|s| {
        s.scope.exclude = vec![staffsync_core::Rule {
            attribute: "employment_type".into(),
            values: vec!["External".into()],
        }];
        // A few percent of the company: held like any mass removal under a tight guard.
        s.deletion_guard.max_share = 0.02;
    })
    .await;
    let held = w.full_sync(None, 2).await;
    assert_eq!(held.status, RunStatus::Held);
    assert_eq!(held.removed as usize, externals.len());
    assert_eq!(
        w.app.store.directory(w.account.id).await.unwrap().len(),
        before.len()
    );
    let reviewed = w
        .app
        .store
        .held_removals(w.account.id, held.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reviewed, externals);

    // Accepted after review: applied, and nobody external is left.
    let applied = w.full_sync(Some(held.id), 3).await;
    assert_eq!(applied.status, RunStatus::Applied, "{applied:?}");
    assert_eq!(applied.removed as usize, externals.len());
    let after = w.app.store.directory(w.account.id).await.unwrap();
    assert_eq!(after.len(), before.len() - externals.len());
    assert!(after.iter().all(|d| !externals.contains(&d.key)));
    // Their skips name the rule from now on, and nothing is held any more.
    let again = w.full_sync(None, 4).await;
    assert_eq!((again.status, again.removed), (RunStatus::Applied, 0));
}

/// Reporting-line groups of a directory: (kind, manager id) → members.
fn lines_of(
    dir: &[staffsync_core::DirectoryEmployee],
) -> std::collections::BTreeMap<
    (staffsync_core::GroupKind, String),
    std::collections::BTreeSet<PersonKey>,
> {
    let mut out: std::collections::BTreeMap<_, std::collections::BTreeSet<PersonKey>> =
        Default::default();
    for d in dir {
        for g in d.groups.iter().filter(|g| g.kind.is_reporting_line()) {
            out.entry((g.kind, g.name.to_string()))
                .or_default()
                .insert(d.key);
        }
    }
    out
}

/// The managers above `id`, nearest first, by the directory's supervisor links.
fn chain(dir: &[staffsync_core::DirectoryEmployee], id: PersonKey) -> Vec<PersonKey> {
    let sup: std::collections::BTreeMap<PersonKey, PersonKey> = dir
        .iter()
        .filter_map(|d| d.supervisor_key.map(|s| (d.key, s)))
        .collect();
    let mut out = Vec::new();
    let mut at = id;
    while let Some(&s) = sup.get(&at) {
        if out.contains(&s) || s == id {
            break;
        }
        out.push(s);
        at = s;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managers_move_changes_the_groups_of_every_manager_above_old_and_new() {
    let w = world(personio::ApiVersion::V1, |_| {}).await;
    w.applied(RunKind::Full, 1).await;
    w.settings(|s| s.groups.reporting_lines = true).await;
    w.full_sync(None, 2).await;
    let dir = w.app.store.directory(w.account.id).await.unwrap();
    let groups = lines_of(&dir);
    assert!(!groups.is_empty());
    let direct =
        |g: &std::collections::BTreeMap<_, std::collections::BTreeSet<PersonKey>>,
         kind: staffsync_core::GroupKind,
         m: PersonKey| { g.get(&(kind, m.to_string())).cloned().unwrap_or_default() };
    use staffsync_core::GroupKind::{ReportsAll, ReportsDirect};
    // A manager at least two levels down, with reports, and someone to move to: in
    // another line, not below the mover.
    let mover = dir
        .iter()
        .map(|d| d.key)
        .filter(|id| chain(&dir, *id).len() >= 2 && !direct(&groups, ReportsDirect, *id).is_empty())
        .max_by_key(|id| direct(&groups, ReportsAll, *id).len())
        .expect("a manager with a manager above");
    let below = direct(&groups, ReportsAll, mover);
    let old_chain = chain(&dir, mover);
    let target = dir
        .iter()
        .map(|d| d.key)
        .filter(|id| *id != mover && !below.contains(id) && !old_chain.contains(id))
        .max_by_key(|id| chain(&dir, *id).len())
        .unwrap();
    let mut new_chain = vec![target];
    new_chain.extend(chain(&dir, target));
    w.sim(
        reqwest::Method::PATCH,
        &format!("/_sim/employees/{mover}"),
        json!({"supervisor_id": target.0}),
    )
    .await;
    // A targeted run of the mover alone (as a webhook would start): everyone whose lines
    // change is updated, though outside its scope.
    let run = w.targeted_now(mover).await;
    assert_eq!(run.status, RunStatus::Applied);
    let after_dir = w.app.store.directory(w.account.id).await.unwrap();
    let after = lines_of(&after_dir);
    let moved: std::collections::BTreeSet<PersonKey> =
        below.iter().copied().chain([mover]).collect();
    let only_old: Vec<PersonKey> = old_chain
        .iter()
        .copied()
        .filter(|m| !new_chain.contains(m))
        .collect();
    assert!(!only_old.is_empty());
    for m in &only_old {
        let all = direct(&after, ReportsAll, *m);
        assert!(
            moved.iter().all(|p| !all.contains(p)),
            "{m} still has the moved people"
        );
        assert!(direct(&groups, ReportsAll, *m).is_superset(&moved));
    }
    for m in new_chain.iter().filter(|m| !old_chain.contains(m)) {
        assert!(
            direct(&after, ReportsAll, *m).is_superset(&moved),
            "{m} lacks the moved people"
        );
    }
    // Direct reports: the old manager lost the mover, the new one has them.
    assert!(!direct(&after, ReportsDirect, old_chain[0]).contains(&mover));
    assert!(direct(&groups, ReportsDirect, old_chain[0]).contains(&mover));
    assert!(direct(&after, ReportsDirect, target).contains(&mover));
    // And the whole directory is what a full sync makes of it: nothing left to change.
    let full = w.full_sync(None, 3).await;
    assert_eq!(
        (full.status, full.updated, full.removed),
        (RunStatus::Applied, 0, 0),
        "{full:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_date_check_moves_people_between_tenure_bands_without_asking_personio() {
    let w = world(personio::ApiVersion::V1, |_| {}).await;
    w.applied(RunKind::Full, 1).await;
    let today = w.sim.today();
    let dir = w.app.store.directory(w.account.id).await.unwrap();
    let pending = w.app.store.pending_hires(w.account.id).await.unwrap();
    // A hire date whose third month completes on a day when the date check has nothing
    // to fetch (no leaver's day after, no hire date), so any request would be the band's.
    let busy = |d: time::Date| {
        dir.iter()
            .any(|e| e.termination_date == Some(d - time::Duration::days(1)))
            || pending.iter().any(|(_, h)| *h == d)
    };
    let (hired, third_month) = (10..60)
        .map(|back| today - time::Duration::days(back))
        .map(|h| {
            let total = h.month() as u8 + 2;
            let (year, month) = (h.year() + i32::from(total / 12), total % 12 + 1);
            let month = time::Month::try_from(month).unwrap();
            let day = h.day().min(month.length(year));
            (h, time::Date::from_calendar_date(year, month, day).unwrap())
        })
        .find(|(_, d)| !busy(*d))
        .unwrap();
    let ymd = staffsync_core::dates::format_date;
    let person = w
        .hire(7, json!({"hire_date": ymd(hired), "status": "active"}))
        .await;
    w.settings(|s| s.groups.tenure = true).await;
    w.full_sync(None, 2).await;
    let band = |d: Option<staffsync_core::DirectoryEmployee>| -> Vec<String> {
        d.unwrap()
            .groups
            .iter()
            .filter(|g| g.kind == staffsync_core::GroupKind::Tenure)
            .map(|g| g.name.to_string())
            .collect()
    };
    assert_eq!(band(w.employee(person).await), ["lt_3m"]);

    let checked = |d: time::Date| {
        let store = w.app.store.clone();
        let account = w.account.id;
        async move {
            (store.sync_state(account).await.unwrap().last_date_check == Some(d)).then_some(())
        }
    };
    let eve = third_month - time::Duration::days(1);
    w.app.state.set_today(Some(eve));
    wait_for("the date check of the day before", WAIT, || checked(eve)).await;
    assert_eq!(band(w.employee(person).await), ["lt_3m"]);
    let requests = w.requests().await;
    let runs = w.runs().await.len();
    w.app.state.set_today(Some(third_month));
    wait_for("the date check of the day", WAIT, || checked(third_month)).await;
    assert_eq!(band(w.employee(person).await), ["3_6m"]);
    assert_eq!(
        w.requests().await,
        requests,
        "the date check asked Personio"
    );
    // One run, recorded as targeted, moved them (and whoever else crossed a boundary).
    let new: Vec<RunSummary> = w
        .runs()
        .await
        .into_iter()
        .take(w.runs().await.len() - runs)
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(
        (new[0].kind, new[0].status),
        (RunKind::Targeted, RunStatus::Applied)
    );
    assert!(new[0].updated >= 1 && new[0].created == 0 && new[0].removed == 0);
}

/// A v1 poll that keeps failing (Personio answers its request 400) is not retried on
/// every scheduler tick: driven tick by tick with an injected clock (every 5 s for three
/// minutes at a 20 s poll interval), it asks at 20 s, 40 s, 80 s and 160 s — the interval,
/// then doubling — not 33 times. Once a poll succeeds the backoff starts over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_poll_backs_off_instead_of_asking_on_every_tick() {
    let (_dir, store) = fresh_store().await;
    let (sim, account) = connected(&store, 20, personio::ApiVersion::V1, None).await;
    let interval = Duration::from_secs(20);
    let state = AppState::new(
        store.clone(),
        ServerConfig {
            run_scheduler: false,
            personio_rate_limit: false,
            poll_interval: interval,
            sync_interval: Duration::from_secs(12 * 3600),
            ..ServerConfig::default()
        },
    );
    sync_now(&store, &account, None).await;

    let polled = || async {
        store
            .realtime_accounts()
            .await
            .unwrap()
            .into_iter()
            .find(|ra| ra.account_id == account.id)
            .unwrap()
    };
    let asked = || sim.stats().requests.employees;
    let tick = Duration::from_secs(5);
    // The ticks (from `start`) at which a poll ran and failed, over `ticks` ticks.
    let failing_ticks = |start: time::OffsetDateTime, ticks: u32| {
        let state = state.clone();
        let polled = &polled;
        async move {
            let mut failed = Vec::new();
            for k in 0..=ticks {
                let now = start + tick * k;
                match staffsync_engine::realtime::poll_at(&state, &polled().await, now).await {
                    Ok(false) => {}
                    Ok(true) => panic!("the poll succeeded at tick {k}"),
                    Err(_) => failed.push(k),
                }
            }
            failed
        }
    };
    let fail = personio_sim::Fault::FailPage {
        offset: 0,
        status: 400,
        times: None,
    };
    sim.add_fault(fail.clone()).unwrap();
    let mark = polled().await.state.last_incremental_at.unwrap();
    let before = asked();
    let failed = failing_ticks(mark, 36).await;
    assert_eq!(
        failed,
        vec![4, 8, 16, 32],
        "polls at 20 s, 40 s, 80 s, 160 s"
    );
    assert_eq!(asked() - before, 4, "one request per poll");

    // Personio answers again: the poll due next (320 s) succeeds and moves the watermark;
    // a new failure waits one interval again, not the 320 s the backoff had reached.
    sim.clear_faults();
    let next = mark + tick * 64;
    assert!(
        staffsync_engine::realtime::poll_at(&state, &polled().await, next)
            .await
            .unwrap()
    );
    assert_eq!(polled().await.state.last_incremental_at, Some(next));
    sim.add_fault(fail).unwrap();
    assert_eq!(failing_ticks(next, 10).await, vec![4, 8]);
}
