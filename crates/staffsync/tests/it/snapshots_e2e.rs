//! Survey audience snapshots (`/api/v1/audiences/snapshots`) through the real `staffsync
//! serve` binary, syncs and imports by the real CLI, on SQLite and on PostgreSQL: a
//! snapshot keeps its audience, group names and counts while people move, leave and
//! groups are renamed; an erased member keeps only their groups, and on SQLite nothing of
//! them is left in the data directory's bytes.

use crate::common::*;
use crate::serve_common::ServeProcess;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The REST API of a running `serve`, as one account's token sees it.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn new(serve: &ServeProcess, token: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("http://{}/api/v1", serve.addr),
            token: token.to_owned(),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.expect("serve answers");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> u16 {
        self.send(reqwest::Method::DELETE, path, None).await.0
    }

    /// Every member of snapshot `id`, read `limit` at a time.
    async fn members_paged(&self, id: i64, limit: usize) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/audiences/snapshots/{id}?limit={limit}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = self.get(&path).await;
            let members = page["members"].as_array().expect("members");
            assert!(members.len() <= limit);
            all.extend(members.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return all,
            }
        }
    }
}

/// `staffsync serve` without the scheduler (syncs are the CLI's), on `w`'s database.
fn serve(w: &World, name: &str) -> ServeProcess {
    let mut envs = Vec::new();
    if let Some(url) = &w.database_url {
        envs.push(("STAFFSYNC_DATABASE_URL", url.as_str()));
    }
    ServeProcess::start(
        w.data_dir(),
        w.data_dir().join(format!("{name}.log")),
        &["--no-scheduler"],
        &envs,
    )
}

fn token(w: &World, account: &str) -> String {
    w.json(&["token", "create", account])["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// A group's identity as answers show it: kind, and the manager's id, the band's key or
/// the name.
fn identity(g: &Value) -> (String, String) {
    let name = g["manager_personio_id"]
        .as_i64()
        .map(|m| m.to_string())
        .or_else(|| g["key"].as_str().map(str::to_owned))
        .unwrap_or_else(|| g["name"].as_str().expect("name").to_owned());
    (g["kind"].as_str().expect("kind").to_owned(), name)
}

/// The group ids of each employee (by Personio id), from `GET /groups` and the directory.
async fn group_ids_now(api: &Api, employees: &[Value]) -> BTreeMap<i64, Vec<i64>> {
    let groups = api.get("/groups").await;
    let by_identity: BTreeMap<(String, String), i64> = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| (identity(g), g["id"].as_i64().expect("id")))
        .collect();
    employees
        .iter()
        .map(|e| {
            let mut ids: Vec<i64> = e["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .map(|g| by_identity[&identity(g)])
                .collect();
            ids.sort_unstable();
            (e["personio_id"].as_i64().expect("id"), ids)
        })
        .collect()
}

/// The main scenario on `w` (SQLite or PostgreSQL): returns the leaver's last name and
/// e-mail, for the caller's scan of the disk.
async fn a_snapshot_keeps_its_audience(w: &World) -> (String, String) {
    w.ok(&["account", "create", "other"]);
    w.sync();
    // The leaver gets unique values, so finding them anywhere later means they stayed.
    let employees = w.employees();
    let mut by_department: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for e in &employees {
        if let Some(department) = e["department"].as_str() {
            by_department
                .entry(department.to_owned())
                .or_default()
                .push(e["personio_id"].as_i64().expect("id"));
        }
    }
    let (department, members) = by_department
        .iter()
        .max_by_key(|(_, ids)| ids.len())
        .map(|(d, ids)| (d.clone(), ids.clone()))
        .expect("a department");
    assert!(members.len() >= 4, "{by_department:?}");
    let (leaver, mover) = (members[0], members[1]);
    let (last_name, email) = ("Snapshotova-Quetzalli", "vera.snapshotova@private.example");
    w.sim_patch(leaver, json!({"last_name": last_name, "email": email}))
        .await;
    w.sync();

    let server = serve(w, "serve");
    let api = Api::new(&server, &token(w, "acme"));
    let other = Api::new(&server, &token(w, "other"));

    // Refusals name the field.
    let filter = json!({"kind": "department", "name": department});
    for (body, status, field) in [
        (json!({"filter": filter, "label": "  "}), 422, "label"),
        (
            json!({"filter": filter, "label": "x".repeat(201)}),
            422,
            "label",
        ),
        (json!({"filter": filter}), 422, "label"),
        (json!({"label": "Pulse"}), 422, "filter"),
        (
            json!({"filter": {"kind": "planet", "name": "x"}, "label": "P"}),
            422,
            "filter.kind",
        ),
        (
            json!({"filter": {"group_id": 999_999}, "label": "P"}),
            404,
            "filter.group_id",
        ),
    ] {
        let (got, answer) = api.post("/audiences/snapshots", body.clone()).await;
        assert_eq!(
            (got, answer["error"]["field"].as_str()),
            (status, Some(field)),
            "{body}: {answer}"
        );
    }
    assert_eq!(
        api.get("/audiences/snapshots").await["snapshots"],
        json!([])
    );

    // The snapshot: everyone in the department now, with their groups.
    let (status, created) = api
        .post(
            "/audiences/snapshots",
            json!({"filter": filter, "label": " Pulse Q1 "}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().expect("id");
    assert_eq!(created["label"], "Pulse Q1");
    assert_eq!(created["count"], members.len());
    assert!(
        created["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let preview = api
        .post("/audiences/preview", json!({"filter": filter}))
        .await
        .1;
    assert_eq!(preview["count"], created["count"], "as previewed");
    let expected_groups = group_ids_now(&api, &w.employees()).await;
    let detail = api.get(&format!("/audiences/snapshots/{id}")).await;
    assert!(detail.get("next_cursor").is_none(), "unpaged: {detail}");
    assert_eq!(detail["groups"], created["groups"]);
    let shown: Vec<(i64, Vec<i64>)> = detail["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            let ids = m["group_ids"].as_array().expect("group ids");
            (
                m["personio_id"].as_i64().expect("id"),
                ids.iter().filter_map(Value::as_i64).collect(),
            )
        })
        .collect();
    let expected: Vec<(i64, Vec<i64>)> = members
        .iter()
        .map(|p| (*p, expected_groups[p].clone()))
        .collect();
    assert_eq!(shown, expected);
    // Each group's count is its members in the snapshot, checked against the threshold (5).
    let groups = created["groups"].as_array().expect("groups");
    for g in groups {
        let gid = g["id"].as_i64().expect("id");
        let n = expected
            .iter()
            .filter(|(_, ids)| ids.contains(&gid))
            .count();
        assert_eq!(g["member_count"], n, "{g}");
        assert_eq!(g["below_anonymity_threshold"], n < 5, "{g}");
    }
    let in_groups: BTreeSet<i64> = expected.iter().flat_map(|(_, ids)| ids.clone()).collect();
    assert_eq!(in_groups.len(), groups.len());
    assert!(
        groups
            .iter()
            .any(|g| g["kind"] == "department" && g["name"] == department.as_str())
    );
    assert_eq!(
        api.members_paged(id, 2).await,
        detail["members"].as_array().cloned().unwrap()
    );

    // Tenancy: another account's token gets 404 for it and lists nothing.
    let path = format!("/audiences/snapshots/{id}");
    let (status, answer) = other.send(reqwest::Method::GET, &path, None).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("not_found"))
    );
    assert_eq!(other.delete(&path).await, 404);
    assert_eq!(
        other.get("/audiences/snapshots").await["snapshots"],
        json!([])
    );

    // The company moves on: the mover changes department, the leaver leaves; then the
    // rest of the department moves to a new name, which renames the group.
    w.sim_patch(mover, json!({"department": "Rechtsabteilung"}))
        .await;
    w.sim_delete(leaver).await;
    w.sync();
    let renamed = format!("{department} 2027");
    for p in &members[2..] {
        w.sim_patch(*p, json!({"department": renamed})).await;
    }
    w.sync();
    let department_id = groups
        .iter()
        .find(|g| g["kind"] == "department" && g["name"] == department.as_str())
        .and_then(|g| g["id"].as_i64())
        .expect("the department's group");
    let now = api.get(&format!("/groups/{department_id}/members")).await;
    assert_eq!(
        now["group"]["name"],
        renamed.as_str(),
        "a rename keeps the id"
    );

    let after = api.get(&path).await;
    assert_eq!(after["count"], created["count"]);
    assert_eq!(after["label"], created["label"]);
    assert_eq!(after["created_at"], created["created_at"]);
    assert_eq!(
        after["groups"], created["groups"],
        "names and counts as at launch"
    );
    let mut erased = detail["members"].clone();
    erased[0]["personio_id"] = Value::Null;
    assert_eq!(
        after["members"], erased,
        "the leaver keeps only their groups"
    );

    // A second snapshot; the list pages newest first; deleting drops one.
    let (status, second) = api
        .post(
            "/audiences/snapshots",
            json!({"filter": {"kind": "department", "name": renamed}, "label": "Pulse Q2"}),
        )
        .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["count"], members.len() - 2);
    let page = api.get("/audiences/snapshots?limit=1").await;
    assert_eq!(page["snapshots"][0]["id"], second["id"]);
    assert_eq!(page["snapshots"][0]["count"], second["count"]);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let rest = api
        .get(&format!("/audiences/snapshots?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(rest["snapshots"][0]["id"], id);
    assert_eq!(rest["next_cursor"], Value::Null);
    assert_eq!(api.delete(&path).await, 204);
    assert_eq!(api.send(reqwest::Method::GET, &path, None).await.0, 404);
    assert_eq!(api.delete(&path).await, 404);
    let listed = api.get("/audiences/snapshots").await;
    assert_eq!(listed["snapshots"].as_array().map(Vec::len), Some(1));
    drop(server);
    (last_name.to_owned(), email.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_keeps_its_audience_and_forgets_leavers_on_sqlite() {
    let w = World::connected(80).await;
    let (last_name, email) = a_snapshot_keeps_its_audience(&w).await;
    for needle in [last_name.as_str(), email.as_str()] {
        assert_eq!(
            found_in_files(w.data_dir(), needle),
            None,
            "{needle:?} must not remain on disk"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_keeps_its_audience_and_forgets_leavers_on_postgresql() {
    let w = World::connected_on(Backend::Postgres, 80).await;
    a_snapshot_keeps_its_audience(&w).await;
    w.finish().await;
}

/// A file account with reporting lines: members are shown by `ImportId`; an erased
/// manager's entry keeps only their groups, the lines named after them lose their name,
/// and their `ImportId`, name and e-mail leave the data directory (the `ImportId` is text,
/// so the scan can look for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_accounts_snapshot_names_members_by_import_id_and_forgets_leavers() {
    let w = World::without_accounts().await;
    w.ok(&["account", "create", "acme", "--source", "file"]);
    let files = tempfile::TempDir::new().expect("tempdir");
    let settings = files.path().join("settings.json");
    std::fs::write(&settings, r#"{"groups": {"reporting_lines": true}}"#).unwrap();
    w.ok(&["settings", "acme", "--set", settings.to_str().unwrap()]);
    let header = "ImportId,Email,Firstname,Lastname,Department,ReportsToId\n";
    let leaver =
        "ZQX-LEAVER-4711,ottilie.vanishwright@private.example,Ottilie,Vanishwright,Vertrieb,\n";
    let others: String = (1..=6)
        .map(|i| {
            format!("E-{i},person{i}@example.com,Vorname{i},Muster,Vertrieb,ZQX-LEAVER-4711\n")
        })
        .collect();
    let before = files.path().join("before.csv");
    let after = files.path().join("after.csv");
    std::fs::write(&before, format!("{header}{leaver}{others}")).unwrap();
    // Without the leaver, the others report to nobody.
    std::fs::write(
        &after,
        format!("{header}{}", others.replace("ZQX-LEAVER-4711", "")),
    )
    .unwrap();
    let import = |file: &std::path::Path| w.json(&["import", "acme", file.to_str().unwrap()]);
    assert_eq!(import(&before)["result"], "applied");

    let server = serve(&w, "serve");
    let api = Api::new(&server, &token(&w, "acme"));
    let (status, created) = api
        .post(
            "/audiences/snapshots",
            json!({"filter": {"kind": "department", "name": "Vertrieb"}, "label": "Pulse"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["count"], 7);
    let groups = created["groups"].as_array().expect("groups");
    let lines: Vec<&Value> = groups
        .iter()
        .filter(|g| g["manager_import_id"] == "ZQX-LEAVER-4711")
        .collect();
    assert_eq!(lines.len(), 2, "direct and all reports: {groups:?}");
    assert!(
        lines
            .iter()
            .all(|g| g["name"] == "Ottilie Vanishwright" && g["member_count"] == 6)
    );
    let id = created["id"].as_i64().expect("id");
    let detail = api.get(&format!("/audiences/snapshots/{id}")).await;
    let members = detail["members"].as_array().expect("members");
    let position = members
        .iter()
        .position(|m| m["import_id"] == "ZQX-LEAVER-4711")
        .expect("the leaver by ImportId");
    assert!(members.iter().all(|m| m.get("personio_id").is_none()));

    assert_eq!(import(&after)["result"], "applied");
    let later = api.get(&format!("/audiences/snapshots/{id}")).await;
    assert_eq!(later["count"], 7);
    let mut expected = created["groups"].clone();
    for g in expected.as_array_mut().expect("groups") {
        if g["manager_import_id"] == "ZQX-LEAVER-4711" {
            g["name"] = Value::Null;
            g.as_object_mut()
                .expect("object")
                .remove("manager_import_id");
        }
    }
    let sorted = |v: &Value| {
        let mut all: Vec<String> = v
            .as_array()
            .expect("groups")
            .iter()
            .map(Value::to_string)
            .collect();
        all.sort();
        all
    };
    assert_eq!(
        sorted(&later["groups"]),
        sorted(&expected),
        "ids and counts kept, names gone"
    );
    assert_eq!(later["members"][position]["import_id"], Value::Null);
    assert_eq!(
        later["members"][position]["group_ids"],
        members[position]["group_ids"]
    );
    assert_eq!(later["members"].as_array().map(Vec::len), Some(7));
    drop(server);
    for needle in [
        "ZQX-LEAVER-4711",
        "Vanishwright",
        "ottilie.vanishwright@private.example",
    ] {
        assert_eq!(
            found_in_files(w.data_dir(), needle),
            None,
            "{needle:?} must not remain on disk"
        );
    }
}
