//! The change feed and outgoing webhooks end to end: simulated Personio companies, real
//! syncs into a SQLite store, the real router served on a port, and receivers (axum
//! servers in the test) for the webhooks.
//!
//! - replaying `GET /changes` from the start rebuilds exactly what `GET /employees` and
//!   `GET /groups` show, after hires, moves, leavers and a renamed department; an erased
//!   person's name is nowhere in the database file afterwards;
//! - a receiver verifies every Standard Webhooks signature and, after being down for a
//!   while, sees every change exactly once, in order;
//! - a receiver that always fails blocks neither syncs nor another account's deliveries;
//! - receivers that accept a connection and never answer, ten for each of two accounts,
//!   hold at most four delivery slots per account, and a third account's delivery is made
//!   at once, not after their timeout;
//! - every API list pages with `limit` and `cursor`, and answers as before without them.

use crate::common::{TODAY, Tenant, TestApp, sim_call, spawn_app, sync_now, tenant, wait_for};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use staffsync_engine::ServerConfig;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

struct World {
    app: TestApp,
}

impl World {
    async fn new() -> World {
        Self::serve(|c| {
            c.webhook_allow_private = true;
            c.webhook_poll = Duration::from_millis(50);
            c.webhook_retry_backoff = vec![Duration::from_millis(100), Duration::from_millis(200)];
            c.webhook_timeout = Duration::from_secs(5);
        })
        .await
    }

    /// A fresh SQLite store served with the configuration `tune` makes.
    async fn serve(tune: impl FnOnce(&mut ServerConfig)) -> World {
        World {
            app: spawn_app(tune).await,
        }
    }

    async fn tenant(&self, slug: &str, employees: usize, seed: u64) -> Tenant {
        tenant(&self.app.store, slug, employees, seed).await
    }

    async fn sync(&self, t: &Tenant) {
        let report = sync_now(&self.app.store, &t.account, Some(TODAY)).await;
        assert!(
            matches!(report.result, staffsync_engine::SyncResult::Applied),
            "{:?}",
            report.result
        );
    }

    async fn get(&self, t: &Tenant, path: &str) -> (StatusCode, Value) {
        let r = self
            .app
            .http
            .get(self.app.url(&format!("/api/v1{path}")))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v = r.json().await.unwrap_or(Value::Null);
        assert!(!status.is_server_error(), "{path}: {status} {v}");
        (status, v)
    }

    async fn ok(&self, t: &Tenant, path: &str) -> Value {
        let (status, v) = self.get(t, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        v
    }

    /// Every change after `after` (from the start with `None`), in pages of `limit`; and
    /// the cursor to continue from.
    async fn changes(&self, t: &Tenant, after: Option<&str>, limit: usize) -> (Vec<Value>, String) {
        let mut out = Vec::new();
        let mut cursor = after.map(str::to_owned);
        loop {
            let path = match &cursor {
                Some(c) => format!("/changes?after={c}&limit={limit}"),
                None => format!("/changes?limit={limit}"),
            };
            let page = self.ok(t, &path).await;
            let changes = page["changes"].as_array().unwrap().clone();
            assert!(changes.len() <= limit);
            cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
            let more = page["has_more"].as_bool().unwrap();
            out.extend(changes);
            if !more {
                break;
            }
        }
        (out, cursor.unwrap())
    }

    async fn register(&self, t: &Tenant, url: &str) -> (i64, String) {
        let r = self
            .app
            .http
            .post(self.app.url("/api/v1/webhook-endpoints"))
            .bearer_auth(&t.token)
            .json(&json!({ "url": url }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        (
            v["id"].as_i64().unwrap(),
            v["secret"].as_str().unwrap().to_owned(),
        )
    }

    async fn deliveries(&self, t: &Tenant, endpoint: i64) -> Vec<Value> {
        self.ok(t, &format!("/webhook-endpoints/{endpoint}/deliveries"))
            .await["deliveries"]
            .as_array()
            .unwrap()
            .clone()
    }
}

async fn hire(t: &Tenant, first: &str, last: &str, department: &str) -> i64 {
    let e = sim_call(
        &t.sim,
        reqwest::Method::POST,
        "/_sim/employees",
        json!({
            "first_name": first, "last_name": last,
            "email": format!("{}.{}@feed-test.example", first.to_lowercase(), last.to_lowercase()),
            "status": "active", "hire_date": "2024-01-01", "department": department,
        }),
    )
    .await;
    e["id"].as_i64().unwrap()
}

/// A replica built only from the feed.
#[derive(Debug, Default, PartialEq)]
struct Replica {
    people: BTreeMap<i64, serde_json::Map<String, Value>>,
    groups: BTreeMap<i64, (String, String)>,
    members: BTreeMap<i64, BTreeSet<i64>>,
}

fn replay(changes: &[Value]) -> Replica {
    let mut r = Replica::default();
    for c in changes {
        let pid = c["personio_id"].as_i64();
        match c["type"].as_str().unwrap() {
            "employee.created" => {
                // `null` once the person was erased (a later change removes them).
                let fields = c["fields"].as_object().cloned().unwrap_or_default();
                r.people.insert(pid.unwrap(), fields);
            }
            "employee.updated" => {
                let p = r.people.get_mut(&pid.unwrap()).expect("known person");
                for (k, v) in c["fields"].as_object().cloned().unwrap_or_default() {
                    if k == "attributes" {
                        let attrs = p["attributes"].as_object_mut().unwrap();
                        for (ak, av) in v.as_object().cloned().unwrap() {
                            if av.is_null() {
                                attrs.remove(&ak);
                            } else {
                                attrs.insert(ak, av);
                            }
                        }
                    } else {
                        p.insert(k, v);
                    }
                }
            }
            "employee.removed" => {
                assert_eq!(c.as_object().unwrap().len(), 5, "the id only: {c}");
                r.people.remove(&pid.unwrap()).expect("known person");
            }
            "group.created" | "group.renamed" => {
                // Without kind and name once the group was removed (a later change does).
                let g = &c["group"];
                r.groups.insert(
                    g["id"].as_i64().unwrap(),
                    (
                        g["kind"].as_str().unwrap_or_default().to_owned(),
                        g["name"].as_str().unwrap_or_default().to_owned(),
                    ),
                );
            }
            "group.removed" => {
                let id = c["group"]["id"].as_i64().unwrap();
                assert!(r.members.get(&id).is_none_or(BTreeSet::is_empty), "{c}");
                r.groups.remove(&id).expect("known group");
                r.members.remove(&id);
            }
            "membership.added" => {
                let g = c["group_id"].as_i64().unwrap();
                assert!(r.groups.contains_key(&g) && r.people.contains_key(&pid.unwrap()));
                assert!(r.members.entry(g).or_default().insert(pid.unwrap()), "{c}");
            }
            "membership.removed" => {
                let g = c["group_id"].as_i64().unwrap();
                assert!(r.members.get_mut(&g).unwrap().remove(&pid.unwrap()), "{c}");
            }
            other => panic!("unknown type {other}"),
        }
    }
    r.members.retain(|_, m| !m.is_empty());
    r
}

/// The same from `GET /employees` and `GET /groups`.
async fn shown(w: &World, t: &Tenant) -> Replica {
    let mut r = Replica::default();
    let groups = w.ok(t, "/groups").await["groups"]
        .as_array()
        .unwrap()
        .clone();
    let by_key: BTreeMap<(String, String), i64> = groups
        .iter()
        .map(|g| {
            let key = (
                g["kind"].as_str().unwrap().to_owned(),
                g["name"].as_str().unwrap().to_owned(),
            );
            r.groups.insert(g["id"].as_i64().unwrap(), key.clone());
            (key, g["id"].as_i64().unwrap())
        })
        .collect();
    for e in w.ok(t, "/employees").await["employees"].as_array().unwrap() {
        let mut e = e.as_object().unwrap().clone();
        let id = e.remove("personio_id").unwrap().as_i64().unwrap();
        for g in e.remove("groups").unwrap().as_array().unwrap() {
            let key = (
                g["kind"].as_str().unwrap().to_owned(),
                g["name"].as_str().unwrap().to_owned(),
            );
            r.members.entry(by_key[&key]).or_default().insert(id);
        }
        r.people.insert(id, e);
    }
    for g in &groups {
        let id = g["id"].as_i64().unwrap();
        assert_eq!(
            g["member_count"].as_u64().unwrap() as usize,
            r.members.get(&id).map_or(0, BTreeSet::len)
        );
    }
    r
}

fn files_contain(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        path.is_file()
            && std::fs::read(&path)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_replays_to_the_directory_and_forgets_the_erased() {
    let w = World::new().await;
    let t = w.tenant("replay", 40, 5).await;
    let other = w.tenant("elsewhere", 8, 9).await;

    let people = sim_call(&t.sim, reqwest::Method::GET, "/_sim/employees", Value::Null).await;
    let active: Vec<&Value> = people
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "active" && e["department"].is_string())
        .collect();
    // A hire with a name found nowhere else, who later leaves: erased.
    let victim = hire(&t, "Xanthippe", "Quorndorfer", "Feed Lab").await;
    hire(&t, "Nora", "Newhire", "Feed Lab").await;
    w.sync(&t).await;
    sim_call(
        &t.sim,
        reqwest::Method::PATCH,
        &format!("/_sim/employees/{victim}"),
        json!({"position": "Quorndorfer Specialist"}),
    )
    .await;
    // A move and a leaver.
    sim_call(
        &t.sim,
        reqwest::Method::PATCH,
        &format!("/_sim/employees/{}", active[0]["id"]),
        json!({"department": "Feed Lab"}),
    )
    .await;
    sim_call(
        &t.sim,
        reqwest::Method::DELETE,
        &format!("/_sim/employees/{}", active[1]["id"]),
        Value::Null,
    )
    .await;
    w.sync(&t).await;
    // A renamed department.
    let company = sim_call(&t.sim, reqwest::Method::GET, "/_sim/company", Value::Null).await;
    let dept = company["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == active[2]["department"])
        .unwrap()
        .clone();
    sim_call(
        &t.sim,
        reqwest::Method::PATCH,
        &format!("/_sim/units/{}", dept["id"]),
        json!({"name": "Renamed Department"}),
    )
    .await;
    w.sync(&t).await;
    assert!(
        files_contain(&w.app.data_dir(), b"Quorndorfer"),
        "scan sanity"
    );
    sim_call(
        &t.sim,
        reqwest::Method::DELETE,
        &format!("/_sim/employees/{victim}"),
        Value::Null,
    )
    .await;
    w.sync(&t).await;

    let (all, end) = w.changes(&t, None, 37).await;
    assert!(all.windows(2).all(|p| p[0]["cursor"] != p[1]["cursor"]));
    let types: BTreeSet<&str> = all.iter().map(|c| c["type"].as_str().unwrap()).collect();
    for ty in [
        "employee.created",
        "employee.updated",
        "employee.removed",
        "group.created",
        "group.renamed",
        "membership.added",
        "membership.removed",
    ] {
        assert!(types.contains(ty), "no {ty} in {types:?}");
    }
    let renamed = all.iter().find(|c| c["type"] == "group.renamed").unwrap();
    assert_eq!(renamed["group"]["name"], "Renamed Department");
    assert_eq!(renamed["previous_name"], dept["name"]);
    assert_eq!(replay(&all), shown(&w, &t).await);
    // Pages of any size show the same.
    let (again, _) = w.changes(&t, None, 1000).await;
    assert_eq!(again, all);
    // Nothing more after the end; the cursor stays.
    let page = w.ok(&t, &format!("/changes?after={end}")).await;
    assert_eq!(page["changes"], json!([]));
    assert_eq!(page["next_cursor"], end.as_str());
    assert_eq!(page["has_more"], false);

    // Erasure: nothing in the feed, nor anywhere in the database file, names the leaver.
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains("Quorndorfer") && !text.contains("Xanthippe"));
    for needle in [
        &b"Quorndorfer"[..],
        b"Xanthippe",
        b"xanthippe.quorndorfer@feed-test.example",
    ] {
        assert!(
            !files_contain(&w.app.data_dir(), needle),
            "{} still on disk",
            String::from_utf8_lossy(needle)
        );
    }
    let theirs: Vec<&Value> = all.iter().filter(|c| c["personio_id"] == victim).collect();
    assert!(theirs.iter().any(|c| c["type"] == "employee.removed"));
    assert!(
        theirs
            .iter()
            .filter(|c| c["type"] == "employee.created")
            .all(|c| c["fields"].is_null())
    );

    // Cursors: another account's is 400, a made-up one 400, a limit over 1,000 is 422.
    let (theirs_all, their_end) = w.changes(&other, None, 100).await;
    assert_eq!(replay(&theirs_all), shown(&w, &other).await);
    let (s, v) = w.get(&t, &format!("/changes?after={their_end}")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["field"], "after");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another account")
    );
    let (s, v) = w.get(&t, "/changes?after=bogus").await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("after"))
    );
    let (s, v) = w.get(&t, "/changes?limit=1001").await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
    let (s, v) = w.get(&t, "/changes?limit=0").await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("limit"))
    );
    let (s, v) = w.get(&t, "/changes?limit=2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["changes"].as_array().unwrap().len(), 2);

    // Retention: once the runs are pruned, an old cursor is 410; a fresh start works.
    let first_cursor = all[0]["cursor"].as_str().unwrap();
    w.app
        .store
        .prune_changes(time::OffsetDateTime::now_utc() + time::Duration::days(1))
        .await
        .unwrap();
    let (s, v) = w.get(&t, &format!("/changes?after={first_cursor}")).await;
    assert_eq!(s, StatusCode::GONE, "{v}");
    assert_eq!(v["error"]["code"], "gone");
    assert_eq!(v["error"]["field"], "after");
    let (s, v) = w.get(&t, &format!("/changes?after={end}")).await;
    assert_eq!(s, StatusCode::OK, "the newest cursor is still good: {v}");
    assert_eq!(w.ok(&t, "/changes").await["changes"], json!([]));
}

/// A receiver: verifies every signature, keeps the accepted messages; answers 503 while
/// `up` is false (or always `fail_with` when set).
#[derive(Clone)]
struct Receiver {
    secret: Arc<Mutex<Option<String>>>,
    up: Arc<AtomicBool>,
    fail_with: Option<u16>,
    accepted: Arc<Mutex<Vec<Value>>>,
    refused: Arc<Mutex<usize>>,
    bad_signatures: Arc<Mutex<usize>>,
}

impl Receiver {
    fn new(up: bool, fail_with: Option<u16>) -> Receiver {
        Receiver {
            secret: Arc::default(),
            up: Arc::new(AtomicBool::new(up)),
            fail_with,
            accepted: Arc::default(),
            refused: Arc::default(),
            bad_signatures: Arc::default(),
        }
    }

    async fn spawn(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let me = me.clone();
                async move { me.receive(&headers, &body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hook")
    }

    fn receive(&self, headers: &HeaderMap, body: &[u8]) -> AxStatus {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (id, ts, sig) = (
            header("webhook-id"),
            header("webhook-timestamp"),
            header("webhook-signature"),
        );
        let secret = self.secret.lock().unwrap().clone().expect("secret known");
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{ts}.").as_bytes());
        mac.update(body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let fresh = ts.parse::<i64>().is_ok_and(|t| (now - t).abs() < 300);
        if id.is_empty() || !fresh || !sig.split(' ').any(|s| s == expected) {
            *self.bad_signatures.lock().unwrap() += 1;
            return AxStatus::BAD_REQUEST;
        }
        if let Some(code) = self.fail_with {
            *self.refused.lock().unwrap() += 1;
            return AxStatus::from_u16(code).unwrap();
        }
        if !self.up.load(Ordering::SeqCst) {
            *self.refused.lock().unwrap() += 1;
            return AxStatus::SERVICE_UNAVAILABLE;
        }
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["type"], "directory.changed");
        self.accepted.lock().unwrap().push(v);
        AxStatus::NO_CONTENT
    }

    fn changes(&self) -> Vec<Value> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .flat_map(|m| m["data"]["changes"].as_array().unwrap().clone())
            .collect()
    }
}

async fn some_changes(w: &World, t: &Tenant, n: usize) {
    for i in 0..n {
        hire(
            t,
            &format!("Hook{i}"),
            &format!("Person{}", t.account.id),
            "Hook Dept",
        )
        .await;
        w.sync(t).await;
    }
}

/// Waits until `endpoint`'s every delivery is recorded as delivered. The receiver has
/// its last message before the worker records the answer, so a receiver that has
/// everything says nothing yet about the log.
async fn all_delivered(w: &World, t: &Tenant, endpoint: i64) {
    wait_for("every delivery recorded as delivered", WAIT, || async {
        let log = w.deliveries(t, endpoint).await;
        (!log.is_empty() && log.iter().all(|d| d["status"] == "delivered")).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_was_down_gets_every_change_once_in_order_signed() {
    let w = World::new().await;
    let t = w.tenant("hooked", 20, 3).await;
    let receiver = Receiver::new(false, None);
    let url = receiver.spawn().await;
    let (_, start) = w.changes(&t, None, 1000).await;
    let (endpoint, secret) = w.register(&t, &url).await;
    *receiver.secret.lock().unwrap() = Some(secret.clone());
    assert!(secret.starts_with("whsec_"));
    let listed = w.ok(&t, "/webhook-endpoints").await;
    assert_eq!(listed["endpoints"][0]["url"], url.as_str());
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );

    some_changes(&w, &t, 3).await;
    // Down: the first delivery is retried, the later ones wait for it.
    wait_for("retries while the receiver is down", WAIT, || async {
        let log = w.deliveries(&t, endpoint).await;
        (log.len() == 1 && log[0]["attempts"].as_i64().unwrap() >= 3).then_some(())
    })
    .await;
    let log = w.deliveries(&t, endpoint).await;
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["last_status"], 503);
    assert!(receiver.accepted.lock().unwrap().is_empty());

    receiver.up.store(true, Ordering::SeqCst);
    let (expected, _) = w.changes(&t, Some(&start), 1000).await;
    assert!(expected.len() > 3);
    wait_for("every change delivered", WAIT, || async {
        (receiver.changes().len() >= expected.len()).then_some(())
    })
    .await;
    assert_eq!(receiver.changes(), expected, "every change once, in order");
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);
    all_delivered(&w, &t, endpoint).await;
    let metrics = w.app.text("/metrics").await;
    for line in [
        "staffsync_webhook_deliveries_total{result=\"delivered\"}",
        "staffsync_webhook_deliveries_total{result=\"retry\"}",
        "staffsync_change_feed_lag_seconds",
        "staffsync_webhook_pending_deliveries",
    ] {
        assert!(metrics.contains(line), "{line} missing from /metrics");
    }

    // Deleting the endpoint stops deliveries and drops its log.
    let r = w
        .app
        .http
        .delete(format!(
            "{}/api/v1/webhook-endpoints/{endpoint}",
            w.app.base
        ))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (s, _) = w
        .get(&t, &format!("/webhook-endpoints/{endpoint}/deliveries"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_blocks_neither_syncs_nor_other_accounts() {
    let w = World::serve(|c| {
        c.webhook_allow_private = true;
        c.webhook_poll = Duration::from_millis(50);
        c.webhook_retry_backoff = vec![Duration::from_millis(100)];
        // Given up quickly, so the endpoint moves on to the next run's changes; wide
        // enough that a first attempt on a loaded machine still leaves room for a retry
        // (the test checks there was one).
        c.webhook_retry_window = Duration::from_secs(3);
    })
    .await;
    let bad = w.tenant("badhook", 15, 4).await;
    let good = w.tenant("goodhook", 15, 6).await;
    let failing = Receiver::new(true, Some(500));
    let working = Receiver::new(true, None);
    let (bad_ep, bad_secret) = w.register(&bad, &failing.spawn().await).await;
    *failing.secret.lock().unwrap() = Some(bad_secret);
    let (_, start) = w.changes(&good, None, 1000).await;
    let (good_ep, good_secret) = w.register(&good, &working.spawn().await).await;
    *working.secret.lock().unwrap() = Some(good_secret);

    // Both accounts keep syncing (each sync asserts it applied) while one receiver fails.
    some_changes(&w, &bad, 2).await;
    some_changes(&w, &good, 2).await;
    let (expected, _) = w.changes(&good, Some(&start), 1000).await;
    wait_for("the working receiver gets its changes", WAIT, || async {
        (working.changes().len() >= expected.len()).then_some(())
    })
    .await;
    assert_eq!(working.changes(), expected);
    wait_for(
        "the failing endpoint gives up and moves on",
        WAIT,
        || async {
            let log = w.deliveries(&bad, bad_ep).await;
            (log.len() >= 2 && log.iter().all(|d| d["status"] == "failed")).then_some(())
        },
    )
    .await;
    let log = w.deliveries(&bad, bad_ep).await;
    assert!(
        log.iter()
            .all(|d| d["last_status"] == 500 && d["attempts"].as_i64().unwrap() >= 2),
        "{log:?}"
    );
    assert!(log[0]["last_error"].as_str().unwrap().contains("500"));
    all_delivered(&w, &good, good_ep).await;
    // Neither account sees the other's endpoints.
    let (s, _) = w
        .get(&good, &format!("/webhook-endpoints/{bad_ep}/deliveries"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let r = w
        .app
        .http
        .delete(format!("{}/api/v1/webhook-endpoints/{bad_ep}", w.app.base))
        .bearer_auth(&good.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(*failing.refused.lock().unwrap() >= 2);
    let metrics = w.app.text("/metrics").await;
    assert!(metrics.contains("staffsync_webhook_deliveries_total{result=\"failed\"}"));
    // A URL the policy refuses is 422 naming `url`.
    let r = w
        .app
        .http
        .post(format!("{}/api/v1/webhook-endpoints", w.app.base))
        .bearer_auth(&good.token)
        .json(&json!({"url": "ftp://example.com/hook"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "url");
}

/// A receiver that accepts every connection and never answers (a host that completes the
/// TCP handshake and hangs); returns its base URL and how many connections it holds.
async fn stalled_receiver() -> (String, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = Arc::new(Mutex::new(0));
    let count = held.clone();
    tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            sockets.push(socket);
            *count.lock().unwrap() = sockets.len();
        }
    });
    (format!("http://{addr}"), held)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_that_never_answer_do_not_delay_another_accounts_delivery() {
    let w = World::serve(|c| {
        c.webhook_allow_private = true;
        c.webhook_poll = Duration::from_millis(50);
        // Far longer than the test waits: a delivery queued behind the stalled attempts
        // would not arrive before `WAIT` runs out.
        c.webhook_timeout = Duration::from_secs(3600);
    })
    .await;
    let (stalled, held) = stalled_receiver().await;
    let per_account = staffsync_engine::outgoing_webhooks::MAX_IN_FLIGHT_PER_ACCOUNT;
    let slots = staffsync_engine::outgoing_webhooks::MAX_IN_FLIGHT;
    // Enough accounts with dead receivers to fill every shared slot of the process.
    let dead_accounts = slots / per_account + 1;
    let mut stalled_accounts = Vec::new();
    for n in 0..dead_accounts {
        let slug = format!("stalled-{n}");
        let t = w.tenant(&slug, 5, 21 + n as u64).await;
        for i in 0..per_account + 2 {
            w.register(&t, &format!("{stalled}/{slug}/{i}")).await;
        }
        some_changes(&w, &t, 1).await;
        stalled_accounts.push(t);
    }
    // Their attempts hang: every shared slot is taken.
    wait_for("the stalled attempts are in flight", WAIT, || async {
        (*held.lock().unwrap() >= slots).then_some(())
    })
    .await;

    let prompt = w.tenant("prompt", 5, 23).await;
    let working = Receiver::new(true, None);
    let (_, start) = w.changes(&prompt, None, 1000).await;
    let (endpoint, secret) = w.register(&prompt, &working.spawn().await).await;
    *working.secret.lock().unwrap() = Some(secret);
    some_changes(&w, &prompt, 1).await;
    let (expected, _) = w.changes(&prompt, Some(&start), 1000).await;
    wait_for(
        "the third account's delivery, while the stalled ones hang",
        WAIT,
        || async { (working.changes().len() >= expected.len()).then_some(()) },
    )
    .await;
    assert_eq!(working.changes(), expected);
    all_delivered(&w, &prompt, endpoint).await;
    assert!(
        *held.lock().unwrap() <= dead_accounts * per_account,
        "each stalled account holds at most {per_account} attempts"
    );
}

/// Pages through `path` with `limit` and returns the items under `key`.
async fn paged(w: &World, t: &Tenant, path: &str, key: &str, limit: usize) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let v = w.ok(t, &url).await;
        let items = v[key].as_array().unwrap();
        assert!(items.len() <= limit, "{url}");
        out.extend(items.iter().cloned());
        assert!(
            v.as_object().unwrap().contains_key("next_cursor"),
            "{url}: {v}"
        );
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_pages_and_answers_as_before_without_limit() {
    let w = World::new().await;
    let t = w.tenant("pages", 30, 8).await;
    let employees = w.ok(&t, "/employees").await;
    for i in 0..5 {
        let author = employees["employees"][i]["personio_id"].as_i64().unwrap();
        let r = w
            .app
            .http
            .post(format!("{}/api/v1/feedback", w.app.base))
            .bearer_auth(&t.token)
            .json(&json!({"author_personio_id": author, "body": format!("feedback {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    some_changes(&w, &t, 3).await;
    let group = w.ok(&t, "/groups").await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|g| g["member_count"].as_i64())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let members = format!("/groups/{group}/members");
    for (path, key) in [
        ("/employees", "employees"),
        ("/employees?q=a", "employees"),
        ("/groups", "groups"),
        (members.as_str(), "employees"),
        ("/feedback", "feedback"),
        ("/sync-runs", "runs"),
    ] {
        let whole = w.ok(&t, path).await;
        assert!(
            !whole.as_object().unwrap().contains_key("next_cursor"),
            "{path}: unchanged without limit"
        );
        let all = whole[key].as_array().unwrap().clone();
        assert!(all.len() >= 3, "{path}: too few to page");
        for limit in [1, 2, 1000] {
            assert_eq!(
                paged(&w, &t, path, key, limit).await,
                all,
                "{path} in pages of {limit}"
            );
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, v) = w.get(&t, &format!("{path}{sep}limit=1001")).await;
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")),
            "{path}"
        );
        let (s, v) = w.get(&t, &format!("{path}{sep}cursor=nonsense")).await;
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("cursor")),
            "{path}"
        );
    }
    // A cursor belongs to its list.
    let v = w.ok(&t, "/sync-runs?limit=1").await;
    let cursor = v["next_cursor"].as_str().unwrap();
    let (s, v) = w.get(&t, &format!("/feedback?cursor={cursor}")).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("cursor"))
    );
}
