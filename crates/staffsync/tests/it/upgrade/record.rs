//! How `tests/fixtures/upgrade-v1/` was made: with the code of one commit, the real
//! binary builds the same account state on SQLite and on PostgreSQL, and the answers of
//! every REST endpoint that shows people or history are recorded from a server on the
//! fixture's own copy (exactly what [`super::upgrade_and_compare`] serves).
//!
//! The state: `acme`, a Personio account synced from the simulator (30 people, seed 11,
//! reporting lines and tenure bands as groups; from the second sync on also the custom
//! attribute "Standort"), then a hire, a department move, a deleted and a terminated
//! leaver (one of whom wrote feedback) and a second sync; a dry run; a run held by the
//! deletion guard. `files`, an account that takes employee files: an import with
//! ImportIds, ReportsToIds, a row error and a row warning, feedback through the API by a
//! person who then leaves, a second import (a leaver, a move, a hire, a future hire, the
//! error fixed and a new one) and a preview. An API token per account (and a revoked
//! one), an outgoing-webhook endpoint.
//!
//! Run only to record the old format on purpose (it replaces the fixture), with
//! PostgreSQL and a `pg_dump` of the server's version:
//! `STAFFSYNC_RECORD_UPGRADE_FIXTURE=1 STAFFSYNC_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
//! cargo test -p staffsync --test it record_upgrade_fixture -- --ignored`

use super::*;
use crate::common::{self, World};
use serde_json::json;
use std::process::Command;

/// Groups for the Personio account's first sync: every standard dimension, reporting
/// lines and tenure bands.
const FIRST_PERSONIO_SETTINGS: &str = r#"{"groups": {"attributes": ["department", "office", "team",
    "position", "subcompany", "cost_centers"], "reporting_lines": true, "tenure": true}}"#;
/// And from the second on a custom attribute by its label too (settings may name it once a
/// sync has seen that the credential reads it).
const PERSONIO_SETTINGS: &str = r#"{"groups": {"attributes": ["department", "office", "team",
    "position", "subcompany", "cost_centers", "Standort"], "reporting_lines": true, "tenure": true}}"#;
/// Groups for the file account: standard columns, a column of its own, reporting lines
/// and tenure bands.
const FILE_SETTINGS: &str = r#"{"groups": {"attributes": ["department", "office", "Kostenstelle"],
    "reporting_lines": true, "tenure": true}}"#;

/// The file account's first employee file (`Standort` is the German alias of Office,
/// `Kostenstelle` a column of the account's own): E-13's e-mail is a row error, E-14's
/// manager is nobody in the file (a row warning).
const FIRST_FILE: &str = "\
ImportId,Email,Firstname,Lastname,Department,ReportsToId,HireDate,Standort,Kostenstelle
E-1,greta.sommer@dateien.example,Greta,Sommer,Geschäftsführung,,2015-03-01,Berlin,KST-100
E-2,jonas.weber@dateien.example,Jonas,Weber,Vertrieb,E-1,2019-07-15,Berlin,KST-100
E-3,aylin.demir@dateien.example,Aylin,Demir,Technik,E-1,2021-01-04,Hamburg,KST-200
E-4,luca.rossi@dateien.example,Luca,Rossi,Technik,E-3,2024-02-01,Hamburg,KST-200
E-5,marie.schulz@dateien.example,Marie,Schulz,Vertrieb,E-2,2023-09-01,Berlin,KST-100
E-6,tobias.krueger@dateien.example,Tobias,Krüger,Vertrieb,E-2,2025-11-15,München,
E-7,ewa.nowak@dateien.example,Ewa,Nowak,Technik,E-3,2026-04-01,Hamburg,KST-200
E-8,soeren.orsted@dateien.example,Sören,Ørsted,Marketing,E-1,2018-05-02,Berlin,KST-100
E-9,chloe.martin@dateien.example,Chloé,Martin,Marketing,E-8,2025-01-10,Berlin,KST-100
E-10,mehmet.yilmaz@dateien.example,Mehmet,Yılmaz,Technik,E-4,2022-10-01,Hamburg,KST-200
E-11,ingrid.falk@dateien.example,Ingrid,Falk,Vertrieb,E-2,2020-06-01,München,
E-12,paul.wagner@dateien.example,Paul,Wagner,Technik,E-3,2017-08-01,Hamburg,KST-200
E-13,nina.berg@,Nina,Berg,Marketing,E-8,2024-05-01,Berlin,KST-100
E-14,kai.lang@dateien.example,Kai,Lang,Vertrieb,E-99,2023-03-01,München,
";

/// The second: E-5 left, E-3 moved to Plattform, E-13 is fixed, E-15 was hired, E-16
/// starts after today, E-17's e-mail is a row error.
const SECOND_FILE: &str = "\
ImportId,Email,Firstname,Lastname,Department,ReportsToId,HireDate,Standort,Kostenstelle
E-1,greta.sommer@dateien.example,Greta,Sommer,Geschäftsführung,,2015-03-01,Berlin,KST-100
E-2,jonas.weber@dateien.example,Jonas,Weber,Vertrieb,E-1,2019-07-15,Berlin,KST-100
E-3,aylin.demir@dateien.example,Aylin,Demir,Plattform,E-1,2021-01-04,Hamburg,KST-200
E-4,luca.rossi@dateien.example,Luca,Rossi,Technik,E-3,2024-02-01,Hamburg,KST-200
E-6,tobias.krueger@dateien.example,Tobias,Krüger,Vertrieb,E-2,2025-11-15,München,
E-7,ewa.nowak@dateien.example,Ewa,Nowak,Technik,E-3,2026-04-01,Hamburg,KST-200
E-8,soeren.orsted@dateien.example,Sören,Ørsted,Marketing,E-1,2018-05-02,Berlin,KST-100
E-9,chloe.martin@dateien.example,Chloé,Martin,Marketing,E-8,2025-01-10,Berlin,KST-100
E-10,mehmet.yilmaz@dateien.example,Mehmet,Yılmaz,Technik,E-4,2022-10-01,Hamburg,KST-200
E-11,ingrid.falk@dateien.example,Ingrid,Falk,Vertrieb,E-2,2020-06-01,München,
E-12,paul.wagner@dateien.example,Paul,Wagner,Technik,E-3,2017-08-01,Hamburg,KST-200
E-13,nina.berg@dateien.example,Nina,Berg,Marketing,E-8,2024-05-01,Berlin,KST-100
E-14,kai.lang@dateien.example,Kai,Lang,Vertrieb,E-99,2023-03-01,München,
E-15,lea.hoffmann@dateien.example,Lea,Hoffmann,Vertrieb,E-2,2026-06-01,Berlin,KST-100
E-16,jan.fischer@dateien.example,Jan,Fischer,Technik,E-3,2026-07-01,Hamburg,KST-200
E-17,ohne-at.dateien.example,Olaf,Ohnemail,Technik,E-3,2026-01-01,Hamburg,KST-200
";

/// Writes `text` as `name` in `dir`.
fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("employee file");
    path
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn set_settings(w: &World, slug: &str, document: &str) {
    let file = w.data_dir().join(format!("settings-{slug}.json"));
    std::fs::write(&file, document).expect("settings file");
    w.ok(&["settings", slug, "--set", path_str(&file)]);
}

/// `staffsync token create`: the printed token.
fn create_token(w: &World, slug: &str, label: &str) -> Value {
    w.json(&["token", "create", slug, "--label", label])
}

/// A request to the running server during the build (what only the API does).
async fn api_post(base: &str, token: &str, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("serve answers");
    let status = resp.status();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {path}: {status} {answer}");
    answer
}

/// Builds the fixture's state in `w` (a data directory, and a PostgreSQL database when
/// `w.database_url` is set); returns the tokens by name.
async fn build(w: &World) -> BTreeMap<String, String> {
    w.create_acme_connected();
    set_settings(w, "acme", FIRST_PERSONIO_SETTINGS);
    w.ok(&[
        "account",
        "create",
        "files",
        "--name",
        "Dateien AG",
        "--source",
        "file",
    ]);
    set_settings(w, "files", FILE_SETTINGS);

    let mut tokens = BTreeMap::new();
    let token = |v: &Value| v["token"].as_str().expect("token").to_owned();
    tokens.insert(
        "acme".to_owned(),
        token(&create_token(w, "acme", "survey app")),
    );
    tokens.insert(
        "files".to_owned(),
        token(&create_token(w, "files", "survey app")),
    );
    let old = create_token(w, "acme", "old survey app");
    let old_id = old["id"].as_i64().expect("token id").to_string();
    w.ok(&["token", "revoke", "acme", &old_id]);
    tokens.insert("acme-revoked".to_owned(), token(&old));

    let mut envs = vec![("STAFFSYNC_TODAY", TODAY_TEXT)];
    if let Some(url) = &w.database_url {
        envs.push(("STAFFSYNC_DATABASE_URL", url.as_str()));
    }
    let mut serve = ServeProcess::start(
        w.data_dir(),
        w.data_dir().join("build-serve.log"),
        &SERVE_ARGS,
        &envs,
    );
    let base = format!("http://{}", serve.addr);

    // The Personio account: a first sync, feedback, then a hire, a move and two leavers.
    let first = w.sync();
    assert_eq!(first["result"], "applied", "{first}");
    let people = common::ids(&w.employees());
    assert!(people.len() >= 25, "{people:?}");
    let (stayer, leaver, mover, terminated) = (people[2], people[4], people[6], people[8]);
    let stayer_record = w.employee(stayer).expect("stayer");
    set_settings(w, "acme", PERSONIO_SETTINGS);
    w.ok(&[
        "feedback",
        "add",
        "acme",
        "--author-personio-id",
        &leaver.to_string(),
        "--body",
        "Die Kaffeemaschine im 3. OG ist seit Wochen kaputt.",
    ]);
    w.ok(&[
        "feedback",
        "add",
        "acme",
        "--author-personio-id",
        &stayer.to_string(),
        "--body",
        "Mehr Homeoffice-Tage wären schön.",
    ]);
    let hire = w
        .sim_post(
            "/_sim/employees",
            json!({"first_name": "Zoë", "last_name": "Öztürk",
                   "email": "zoe.oeztuerk@example.com",
                   "department": stayer_record["department"],
                   "office": stayer_record["office"],
                   "supervisor_id": stayer, "hire_date": "2026-06-01",
                   "dynamic_33400": "Außendienst"}),
        )
        .await;
    assert!(hire["id"].is_i64(), "{hire}");
    w.sim_patch(mover, json!({"department": "Rechtsabteilung"}))
        .await;
    w.sim_delete(leaver).await;
    w.sim_post(
        &format!("/_sim/employees/{terminated}/terminate"),
        json!({"termination_date": "2026-06-10"}),
    )
    .await;
    let second = w.sync();
    assert_eq!(second["result"], "applied", "{second}");
    assert!(w.employee(leaver).is_none() && w.employee(terminated).is_none());
    w.ok(&[
        "feedback",
        "add",
        "acme",
        "--author-personio-id",
        &stayer.to_string(),
        "--body",
        "Danke für die neue Kantine!",
    ]);

    // The file account: two imports with feedback between them, and a preview.
    let dir = w.data_dir().to_owned();
    let one = w.json(&[
        "import",
        "files",
        path_str(&write_file(&dir, "one.csv", FIRST_FILE)),
    ]);
    assert_eq!(one["result"], "applied", "{one}");
    assert_eq!(one["row_errors"].as_array().map(Vec::len), Some(1), "{one}");
    assert_eq!(
        one["row_warnings"].as_array().map(Vec::len),
        Some(1),
        "{one}"
    );
    api_post(
        &base,
        &tokens["files"],
        "/feedback",
        json!({"author_import_id": "E-5", "body": "Das Onboarding war großartig."}),
    )
    .await;
    let two = w.json(&[
        "import",
        "files",
        path_str(&write_file(&dir, "two.csv", SECOND_FILE)),
    ]);
    assert_eq!(two["result"], "applied", "{two}");
    assert_eq!(two["removals"], 1, "{two}");
    api_post(
        &base,
        &tokens["files"],
        "/feedback",
        json!({"author_import_id": "E-2", "body": "Bitte mehr Feedback-Runden im Vertrieb."}),
    )
    .await;
    // A preview of a third file, without E-6.
    let third: String = SECOND_FILE
        .lines()
        .filter(|l| !l.starts_with("E-6,"))
        .flat_map(|l| [l, "\n"])
        .collect();
    let preview = w.json(&[
        "import",
        "files",
        path_str(&write_file(&dir, "three.csv", &third)),
        "--dry-run",
    ]);
    assert_eq!(preview["result"], "dry_run", "{preview}");

    // The Personio account again: a dry run, then a sync the deletion guard holds.
    w.sim_patch(people[10], json!({"position": "Teamleitung Vertrieb"}))
        .await;
    let dry = w.json(&["sync", "acme", "--dry-run"]);
    assert_eq!(dry["result"], "dry_run", "{dry}");
    for id in &people[12..19] {
        w.sim_delete(*id).await;
    }
    let held = w.run(&["sync", "acme", "--json"]);
    assert_eq!(
        held.status.code(),
        Some(3),
        "the held sync: {}",
        describe(&held)
    );

    // An outgoing webhook endpoint, registered after the last applied run: nothing to
    // deliver, so a server that serves the fixture has no delivery to attempt.
    api_post(
        &base,
        &tokens["acme"],
        "/webhook-endpoints",
        json!({"url": "https://hooks.example.com/staffsync"}),
    )
    .await;
    let status = serve.terminate(Duration::from_secs(30));
    assert!(status.success(), "{}", serve.log_text());
    tokens
}

/// Records requests and their answers.
struct Recorder {
    http: reqwest::Client,
    base: String,
    tokens: BTreeMap<String, String>,
    log: Vec<Exchange>,
}

impl Recorder {
    async fn ask(&mut self, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut ex = Exchange {
            token: token.to_owned(),
            method: method.to_owned(),
            path: path.to_owned(),
            body,
            status: 0,
            answer: Value::Null,
        };
        let (status, answer) = ask(&self.http, &self.base, &self.tokens[token], &ex).await;
        ex.status = status;
        ex.answer = answer.clone();
        self.log.push(ex);
        answer
    }

    async fn get(&mut self, token: &str, path: &str) -> Value {
        let answer = self.ask(token, "GET", path, None).await;
        let ex = self.log.last().expect("just asked");
        assert_eq!(ex.status, 200, "GET {path}: {answer}");
        answer
    }

    async fn get_status(&mut self, token: &str, path: &str, status: u16) {
        let answer = self.ask(token, "GET", path, None).await;
        let ex = self.log.last().expect("just asked");
        assert_eq!(ex.status, status, "GET {path}: {answer}");
    }

    async fn preview(&mut self, token: &str, filter: Value) -> Value {
        let answer = self
            .ask(
                token,
                "POST",
                "/api/v1/audiences/preview",
                Some(json!({"filter": filter})),
            )
            .await;
        assert_eq!(self.log.last().expect("asked").status, 200, "{answer}");
        answer
    }

    /// Every page of a list, `limit` at a time, following `next_cursor`.
    async fn pages(&mut self, token: &str, path: &str, limit: usize) {
        let join = if path.contains('?') { '&' } else { '?' };
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let mut at = format!("{path}{join}limit={limit}");
            if let Some(c) = &cursor {
                at.push_str("&cursor=");
                at.push_str(&encode(c));
            }
            let page = self.get(token, &at).await;
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return,
            }
        }
        panic!("{path} never ends");
    }

    /// The change feed from the start, a page at a time, as a client reads it.
    async fn feed(&mut self, token: &str) {
        let mut path = "/api/v1/changes".to_owned();
        for _ in 0..1000 {
            let page = self.get(token, &path).await;
            if page["has_more"] != true {
                return;
            }
            let after = page["next_cursor"].as_str().expect("next_cursor");
            path = format!("/api/v1/changes?after={}", encode(after));
        }
        panic!("the change feed never ends");
    }
}

/// A reporting-line filter: `{"kind", "manager_personio_id" | "manager_import_id"}`.
fn line_filter(kind: &str, manager_key: &str, manager: &Value) -> Value {
    let mut filter = serde_json::Map::new();
    filter.insert("kind".to_owned(), json!(kind));
    filter.insert(manager_key.to_owned(), manager.clone());
    Value::Object(filter)
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no list {key:?} in {v}"))
}

/// Asks every endpoint that shows people or history, as `token` (of an account whose
/// people are named by `id_key`) sees them.
async fn crawl(r: &mut Recorder, token: &str, id_key: &str) {
    let manager_key = format!("manager_{id_key}");
    r.get(token, "/api/v1/settings").await;

    let all = r.get(token, "/api/v1/employees").await;
    let employees = list(&all, "employees").clone();
    assert!(employees.len() >= 10, "{all}");
    r.pages(token, "/api/v1/employees", 7).await;
    for e in &employees {
        let id = match &e[id_key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        r.get(token, &format!("/api/v1/employees/{}", encode(&id)))
            .await;
    }
    let last_name = employees[3]["last_name"].as_str().expect("last name");
    r.get(
        token,
        &format!("/api/v1/employees?q={}", encode(&last_name.to_lowercase())),
    )
    .await;
    r.get(token, "/api/v1/employees?q=e").await;

    let groups_answer = r.get(token, "/api/v1/groups").await;
    let groups = list(&groups_answer, "groups").clone();
    r.pages(token, "/api/v1/groups", 10).await;
    // The largest group of each kind: its members, and as a filter.
    let mut largest: BTreeMap<String, Value> = BTreeMap::new();
    for g in &groups {
        let kind = g["kind"].as_str().expect("kind").to_owned();
        let bigger = largest
            .get(&kind)
            .is_none_or(|l| g["member_count"].as_i64() > l["member_count"].as_i64());
        if bigger {
            largest.insert(kind, g.clone());
        }
    }
    assert!(largest.len() >= 5, "{largest:?}");
    for g in largest.values() {
        r.get(token, &format!("/api/v1/groups/{}/members", g["id"]))
            .await;
    }
    let department = &largest["department"];
    r.get(
        token,
        &format!("/api/v1/employees?group_id={}", department["id"]),
    )
    .await;
    r.pages(
        token,
        &format!("/api/v1/groups/{}/members", department["id"]),
        2,
    )
    .await;
    let name = department["name"].as_str().expect("name");
    r.get(
        token,
        &format!("/api/v1/employees?kind=department&name={}", encode(name)),
    )
    .await;
    r.get_status(token, "/api/v1/groups/999999999/members", 404)
        .await;

    // Audiences: by name, by id, by reporting line, by tenure band, combined.
    r.preview(token, json!({"kind": "department", "name": name}))
        .await;
    let manager = &largest["reports_all"][&manager_key];
    let place = largest
        .get("office")
        .or(largest.get("custom"))
        .expect("an office or custom group");
    r.preview(
        token,
        json!({"any": [
            {"group_id": place["id"]},
            {"all": [{"kind": "tenure", "key": largest["tenure"]["key"]},
                     line_filter("reports_all", &manager_key, manager)]}
        ]}),
    )
    .await;
    r.preview(token, line_filter("reports_direct", &manager_key, manager))
        .await;

    r.get(token, "/api/v1/feedback").await;
    r.pages(token, "/api/v1/feedback", 1).await;

    let runs_answer = r.get(token, "/api/v1/sync-runs").await;
    r.pages(token, "/api/v1/sync-runs", 2).await;
    for run in list(&runs_answer, "runs").clone() {
        r.get(token, &format!("/api/v1/sync-runs/{}", run["id"]))
            .await;
    }

    r.feed(token).await;
    r.get(token, "/api/v1/changes?limit=5").await;

    let endpoints = r.get(token, "/api/v1/webhook-endpoints").await;
    for e in list(&endpoints, "endpoints").clone() {
        r.get(
            token,
            &format!("/api/v1/webhook-endpoints/{}/deliveries", e["id"]),
        )
        .await;
    }
}

/// The people erased from `acme` (the removals its applied runs recorded).
fn erased_personio_ids(log: &[Exchange]) -> Vec<i64> {
    log.iter()
        .filter(|ex| ex.token == "acme" && ex.path.starts_with("/api/v1/sync-runs/"))
        .filter(|ex| ex.answer["run"]["status"] == "applied")
        .flat_map(|ex| list(&ex.answer, "changes").clone())
        .filter(|c| c["action"] == "remove")
        .filter_map(|c| c["personio_id"].as_i64())
        .collect()
}

/// Records every answer `backend`'s fixture gives today's code, checks a second asking
/// gives the same (nothing recorded depends on when it is asked), and writes them.
async fn record_answers(backend: Backend, tokens: &BTreeMap<String, String>) {
    let prepared = Prepared::new(backend).await;
    let mut serve = prepared.serve();
    let mut r = Recorder {
        http: reqwest::Client::new(),
        base: format!("http://{}", serve.addr),
        tokens: tokens.clone(),
        log: Vec::new(),
    };
    crawl(&mut r, "acme", "personio_id").await;
    crawl(&mut r, "files", "import_id").await;
    let erased = erased_personio_ids(&r.log);
    assert!(erased.len() >= 2, "{erased:?}");
    for id in erased {
        r.get_status("acme", &format!("/api/v1/employees/{id}"), 404)
            .await;
    }
    r.get_status("files", "/api/v1/employees/E-5", 404).await;
    // A token sees its own account only, and a revoked one nothing.
    let acme_run = r
        .log
        .iter()
        .find(|ex| ex.token == "acme" && ex.path == "/api/v1/sync-runs")
        .map(|ex| list(&ex.answer, "runs")[0]["id"].clone())
        .expect("acme's runs");
    r.get_status("files", &format!("/api/v1/sync-runs/{acme_run}"), 404)
        .await;
    r.get_status("acme-revoked", "/api/v1/employees", 401).await;

    let again = differences(&r.base, tokens, &r.log).await;
    assert!(
        again.is_empty(),
        "answers changed on a second asking:\n{}",
        report(&again, 15)
    );
    let status = serve.terminate(Duration::from_secs(30));
    assert!(status.success(), "{}", serve.log_text());
    prepared.finish().await;

    let path = answers_path(backend);
    std::fs::create_dir_all(path.parent().expect("answers dir")).expect("answers dir");
    std::fs::write(&path, one_per_line(&r.log)).expect("write answers");
}

/// A JSON list with an exchange per line: compact, and a change to one answer is a change
/// to one line.
fn one_per_line(log: &[Exchange]) -> String {
    let lines: Vec<String> = log
        .iter()
        .map(|ex| serde_json::to_string(ex).expect("JSON"))
        .collect();
    format!("[\n{}\n]\n", lines.join(",\n"))
}

/// A data directory (with a simulator) for the build; on PostgreSQL with `database_url`.
async fn world(database_url: Option<String>) -> World {
    World {
        sim: common::sim(30, false).await,
        dir: tempfile::TempDir::new().expect("tempdir"),
        http: reqwest::Client::new(),
        database_url,
    }
}

/// The commit whose code wrote the fixture; noted when code outside this crate's tests
/// (which hold the generator and the fixture itself) was not committed.
fn git_head() -> String {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", describe(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let head = git(&["rev-parse", "HEAD"]).trim().to_owned();
    let uncommitted = git(&["status", "--porcelain", "--", "../.."])
        .lines()
        .any(|l| !l.contains("crates/staffsync/tests/"));
    if uncommitted {
        format!("{head} with uncommitted changes")
    } else {
        head
    }
}

/// SQLite: everything in the database file (no WAL beside it), then a copy.
async fn copy_sqlite(from: &Path, to: &Path) {
    let db = from.join("staffsync.db");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("the database opens");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await
        .expect("checkpoint");
    conn.close().await.expect("closed");
    let wal = from.join("staffsync.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).expect("wal").len() == 0,
        "the WAL was checkpointed"
    );
    std::fs::create_dir_all(to.parent().expect("dir")).expect("sqlite dir");
    std::fs::copy(&db, to).expect("copy the database");
}

/// PostgreSQL: the whole database as plain SQL without owners or grants, data as INSERTs
/// (loadable without psql).
fn dump_postgres(url: &str, to: &Path) {
    let out = Command::new("pg_dump")
        .args([
            "--no-owner",
            "--no-privileges",
            "--column-inserts",
            "--dbname",
            url,
        ])
        .output()
        .expect("pg_dump runs");
    assert!(out.status.success(), "pg_dump: {}", describe(&out));
    std::fs::create_dir_all(to.parent().expect("dir")).expect("postgres dir");
    std::fs::write(to, &out.stdout).expect("write the dump");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "replaces tests/fixtures/upgrade-v1, a record of an old format: run only on purpose (see its README)"]
async fn record_upgrade_fixture() {
    assert_eq!(
        std::env::var("STAFFSYNC_RECORD_UPGRADE_FIXTURE").as_deref(),
        Ok("1"),
        "this replaces the committed upgrade fixture; set STAFFSYNC_RECORD_UPGRADE_FIXTURE=1 \
         only when recording it on purpose (tests/fixtures/upgrade-v1/README.md)"
    );
    let fixture = fixture_dir();
    std::fs::create_dir_all(&fixture).expect("fixture dir");

    let sqlite = world(None).await;
    let sqlite_tokens = build(&sqlite).await;
    copy_sqlite(sqlite.data_dir(), &fixture.join("sqlite/staffsync.db")).await;
    std::fs::copy(
        sqlite.data_dir().join("secret.key"),
        fixture.join("secret.key"),
    )
    .expect("copy the key");

    let (admin, url) = fresh_database().await;
    let pg = world(Some(url.clone())).await;
    // One key for both: the PostgreSQL build seals its secret with the same key file.
    std::fs::copy(fixture.join("secret.key"), pg.data_dir().join("secret.key"))
        .expect("copy the key");
    let pg_tokens = build(&pg).await;
    dump_postgres(&url, &fixture.join("postgres/dump.sql"));
    drop_db(&admin, &url).await;

    let meta = Meta {
        recorded_with_commit: git_head(),
        today: TODAY_TEXT.to_owned(),
        tokens: BTreeMap::from([
            ("sqlite".to_owned(), sqlite_tokens),
            ("postgres".to_owned(), pg_tokens),
        ]),
    };
    let mut text = serde_json::to_string_pretty(&meta).expect("JSON");
    text.push('\n');
    std::fs::write(fixture.join("fixture.json"), text).expect("fixture.json");

    for backend in [Backend::Sqlite, Backend::Postgres] {
        record_answers(backend, &meta.tokens[backend.name()]).await;
    }
}
