//! SCIM provisioning through the real binary: `account create --source scim`, `token
//! create --scope scim`, and `staffsync serve` taking an Entra-style provisioning cycle
//! (probe, create, duplicate, department change, deactivation, re-activation, deletion),
//! each step checked in the directory through the REST API, waiting by polling with a
//! deadline; and Entra-style Groups becoming `idp_group` groups usable in audiences.

use crate::common::{self, World};
use crate::serve_common::{ServeProcess, wait_for};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// How long a write may take to reach the directory here (debounce 100 ms; a loaded CI
/// machine is slow).
const SETTLE: Duration = Duration::from_secs(20);

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    /// The serve process's log, quoted when an answer says the server failed.
    log: std::path::PathBuf,
}

impl Client {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, ops: Value) -> (StatusCode, Value) {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// The directory through the REST API (an API token's client).
    async fn employees(&self) -> Vec<Value> {
        let (status, body) = self.get("/api/v1/employees").await;
        if status != 200 {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            panic!(
                "GET /api/v1/employees: {status} {body}\nserve's log, last lines first:\n{}",
                tail.join("\n")
            );
        }
        body["employees"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the directory's employee with `email` satisfies `ok` (`None`: absent).
    async fn wait_employee(
        &self,
        what: &str,
        email: &str,
        ok: impl Fn(Option<&Value>) -> bool,
    ) -> Option<Value> {
        wait_for(what, SETTLE, || async {
            let all = self.employees().await;
            let found = all.iter().find(|e| e["email"] == email);
            ok(found).then(|| found.cloned())
        })
        .await
    }
}

/// A SCIM account `acme` and an API token for it, served with `debounce`: the serve
/// process (its log outside the data directory, which tests search), the SCIM and the
/// API token.
fn serve_scim(w: &World, debounce: &str) -> (ServeProcess, tempfile::TempDir, String, String) {
    w.ok(&["account", "create", "acme", "--source", "scim"]);
    let scim = w.json(&[
        "token", "create", "acme", "--scope", "scim", "--label", "Okta",
    ])["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let api = w.json(&["token", "create", "acme"])["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let logs = tempfile::TempDir::new().expect("tempdir");
    let envs: Vec<(&str, &str)> = w
        .database_url
        .iter()
        .map(|url| ("STAFFSYNC_DATABASE_URL", url.as_str()))
        .collect();
    let serve = ServeProcess::start(
        w.data_dir(),
        logs.path().join("serve.log"),
        &["--no-scheduler", "--webhook-debounce", debounce],
        &envs,
    );
    (serve, logs, scim, api)
}

/// The SCIM and the REST API client of a running `serve`.
fn clients(serve: &ServeProcess, scim: &str, api: &str) -> (Client, Client) {
    let client = |token: &str| Client {
        http: reqwest::Client::new(),
        base: format!("http://{}", serve.addr),
        token: token.to_owned(),
        log: serve.log.clone(),
    };
    (client(scim), client(api))
}

fn okta_user(n: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("person{n}@acme.de"),
        "name": {"givenName": format!("Person{n}"), "familyName": "Okta"},
        "emails": [{"primary": true, "value": format!("person{n}@acme.de"), "type": "work"}],
        "displayName": format!("Person{n} Okta"),
        "locale": "de-DE",
        "active": true,
        "urn:ietf:params:scim:schemas:extension:acme:1.0:User": {"Standort": "Halle 3"}
    })
}

/// Okta's cycle: probe, create, then a burst of deactivations (`active` without a path)
/// larger than the deletion guard allows: every answer is 2xx, the run is held for
/// review, and nobody leaves the directory until it is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_okta_burst_of_deactivations_is_held_while_okta_hears_2xx() {
    okta_cycle(World::without_accounts().await).await;
}

/// The same on PostgreSQL (the SCIM users, token scopes and the widened source).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_okta_burst_of_deactivations_is_held_on_postgresql() {
    on_postgresql(okta_cycle).await;
}

/// Waits until `name` is in no file under `dir`. The API shows a removal at the commit;
/// the erased bytes leave the write-ahead log just after it.
async fn nowhere_on_disk(dir: &std::path::Path, name: &str) {
    wait_for(&format!("{name} nowhere on disk"), SETTLE, || async {
        common::found_in_files(dir, name).is_none().then_some(())
    })
    .await;
}

/// Runs `cycle` with a world on a fresh PostgreSQL database, dropped afterwards.
async fn on_postgresql<F: std::future::Future<Output = ()>>(cycle: impl FnOnce(World) -> F) {
    let (admin, url) = crate::postgres_e2e::fresh_database().await;
    let mut w = World::without_accounts().await;
    w.database_url = Some(url.clone());
    cycle(w).await;
    crate::postgres_e2e::drop_db(&admin, &url).await;
}

async fn okta_cycle(w: World) {
    // The debounce gathers the burst into one run, as it does for a real burst: the
    // default two seconds, as the six deactivations below must fall within it (split,
    // each part would meet the deletion guard on its own).
    let (serve, _logs, scim_token, api_token) = serve_scim(&w, "2s");
    let (scim, api) = clients(&serve, &scim_token, &api_token);
    let mut ids = Vec::new();
    for n in 0..10 {
        let (status, probe) = scim
            .get(&format!(
                "/scim/v2/Users?filter=userName+eq+%22person{n}%40acme.de%22&startIndex=1&count=100"
            ))
            .await;
        assert_eq!(
            (status.as_u16(), probe["totalResults"].as_i64()),
            (200, Some(0))
        );
        let (status, created) = scim.post("/scim/v2/Users", okta_user(n)).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    wait_for("ten people", SETTLE, || async {
        (api.employees().await.len() == 10).then_some(())
    })
    .await;
    let person = api
        .employees()
        .await
        .into_iter()
        .find(|e| e["email"] == "person0@acme.de")
        .unwrap();
    // A custom extension's attribute is kept only when settings name it (none here).
    assert_eq!(person["first_name"], "Person0");

    for id in &ids[..6] {
        let (status, body) = scim
            .patch(
                &format!("/scim/v2/Users/{id}"),
                json!([{"op": "replace", "value": {"active": false}}]),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["active"], false);
    }
    let held = wait_for("a held run", SETTLE, || async {
        let (_, runs) = api.get("/api/v1/sync-runs").await;
        runs["runs"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["status"] == "held").cloned())
    })
    .await;
    assert_eq!(held["kind"], "targeted", "{held}");
    assert_eq!(api.employees().await.len(), 10, "nobody left before review");
    // The identity provider still reads each user as it wrote it.
    let (status, off) = scim.get(&format!("/scim/v2/Users/{}", ids[0])).await;
    assert_eq!((status.as_u16(), &off["active"]), (200, &json!(false)));

    // Reviewed on the command line: a full run of what was pushed, accepting exactly
    // the held removals.
    let out = w.run(&["sync", "acme", "--accept-deletions"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
    let left: Vec<String> = api
        .employees()
        .await
        .iter()
        .map(|e| e["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        left,
        (6..10)
            .map(|n| format!("person{n}@acme.de"))
            .collect::<Vec<_>>()
    );
}

fn ada(user_name: &str, boss: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": "entra-ada",
        "userName": user_name,
        "active": true,
        "displayName": "Ada Lovelace",
        "title": "Analystin",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": true, "type": "work", "value": "ada@acme.de"}],
        "addresses": [{"type": "work", "locality": "Berlin"}],
        ENTERPRISE: {"department": "Vertrieb", "employeeNumber": "E-7", "manager": {"value": boss}}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entra_provisioning_cycle_reaches_the_directory() {
    let w = World::without_accounts().await;
    let dir = w.data_dir().to_owned();
    w.ok(&["account", "create", "acme", "--source", "scim"]);
    w.ok(&["account", "create", "other", "--source", "scim"]);
    w.ok(&["account", "create", "perso"]);
    let token = |slug: &str, scope: &str| {
        w.json(&[
            "token", "create", slug, "--scope", scope, "--label", "Entra ID",
        ])["token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    let scim_token = token("acme", "scim");
    let api_token = token("acme", "api");
    let other_token = token("other", "scim");
    // Only SCIM accounts take SCIM tokens.
    let refused = w.run(&["token", "create", "perso", "--scope", "scim"]);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "{}",
        common::describe(&refused)
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not take SCIM"));
    // Neither connected to Personio nor imported, and told so in those words.
    for args in [
        &["connect", "acme", "--client-id", "x"][..],
        &["import", "acme", "people.csv"][..],
    ] {
        let out = w.run(args);
        assert_eq!(out.status.code(), Some(1), "{}", common::describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("identity provider over SCIM"),
            "{args:?}: {}",
            common::describe(&out)
        );
    }

    let logs = tempfile::TempDir::new().expect("tempdir");
    let serve = ServeProcess::start(
        &dir,
        logs.path().join("serve.log"),
        &["--no-scheduler", "--webhook-debounce", "100ms"],
        &[],
    );
    let client = |token: &str| Client {
        http: reqwest::Client::new(),
        base: format!("http://{}", serve.addr),
        token: token.to_owned(),
        log: serve.log.clone(),
    };
    let (scim, api, other) = (
        client(&scim_token),
        client(&api_token),
        client(&other_token),
    );

    // Each token opens only its side.
    let (status, body) = client(&scim_token).get("/api/v1/employees").await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = client(&api_token).get("/scim/v2/Users").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "401");
    let (status, body) = api.send(reqwest::Method::POST, "/api/v1/sync", None).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("over SCIM"), "{body}");
    let (status, config) = scim.get("/scim/v2/ServiceProviderConfig").await;
    assert_eq!(status, 200);
    assert_eq!(config["patch"]["supported"], true);

    // Entra probes before each create.
    let (status, probe) = scim
        .get("/scim/v2/Users?filter=userName%20eq%20%22boss%40acme.de%22")
        .await;
    assert_eq!(status, 200, "{probe}");
    assert_eq!(probe["totalResults"], 0);
    assert_eq!(probe["Resources"], json!([]));

    let (status, boss) = scim
        .post(
            "/scim/v2/Users",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "boss@acme.de", "active": "True",
                "name": {"givenName": "Grace", "familyName": "Hopper"},
                ENTERPRISE: {"department": "Leitung"}
            }),
        )
        .await;
    assert_eq!(status, 201, "{boss}");
    let boss_id = boss["id"].as_str().expect("id").to_owned();
    let (status, created) = scim
        .post("/scim/v2/Users", ada("ada@acme.de", &boss_id))
        .await;
    assert_eq!(status, 201, "{created}");
    let ada_id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["active"], true);
    assert_eq!(created["meta"]["resourceType"], "User");
    let ada_path = format!("/scim/v2/Users/{ada_id}");

    // A second user with the same userName (in another case) is refused.
    let (status, dup) = scim
        .post("/scim/v2/Users", ada("ADA@acme.de", &boss_id))
        .await;
    assert_eq!(status, 409, "{dup}");
    assert_eq!(dup["scimType"], "uniqueness");
    assert!(
        dup["detail"].as_str().unwrap().contains("ADA@acme.de"),
        "{dup}"
    );

    let person = api
        .wait_employee("Ada in the directory", "ada@acme.de", |e| {
            e.is_some_and(|e| e["supervisor_import_id"] == boss_id.as_str())
        })
        .await
        .expect("Ada");
    assert_eq!(person["first_name"], "Ada");
    assert_eq!(person["last_name"], "Lovelace");
    assert_eq!(person["department"], "Vertrieb");
    assert_eq!(person["position"], "Analystin");
    assert_eq!(person["office"], "Berlin");
    assert_eq!(person["import_id"], ada_id.as_str());
    // Grace has no e-mail but an address as userName: that is her e-mail.
    api.wait_employee("Grace", "boss@acme.de", |e| e.is_some())
        .await;

    // Filters: any case, and/or, the enterprise extension; a broken one is 400.
    for (filter, hits) in [
        (r#"userName eq "ADA@ACME.DE""#, 1),
        (
            r#"externalId eq "entra-ada" and userName eq "ada@acme.de""#,
            1,
        ),
        (r#"userName eq "x" or displayName eq "ada lovelace""#, 1),
        (&format!(r#"id eq "{boss_id}""#), 1),
        (&format!(r#"{ENTERPRISE}:department eq "leitung""#), 1),
        (r#"emails.value eq "ada@acme.de""#, 1),
    ] {
        let url = format!("/scim/v2/Users?filter={}", urlencode(filter));
        let (status, list) = scim.get(&url).await;
        assert_eq!(status, 200, "{filter}: {list}");
        assert_eq!(list["totalResults"], hits, "{filter}: {list}");
    }
    let (status, bad) = scim.get("/scim/v2/Users?filter=userName%20eq").await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["scimType"], "invalidFilter");
    let (status, page) = scim.get("/scim/v2/Users?startIndex=2&count=1").await;
    assert_eq!(status, 200);
    assert_eq!(
        (page["totalResults"].as_i64(), page["itemsPerPage"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(page["Resources"][0]["id"], ada_id.as_str());

    // Another account's token sees none of it.
    let (status, _) = other.get(&ada_path).await;
    assert_eq!(status, 404);
    let (_, none) = other.get("/scim/v2/Users").await;
    assert_eq!(none["totalResults"], 0);

    // Entra moves Ada to Marketing.
    let (status, moved) = scim
        .patch(
            &ada_path,
            json!([{"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Marketing"}]),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved[ENTERPRISE]["department"], "Marketing");
    api.wait_employee("Ada in Marketing", "ada@acme.de", |e| {
        e.is_some_and(|e| e["department"] == "Marketing")
    })
    .await;

    // Deactivated: she leaves the directory; the resource keeps only what finds it again.
    let (status, off) = scim
        .patch(
            &ada_path,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["active"], false);
    api.wait_employee("Ada gone", "ada@acme.de", |e| e.is_none())
        .await;
    let (status, kept) = scim.get(&ada_path).await;
    assert_eq!(status, 200);
    let mut keys: Vec<&str> = kept
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["active", "externalId", "id", "meta", "schemas", "userName"],
        "{kept}"
    );
    assert!(!kept.to_string().contains("Lovelace"), "{kept}");

    // Re-activated the Okta way (active without a path), then her attributes sent again.
    let (status, on) = scim
        .patch(
            &ada_path,
            json!([{"op": "replace", "value": {"active": true}}]),
        )
        .await;
    assert_eq!(status, 200, "{on}");
    let (status, _) = scim
        .send(
            reqwest::Method::PUT,
            &ada_path,
            Some(ada("ada@acme.de", &boss_id)),
        )
        .await;
    assert_eq!(status, 200);
    api.wait_employee("Ada back", "ada@acme.de", |e| {
        e.is_some_and(|e| e["department"] == "Vertrieb")
    })
    .await;

    // Deleted: gone from SCIM and the directory, her name nowhere in the data directory.
    let (status, _) = scim.send(reqwest::Method::DELETE, &ada_path, None).await;
    assert_eq!(status, 204);
    let (status, gone) = scim.get(&ada_path).await;
    assert_eq!(status, 404, "{gone}");
    assert_eq!(gone["status"], "404");
    api.wait_employee("Ada erased", "ada@acme.de", |e| e.is_none())
        .await;
    assert_eq!(api.employees().await.len(), 1, "Grace stays");
    nowhere_on_disk(&dir, "Lovelace").await;
    // Each run of SCIM writes names the token whose writes it applied (recorded right
    // after the run).
    wait_for("runs naming the token", SETTLE, || async {
        let runs = w.json(&["runs", "acme"]);
        let runs = runs.as_array().cloned().unwrap_or_default();
        (runs.len() >= 5 && runs.iter().all(|r| r["started_by"] == "scim:Entra ID")).then_some(())
    })
    .await;
    drop(serve);
}

/// `text` percent-encoded for a query value.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The directory's `idp_group` groups through the REST API: name → (id, member count).
async fn idp_groups(api: &Client) -> Vec<(String, i64, i64)> {
    let (status, body) = api.get("/api/v1/groups").await;
    assert_eq!(status, 200, "{body}");
    body["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["kind"] == "idp_group")
        .map(|g| {
            (
                g["name"].as_str().unwrap_or_default().to_owned(),
                g["id"].as_i64().unwrap_or_default(),
                g["member_count"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

/// Issue 23, point 4: Entra pushes a group (created empty, members added in a batch,
/// renamed, one member removed, deleted) and the directory follows with a group of kind
/// `idp_group` named by its displayName, usable in an audience preview and snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_groups_become_idp_groups_of_the_directory() {
    entra_groups_cycle(World::without_accounts().await).await;
}

/// The same on PostgreSQL (the SCIM groups and their members).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_groups_become_idp_groups_on_postgresql() {
    on_postgresql(entra_groups_cycle).await;
}

async fn entra_groups_cycle(w: World) {
    let (serve, _logs, scim_token, api_token) = serve_scim(&w, "100ms");
    let (scim, api) = clients(&serve, &scim_token, &api_token);
    let mut ids = Vec::new();
    for n in 0..3 {
        let (status, created) = scim.post("/scim/v2/Users", okta_user(n)).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    wait_for("three people", SETTLE, || async {
        (api.employees().await.len() == 3).then_some(())
    })
    .await;

    // Entra creates the group empty, then adds its members in one PATCH.
    let (status, group) = scim
        .post(
            "/scim/v2/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                   "displayName": "Vertrieb", "externalId": "entra-g1", "members": []}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let path = format!("/scim/v2/Groups/{}", group["id"].as_str().expect("id"));
    let batch: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let (status, body) = scim
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": batch}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, id, _) = wait_for("the group with three members", SETTLE, || async {
        idp_groups(&api)
            .await
            .into_iter()
            .find(|(name, _, count)| name == "Vertrieb" && *count == 3)
    })
    .await;
    let (status, members) = api
        .get("/api/v1/employees?kind=idp_group&name=Vertrieb")
        .await;
    assert_eq!(status, 200, "{members}");
    let mut emails: Vec<&str> = members["employees"]
        .as_array()
        .expect("employees")
        .iter()
        .map(|e| e["email"].as_str().unwrap_or_default())
        .collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        ["person0@acme.de", "person1@acme.de", "person2@acme.de"]
    );

    // Usable in audiences: by kind and name, and frozen in a snapshot.
    let by_name = json!({"filter": {"kind": "idp_group", "name": "Vertrieb"}});
    let (status, preview) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/audiences/preview",
            Some(by_name.clone()),
        )
        .await;
    assert_eq!(
        (status.as_u16(), preview["count"].as_i64()),
        (200, Some(3)),
        "{preview}"
    );
    let (status, snapshot) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/audiences/snapshots",
            Some(json!({"filter": by_name["filter"], "label": "Pulse Vertrieb"})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), snapshot["count"].as_i64()),
        (201, Some(3)),
        "{snapshot}"
    );

    // Renamed in Entra: the same group under its new name.
    let (status, body) = scim
        .patch(
            &path,
            json!([{"op": "Replace", "path": "displayName", "value": "Vertrieb Nord"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let renamed = wait_for("the renamed group", SETTLE, || async {
        let groups = idp_groups(&api).await;
        (groups.len() == 1 && groups[0].0 == "Vertrieb Nord").then(|| groups[0].clone())
    })
    .await;
    assert_eq!(
        (renamed.1, renamed.2),
        (id, 3),
        "a rename keeps the group's id"
    );

    // One member removed (Entra's value filter).
    let (status, body) = scim
        .patch(
            &path,
            json!([{"op": "Remove", "path": format!("members[value eq \"{}\"]", ids[2])}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    wait_for("two members left", SETTLE, || async {
        (idp_groups(&api).await == [("Vertrieb Nord".to_owned(), id, 2)]).then_some(())
    })
    .await;

    // Deleted: the group leaves the directory; its people stay.
    let (status, body) = scim.send(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 204, "{body}");
    wait_for("no idp groups", SETTLE, || async {
        idp_groups(&api).await.is_empty().then_some(())
    })
    .await;
    assert_eq!(api.employees().await.len(), 3);
}

/// The done-when's Entra replay as one cycle (issue 23): a probe before each create, 40
/// users created with a manager, a duplicate create (409), a department patched, one
/// user deactivated, a group with members, one user deleted, then a mass deactivation
/// held for review while every SCIM answer stays 2xx. After each step the directory,
/// its groups, its reporting lines and (for the people who left) the data directory are
/// checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entra_cycle_of_forty_reaches_the_directory_step_by_step() {
    let w = World::without_accounts().await;
    // Step 7's twenty deactivations must fall within one debounce (see the Okta cycle).
    let (serve, _logs, scim_token, api_token) = serve_scim(&w, "2s");
    let (scim, api) = clients(&serve, &scim_token, &api_token);
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let email = |n: usize| format!("mitarbeiter{n}@acme.de");
    let family = |n: usize| format!("Zyxwerth{n}");
    // 1. Probe, then create: person 0 first, everyone else reporting to them.
    let mut ids: Vec<String> = Vec::new();
    for n in 0..40 {
        let (status, found) = scim
            .get(&format!(
                "/scim/v2/Users?filter=userName%20eq%20%22{}%22",
                email(n).replace('@', "%40")
            ))
            .await;
        assert_eq!((status.as_u16(), &found["totalResults"]), (200, &json!(0)));
        let mut user = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ent],
            "userName": email(n), "active": "True", "externalId": format!("e-{n}"),
            "name": {"givenName": format!("Vorname{n}"), "familyName": family(n)},
            "emails": [{"primary": true, "type": "work", "value": email(n)}],
            ent: {"department": if n % 2 == 0 { "Vertrieb" } else { "Technik" }}
        });
        if n > 0 {
            user[ent]["manager"] = json!({"value": ids[0]});
        }
        let (status, created) = scim.post("/scim/v2/Users", user).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    wait_for("all 40 in the directory", SETTLE, || async {
        (api.employees().await.len() == 40).then_some(())
    })
    .await;
    let groups = |kind: &'static str| {
        let api = &api;
        async move {
            let (_, body) = api.get("/api/v1/groups").await;
            body["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|g| g["kind"] == kind)
                .map(|g| g["member_count"].as_i64().unwrap_or_default())
                .collect::<Vec<_>>()
        }
    };
    // Reporting lines need the setting; the department groups are there by default.
    let rules = w.data_dir().join("rules.json");
    std::fs::write(&rules, r#"{"groups": {"reporting_lines": true}}"#).unwrap();
    w.ok(&["settings", "acme", "--set", rules.to_str().unwrap()]);
    let out = w.run(&["sync", "acme"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
    assert_eq!(groups("reports_direct").await, vec![39], "one team of 39");
    let boss = api
        .wait_employee("the boss", &email(0), |e| e.is_some())
        .await
        .unwrap();
    let report = api
        .wait_employee("a report", &email(1), |e| {
            e.is_some_and(|e| e["supervisor_import_id"] == ids[0].as_str())
        })
        .await
        .unwrap();
    assert_eq!(boss["department"], "Vertrieb");
    assert_eq!(report["department"], "Technik");
    // 2. A duplicate create is refused with uniqueness.
    let (status, dup) = scim
        .post(
            "/scim/v2/Users",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email(3)}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &dup["scimType"]),
        (409, &json!("uniqueness"))
    );
    assert_eq!(api.employees().await.len(), 40);
    // 3. A department patched the way Entra sends it.
    let (status, _) = scim
        .patch(
            &format!("/scim/v2/Users/{}", ids[5]),
            json!([{"op": "Replace", "path": format!("{ent}:department"), "value": "Marketing"}]),
        )
        .await;
    assert_eq!(status, 200);
    api.wait_employee("the move", &email(5), |e| {
        e.is_some_and(|e| e["department"] == "Marketing")
    })
    .await;
    // 4. One deactivated: they leave like a leaver; the resource keeps only what finds it.
    let (status, off) = scim
        .patch(
            &format!("/scim/v2/Users/{}", ids[6]),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!((status.as_u16(), &off["active"]), (200, &json!(false)));
    api.wait_employee("the leaver gone", &email(6), |e| e.is_none())
        .await;
    nowhere_on_disk(w.data_dir(), &family(6)).await;
    assert_eq!(groups("reports_direct").await, vec![38]);
    // 5. A group with members, added in one batch.
    let (status, group) = scim
        .post(
            "/scim/v2/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Betriebsrat"}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().unwrap().to_owned();
    let members: Vec<Value> = ids[10..15].iter().map(|id| json!({"value": id})).collect();
    let (status, _) = scim
        .patch(
            &format!("/scim/v2/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": members}]),
        )
        .await;
    assert_eq!(status, 200);
    wait_for("the idp group with its five", SETTLE, || async {
        let g = idp_groups(&api).await;
        (g.len() == 1 && g[0].0 == "Betriebsrat" && g[0].2 == 5).then_some(())
    })
    .await;
    // 6. One deleted: erased, and gone from the data directory.
    let (status, _) = scim
        .send(
            reqwest::Method::DELETE,
            &format!("/scim/v2/Users/{}", ids[7]),
            None,
        )
        .await;
    assert_eq!(status, 204);
    api.wait_employee("the deleted gone", &email(7), |e| e.is_none())
        .await;
    let (status, _) = scim.get(&format!("/scim/v2/Users/{}", ids[7])).await;
    assert_eq!(status, 404);
    nowhere_on_disk(w.data_dir(), &family(7)).await;
    // 7. A mass deactivation beyond the deletion guard: every answer 2xx, the run held,
    //    nobody removed until a person reviewed it.
    for id in &ids[20..40] {
        let (status, body) = scim
            .patch(
                &format!("/scim/v2/Users/{id}"),
                json!([{"op": "Replace", "value": {"active": false}}]),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    wait_for("a held run", SETTLE, || async {
        let (_, runs) = api.get("/api/v1/sync-runs").await;
        runs["runs"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["status"] == "held").cloned())
    })
    .await;
    assert_eq!(
        api.employees().await.len(),
        38,
        "nobody left before the review"
    );
    let out = w.run(&["sync", "acme", "--accept-deletions"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::describe(&out));
    assert_eq!(api.employees().await.len(), 18);
    assert_eq!(
        groups("reports_direct").await,
        vec![17],
        "the team shrank with them"
    );
    drop(serve);
    for n in 20..40 {
        assert_eq!(
            common::found_in_files(w.data_dir(), &family(n)),
            None,
            "{}",
            family(n)
        );
    }
}
