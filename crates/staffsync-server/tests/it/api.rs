//! The REST API end to end: the real router served on a port, a fresh SQLite store, data
//! synced from simulated Personio companies, and reqwest as the client.
//!
//! Two accounts (`acme`, `globex`) each sync their own simulator; every test checks that
//! one account's token can never read or change the other's data.

use crate::common::{TODAY, Tenant, TestApp, api_token, spawn_app, sync_now, tenant};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use staffsync_core::AccountSlug;
use staffsync_server::api::tokens::{generate_token, hash_token};
use staffsync_store::{Account, Store};
use std::collections::{BTreeMap, BTreeSet};

struct World {
    app: TestApp,
    a: Tenant,
    b: Tenant,
}

async fn sync(store: &Store, t: &Tenant) {
    sync_account(store, &t.account).await;
}

/// One full sync of `account` (as it is stored now: its settings apply).
async fn sync_account(store: &Store, account: &Account) {
    sync_now(store, account, Some(TODAY)).await;
}

impl World {
    async fn new() -> World {
        let app = spawn_app(|c| c.today = Some(TODAY)).await;
        let a = tenant(&app.store, "acme", 60, 11).await;
        let b = tenant(&app.store, "globex", 25, 23).await;
        World { app, a, b }
    }

    fn store(&self) -> &Store {
        &self.app.store
    }

    /// `path` under `/api/v1`.
    fn api(&self, path: &str) -> String {
        self.app.url(&format!("/api/v1{path}"))
    }

    /// Sends a request; `body` is JSON (a `Value`) or, as a `String`, a raw body without a
    /// content type. Returns the status and the parsed JSON body (`Null` when empty).
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Body>,
    ) -> (StatusCode, Value) {
        let mut req = self.app.http.request(method, self.api(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req = match body {
            Some(Body::Json(v)) => req.json(&v),
            Some(Body::Raw(s, content_type)) => {
                let req = req.body(s);
                match content_type {
                    Some(ct) => req.header("content-type", ct),
                    None => req,
                }
            }
            None => req,
        };
        let response = req.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
        };
        if status.is_server_error() {
            panic!("{path}: server error {status}: {value}");
        }
        (status, value)
    }

    async fn get(&self, t: &Tenant, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(&t.token), None).await
    }

    async fn post(&self, t: &Tenant, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(&t.token), Some(Body::Json(body)))
            .await
    }

    async fn ok(&self, t: &Tenant, path: &str) -> Value {
        let (status, v) = self.get(t, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        v
    }

    async fn employees(&self, t: &Tenant) -> Vec<Value> {
        self.ok(t, "/employees").await["employees"]
            .as_array()
            .expect("employees")
            .clone()
    }
}

/// method, path, body, expected status, expected code, text the message must contain.
type Case = (
    Method,
    &'static str,
    Option<Body>,
    StatusCode,
    &'static str,
    &'static str,
);

enum Body {
    Json(Value),
    Raw(String, Option<&'static str>),
}

fn ids(list: &Value) -> BTreeSet<i64> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|e| e["personio_id"].as_i64().expect("personio_id"))
        .collect()
}

fn in_group(e: &Value, kind: &str, name: &str) -> bool {
    e["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .any(|g| g["kind"] == kind && g["name"] == name)
}

fn assert_error(status: StatusCode, body: &Value, want: StatusCode, code: &str, mention: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains(mention),
        "message {message:?} should mention {mention:?}"
    );
}

/// The groups of `kind` with the most members in `employees`, biggest first.
fn biggest(employees: &[Value], kind: &str) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in employees {
        for g in e["groups"].as_array().expect("groups") {
            if g["kind"] == kind {
                *counts
                    .entry(g["name"].as_str().expect("name").to_owned())
                    .or_default() += 1;
            }
        }
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    v.into_iter().map(|(name, _)| name).collect()
}

/// Every `$ref` in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_every_path() {
    let w = World::new().await;
    let (status, doc) = w.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        doc,
        serde_json::to_value(staffsync_server::api::openapi()).expect("doc")
    );
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    let expected = [
        ("/api/v1/employees", "get"),
        ("/api/v1/employees/{personio_id}", "get"),
        ("/api/v1/groups", "get"),
        ("/api/v1/groups/{id}/members", "get"),
        ("/api/v1/audiences/preview", "post"),
        ("/api/v1/audiences/snapshots", "post"),
        ("/api/v1/audiences/snapshots", "get"),
        ("/api/v1/audiences/snapshots/{id}", "get"),
        ("/api/v1/audiences/snapshots/{id}", "delete"),
        ("/api/v1/feedback", "post"),
        ("/api/v1/feedback", "get"),
        ("/api/v1/sync", "post"),
        ("/api/v1/imports", "post"),
        ("/api/v1/sync-runs", "get"),
        ("/api/v1/sync-runs/{id}", "get"),
        ("/api/v1/changes", "get"),
        ("/api/v1/webhook-endpoints", "post"),
        ("/api/v1/webhook-endpoints", "get"),
        ("/api/v1/webhook-endpoints/{id}", "delete"),
        ("/api/v1/webhook-endpoints/{id}/deliveries", "get"),
        ("/api/v1/settings", "get"),
        ("/api/v1/settings", "put"),
        ("/api/v1/settings/preview", "post"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    let distinct: BTreeSet<&str> = expected.iter().map(|(p, _)| *p).collect();
    assert_eq!(paths.len(), distinct.len(), "{:?}", paths.keys());
    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling $ref {r}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for schema in [
        "EmployeeView",
        "ErrorBody",
        "AudienceFilter",
        "SnapshotDetail",
        "FeedbackView",
        "RunDetail",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "schema {schema} missing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_needs_a_valid_token() {
    let w = World::new().await;
    let endpoints: [(Method, &str); 18] = [
        (Method::GET, "/settings"),
        (Method::PUT, "/settings"),
        (Method::POST, "/settings/preview"),
        (Method::GET, "/employees"),
        (Method::GET, "/employees/1"),
        (Method::GET, "/groups"),
        (Method::GET, "/groups/1/members"),
        (Method::POST, "/audiences/preview"),
        (Method::POST, "/audiences/snapshots"),
        (Method::GET, "/audiences/snapshots"),
        (Method::GET, "/audiences/snapshots/1"),
        (Method::DELETE, "/audiences/snapshots/1"),
        (Method::POST, "/feedback"),
        (Method::GET, "/feedback"),
        (Method::POST, "/sync"),
        (Method::POST, "/imports"),
        (Method::GET, "/sync-runs"),
        (Method::GET, "/sync-runs/1"),
    ];
    let unknown = generate_token();
    let revoked = generate_token();
    let created = w
        .store()
        .create_api_token(w.a.account.id, &hash_token(&revoked), "revoked")
        .await
        .expect("token");
    assert!(
        w.app
            .store
            .revoke_api_token(w.a.account.id, created.id)
            .await
            .expect("revoke")
    );
    for (method, path) in &endpoints {
        for token in [
            None,
            Some("garbage"),
            Some(unknown.as_str()),
            Some(revoked.as_str()),
        ] {
            let (status, body) = w.send(method.clone(), path, token, None).await;
            assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized", "");
        }
        // A Basic header is not a bearer token.
        let response = w
            .app
            .http
            .request(method.clone(), w.api(path))
            .basic_auth("acme", Some(&w.a.token))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key("www-authenticate"));
    }
    // Revoking one token of an account leaves its other tokens working.
    w.ok(&w.a, "/employees").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employees_groups_and_members() {
    let w = World::new().await;
    let directory = w
        .store()
        .directory(w.a.account.id)
        .await
        .expect("directory");
    let list = w.ok(&w.a, "/employees").await;
    assert_eq!(list["count"], directory.len());
    let employees = list["employees"].as_array().expect("employees").clone();
    assert_eq!(employees.len(), directory.len());
    assert!(directory.len() > 20);

    // Same shape as `staffsync employees --json`.
    let first = &employees[0];
    let keys: BTreeSet<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let expected_keys: BTreeSet<&str> = [
        "personio_id",
        "email",
        "first_name",
        "last_name",
        "department",
        "office",
        "team",
        "position",
        "status",
        "hire_date",
        "termination_date",
        "supervisor_personio_id",
        "attributes",
        "groups",
    ]
    .into_iter()
    .collect();
    assert_eq!(keys, expected_keys);
    assert_eq!(first["personio_id"], directory[0].key.0);
    assert_eq!(first["email"], directory[0].email.as_str());

    // One employee.
    let id = first["personio_id"].as_i64().expect("id");
    let one = w.ok(&w.a, &format!("/employees/{id}")).await;
    assert_eq!(&one, first);
    let (status, body) = w.get(&w.a, "/employees/9223372036854775807").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", "");

    // Search by name and e-mail, case-insensitively.
    let last = first["last_name"].as_str().expect("last name").to_owned();
    let needle = last.to_uppercase();
    let found = w
        .ok(&w.a, &format!("/employees?q={}", urlencode(&needle)))
        .await;
    let want: BTreeSet<i64> = employees
        .iter()
        .filter(|e| {
            let name = format!(
                "{} {}",
                e["first_name"].as_str().unwrap_or(""),
                e["last_name"].as_str().unwrap_or("")
            );
            name.to_lowercase().contains(&last.to_lowercase())
                || e["email"]
                    .as_str()
                    .unwrap_or("")
                    .to_lowercase()
                    .contains(&last.to_lowercase())
        })
        .map(|e| e["personio_id"].as_i64().expect("id"))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(&found["employees"]), want);
    let email = first["email"].as_str().expect("email");
    let by_mail = w
        .ok(&w.a, &format!("/employees?q={}", urlencode(email)))
        .await;
    assert!(ids(&by_mail["employees"]).contains(&id));
    let none = w.ok(&w.a, "/employees?q=zzzz-nobody-zzzz").await;
    assert_eq!(none["count"], 0);

    // Groups: member counts agree with the employees' groups; the anonymity flag with the threshold.
    let groups = w.ok(&w.a, "/groups").await["groups"]
        .as_array()
        .expect("groups")
        .clone();
    assert!(!groups.is_empty());
    let mut small = 0;
    for g in &groups {
        let kind = g["kind"].as_str().expect("kind");
        let name = g["name"].as_str().expect("name");
        let counted = employees.iter().filter(|e| in_group(e, kind, name)).count();
        assert_eq!(g["member_count"], counted, "{g}");
        assert_eq!(g["below_anonymity_threshold"], counted < 5, "{g}");
        if counted < 5 {
            small += 1;
        }
    }
    assert!(
        small > 0 && small < groups.len(),
        "want both kinds of groups"
    );

    // Members of a group, by id and by kind + name.
    let g = groups
        .iter()
        .find(|g| g["kind"] == "department")
        .expect("a department");
    let gid = g["id"].as_i64().expect("id");
    let (kind, name) = (
        g["kind"].as_str().expect("k"),
        g["name"].as_str().expect("n"),
    );
    let members = w.ok(&w.a, &format!("/groups/{gid}/members")).await;
    assert_eq!(members["group"], *g);
    assert_eq!(members["count"], g["member_count"]);
    let want: BTreeSet<i64> = employees
        .iter()
        .filter(|e| in_group(e, kind, name))
        .map(|e| e["personio_id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids(&members["employees"]), want);
    let by_id = w.ok(&w.a, &format!("/employees?group_id={gid}")).await;
    assert_eq!(ids(&by_id["employees"]), want);
    let by_name = w
        .ok(
            &w.a,
            &format!("/employees?kind={kind}&name={}", urlencode(name)),
        )
        .await;
    assert_eq!(ids(&by_name["employees"]), want);
    let both = w
        .ok(
            &w.a,
            &format!("/employees?group_id={gid}&q={}", urlencode(&last)),
        )
        .await;
    assert!(ids(&both["employees"]).is_subset(&want));
    let (status, body) = w.get(&w.a, "/groups/9223372036854775807/members").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", "");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audience_preview_follows_and_or_semantics() {
    let w = World::new().await;
    let employees = w.employees(&w.a).await;
    let departments = biggest(&employees, "department");
    let offices = biggest(&employees, "office");
    assert!(departments.len() >= 2 && offices.len() >= 2);
    let (d0, d1, o0, o1) = (&departments[0], &departments[1], &offices[0], &offices[1]);
    let pick = |f: &dyn Fn(&Value) -> bool| -> BTreeSet<i64> {
        employees
            .iter()
            .filter(|e| f(e))
            .map(|e| e["personio_id"].as_i64().expect("id"))
            .collect()
    };
    let preview = |filter: Value| {
        let w = &w;
        async move {
            let (status, v) = w
                .post(&w.a, "/audiences/preview", json!({ "filter": filter }))
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(
                v["count"].as_u64().expect("count") as usize,
                v["employees"].as_array().expect("employees").len()
            );
            ids(&v["employees"])
        }
    };

    // The example from the contract: a department AND (one office OR another).
    let got = preview(json!({"all": [
        {"kind": "department", "name": d0},
        {"any": [{"kind": "office", "name": o0}, {"kind": "office", "name": o1}]}
    ]}))
    .await;
    let want = pick(&|e: &Value| {
        in_group(e, "department", d0) && (in_group(e, "office", o0) || in_group(e, "office", o1))
    });
    assert_eq!(got, want);
    assert!(!want.is_empty(), "pick a filter that selects someone");

    // OR of two departments is their union; AND of two departments is empty.
    let got = preview(
        json!({"any": [{"kind": "department", "name": d0}, {"kind": "department", "name": d1}]}),
    )
    .await;
    assert_eq!(
        got,
        pick(&|e: &Value| in_group(e, "department", d0) || in_group(e, "department", d1))
    );
    let got = preview(
        json!({"all": [{"kind": "department", "name": d0}, {"kind": "department", "name": d1}]}),
    )
    .await;
    assert!(got.is_empty());

    // A single leaf, by name and by id, gives the group's members.
    let groups = w.ok(&w.a, "/groups").await;
    let g = groups["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["kind"] == "office" && g["name"] == o0.as_str())
        .expect("office group")
        .clone();
    let by_id = preview(json!({"group_id": g["id"]})).await;
    assert_eq!(by_id, pick(&|e: &Value| in_group(e, "office", o0)));
    assert_eq!(
        by_id.len() as i64,
        g["member_count"].as_i64().expect("count")
    );
    let nested = preview(json!({"any": [{"all": [{"group_id": g["id"]}, {"kind": "department", "name": d1}]},
                                        {"all": [{"kind": "office", "name": o1}, {"kind": "department", "name": d0}]}]}))
    .await;
    assert_eq!(
        nested,
        pick(
            &|e: &Value| (in_group(e, "office", o0) && in_group(e, "department", d1))
                || (in_group(e, "office", o1) && in_group(e, "department", d0))
        )
    );

    // A name that is no current group matches nobody.
    assert!(
        preview(json!({"kind": "office", "name": "Atlantis"}))
            .await
            .is_empty()
    );

    // Bad filters name the failing path.
    let cases = [
        (
            json!({"filter": {"all": [{"kind": "planet", "name": "x"}]}}),
            "filter.all[0].kind",
        ),
        (json!({"filter": {"all": []}}), "filter.all"),
        (
            json!({"filter": {"any": [{"kind": "office"}]}}),
            "filter.any[0].name",
        ),
        (
            json!({"filter": {"all": [{"group_id": "7"}]}}),
            "filter.all[0].group_id",
        ),
        (
            json!({"filter": {"all": [{"kind": "office", "name": "B", "extra": 1}]}}),
            "filter.all[0].extra",
        ),
        (json!({"filter": 5}), "filter"),
        (json!({}), "filter"),
        (
            json!({"filter": {"kind": "office", "name": "B"}, "limit": 3}),
            "limit",
        ),
    ];
    for (body, field) in cases {
        let (status, v) = w.post(&w.a, "/audiences/preview", body.clone()).await;
        assert_error(
            status,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            field,
        );
        assert_eq!(v["error"]["field"], field, "{body}: {v}");
    }
    let mut deep = json!({"kind": "office", "name": o0});
    for _ in 0..20 {
        deep = json!({"all": [deep]});
    }
    let (status, v) = w
        .post(&w.a, "/audiences/preview", json!({ "filter": deep }))
        .await;
    assert_error(
        status,
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unprocessable",
        "nest at most",
    );
    let (status, v) = w
        .post(
            &w.a,
            "/audiences/preview",
            json!({"filter": {"group_id": 9_000_000_000_i64}}),
        )
        .await;
    assert_error(
        status,
        &v,
        StatusCode::NOT_FOUND,
        "not_found",
        "filter.group_id",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_400_or_422_naming_the_field_never_500() {
    let w = World::new().await;
    let token = Some(w.a.token.as_str());
    let raw = |s: &str, ct: Option<&'static str>| Some(Body::Raw(s.to_owned(), ct));
    let json_ct = Some("application/json");
    let cases: Vec<Case> = vec![
        // Path ids.
        (
            Method::GET,
            "/employees/abc",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "personio_id",
        ),
        (
            Method::GET,
            "/employees/-3",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "personio_id",
        ),
        (
            Method::GET,
            "/employees/0",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "personio_id",
        ),
        (
            Method::GET,
            "/employees/99999999999999999999999",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "personio_id",
        ),
        (
            Method::GET,
            "/groups/x/members",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "id",
        ),
        (
            Method::GET,
            "/groups/1e3/members",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "id",
        ),
        (
            Method::GET,
            "/sync-runs/1.5",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "id",
        ),
        (
            Method::GET,
            "/sync-runs/99999999999999999999",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "id",
        ),
        // Query parameters.
        (
            Method::GET,
            "/employees?group_id=abc",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "group_id",
        ),
        (
            Method::GET,
            "/employees?group_id=99999999999999999999",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "group_id",
        ),
        (
            Method::GET,
            "/employees?kind=planet&name=x",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "kind",
        ),
        (
            Method::GET,
            "/employees?kind=office",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "name",
        ),
        (
            Method::GET,
            "/employees?name=Berlin",
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "kind",
        ),
        (
            Method::GET,
            "/employees?search=x",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "search",
        ),
        (
            Method::GET,
            "/employees?q=a&q=b",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "q",
        ),
        // Feedback bodies.
        (
            Method::POST,
            "/feedback",
            raw("{\"body\": ", json_ct),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "malformed JSON",
        ),
        (
            Method::POST,
            "/feedback",
            raw("", json_ct),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "empty",
        ),
        (
            Method::POST,
            "/feedback",
            raw("", None),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "empty",
        ),
        (
            Method::POST,
            "/feedback",
            raw("{} trailing", json_ct),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "malformed JSON",
        ),
        (
            Method::POST,
            "/feedback",
            raw(
                "author_personio_id=1",
                Some("application/x-www-form-urlencoded"),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "JSON",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(json!([1, 2]))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "invalid type",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(
                json!({"author_personio_id": "12", "body": "hi"}),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "author_personio_id",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(
                json!({"author_personio_id": 1e30, "body": "hi"}),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "author_personio_id",
        ),
        (
            Method::POST,
            "/feedback",
            raw(
                "{\"author_personio_id\": 99999999999999999999, \"body\": \"hi\"}",
                json_ct,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "author_personio_id",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(json!({"author_personio_id": -1, "body": "hi"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "author_personio_id",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(json!({"author_personio_id": 1, "body": 5}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "body",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(json!({"author_personio_id": 1}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "body",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(json!({"body": "hi"}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "author_personio_id",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(
                json!({"author_personio_id": 1, "author_email": "a@b.de", "body": "hi"}),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "author_email",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(
                json!({"author_personio_id": 1, "body": "hi", "rating": 5}),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "rating",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(json!({"author_personio_id": 1, "body": "   "}))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "body",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(
                json!({"author_personio_id": 1, "body": "x".repeat(10_001)}),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "body",
        ),
        (
            Method::POST,
            "/feedback",
            Some(Body::Json(
                json!({"author_email": "not-an-address", "body": "hi"}),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "author_email",
        ),
        (
            Method::POST,
            "/audiences/preview",
            raw("{\"filter\": {\"all\": [", json_ct),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "malformed JSON",
        ),
        (
            Method::POST,
            "/audiences/preview",
            raw("   ", None),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "empty",
        ),
        // Unknown paths and methods are JSON too.
        (
            Method::GET,
            "/nope",
            None,
            StatusCode::NOT_FOUND,
            "not_found",
            "no such API endpoint",
        ),
        (
            Method::DELETE,
            "/employees",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "method",
        ),
    ];
    for (method, path, body, want, code, mention) in cases {
        let label = format!("{method} {path}");
        let (status, v) = w.send(method, path, token, body).await;
        assert_eq!(status, want, "{label}: {v}");
        assert_eq!(v["error"]["code"], code, "{label}: {v}");
        let message = v["error"]["message"].as_str().expect("message");
        assert!(
            message.contains(mention),
            "{label}: {message:?} should mention {mention:?}"
        );
    }
    // Nothing was stored by any of that.
    assert!(
        w.app
            .store
            .feedback(w.a.account.id)
            .await
            .expect("feedback")
            .is_empty()
    );
    // A body of exactly 10,000 characters is fine.
    let author = w.employees(&w.a).await[0]["personio_id"].clone();
    let (status, v) = w
        .post(
            &w.a,
            "/feedback",
            json!({"author_personio_id": author, "body": "é".repeat(10_000)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_ids_are_404_and_change_nothing() {
    let w = World::new().await;
    let a_employees = w.employees(&w.a).await;
    let b_ids = ids(&Value::Array(w.employees(&w.b).await));
    let only_a: Vec<&Value> = a_employees
        .iter()
        .filter(|e| !b_ids.contains(&e["personio_id"].as_i64().expect("id")))
        .collect();
    assert!(!only_a.is_empty(), "the two companies must differ");
    let a_person = only_a[0];
    let a_id = a_person["personio_id"].as_i64().expect("id");
    let a_email = a_person["email"].as_str().expect("email").to_owned();

    let a_groups = w.ok(&w.a, "/groups").await["groups"].clone();
    let a_gid = a_groups[0]["id"].as_i64().expect("gid");
    let a_runs = w.ok(&w.a, "/sync-runs").await["runs"].clone();
    let a_run = a_runs[0]["id"].as_i64().expect("run");
    let (status, _) = w
        .post(
            &w.a,
            "/feedback",
            json!({"author_personio_id": a_id, "body": "only for acme"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let a_feedback_before = w.ok(&w.a, "/feedback").await;

    // B asks for A's things: all 404, with the same answer as for ids that do not exist.
    for path in [
        format!("/employees/{a_id}"),
        format!("/groups/{a_gid}/members"),
        format!("/employees?group_id={a_gid}"),
        format!("/sync-runs/{a_run}"),
    ] {
        let (status, v) = w.get(&w.b, &path).await;
        assert_error(status, &v, StatusCode::NOT_FOUND, "not_found", "");
        assert!(!v.to_string().contains(&a_email), "{path} leaked {v}");
    }
    let (status, v) = w
        .post(
            &w.b,
            "/audiences/preview",
            json!({"filter": {"group_id": a_gid}}),
        )
        .await;
    assert_error(status, &v, StatusCode::NOT_FOUND, "not_found", "");
    for body in [
        json!({"author_personio_id": a_id, "body": "planted"}),
        json!({"author_email": a_email, "body": "planted"}),
        json!({"author_email": a_email.to_uppercase(), "body": "planted"}),
    ] {
        let (status, v) = w.post(&w.b, "/feedback", body).await;
        assert_error(
            status,
            &v,
            StatusCode::NOT_FOUND,
            "not_found",
            "no employee",
        );
    }
    // B's lists hold only B's data.
    let b_feedback = w.ok(&w.b, "/feedback").await;
    assert_eq!(b_feedback["feedback"], json!([]));
    assert!(
        !w.ok(&w.b, "/feedback")
            .await
            .to_string()
            .contains("only for acme")
    );
    let b_runs = w.ok(&w.b, "/sync-runs").await["runs"].clone();
    assert!(b_runs.as_array().expect("runs").iter().all(|r| {
        !a_runs
            .as_array()
            .expect("runs")
            .iter()
            .any(|ar| ar["id"] == r["id"])
    }));

    // Nothing of A's changed.
    assert_eq!(w.ok(&w.a, "/feedback").await, a_feedback_before);
    assert_eq!(w.employees(&w.a).await, a_employees);
    assert_eq!(w.ok(&w.a, "/groups").await["groups"], a_groups);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_keeps_its_groups_after_the_author_is_removed() {
    let w = World::new().await;
    let employees = w.employees(&w.a).await;
    let author = &employees[3];
    let id = author["personio_id"].as_i64().expect("id");
    let email = author["email"].as_str().expect("email");

    let (status, by_id) = w
        .post(
            &w.a,
            "/feedback",
            json!({"author_personio_id": id, "body": "  The coffee machine is broken.  "}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{by_id}");
    assert_eq!(by_id["body"], "The coffee machine is broken.");
    assert_eq!(by_id["author"]["personio_id"], id);
    assert_eq!(by_id["author"]["email"], email);
    assert_eq!(by_id["groups"], author["groups"]);
    assert!(
        by_id["created_at"]
            .as_str()
            .expect("created_at")
            .contains('T')
    );

    let (status, by_mail) = w
        .post(
            &w.a,
            "/feedback",
            json!({"author_email": email.to_uppercase(), "body": "Second."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{by_mail}");
    assert_eq!(by_mail["author"]["personio_id"], id);

    let list = w.ok(&w.a, "/feedback").await["feedback"].clone();
    assert_eq!(list.as_array().expect("list").len(), 2);
    assert_eq!(list[0], by_mail, "newest first");
    assert_eq!(list[1], by_id);

    // The author leaves Personio; the next sync erases them.
    let response = w
        .app
        .http
        .delete(format!("{}/_sim/employees/{id}", w.a.sim.base_url()))
        .send()
        .await
        .expect("sim");
    assert!(response.status().is_success());
    sync(w.store(), &w.a).await;

    let (status, _) = w.get(&w.a, &format!("/employees/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let list = w.ok(&w.a, "/feedback").await["feedback"].clone();
    assert_eq!(list.as_array().expect("list").len(), 2);
    for item in list.as_array().expect("list") {
        assert_eq!(item["author"], Value::Null, "{item}");
        assert_eq!(item["groups"], author["groups"], "{item}");
        assert!(!item.to_string().contains(email), "{item}");
    }
    assert_eq!(list[1]["id"], by_id["id"]);
    assert_eq!(list[1]["body"], by_id["body"]);
    // New feedback by the removed author is refused.
    let (status, v) = w
        .post(
            &w.a,
            "/feedback",
            json!({"author_personio_id": id, "body": "ghost"}),
        )
        .await;
    assert_error(
        status,
        &v,
        StatusCode::NOT_FOUND,
        "not_found",
        "author_personio_id",
    );

    // The run history shows the removal.
    let runs = w.ok(&w.a, "/sync-runs").await["runs"].clone();
    assert_eq!(runs.as_array().expect("runs").len(), 2);
    assert_eq!(runs[0]["status"], "applied");
    assert_eq!(runs[0]["removed"], 1);
    let run = w.ok(&w.a, &format!("/sync-runs/{}", runs[0]["id"])).await;
    assert_eq!(run["run"], runs[0]);
    let changes = run["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["personio_id"] == id && c["action"] == "remove"),
        "{run}"
    );
    // The first run created everyone.
    let first = w.ok(&w.a, &format!("/sync-runs/{}", runs[1]["id"])).await;
    let created = first["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["action"] == "create")
        .count();
    assert_eq!(
        created as i64,
        runs[1]["created"].as_i64().expect("created")
    );
    let (status, v) = w.get(&w.a, "/sync-runs/9223372036854775807").await;
    assert_error(status, &v, StatusCode::NOT_FOUND, "not_found", "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_sync_queues_a_run_now() {
    let w = World::new().await;
    let b_before = w.store().schedule(w.b.account.id).await.expect("schedule");
    let before = time::OffsetDateTime::now_utc();
    let (status, v) = w.send(Method::POST, "/sync", Some(&w.a.token), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v, json!({"queued": true}));
    // Asked again while it is queued: the same one, not a second.
    let (status, again) = w.send(Method::POST, "/sync", Some(&w.a.token), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again, json!({"queued": true, "already_queued": true}));
    let schedule = w
        .store()
        .schedule(w.a.account.id)
        .await
        .expect("schedule")
        .expect("a connected account has a schedule");
    assert!(schedule.next_run_at <= time::OffsetDateTime::now_utc());
    assert!(schedule.next_run_at >= before - time::Duration::seconds(1));
    assert_eq!(schedule.accept_run, None, "the API never accepts deletions");

    // B's schedule is not touched by A's request.
    let b_after = w.store().schedule(w.b.account.id).await.expect("schedule");
    assert_eq!(
        b_before.map(|s| s.next_run_at),
        b_after.map(|s| s.next_run_at)
    );

    // Once that sync has run, asking again within a minute is refused (429, Retry-After):
    // each full sync costs a Personio authentication, of which Personio allows few.
    let now = time::OffsetDateTime::now_utc();
    let claimed = w
        .store()
        .claim_due("test", now, now + time::Duration::seconds(60), 10)
        .await
        .expect("claim");
    assert!(claimed.iter().any(|l| l.account() == w.a.account.id));
    for lease in claimed {
        w.app
            .store
            .release(
                lease,
                now + time::Duration::hours(1),
                &staffsync_store::ScheduleOutcome::Succeeded,
            )
            .await
            .expect("release");
    }
    let r = w
        .app
        .http
        .post(w.api("/sync"))
        .bearer_auth(&w.a.token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "too_many_requests", "{v}");
    let schedule = w.store().schedule(w.a.account.id).await.expect("schedule");
    assert_eq!(
        schedule.and_then(|s| s.requested_at),
        None,
        "nothing queued"
    );

    // An account without a Personio connection: 409.
    let lone = w
        .store()
        .create_account(
            &AccountSlug::parse("initech").expect("slug"),
            "Initech",
            &Default::default(),
        )
        .await
        .expect("account");
    let token = api_token(w.store(), lone.id, "t").await;
    let (status, v) = w.send(Method::POST, "/sync", Some(&token), None).await;
    assert_error(
        status,
        &v,
        StatusCode::CONFLICT,
        "conflict",
        "not connected",
    );
    let (status, v) = w.send(Method::GET, "/employees", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_json_keys_are_400_naming_the_key() {
    let w = World::new().await;
    let token = Some(w.a.token.as_str());
    let json_ct = Some("application/json");
    let author = w.employees(&w.a).await[0]["personio_id"].clone();
    for (path, body, field) in [
        (
            "/feedback",
            format!(r#"{{"author_personio_id": {author}, "body": "a", "body": "b"}}"#),
            "body",
        ),
        (
            "/audiences/preview",
            r#"{"filter": {"kind": "department", "kind": "office", "name": "x"}}"#.to_owned(),
            "filter.kind",
        ),
    ] {
        let (status, v) = w
            .send(Method::POST, path, token, Some(Body::Raw(body, json_ct)))
            .await;
        assert_error(
            status,
            &v,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "duplicate",
        );
        assert_eq!(v["error"]["field"], field, "{path}: {v}");
    }
    assert!(
        w.app
            .store
            .feedback(w.a.account.id)
            .await
            .expect("feedback")
            .is_empty(),
        "nothing stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_error_is_json_with_the_security_headers() {
    let w = World::new().await;
    for (method, path, token, want) in [
        (Method::GET, "/api/v1", true, StatusCode::NOT_FOUND),
        (Method::GET, "/api/v1/", true, StatusCode::NOT_FOUND),
        (
            Method::GET,
            "/api/v1/no/such/thing",
            true,
            StatusCode::NOT_FOUND,
        ),
        (Method::GET, "/api/v1/no-such", false, StatusCode::NOT_FOUND),
        (
            Method::PUT,
            "/api/v1/openapi.json",
            false,
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Method::PATCH,
            "/api/v1/sync",
            true,
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Method::GET,
            "/api/v1/employees/abc",
            true,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/api/v1/employees?limit=%FF%FE",
            true,
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let mut req = w.app.http.request(method.clone(), w.app.url(path));
        if token {
            req = req.bearer_auth(&w.a.token);
        }
        let r = req.send().await.expect("request");
        let label = format!("{method} {path}");
        assert_eq!(r.status(), want, "{label}");
        let headers = r.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("application/json"),
            "{label}: {headers:?}"
        );
        for name in ["x-content-type-options", "cache-control", "x-frame-options"] {
            assert!(headers.contains_key(name), "{label}: no {name}");
        }
        let v: Value = r.json().await.expect("JSON body");
        assert!(v["error"]["code"].is_string(), "{label}: {v}");
        assert!(v["error"]["message"].is_string(), "{label}: {v}");
    }
}

/// The biggest department of `t`'s directory, and its members' ids.
async fn biggest_department(w: &World, t: &Tenant) -> (String, BTreeSet<i64>) {
    let employees = w.employees(t).await;
    let name = biggest(&employees, "department")[0].clone();
    let members = employees
        .iter()
        .filter(|e| in_group(e, "department", &name))
        .map(|e| e["personio_id"].as_i64().expect("id"))
        .collect();
    (name, members)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_read_replaced_and_versioned() {
    let w = World::new().await;
    let (status, doc) = w.get(&w.a, "/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["scope"], json!({"include": [], "exclude": []}));
    assert_eq!(
        doc["groups"]["attributes"],
        json!([
            "department",
            "office",
            "team",
            "position",
            "subcompany",
            "cost_centers"
        ])
    );
    assert_eq!(
        doc["deletion_guard"],
        json!({"max_share": 0.2, "min_people": 5})
    );
    let wanted = json!({
        "scope": {"include": [], "exclude": [{"attribute": "position", "values": ["Nobody Has This"]}]},
        "groups": {"attributes": ["department", "team"], "reporting_lines": true, "tenure": true,
                   "age": {"attribute": "dynamic_99001"}},
        "keep_attributes": ["Standort"],
        "keep_on_leave": true,
        "deletion_guard": {"max_share": 0.1, "min_people": 3},
        "notify": ["hr@acme.example"],
    });
    let (status, saved) = w
        .send(
            Method::PUT,
            "/settings",
            Some(&w.a.token),
            Some(Body::Json(wanted.clone())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved, wanted);
    assert_eq!(w.ok(&w.a, "/settings").await, wanted);
    // The other account's settings are untouched.
    assert_eq!(w.ok(&w.b, "/settings").await, doc);
    let history = w
        .store()
        .settings_history(w.a.account.id, 10)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].changed_by, "api");
    // Saving queued a full sync.
    let schedule = w.store().schedule(w.a.account.id).await.unwrap().unwrap();
    assert!(schedule.requested_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_token_cannot_loosen_the_deletion_guard_nor_remove_everyone() {
    let w = World::new().await;
    let put = |doc: Value| {
        w.send(
            Method::PUT,
            "/settings",
            Some(&w.a.token),
            Some(Body::Json(doc)),
        )
    };
    let before = w.ok(&w.a, "/settings").await;
    let directory = w.employees(&w.a).await;
    let everyone_out =
        json!({"attribute": "status", "values": ["active", "leave", "inactive", "onboarding"]});
    // The attack as reported: switch the guard off, then exclude every status.
    for (guard, field) in [
        (
            json!({"max_share": 1.0, "min_people": 5}),
            "deletion_guard.max_share",
        ),
        (
            json!({"max_share": 0.2, "min_people": 1_000_000}),
            "deletion_guard.min_people",
        ),
    ] {
        let doc = json!({"scope": {"exclude": [everyone_out.clone()]}, "deletion_guard": guard});
        let (status, err) = put(doc).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
        assert_eq!(err["error"]["code"], "forbidden", "{err}");
        assert_eq!(err["error"]["field"], field, "{err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("web app") && message.contains("staffsync settings"),
            "names where a person can do it: {message}"
        );
    }
    assert_eq!(w.ok(&w.a, "/settings").await, before, "nothing saved");
    assert!(
        w.app
            .store
            .settings_history(w.a.account.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The rule alone is the token's to set, but the guard holds what it would remove.
    let doc = json!({"scope": {"exclude": [everyone_out]}});
    let (status, saved) = put(doc).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let account = w
        .store()
        .account_by_id(w.a.account.id)
        .await
        .unwrap()
        .unwrap();
    sync_account(w.store(), &account).await;
    let runs = w.store().runs(w.a.account.id).await.unwrap();
    assert_eq!(
        runs[0].status,
        staffsync_store::RunStatus::Held,
        "{:?}",
        runs[0]
    );
    assert_eq!(w.employees(&w.a).await, directory, "nobody removed");
    // Tightening is fine.
    let doc = json!({"deletion_guard": {"max_share": 0.05, "min_people": 2}});
    let (status, saved) = put(doc).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_settings_are_422_naming_the_field_and_change_nothing() {
    let w = World::new().await;
    let before = w.ok(&w.a, "/settings").await;
    let rule = |attribute: Value| json!({"attribute": attribute, "values": ["x"]});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"scope": {"exclude": [rule(json!("team")), rule(json!("office")), rule(json!(""))]}}),
            "scope.exclude[2].attribute",
        ),
        (
            json!({"scope": {"exclude": [rule(json!(7))]}}),
            "scope.exclude[0].attribute",
        ),
        (
            json!({"scope": {"include": [{"attribute": "team", "values": []}]}}),
            "scope.include[0].values",
        ),
        (
            json!({"scope": {"include": [{"attribute": "team"}]}}),
            "scope.include[0]",
        ),
        (json!({"scope": {"include": "team"}}), "scope.include"),
        (json!({"groups": {"tenure": "yes"}}), "groups.tenure"),
        (
            json!({"groups": {"attributes": ["team", " TEAM "]}}),
            "groups.attributes[1]",
        ),
        (
            json!({"deletion_guard": {"max_share": 0, "min_people": 5}}),
            "deletion_guard.max_share",
        ),
        (
            json!({"deletion_guard": {"max_share": 0.2, "min_people": -1}}),
            "deletion_guard.min_people",
        ),
        (
            json!({"deletion_guard": {"max_share": 0.2}}),
            "deletion_guard",
        ),
        (json!({"notify": ["not an address"]}), "notify[0]"),
        (json!({"keep_on_leave": null}), "keep_on_leave"),
        (json!({"kep_on_leave": true}), "kep_on_leave"),
        (
            json!({"scope": {"exclude": [rule(json!("Shoe size"))]}}),
            "scope.exclude[0].attribute",
        ),
    ];
    for (body, field) in cases {
        for path in ["/settings", "/settings/preview"] {
            let method = if path == "/settings" {
                Method::PUT
            } else {
                Method::POST
            };
            let (status, err) = w
                .send(
                    method,
                    path,
                    Some(&w.a.token),
                    Some(Body::Json(body.clone())),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {body}: {err}"
            );
            assert_eq!(err["error"]["field"], field, "{path} {body}: {err}");
        }
    }
    // An attribute Personio does not send says where to tick it.
    let (_, err) = w
        .send(
            Method::PUT,
            "/settings",
            Some(&w.a.token),
            Some(Body::Json(
                json!({"scope": {"exclude": [rule(json!("Shoe size"))]}}),
            )),
        )
        .await;
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Einstellungen → API-Zugangsdaten → Attribute"),
        "{message}"
    );
    // Not JSON, or not an object: 400 / 422, never 500.
    for (raw, want) in [
        ("{", StatusCode::BAD_REQUEST),
        ("[]", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, err) = w
            .send(
                Method::PUT,
                "/settings",
                Some(&w.a.token),
                Some(Body::Raw(raw.into(), Some("application/json"))),
            )
            .await;
        assert_eq!(status, want, "{raw}: {err}");
    }
    assert_eq!(w.ok(&w.a, "/settings").await, before);
    assert!(
        w.app
            .store
            .settings_history(w.a.account.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_preview_shows_what_a_rule_would_remove_and_changes_nothing() {
    let w = World::new().await;
    let (department, members) = biggest_department(&w, &w.a).await;
    let employees_before = w.employees(&w.a).await;
    let doc = json!({"scope": {"exclude": [{"attribute": "department", "values": [format!("  {} ", department.to_uppercase())]}]}});
    let (status, preview) = w.post(&w.a, "/settings/preview", doc).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["removals"], members.len(), "{preview}");
    assert_eq!(preview["creates"], 0, "{preview}");
    let person_ids = |list: &Value| -> BTreeSet<i64> {
        let list = list.as_array().expect("people");
        list.iter().map(|p| p["id"].as_i64().expect("id")).collect()
    };
    assert_eq!(person_ids(&preview["people"]["removals"]), members);
    // Excluded: the department's members (removed, with their names) and anyone else of
    // it Personio lists who is not in the directory (not started, say): never imported.
    let excluded = preview["people"]["excluded"].as_array().unwrap();
    assert_eq!(preview["excluded"], excluded.len(), "{preview}");
    for p in excluded {
        assert!(p["rule"].as_str().unwrap().contains("department"), "{p}");
        let id = p["id"].as_i64().unwrap();
        let in_directory = employees_before.iter().any(|e| e["personio_id"] == id);
        assert_eq!(in_directory, members.contains(&id), "{p}");
        assert_eq!(!p["name"].as_str().unwrap().is_empty(), in_directory, "{p}");
    }
    assert!(members.is_subset(&person_ids(&preview["people"]["excluded"])));
    // The department's group goes with its members.
    assert!(
        preview["groups_removed"].as_u64().unwrap() >= 1,
        "{preview}"
    );
    let held = members.len() as f64 > 0.2 * employees_before.len() as f64 && members.len() >= 5;
    assert_eq!(preview["held"], held, "{preview}");
    // Nothing changed: not the directory, not the settings.
    assert_eq!(w.employees(&w.a).await, employees_before);
    assert_eq!(w.ok(&w.a, "/settings").await["scope"]["exclude"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporting_lines_and_tenure_groups_are_keyed_and_filterable() {
    let w = World::new().await;
    let settings = staffsync_core::Settings {
        groups: staffsync_core::GroupSettings {
            reporting_lines: true,
            tenure: true,
            ..Default::default()
        },
        ..Default::default()
    };
    w.app
        .store
        .set_settings(w.a.account.id, &settings, "test")
        .await
        .unwrap();
    let account = w
        .store()
        .account_by_id(w.a.account.id)
        .await
        .unwrap()
        .unwrap();
    sync_account(w.store(), &account).await;
    let employees = w.employees(&w.a).await;
    let name_of = |id: i64| {
        let e = employees
            .iter()
            .find(|e| e["personio_id"] == id)
            .unwrap_or_else(|| panic!("manager {id} is in the directory"));
        format!(
            "{} {}",
            e["first_name"].as_str().unwrap(),
            e["last_name"].as_str().unwrap()
        )
    };
    let groups = w.ok(&w.a, "/groups").await["groups"]
        .as_array()
        .unwrap()
        .clone();
    let tenure: Vec<&Value> = groups.iter().filter(|g| g["kind"] == "tenure").collect();
    assert!(!tenure.is_empty(), "tenure groups exist");
    let bands = [
        "lt_3m", "3_6m", "6_12m", "1_2y", "2_4y", "4_6y", "6_10y", "10y_plus",
    ];
    let members: i64 = tenure
        .iter()
        .map(|g| g["member_count"].as_i64().unwrap())
        .sum();
    let hired = employees
        .iter()
        .filter(|e| !e["hire_date"].is_null())
        .count();
    assert_eq!(
        members as usize, hired,
        "everyone with a hire date is in one band"
    );
    for g in &tenure {
        assert!(bands.contains(&g["key"].as_str().unwrap()), "{g}");
        assert!(g["name_en"].is_string(), "{g}");
    }
    let all_reports: Vec<&Value> = groups
        .iter()
        .filter(|g| g["kind"] == "reports_all")
        .collect();
    assert!(!all_reports.is_empty(), "reporting lines exist");
    for g in groups
        .iter()
        .filter(|g| g["kind"] == "reports_all" || g["kind"] == "reports_direct")
    {
        let manager = g["manager_personio_id"].as_i64().expect("manager id");
        assert_eq!(g["name"], name_of(manager), "{g}");
    }
    // The audience filter by manager and by band selects exactly the group's members.
    let top = all_reports
        .iter()
        .max_by_key(|g| g["member_count"].as_i64().unwrap())
        .unwrap();
    let manager = top["manager_personio_id"].as_i64().unwrap();
    let (status, by_manager) = w
        .post(
            &w.a,
            "/audiences/preview",
            json!({"filter": {"kind": "reports_all", "manager_personio_id": manager}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_manager}");
    let members = w.ok(&w.a, &format!("/groups/{}/members", top["id"])).await;
    assert_eq!(ids(&by_manager["employees"]), ids(&members["employees"]));
    assert_eq!(members["group"]["name"], name_of(manager));
    assert!(
        !ids(&by_manager["employees"]).contains(&manager),
        "a manager is not in their own group"
    );
    // Feedback by someone in that line snapshots it, named after the manager, both in the
    // answer and in the list.
    let author = *ids(&by_manager["employees"]).first().expect("a member");
    let (status, created) = w
        .post(
            &w.a,
            "/feedback",
            json!({"author_personio_id": author, "body": "Gute Woche"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let listed = w.ok(&w.a, "/feedback").await;
    for feedback in [&created, &listed["feedback"][0]] {
        let line = feedback["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["kind"] == "reports_all" && g["manager_personio_id"] == manager)
            .unwrap_or_else(|| panic!("the snapshot has the line: {feedback}"));
        assert_eq!(line["name"], name_of(manager), "{feedback}");
    }
    let band = tenure[0];
    let (status, by_band) = w
        .post(
            &w.a,
            "/audiences/preview",
            json!({"filter": {"kind": "tenure", "key": band["key"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_band}");
    assert_eq!(by_band["count"], band["member_count"]);
    // Bad leaves name their field.
    for (filter, field) in [
        (json!({"kind": "tenure", "key": "5y"}), "filter.key"),
        (json!({"kind": "tenure", "name": "1_2y"}), "filter.name"),
        (
            json!({"kind": "reports_all", "name": "x"}),
            "filter.manager_personio_id",
        ),
        (
            json!({"kind": "reports_direct", "manager_personio_id": "7"}),
            "filter.manager_personio_id",
        ),
    ] {
        let (status, err) = w
            .post(&w.a, "/audiences/preview", json!({"filter": filter}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{filter}: {err}");
        assert_eq!(err["error"]["field"], field, "{filter}: {err}");
    }
}
