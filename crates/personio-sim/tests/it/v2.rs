//! Personio v2 and webhooks in the simulator: token, persons paging and filters,
//! employments, lookups, v1/v2 agreement, webhook subscriptions and deliveries (to a tiny
//! axum receiver), the delivery mode and the clock.
use crate::common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use common::{Sim, TODAY, config, id_of, start, val};
use personio_sim::{DeliveryOutcome, SimConfig, WebhookMode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn v2_token(sim: &Sim) -> String {
    let r = sim
        .http
        .post(sim.url("/v2/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cid"),
            ("client_secret", "secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

/// Every person of `/v2/persons`, following `next.href` until it is absent.
async fn walk_v2(sim: &Sim, token: &str, first: &str) -> (Vec<Value>, Vec<String>) {
    let mut out = Vec::new();
    let mut hrefs = Vec::new();
    let mut path = first.to_string();
    for _ in 0..1000 {
        let url = if path.starts_with("http") {
            path.clone()
        } else {
            sim.url(&path)
        };
        let r = sim.http.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        out.extend(v["_data"].as_array().unwrap().iter().cloned());
        match v["_meta"]["links"]["next"]["href"].as_str() {
            Some(h) => {
                hrefs.push(h.to_string());
                path = h.to_string();
            }
            None => return (out, hrefs),
        }
    }
    panic!("paging never ended");
}

/// Polls `f` until it is true; fails after 10 s.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A webhook receiver: records `(Authorization, body)`; answers 500 while `fail` > 0.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, Value)>>>,
    fail: Arc<AtomicU32>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let rx = Receiver::default();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |State(rx): State<Receiver>, headers: HeaderMap, body: String| async move {
                        let auth = headers
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default();
                        rx.got
                            .lock()
                            .unwrap()
                            .push((auth, serde_json::from_str(&body).unwrap()));
                        let failing = rx
                            .fail
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        if failing {
                            AxumStatus::INTERNAL_SERVER_ERROR
                        } else {
                            AxumStatus::OK
                        }
                    },
                ),
            )
            .with_state(rx.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (rx, url)
    }

    fn events(&self) -> Vec<(String, Value)> {
        self.got.lock().unwrap().clone()
    }

    /// Event names received for `person_id`.
    fn names_for(&self, person_id: u64) -> Vec<String> {
        self.events()
            .iter()
            .filter(|(_, b)| b["payload"]["person_id"].as_str() == Some(&person_id.to_string()))
            .map(|(_, b)| b["event_name"].as_str().unwrap().to_string())
            .collect()
    }
}

async fn subscribe(sim: &Sim, token: &str, url: &str, events: &[&str]) -> Value {
    let r = sim
        .http
        .post(sim.url("/v2/webhooks"))
        .bearer_auth(token)
        .json(&json!({"url": url, "enabled_events": events, "description": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

const ALL_EVENTS: &[&str] = &[
    "person.created",
    "person.updated",
    "person.deleted",
    "employment.created",
    "employment.updated",
    "employment.deleted",
    "employment.started",
    "employment.terminated",
];

#[tokio::test]
async fn token_ok_invalid_client_and_token_kinds() {
    let sim = start(config(5)).await;
    let r = sim
        .http
        .post(sim.url("/v2/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cid"),
            ("client_secret", "secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert!(v["access_token"].as_str().unwrap().starts_with("papi-"));
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 86400);
    assert!(v["scope"].is_string());

    let r = sim
        .http
        .post(sim.url("/v2/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cid"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_client");
    assert!(v["error_description"].is_string());

    // v2 endpoints take v2 tokens only, v1 endpoints v1 tokens only.
    let v1 = sim.token().await;
    let v2 = v2_token(&sim).await;
    assert_ne!(v1, v2);
    let r = sim.get("/v2/persons", &v1).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["personio_trace_id"].is_string());
    assert_eq!(
        sim.get("/v1/company/employees", &v2).await.status,
        StatusCode::UNAUTHORIZED
    );
    sim.get_ok("/v2/persons", &v2).await;
    let stats = sim.handle.stats();
    assert_eq!(stats.requests.v2_token, 3);
    assert_eq!(stats.requests.v2_persons, 2);
}

#[tokio::test]
async fn persons_page_by_cursor_relative_and_absolute() {
    let sim = start(config(120)).await;
    let token = v2_token(&sim).await;
    let (all, hrefs) = walk_v2(&sim, &token, "/v2/persons?limit=50").await;
    assert_eq!(all.len(), 120);
    assert_eq!(hrefs.len(), 2);
    assert!(hrefs.iter().all(|h| h.starts_with("/v2/persons?")));
    let ids: Vec<u64> = all
        .iter()
        .map(|p| p["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered by id");

    let r = sim
        .control(
            Method::PUT,
            "/_sim/quirks",
            Some(json!({"v2_absolute_next": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (again, hrefs) = walk_v2(&sim, &token, "/v2/persons?limit=50").await;
    assert!(hrefs.iter().all(|h| h.starts_with(&sim.base)));
    assert_eq!(again, all);
    // Default limit: pages of 10.
    let v = sim.get_ok("/v2/persons", &token).await;
    assert_eq!(v["_data"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn bad_limit_and_cursor_get_v2_errors() {
    let sim = start(config(5)).await;
    let token = v2_token(&sim).await;
    for q in ["limit=51", "limit=0", "limit=x"] {
        let r = sim.get(&format!("/v2/persons?{q}"), &token).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        let v = r.json();
        assert!(v["personio_trace_id"].is_string());
        assert!(v["errors"][0]["title"].is_string());
        assert!(v["errors"][0]["detail"].as_str().unwrap().contains("limit"));
    }
    let r = sim.get("/v2/persons?cursor=garbage!", &token).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["errors"][0]["detail"].is_string());
}

#[tokio::test]
async fn persons_filter_by_id_email_updated_and_status() {
    let sim = start(config(60)).await;
    let token = v2_token(&sim).await;
    let (all, _) = walk_v2(&sim, &token, "/v2/persons?limit=50").await;
    let (a, b) = (&all[3], &all[7]);

    let v = sim
        .get_ok(
            &format!("/v2/persons?id={}", a["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(
        v["_data"].as_array().unwrap().as_slice(),
        std::slice::from_ref(a)
    );
    let v = sim
        .get_ok(
            &format!(
                "/v2/persons?id={}&id={}",
                a["id"].as_str().unwrap(),
                b["id"].as_str().unwrap()
            ),
            &token,
        )
        .await;
    assert_eq!(v["_data"].as_array().unwrap().len(), 2);

    let email = a["email"].as_str().unwrap().to_uppercase();
    let v = sim
        .get_ok(&format!("/v2/persons?email={email}"), &token)
        .await;
    assert_eq!(v["_data"][0]["id"], a["id"]);

    let inactive = sim
        .get_ok("/v2/persons?status=INACTIVE&limit=50", &token)
        .await;
    let inactive = inactive["_data"].as_array().unwrap();
    let expected = sim
        .sim_employees()
        .await
        .iter()
        .filter(|e| e["status"] == "inactive")
        .count();
    assert_eq!(inactive.len(), expected);
    assert!(inactive.iter().all(|p| p["status"] == "INACTIVE"));

    let before = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let id = b["id"].as_str().unwrap();
    let r = sim
        .control(
            Method::PATCH,
            &format!("/_sim/employees/{id}"),
            Some(json!({"last_name": "Neu"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let q: String = form_encode(&[("updated_at.gt", &before)]);
    let v = sim.get_ok(&format!("/v2/persons?{q}"), &token).await;
    let data = v["_data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{v}");
    assert_eq!(data[0]["id"], id);
    assert_eq!(data[0]["last_name"], "Neu");
    let r = sim.get("/v2/persons?updated_at.gt=yesterday", &token).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[tokio::test]
async fn employments_and_lookups() {
    let sim = start(config(80)).await;
    let token = v2_token(&sim).await;
    let people = sim.sim_employees().await;
    let e = people
        .iter()
        .find(|e| {
            !e["termination_date"].is_null()
                && !e["department"].is_null()
                && !e["team"].is_null()
                && !e["office"].is_null()
                && !e["position"].is_null()
        })
        .unwrap();
    let id = e["id"].as_u64().unwrap();
    let v = sim
        .get_ok(&format!("/v2/persons/{id}/employments"), &token)
        .await;
    let emp = &v["_data"][0];
    assert_eq!(v["_data"].as_array().unwrap().len(), 1);
    let person = sim.get_ok(&format!("/v2/persons?id={id}"), &token).await;
    assert_eq!(person["_data"][0]["employments"][0]["id"], emp["id"]);
    assert_eq!(emp["id"].as_str().unwrap().len(), 36);
    assert_eq!(
        emp["status"],
        e["status"].as_str().unwrap().to_ascii_uppercase()
    );
    assert_eq!(emp["employment_start_date"], e["hire_date"]);
    assert_eq!(emp["employment_end_date"], e["termination_date"]);
    assert_eq!(
        emp["termination"]["termination_date"],
        e["termination_date"]
    );
    assert_eq!(
        emp["termination"]["last_working_day"],
        e["last_working_day"]
    );
    assert_eq!(emp["position"]["title"], e["position"]);
    match e["supervisor_id"].as_u64() {
        Some(s) => assert_eq!(emp["supervisor"]["id"], s.to_string()),
        None => assert!(emp["supervisor"].is_null()),
    }
    let units = emp["org_units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    for u in units {
        let looked = sim
            .get_ok(
                &format!("/v2/org-units/{}", u["id"].as_str().unwrap()),
                &token,
            )
            .await;
        assert_eq!(looked["type"], u["type"]);
        assert_eq!(looked["id"], u["id"]);
        let kind = u["type"].as_str().unwrap();
        assert_eq!(looked["name"], e[kind], "{kind}");
    }
    let office = sim
        .get_ok(
            &format!("/v2/offices/{}", emp["office"]["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(office["name"], e["office"]);

    // Listings of every unit, paged like persons.
    let company = sim.control(Method::GET, "/_sim/company", None).await.json();
    let (org_units, _) = walk_v2(&sim, &token, "/v2/org-units?limit=5").await;
    let n = company["departments"].as_array().unwrap().len()
        + company["teams"].as_array().unwrap().len();
    assert_eq!(org_units.len(), n);
    let (offices, _) = walk_v2(&sim, &token, "/v2/offices").await;
    assert_eq!(offices.len(), company["offices"].as_array().unwrap().len());

    assert_eq!(
        sim.get("/v2/org-units/1", &token).await.status,
        StatusCode::NOT_FOUND
    );
    let r = sim.get("/v2/persons/1/employments", &token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.json()["errors"][0]["detail"].is_string());
    let stats = sim.handle.stats();
    assert_eq!(stats.requests.v2_employments, 2);
    assert!(stats.requests.v2_lookups >= 4);
}

#[tokio::test]
async fn v1_and_v2_list_the_same_people() {
    let sim = start(config(150)).await;
    let v1 = sim.walk(&sim.token().await, 100).await;
    let token = v2_token(&sim).await;
    let (v2, _) = walk_v2(&sim, &token, "/v2/persons?limit=50").await;
    assert_eq!(v1.len(), v2.len());
    let (units, _) = walk_v2(&sim, &token, "/v2/org-units?limit=50").await;
    let names: HashMap<String, String> = units
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (a, b) in v1.iter().zip(&v2) {
        let id = id_of(a);
        assert_eq!(b["id"], id.to_string());
        assert_eq!(val(a, "first_name"), &b["first_name"]);
        assert_eq!(val(a, "last_name"), &b["last_name"]);
        assert_eq!(val(a, "email"), &b["email"]);
        let v1_status = val(a, "status").as_str().unwrap();
        assert_eq!(
            b["status"],
            if v1_status == "inactive" {
                "INACTIVE"
            } else {
                "ACTIVE"
            }
        );
        let v1_dept = val(a, "department")["attributes"]["name"].as_str();
        let emp = sim
            .get_ok(&format!("/v2/persons/{id}/employments"), &token)
            .await;
        let v2_dept = emp["_data"][0]["org_units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["type"] == "department")
            .map(|u| names[u["id"].as_str().unwrap()].as_str());
        assert_eq!(v1_dept, v2_dept, "department of {id}");
        assert_eq!(
            emp["_data"][0]["status"],
            v1_status.to_ascii_uppercase(),
            "{id}"
        );
    }
}

#[tokio::test]
async fn webhook_subscriptions_crud() {
    let sim = start(config(5)).await;
    let token = v2_token(&sim).await;
    let r = sim.get("/v2/webhooks", "nope").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let sub = subscribe(
        &sim,
        &token,
        "http://127.0.0.1:9/hook",
        &["person.created", "employment.updated"],
    )
    .await;
    assert_eq!(sub["status"], "ENABLED");
    assert_eq!(sub["url"], "http://127.0.0.1:9/hook");
    assert_eq!(
        sub["enabled_events"],
        json!(["person.created", "employment.updated"])
    );
    assert!(!sub["token"].as_str().unwrap().is_empty());
    let id = sub["id"].as_str().unwrap();

    let list = sim.get_ok("/v2/webhooks", &token).await;
    assert_eq!(list["_data"], json!([sub.clone()]));

    for bad in [
        json!({"url": "http://x/h", "enabled_events": ["person.exploded"]}),
        json!({"url": "ftp://x/h", "enabled_events": ["person.created"]}),
        json!({"url": "http://x/h", "enabled_events": []}),
    ] {
        let r = sim
            .http
            .post(sim.url("/v2/webhooks"))
            .bearer_auth(&token)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let v: Value = r.json().await.unwrap();
        assert!(v["errors"][0]["detail"].is_string());
    }

    let r = sim
        .http
        .patch(sim.url(&format!("/v2/webhooks/{id}")))
        .bearer_auth(&token)
        .json(&json!({"status": "DISABLED"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "DISABLED");

    let del = |id: String| {
        let req = sim
            .http
            .delete(sim.url(&format!("/v2/webhooks/{id}")))
            .bearer_auth(&token);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(del(id.to_string()).await, StatusCode::NO_CONTENT);
    assert_eq!(del(id.to_string()).await, StatusCode::NOT_FOUND);
    let list = sim.get_ok("/v2/webhooks", &token).await;
    assert_eq!(list["_data"], json!([]));
}

async fn sim_call(sim: &Sim, method: Method, path: &str, body: Value) -> Value {
    let r = sim.control(method, path, Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.json()
}

#[tokio::test]
async fn mutations_fire_deliveries_with_the_token() {
    let sim = start(config(30)).await;
    let token = v2_token(&sim).await;
    let (rx, url) = Receiver::start().await;
    let sub = subscribe(&sim, &token, &url, ALL_EVENTS).await;
    let hook_token = sub["token"].as_str().unwrap().to_string();

    // Hire.
    let hired = sim_call(
        &sim,
        Method::POST,
        "/_sim/employees",
        json!({"first_name": "Ada", "last_name": "Neu", "email": "ada@x.de", "department": "Neu"}),
    )
    .await;
    let id = hired["id"].as_u64().unwrap();
    eventually("hire events", || rx.names_for(id).len() == 2).await;
    let got: BTreeSet<String> = rx.names_for(id).into_iter().collect();
    assert_eq!(
        got,
        BTreeSet::from(["person.created".into(), "employment.created".into()])
    );
    for (auth, body) in rx.events() {
        assert_eq!(auth, hook_token);
        assert!(body["company_id"].is_string());
        assert!(body["occurred_at"].is_string());
        if body["event_name"] == "employment.created" {
            let emp = sim
                .get_ok(&format!("/v2/persons/{id}/employments"), &token)
                .await;
            assert_eq!(body["payload"]["employment_id"], emp["_data"][0]["id"]);
        }
    }

    // A position-only change fires nothing; the next change is the barrier.
    let path = format!("/_sim/employees/{id}");
    sim_call(&sim, Method::PATCH, &path, json!({"position": "CTO"})).await;
    sim_call(&sim, Method::PATCH, &path, json!({"first_name": "Ada2"})).await;
    eventually("person.updated", || rx.names_for(id).len() == 3).await;
    assert_eq!(rx.names_for(id)[2], "person.updated");
    sim_call(&sim, Method::PATCH, &path, json!({"department": "Recht"})).await;
    eventually("employment.updated", || rx.names_for(id).len() == 4).await;
    assert_eq!(rx.names_for(id)[3], "employment.updated");
    // Both kinds in one PATCH (position alongside changes nothing about that).
    sim_call(
        &sim,
        Method::PATCH,
        &path,
        json!({"last_name": "Alt", "team": "Blau", "position": "CEO"}),
    )
    .await;
    eventually("both", || rx.names_for(id).len() == 6).await;
    let last_two: BTreeSet<String> = rx.names_for(id)[4..].iter().cloned().collect();
    assert_eq!(
        last_two,
        BTreeSet::from(["person.updated".into(), "employment.updated".into()])
    );

    // Terminate today: updated + terminated.
    sim_call(
        &sim,
        Method::POST,
        &format!("{path}/terminate"),
        json!({"termination_date": common::ymd(TODAY)}),
    )
    .await;
    eventually("terminate", || rx.names_for(id).len() == 8).await;
    let t: BTreeSet<String> = rx.names_for(id)[6..].iter().cloned().collect();
    assert_eq!(
        t,
        BTreeSet::from(["employment.updated".into(), "employment.terminated".into()])
    );

    // Rehire: person.created for the new id (and person.updated for the old profile).
    let new = sim_call(
        &sim,
        Method::POST,
        &format!("{path}/rehire"),
        json!({"hire_date": common::ymd(TODAY)}),
    )
    .await;
    let new_id = new["id"].as_u64().unwrap();
    eventually("rehire", || {
        rx.names_for(new_id) == ["person.created"] && rx.names_for(id).len() == 9
    })
    .await;
    assert_eq!(rx.names_for(id)[8], "person.updated");

    // Delete.
    let r = sim.control(Method::DELETE, &path, None).await;
    assert_eq!(r.status, StatusCode::OK);
    eventually("delete", || rx.names_for(id).len() == 10).await;
    assert_eq!(rx.names_for(id)[9], "person.deleted");

    // The log lists every attempt, all delivered at once.
    let log = sim
        .control(Method::GET, "/_sim/webhooks/deliveries", None)
        .await
        .json();
    let log = log["deliveries"].as_array().unwrap();
    assert_eq!(log.len(), rx.events().len());
    assert!(log.iter().all(|d| d["attempt"] == 1
        && d["status"] == 200
        && d["outcome"] == "delivered"
        && d["url"] == url.as_str()));
    assert_eq!(sim.handle.deliveries().len(), log.len());
    let stats = sim.handle.stats();
    assert_eq!(stats.webhooks_delivered, log.len() as u64);
    assert_eq!(stats.webhooks_failed, 0);
    // Unsubscribed: nothing more.
    let r = sim
        .http
        .delete(sim.url(&format!("/v2/webhooks/{}", sub["id"].as_str().unwrap())))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn failing_receiver_gets_retries() {
    let sim = start(SimConfig {
        retry_delay_ms: 10,
        ..config(5)
    })
    .await;
    let token = v2_token(&sim).await;
    let (rx, url) = Receiver::start().await;
    subscribe(&sim, &token, &url, &["person.updated"]).await;
    rx.fail.store(2, Ordering::SeqCst);
    let id = sim.sim_employees().await[0]["id"].as_u64().unwrap();
    sim_call(
        &sim,
        Method::PATCH,
        &format!("/_sim/employees/{id}"),
        json!({"first_name": "Retry"}),
    )
    .await;
    eventually("delivered on the third attempt", || {
        sim.handle
            .deliveries()
            .iter()
            .any(|d| d.outcome == DeliveryOutcome::Delivered)
    })
    .await;
    let log = sim.handle.deliveries();
    let attempts: Vec<(u32, Option<u16>, bool)> = log
        .iter()
        .map(|d| (d.attempt, d.status, d.will_retry))
        .collect();
    assert_eq!(
        attempts,
        [
            (1, Some(500), true),
            (2, Some(500), true),
            (3, Some(200), false)
        ]
    );
    assert_eq!(rx.events().len(), 3);
    let stats = sim.handle.stats();
    assert_eq!((stats.webhooks_delivered, stats.webhooks_failed), (1, 2));

    // A receiver that never answers 2xx: 1 + 6 attempts, then given up.
    rx.fail.store(100, Ordering::SeqCst);
    sim_call(
        &sim,
        Method::PATCH,
        &format!("/_sim/employees/{id}"),
        json!({"first_name": "Lost"}),
    )
    .await;
    eventually("given up", || {
        sim.handle
            .deliveries()
            .iter()
            .any(|d| d.outcome == DeliveryOutcome::Failed && !d.will_retry)
    })
    .await;
    let last: Vec<u32> = sim.handle.deliveries()[3..]
        .iter()
        .map(|d| d.attempt)
        .collect();
    assert_eq!(last, [1, 2, 3, 4, 5, 6, 7]);
}

#[tokio::test]
async fn drop_next_and_duplicate() {
    let sim = start(config(5)).await;
    let token = v2_token(&sim).await;
    let (rx, url) = Receiver::start().await;
    subscribe(&sim, &token, &url, &["person.updated"]).await;
    let id = sim.sim_employees().await[0]["id"].as_u64().unwrap();
    let path = format!("/_sim/employees/{id}");

    let mode = sim_call(
        &sim,
        Method::PUT,
        "/_sim/webhooks/mode",
        json!({"drop_next": 1, "duplicate": false}),
    )
    .await;
    assert_eq!(mode, json!({"drop_next": 1, "duplicate": false}));
    sim_call(&sim, Method::PATCH, &path, json!({"first_name": "Eins"})).await;
    sim_call(&sim, Method::PATCH, &path, json!({"first_name": "Zwei"})).await;
    eventually("second delivered", || rx.events().len() == 1).await;
    let log = sim.handle.deliveries();
    assert_eq!(log[0].outcome, DeliveryOutcome::Dropped);
    assert_eq!(log[0].attempt, 0);

    sim.handle.set_webhook_mode(WebhookMode {
        drop_next: 0,
        duplicate: true,
    });
    sim_call(&sim, Method::PATCH, &path, json!({"first_name": "Drei"})).await;
    eventually("duplicated", || rx.events().len() == 3).await;
    let ev = rx.events();
    assert_eq!(ev[1].1, ev[2].1, "the same envelope twice");
}

#[tokio::test]
async fn clock_fires_started_and_terminated() {
    let sim = start(config(200)).await;
    let token = v2_token(&sim).await;
    let (rx, url) = Receiver::start().await;
    subscribe(
        &sim,
        &token,
        &url,
        &["employment.started", "employment.terminated"],
    )
    .await;
    let people = sim.sim_employees().await;
    let date = |e: &Value, k: &str| {
        e[k].as_str().map(|s| {
            time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
        })
    };
    let onboarding = people
        .iter()
        .filter(|e| e["status"] == "onboarding")
        .min_by_key(|e| date(e, "hire_date"))
        .unwrap();
    let leaving = people
        .iter()
        .filter(|e| e["status"] == "active" && date(e, "termination_date").is_some())
        .min_by_key(|e| date(e, "termination_date"))
        .unwrap();
    let target = date(onboarding, "hire_date")
        .unwrap()
        .max(date(leaving, "termination_date").unwrap());
    let expected_started = people
        .iter()
        .filter(|e| date(e, "hire_date").is_some_and(|d| d > TODAY && d <= target))
        .count();
    let expected_terminated = people
        .iter()
        .filter(|e| date(e, "termination_date").is_some_and(|d| d > TODAY && d <= target))
        .count();

    let r = sim_call(
        &sim,
        Method::POST,
        "/_sim/clock",
        json!({"today": common::ymd(target)}),
    )
    .await;
    assert_eq!(r["today"], common::ymd(target));
    assert_eq!(sim.handle.today(), target);
    eventually("clock events", || {
        rx.events().len() == expected_started + expected_terminated
    })
    .await;
    let on_id = onboarding["id"].as_u64().unwrap();
    let leave_id = leaving["id"].as_u64().unwrap();
    assert_eq!(rx.names_for(on_id), ["employment.started"]);
    assert_eq!(rx.names_for(leave_id), ["employment.terminated"]);

    let one = |id: u64| {
        let path = format!("/_sim/employees/{id}");
        let sim = &sim;
        async move { sim.control(Method::GET, &path, None).await }
    };
    assert_eq!(one(on_id).await.json()["status"], "active");
    assert_eq!(one(leave_id).await.json()["status"], "inactive");
    let emp = sim
        .get_ok(&format!("/v2/persons/{leave_id}/employments"), &token)
        .await;
    assert_eq!(emp["_data"][0]["status"], "INACTIVE");

    // Backwards: only the date moves.
    sim.handle.set_today(TODAY);
    assert_eq!(sim.handle.today(), TODAY);
    assert_eq!(one(leave_id).await.json()["status"], "inactive");
}

#[tokio::test]
async fn renaming_a_unit_keeps_its_id_and_members_and_fires_nothing() {
    let sim = start(config(40)).await;
    let token = v2_token(&sim).await;
    let company = sim.control(Method::GET, "/_sim/company", None).await.json();
    let dept = &company["departments"][0];
    let (id, old) = (dept["id"].as_u64().unwrap(), dept["name"].as_str().unwrap());
    let members_before: Vec<u64> = sim
        .sim_employees()
        .await
        .iter()
        .filter(|e| e["department"] == old)
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert!(!members_before.is_empty());
    let deliveries_before = sim.handle.deliveries().len();

    let r = sim
        .control(
            Method::PATCH,
            &format!("/_sim/units/{id}"),
            Some(json!({"name": "Umbenannt & Co"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"id": id, "name": "Umbenannt & Co", "kind": "department"})
    );
    let looked = sim.get_ok(&format!("/v2/org-units/{id}"), &token).await;
    assert_eq!(looked["name"], "Umbenannt & Co");
    let members_after: Vec<u64> = sim
        .sim_employees()
        .await
        .iter()
        .filter(|e| e["department"] == "Umbenannt & Co")
        .map(|e| e["id"].as_u64().unwrap())
        .collect();
    assert_eq!(members_after, members_before);
    assert_eq!(sim.handle.deliveries().len(), deliveries_before);

    // Unknown id → 404; an empty name or another department's name → 422.
    let other = company["departments"][1]["name"].as_str().unwrap();
    for (path, body, status) in [
        ("/_sim/units/1", json!({"name": "X"}), StatusCode::NOT_FOUND),
        (
            &*format!("/_sim/units/{id}"),
            json!({"name": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &*format!("/_sim/units/{id}"),
            json!({"name": other}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = sim.control(Method::PATCH, path, Some(body)).await;
        assert_eq!(r.status, status, "{path}: {}", r.text);
    }
}
