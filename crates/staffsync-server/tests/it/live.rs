//! The live status (`GET /integration/status`), the health badge and the incident links
//! of the Integration page, over HTTP with the scheduler running: what an admin's page
//! polls while a sync is queued or runs, for the session's account only.
//!
//! Waits poll the status with a deadline; no fixed sleep is an assertion.

use crate::common::{
    Server, TestApp, account, admin, connect_personio, csrf_of, logged_in, personio, sim_call,
    spawn_app, wait_for,
};
use personio_sim::Fault;
use reqwest::StatusCode;
use serde_json::Value;
use staffsync_core::Plan;
use staffsync_engine::ServerConfig;
use staffsync_store::{Account, RunKind, RunStatus};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// The scheduler as the tests run it: it looks for work every 50 ms, retries a failure
/// twice quickly and then waits an hour (so a failing account stops at three failures).
fn scheduling(config: &mut ServerConfig) {
    config.run_scheduler = true;
    config.scheduler_poll = Duration::from_millis(50);
    config.sync_jitter = Duration::ZERO;
    config.retry_backoff = vec![
        Duration::from_millis(50),
        Duration::from_millis(50),
        Duration::from_secs(3600),
    ];
    config.sync_request_cooldown = Duration::ZERO;
    config.personio_rate_limit = false;
    config.instance_id = "live".into();
}

/// `acme` (admin `admin@acme.example`) and `other` (admin `admin@other.example`).
async fn accounts(app_store: &staffsync_store::Store) -> (Account, Account) {
    let acme = account(app_store, "acme", "Acme GmbH").await;
    admin(app_store, acme.id, "admin@acme.example").await;
    let other = account(app_store, "other", "Other AG").await;
    admin(app_store, other.id, "admin@other.example").await;
    (acme, other)
}

/// The status `c` gets from the server at `base`.
async fn status(c: &reqwest::Client, base: &str) -> Value {
    let r = c
        .get(format!("{base}/integration/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(content_type(&r).starts_with("application/json"));
    r.json().await.unwrap()
}

fn content_type(r: &reqwest::Response) -> &str {
    r.headers()["content-type"].to_str().unwrap()
}

async fn page(c: &reqwest::Client, url: String) -> String {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// What another account's admin sees: nothing of `acme`.
async fn assert_sees_nothing_of_acme(other: &reqwest::Client, base: &str) {
    let s = status(other, base).await;
    assert_eq!(s["connected"], false, "{s}");
    assert_eq!(s["state"], "idle", "{s}");
    assert_eq!(s["employees"], 0, "{s}");
    assert_eq!(s["last_run"], Value::Null, "{s}");
    assert_eq!(s["incidents"], serde_json::json!([]), "{s}");
    assert_eq!(s["health"]["state"], "not_connected", "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_follows_a_sync_from_queued_to_running_to_finished_for_the_sessions_account_only()
 {
    // A web-only server first (no scheduler): a connected account's first sync waits.
    let app = spawn_app(|_| {}).await;
    let (acme, _) = accounts(&app.store).await;

    let anonymous = reqwest::Client::new()
        .get(app.url("/integration/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"], "login required");

    let c = logged_in(&app.base, "admin@acme.example").await;
    let o = logged_in(&app.base, "admin@other.example").await;
    let s = status(&c, &app.base).await;
    assert_eq!(
        (&s["connected"], &s["state"], &s["health"]["state"]),
        (
            &Value::Bool(false),
            &Value::from("idle"),
            &Value::from("not_connected")
        ),
        "{s}"
    );

    // 300 people in three pages, every Personio request 400 ms: the run takes seconds.
    let sim = personio(300, 11, |c| c.latency_ms = 400).await;
    connect_personio(&app.store, acme.id, &sim).await;
    let s = status(&c, &app.base).await;
    assert_eq!(s["state"], "queued", "{s}");
    assert_eq!(
        (&s["queued"], &s["running"]),
        (&Value::Bool(true), &Value::Bool(false))
    );
    assert_eq!(s["health"]["state"], "pending", "{s}");
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .starts_with("In der Warteschlange"),
        "{s}"
    );
    assert_sees_nothing_of_acme(&o, &app.base).await;

    // The page says so, polls with the app's own script (no inline script), and still
    // works without it: a refresh link.
    let html = page(&c, app.url("/integration")).await;
    assert!(html.contains(r#"id="live-status""#), "{html}");
    assert!(html.contains(r#"aria-live="polite""#));
    assert!(html.contains(r#"data-status-url="/integration/status""#));
    assert!(html.contains(r#"<script src="/assets/status.js" defer></script>"#));
    assert_eq!(html.matches("<script").count(), 1, "only the script file");
    assert!(html.contains(r#"id="live-refresh""#) && html.contains("Aktualisieren"));
    assert!(html.contains("In der Warteschlange"));
    let r = reqwest::Client::new()
        .get(app.url("/assets/status.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(content_type(&r).starts_with("text/javascript"));
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert!(
        csp.split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .is_some_and(|d| !d.contains("unsafe-inline")),
        "{csp}"
    );
    assert!(r.text().await.unwrap().contains("live-status"));

    // A run in progress that another process runs (here: under a lease taken by hand):
    // running, since when, without progress (only the running process knows that); its
    // page updates itself.
    let wait = Duration::from_secs(10);
    let lease = staffsync_engine::lease::acquire(&app.store, acme.id, "elsewhere", wait, wait)
        .await
        .unwrap();
    let run = app.store.start_run(&lease, RunKind::DryRun).await.unwrap();
    let s = status(&c, &app.base).await;
    assert_eq!(
        (&s["state"], &s["running"]),
        (&Value::from("running"), &Value::Bool(true)),
        "{s}"
    );
    assert_eq!(s["current_run"]["id"], run.0, "{s}");
    assert_eq!(s["current_run"]["kind"], "dry_run");
    assert!(s["running_since"].is_string(), "{s}");
    assert_eq!(s["progress"], Value::Null);
    assert!(
        s["message"].as_str().unwrap().starts_with("Läuft seit"),
        "{s}"
    );
    let html = page(&c, app.url(&format!("/history/{}", run.0))).await;
    assert!(
        html.contains(&format!(r#"data-run-id="{}""#, run.0)),
        "{html}"
    );
    assert!(html.contains(r#"<script src="/assets/status.js" defer></script>"#));
    assert!(html.contains("Läuft seit"));
    assert_sees_nothing_of_acme(&o, &app.base).await;
    app.store
        .finish_run(run, RunStatus::DryRun, Some(&Plan::default()), None)
        .await
        .unwrap();
    staffsync_engine::lease::give_back(&app.store, lease).await;
    let s = status(&c, &app.base).await;
    assert_eq!(s["state"], "queued", "the sync still waits: {s}");
    let html = page(&c, app.url(&format!("/history/{}", run.0))).await;
    assert!(
        !html.contains("data-run-id") && !html.contains("<script"),
        "{html}"
    );

    // Now a server with a scheduler over the same store takes it.
    let mut config = ServerConfig::default();
    scheduling(&mut config);
    let worker = Server::start(&app.store, config).await;
    let w = logged_in(&worker.base, "admin@acme.example").await;
    let running = wait_for("the running sync", WAIT, || async {
        let s = status(&w, &worker.base).await;
        (s["state"] == "running" && s["current_run"]["kind"] == "full").then_some(s)
    })
    .await;
    assert_eq!(running["running"], true);
    assert_eq!(running["current_run"]["status"], "running", "{running}");
    assert_eq!(running["current_run"]["kind"], "full");
    assert!(running["running_since"].is_string(), "{running}");
    let run_id = running["current_run"]["id"].as_i64().unwrap();
    // The worker's own status knows how far the fetch has come.
    let reading = wait_for("employees read so far", WAIT, || async {
        let s = status(&w, &worker.base).await;
        (s["progress"]["employees_read"].as_u64().unwrap_or(0) > 0).then_some(s)
    })
    .await;
    assert_eq!(reading["progress"]["employees_total"], 300, "{reading}");
    assert!(
        reading["message"]
            .as_str()
            .unwrap()
            .ends_with("von 300 Mitarbeitern gelesen"),
        "{reading}"
    );
    let done = wait_for("the finished sync", WAIT, || async {
        let s = status(&c, &app.base).await;
        (s["state"] == "idle").then_some(s)
    })
    .await;
    assert_eq!(done["last_run"]["id"], run_id, "{done}");
    assert_eq!(done["last_run"]["status"], "applied", "{done}");
    assert!(done["last_run"]["finished_at"].is_string());
    let employees = done["employees"].as_u64().unwrap();
    assert!(employees > 100, "{done}");
    assert_eq!(
        done["last_run"]["created"].as_u64().unwrap(),
        employees,
        "{done}"
    );
    assert_eq!(done["current_run"], Value::Null);
    assert_eq!(done["progress"], Value::Null);
    assert_eq!(done["message"], Value::Null);
    assert_eq!(done["health"]["state"], "fine", "{done}");
    assert_eq!(done["health"]["label"], "Verbunden mit Personio");
    assert_sees_nothing_of_acme(&o, &app.base).await;

    // The page shows the result and no longer polls; the badge is green. (The worker's
    // daily date check may hold the account's side lease for a moment after the sync:
    // the page waits for that as for a starting sync, so this waits until it is over.)
    let html = wait_for("the page without live status", WAIT, || async {
        let html = page(&c, app.url("/integration")).await;
        (!html.contains("live-status") && !html.contains("<script")).then_some(html)
    })
    .await;
    assert!(
        html.contains(r#"class="badge yes" data-health="fine""#),
        "{html}"
    );
    assert!(html.contains(&format!(r#"id="employee-count">{employees}<"#)));
    worker.stop().await;
}

/// `acme` connected to a company of 40 people and synced once, on a server with a
/// scheduler; its admin's client and another account's.
async fn synced_acme(
    tune: impl FnOnce(&mut personio_sim::SimConfig),
) -> (
    TestApp,
    personio_sim::SimHandle,
    Account,
    reqwest::Client,
    reqwest::Client,
) {
    let app = spawn_app(scheduling).await;
    let (acme, _) = accounts(&app.store).await;
    let sim = personio(40, 3, tune).await;
    connect_personio(&app.store, acme.id, &sim).await;
    let c = logged_in(&app.base, "admin@acme.example").await;
    let o = logged_in(&app.base, "admin@other.example").await;
    wait_for("the first sync", WAIT, || async {
        let s = status(&c, &app.base).await;
        (s["state"] == "idle" && s["health"]["state"] == "fine").then_some(())
    })
    .await;
    (app, sim, acme, c, o)
}

/// Presses "Jetzt synchronisieren" on the Integration page.
async fn sync_now_button(c: &reqwest::Client, app: &TestApp) {
    let html = page(c, app.url("/integration")).await;
    let r = c
        .post(app.url("/integration/sync"))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_syncs_turn_the_badge_amber_and_link_the_failed_run() {
    let (app, sim, _acme, c, o) = synced_acme(|_| {}).await;
    // Every listing fails (400 is not retried inside the client).
    sim.add_fault(Fault::FailPage {
        offset: 0,
        status: 400,
        times: None,
    })
    .unwrap();
    sync_now_button(&c, &app).await;
    // The poll does not take the message meant for the page.
    status(&c, &app.base).await;
    let html = page(&c, app.url("/integration")).await;
    assert!(html.contains("Synchronisation angefordert"), "{html}");

    let s = wait_for("three failures in a row", WAIT, || async {
        let s = status(&c, &app.base).await;
        (s["state"] == "idle" && s["health"]["failures"] == 3).then_some(s)
    })
    .await;
    let health = &s["health"];
    assert_eq!(health["state"], "failing", "{s}");
    assert_eq!(health["label"], "Synchronisation fehlgeschlagen (3×)");
    let failed = s["last_run"]["id"].as_i64().unwrap();
    assert_eq!(s["last_run"]["status"], "failed");
    assert_eq!(health["run_id"], failed);
    assert_eq!(health["href"], format!("/history/{failed}"));
    let incident = s["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "sync_failing")
        .unwrap_or_else(|| panic!("a sync_failing incident: {s}"));
    assert_eq!(incident["href"], format!("/history/{failed}"));
    assert_eq!(incident["attribute"], Value::Null);
    assert_sees_nothing_of_acme(&o, &app.base).await;

    // The page: an amber badge that links the failed run, the incident a link to it.
    let html = page(&c, app.url("/integration")).await;
    assert!(
        html.contains(&format!(
            r#"<a id="health" class="badge warn" data-health="failing" href="/history/{failed}">Synchronisation fehlgeschlagen (3×)</a>"#
        )),
        "{html}"
    );
    assert!(
        !html.contains(r#"class="badge yes" data-health"#),
        "never green while failing"
    );
    assert!(
        html.contains(&format!(
            r#"<li class="incident" data-kind="sync_failing"><a class="incident-link" href="/history/{failed}">"#
        )),
        "{html}"
    );
    let html = page(&c, app.url("/integration?lang=en")).await;
    assert!(html.contains("Sync failing (3×)"), "{html}");
    assert!(html.contains("See the failed run"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_attribute_is_named_and_linked_to_where_it_is_ticked() {
    let (app, sim, _acme, c, o) = synced_acme(|_| {}).await;
    sim.add_fault(Fault::MissingAttribute {
        attribute: "department".into(),
    })
    .unwrap();
    sync_now_button(&c, &app).await;
    let s = wait_for("the attribute incident", WAIT, || async {
        let s = status(&c, &app.base).await;
        let open = s["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "attribute_unreadable");
        (s["state"] == "idle" && open).then_some(s)
    })
    .await;
    let incident = s["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "attribute_unreadable")
        .unwrap();
    assert_eq!(incident["attribute"], "department", "{s}");
    assert_eq!(incident["attribute_label"], "Abteilung");
    assert_eq!(
        incident["title"],
        "Pflichtattribut „Abteilung“ nicht mehr lesbar"
    );
    assert_eq!(incident["href"], "/integration#attr-department");
    assert_eq!(s["health"]["state"], "failing", "{s}");
    assert_sees_nothing_of_acme(&o, &app.base).await;

    let html = page(&c, app.url("/integration")).await;
    assert!(
        html.contains(
            r#"<li class="incident" data-kind="attribute_unreadable" data-attr="department"><a class="incident-link" href="/integration#attr-department"><b>Pflichtattribut „Abteilung“ nicht mehr lesbar</b></a>"#
        ),
        "{html}"
    );
    assert!(html.contains("den Haken bei „Abteilung“ setzen"), "{html}");
    // The link's target: the attribute's row, which says it is not readable.
    let row = html
        .split(r#"id="attr-department""#)
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("the attribute row: {html}"));
    assert!(row.contains("nicht freigegeben"), "{row}");
    let html = page(&c, app.url("/integration?lang=en")).await;
    assert!(
        html.contains("Mandatory attribute “Department” no longer readable"),
        "{html}"
    );
    assert!(html.contains("tick “Department” under Settings → API credentials"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_run_asks_for_review_in_the_badge_and_the_incident() {
    let (app, sim, acme, c, o) = synced_acme(|_| {}).await;
    let directory = app.store.directory(acme.id).await.unwrap();
    let gone = directory.len() * 4 / 10;
    for e in directory.iter().take(gone) {
        sim_call(
            &sim,
            reqwest::Method::DELETE,
            &format!("/_sim/employees/{}", e.key.0),
            Value::Null,
        )
        .await;
    }
    sync_now_button(&c, &app).await;
    let s = wait_for("the held run", WAIT, || async {
        let s = status(&c, &app.base).await;
        (s["state"] == "idle" && s["health"]["state"] == "held").then_some(s)
    })
    .await;
    let held = s["last_run"]["id"].as_i64().unwrap();
    assert_eq!(s["last_run"]["status"], "held", "{s}");
    assert_eq!(s["health"]["run_id"], held);
    assert_eq!(s["health"]["label"], "Prüfung nötig");
    assert_eq!(s["health"]["href"], "/integration#held-review");
    assert_eq!(s["employees"], directory.len(), "nothing removed yet");
    let incident = s["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "held_run")
        .unwrap_or_else(|| panic!("a held_run incident: {s}"));
    assert_eq!(incident["href"], "/integration#held-review");
    assert_sees_nothing_of_acme(&o, &app.base).await;

    let html = page(&c, app.url("/integration")).await;
    assert!(
        html.contains(
            r#"<a id="health" class="badge warn" data-health="held" href="/integration#held-review">Prüfung nötig</a>"#
        ),
        "{html}"
    );
    assert!(html.contains(r#"id="held-review""#));
    assert!(html.contains(
        r#"<li class="incident" data-kind="held_run"><a class="incident-link" href="/integration#held-review">"#
    ));
    let html = page(&c, app.url("/integration?lang=en")).await;
    assert!(html.contains(">Review needed</a>"), "{html}");
    // The other admin's page has no review and no incident of acme's.
    let html = page(&o, app.url("/integration")).await;
    assert!(!html.contains("held-review") && !html.contains(r#"class="incident""#));
}
