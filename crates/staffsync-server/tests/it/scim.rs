//! The SCIM endpoint's edges over HTTP: answers without a body of their own become SCIM
//! error bodies, bodies are JSON of the two SCIM types and at most 1 MiB, and a token
//! over its request rate is answered 429 with `Retry-After` while another token is not;
//! and the Groups protocol as Entra and Okta speak it (list with filters and paging,
//! POST, GET, PUT, PATCH of members in batches and of displayName, DELETE).

use crate::common::{TestApp, scim_account, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use staffsync_server::api::tokens::{generate_token, hash_token};
use staffsync_store::TokenScope;

async fn scim_token(app: &TestApp, slug: &str) -> String {
    let account = scim_account(&app.store, slug, slug).await;
    let token = generate_token();
    app.store
        .create_token(account.id, &hash_token(&token), "Okta", TokenScope::Scim)
        .await
        .unwrap();
    token
}

async fn error_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let ct = r.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(ct, "application/scim+json", "{status}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], status.as_u16().to_string());
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn scim_edges_answer_scim_errors() {
    let app = spawn_app(|_| {}).await;
    let token = scim_token(&app, "idp").await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}/scim/v2{p}", app.base);

    let (status, body) = error_of(
        http.get(url("/Bogus"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = error_of(
        http.put(url("/Users"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
    let (status, body) = error_of(
        http.post(url("/Users"))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body("userName=x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let big = format!(
        r#"{{"userName":"x","nickName":"{}"}}"#,
        "x".repeat(1024 * 1024)
    );
    let (status, body) = error_of(
        http.post(url("/Users"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["scimType"], "tooLarge");
    let (status, body) = error_of(
        http.post(url("/Users"))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidSyntax");
    // Discovery needs no token.
    let r = http.get(url("/Schemas")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_over_its_rate_is_answered_429_and_others_are_not() {
    // 50 a second, 100 at once: a client asking faster than that runs dry.
    let app = spawn_app(|c| c.scim_rate = 50).await;
    let busy = scim_token(&app, "busy").await;
    let calm = scim_token(&app, "calm").await;
    let http = reqwest::Client::new();
    let url = format!("{}/scim/v2/Users?count=0", app.base);
    let mut limited = None;
    // One request after another, each answered in well under 20 ms.
    for _ in 0..10_000 {
        let r = http.get(&url).bearer_auth(&busy).send().await.unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let r = limited.expect("the busy token was never limited");
    assert!(r.headers().contains_key(reqwest::header::RETRY_AFTER));
    let (_, body) = error_of(r).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("requests a second"),
        "{body}"
    );
    let r = http.get(&url).bearer_auth(&calm).send().await.unwrap();
    assert_eq!(r.status(), 200, "another token keeps its own budget");
}

/// A SCIM client of one token.
struct Scim {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Scim {
    /// A client of a new SCIM account `slug`.
    async fn of(app: &TestApp, slug: &str) -> Scim {
        Scim {
            http: reqwest::Client::new(),
            base: app.base.clone(),
            token: scim_token(app, slug).await,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/scim/v2{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
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

    async fn user(&self, name: &str) -> String {
        let (status, body) = self
            .post("/Users", json!({"userName": format!("{name}@acme.de"), "name": {"givenName": name, "familyName": "X"}}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }
}

fn members(group: &Value) -> Vec<String> {
    let mut m: Vec<String> = group["members"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    m.sort();
    m
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_speak_scim_as_entra_and_okta_send_it() {
    let app = spawn_app(|_| {}).await;
    let c = Scim::of(&app, "acme").await;
    let other = Scim::of(&app, "beta").await;
    // SCIM tokens only: an API token opens no group.
    let api_token = staffsync_server::api::tokens::generate_token();
    let account = app.store.accounts().await.unwrap()[0].id;
    app.store
        .create_api_token(account, &hash_token(&api_token), "survey app")
        .await
        .unwrap();
    let api = Scim {
        http: reqwest::Client::new(),
        base: app.base.clone(),
        token: api_token,
    };
    let (status, body) = api.get("/Groups").await;
    assert_eq!(status, 401, "{body}");
    let (ada, bob, cy) = (c.user("ada").await, c.user("bob").await, c.user("cy").await);
    let theirs = other.user("ada").await;

    // Discovery lists Group and its schema.
    let (_, types) = c.get("/ResourceTypes").await;
    assert_eq!(types["totalResults"], 2, "{types}");
    let (status, group_type) = c.get("/ResourceTypes/Group").await;
    assert_eq!(
        (status, &group_type["endpoint"]),
        (StatusCode::OK, &json!("/Groups"))
    );
    let core_group = "urn:ietf:params:scim:schemas:core:2.0:Group";
    let (status, schema) = c.get(&format!("/Schemas/{core_group}")).await;
    assert_eq!(status, 200, "{schema}");
    assert_eq!(schema["attributes"][0]["name"], "displayName");

    // Entra creates the group empty, then adds members in a batch.
    let (status, sales) = c
        .post("/Groups", json!({"schemas": [core_group], "displayName": "Vertrieb", "externalId": "e-1", "members": []}))
        .await;
    assert_eq!(status, 201, "{sales}");
    assert_eq!(sales["schemas"], json!([core_group]));
    assert_eq!(sales["meta"]["resourceType"], "Group");
    let id = sales["id"].as_str().unwrap().to_owned();
    let path = format!("/Groups/{id}");
    let (status, body) = c
        .patch(&path, json!([{"op": "Add", "path": "members", "value": [{"value": ada}, {"value": bob}, {"value": cy}]}]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(members(&body), sorted(&[&ada, &bob, &cy]));

    // Duplicate names (ignoring case) are 409 uniqueness; unknown and other accounts'
    // members are 400 invalidValue naming them, and change nothing.
    let (status, body) = c.post("/Groups", json!({"displayName": "VERTRIEB"})).await;
    assert_eq!(
        (status, &body["scimType"]),
        (StatusCode::CONFLICT, &json!("uniqueness")),
        "{body}"
    );
    assert!(
        body["detail"].as_str().unwrap().contains("VERTRIEB"),
        "{body}"
    );
    let (status, body) = c
        .patch(&path, json!([{"op": "add", "path": "members", "value": [{"value": theirs}, {"value": "no-such-user"}]}]))
        .await;
    assert_eq!(
        (status, &body["scimType"]),
        (StatusCode::BAD_REQUEST, &json!("invalidValue")),
        "{body}"
    );
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains(&theirs) && detail.contains("no-such-user"),
        "{detail}"
    );
    let (status, body) = c
        .post(
            "/Groups",
            json!({"displayName": "Neu", "members": [{"value": "ghost"}]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("ghost"), "{body}");
    let (_, body) = c.get(&path).await;
    assert_eq!(members(&body), sorted(&[&ada, &bob, &cy]));

    // Entra removes by a value filter, Okta by a list; a rename keeps the id.
    let (status, body) = c
        .patch(
            &path,
            json!([{"op": "Remove", "path": format!("members[value eq \"{cy}\"]")}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(members(&body), sorted(&[&ada, &bob]));
    let (status, body) = c
        .patch(
            &path,
            json!([
                {"op": "Remove", "path": "members", "value": [{"value": bob}]},
                {"op": "Replace", "path": "displayName", "value": "Vertrieb Nord"}
            ]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (members(&body), &body["displayName"]),
        (vec![ada.clone()], &json!("Vertrieb Nord"))
    );
    assert_eq!(body["externalId"], "e-1");
    // Okta renames without a path, repeating the group's id; another id is refused.
    let (status, body) = c
        .patch(
            &path,
            json!([{"op": "replace", "value": {"id": id, "displayName": "Vertrieb Süd"}}]),
        )
        .await;
    assert_eq!(
        (status, &body["displayName"]),
        (StatusCode::OK, &json!("Vertrieb Süd")),
        "{body}"
    );
    let (status, body) = c
        .patch(
            &path,
            json!([{"op": "replace", "value": {"id": "other", "displayName": "x"}}]),
        )
        .await;
    assert_eq!(
        (status, &body["scimType"]),
        (StatusCode::BAD_REQUEST, &json!("mutability")),
        "{body}"
    );
    let (status, body) = c
        .patch(
            &path,
            json!([{"op": "Replace", "path": "displayName", "value": "Vertrieb Nord"}]),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Lists filter on displayName, externalId and id, page, and project.
    let (_, all) = c
        .post(
            "/Groups",
            json!({"displayName": "Alle", "members": [{"value": ada}, {"value": bob}]}),
        )
        .await;
    let (_, found) = c
        .get("/Groups?filter=displayName%20eq%20%22vertrieb%20nord%22")
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], id.as_str());
    let (_, found) = c
        .get("/Groups?filter=externalId%20eq%20%22e-1%22%20or%20displayName%20eq%20%22Alle%22")
        .await;
    assert_eq!(found["totalResults"], 2, "{found}");
    let (_, found) = c
        .get(&format!(
            "/Groups?filter=id%20eq%20%22{}%22&excludedAttributes=members",
            all["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert!(found["Resources"][0].get("members").is_none(), "{found}");
    assert_eq!(found["Resources"][0]["displayName"], "Alle");
    let (_, found) = c
        .get(&format!("/Groups?filter=members.value%20eq%20%22{bob}%22"))
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["displayName"], "Alle");
    let (_, page) = c
        .get("/Groups?startIndex=2&count=1&attributes=displayName")
        .await;
    assert_eq!(
        (page["totalResults"].as_u64(), page["itemsPerPage"].as_u64()),
        (Some(2), Some(1)),
        "{page}"
    );
    assert_eq!(page["Resources"][0]["displayName"], "Alle");
    assert_eq!(page["Resources"][0]["id"], all["id"]);
    let (_, none) = other.get("/Groups").await;
    assert_eq!(none["totalResults"], 0, "another account's groups: {none}");
    assert_eq!(other.get(&path).await.0, 404);

    // PUT replaces name and members; a deleted user leaves the group.
    let (status, body) = c
        .send(
            reqwest::Method::PUT,
            &path,
            Some(json!({"displayName": "Vertrieb", "members": [{"value": bob}, {"value": cy}]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(members(&body), sorted(&[&bob, &cy]));
    assert_eq!(body.get("externalId"), None, "PUT replaces the whole group");
    assert_eq!(
        c.send(reqwest::Method::DELETE, &format!("/Users/{cy}"), None)
            .await
            .0,
        204
    );
    assert_eq!(members(&c.get(&path).await.1), vec![bob.clone()]);

    assert_eq!(
        other.send(reqwest::Method::DELETE, &path, None).await.0,
        404
    );
    assert_eq!(c.send(reqwest::Method::DELETE, &path, None).await.0, 204);
    let (status, body) = c.get(&path).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(c.get("/Groups").await.1["totalResults"], 1);
}

/// Member batches of one group sent at once (as an identity provider's parallel workers
/// may) all land: a PATCH that raced another is applied again to what that one left,
/// instead of writing the member list it read before.
#[tokio::test(flavor = "multi_thread")]
async fn member_batches_sent_at_once_all_land() {
    let app = spawn_app(|_| {}).await;
    let c = Scim::of(&app, "acme").await;
    let mut ids = Vec::new();
    for n in 0..80 {
        ids.push(c.user(&format!("q{n}")).await);
    }
    let (status, group) = c.post("/Groups", json!({"displayName": "Parallel"})).await;
    assert_eq!(status, 201, "{group}");
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());
    let patches = ids.chunks(5).map(|batch| {
        let value: Vec<Value> = batch.iter().map(|id| json!({"value": id})).collect();
        let path = path.clone();
        let c = &c;
        async move {
            c.patch(
                &path,
                json!([{"op": "add", "path": "members", "value": value}]),
            )
            .await
        }
    });
    for (status, body) in futures::future::join_all(patches).await {
        assert_eq!(status, 200, "{body}");
    }
    let (_, read) = c.get(&path).await;
    let mut all = ids.clone();
    all.sort();
    assert_eq!(
        members(&read),
        all,
        "every batch's members are in the group"
    );
}

/// Entra adds the members of a large group in PATCH batches: 1,000 users in batches of
/// 100 all end up members, each batch written as a change of the batch (the time each
/// batch took is printed, not asserted).
#[tokio::test(flavor = "multi_thread")]
async fn a_large_group_fills_in_batches() {
    let app = spawn_app(|_| {}).await;
    let c = Scim::of(&app, "acme").await;
    let started = std::time::Instant::now();
    let mut ids = Vec::new();
    for n in 0..1000 {
        ids.push(c.user(&format!("p{n}")).await);
    }
    let users = started.elapsed();
    let (status, group) = c.post("/Groups", json!({"displayName": "Alle"})).await;
    assert_eq!(status, 201, "{group}");
    let path = format!("/Groups/{}", group["id"].as_str().unwrap());
    let mut slowest = std::time::Duration::ZERO;
    let started = std::time::Instant::now();
    for batch in ids.chunks(100) {
        let value: Vec<Value> = batch.iter().map(|id| json!({"value": id})).collect();
        let at = std::time::Instant::now();
        let (status, body) = c
            .patch(
                &path,
                json!([{"op": "Add", "path": "members", "value": value}]),
            )
            .await;
        slowest = slowest.max(at.elapsed());
        assert_eq!(status, 200, "{body}");
    }
    let batches = started.elapsed();
    let (_, read) = c.get(&path).await;
    let mut all = ids.clone();
    all.sort();
    assert_eq!(members(&read), all);
    println!(
        "1,000 users created in {users:?}; 10 PATCH batches of 100 members in {batches:?} (slowest {slowest:?})"
    );
}
