//! The `/_sim/` surface: every fault and every mutation, seen through the v1 API.
use crate::common;

use common::{config, id_of, start, val};
use personio_sim::Fault;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn add_fault(sim: &common::Sim, fault: Value) {
    let r = sim.control(Method::POST, "/_sim/faults", Some(fault)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn rate_limit_storm() {
    let sim = start(config(20)).await;
    let token = sim.token().await;
    add_fault(
        &sim,
        json!({"rate_limit_storm": {"requests": 2, "retry_after": 3}}),
    )
    .await;
    for _ in 0..2 {
        let r = sim.get("/v1/company/employees", &token).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers["retry-after"], "3");
        assert_eq!(r.json()["error"]["code"], 429);
    }
    sim.get_ok("/v1/company/employees", &token).await;
    let stats = sim.handle.stats();
    assert_eq!(stats.rate_limited, 2);
    assert_eq!(stats.errors_injected, 2);

    sim.handle
        .add_fault(Fault::RateLimitStorm {
            requests: 1,
            retry_after: None,
        })
        .unwrap();
    let r = sim.get("/v1/company/employees", &token).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.get("retry-after").is_none());
}

#[tokio::test]
async fn fail_page() {
    let sim = start(config(120)).await;
    let token = sim.token().await;
    add_fault(
        &sim,
        json!({"fail_page": {"offset": 50, "status": 500, "times": 1}}),
    )
    .await;
    sim.get_ok("/v1/company/employees?offset=0", &token).await;
    let r = sim.get("/v1/company/employees?offset=50", &token).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.json(),
        json!({"success": false, "error": {"code": 500, "message": "Something went wrong"}})
    );
    sim.get_ok("/v1/company/employees?offset=50", &token).await;

    add_fault(&sim, json!({"fail_page": {"offset": 100, "status": 503}})).await;
    for _ in 0..3 {
        let r = sim.get("/v1/company/employees?offset=100", &token).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    }
    let r = sim.control(Method::DELETE, "/_sim/faults", None).await;
    assert_eq!(r.status, StatusCode::OK);
    sim.get_ok("/v1/company/employees?offset=100", &token).await;
    assert_eq!(sim.handle.stats().errors_injected, 4);
}

#[tokio::test]
async fn slow() {
    let sim = start(config(10)).await;
    let token = sim.token().await;
    add_fault(&sim, json!({"slow": {"delay_ms": 300, "requests": 1}})).await;
    let started = std::time::Instant::now();
    sim.get_ok("/v1/company/employees", &token).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let r = sim.control(Method::GET, "/_sim/faults", None).await;
    assert_eq!(r.json(), json!({"faults": []}), "consumed");
}

#[tokio::test]
async fn malformed_json_and_employee() {
    let sim = start(config(120)).await;
    let token = sim.token().await;
    add_fault(&sim, json!({"malformed_json": {"offset": 50}})).await;
    let r = sim.get("/v1/company/employees?offset=50", &token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.is_empty());
    assert!(serde_json::from_str::<Value>(&r.text).is_err());
    sim.get_ok("/v1/company/employees?offset=0", &token).await;

    let first = &sim.get_ok("/v1/company/employees?limit=3", &token).await["data"][1];
    let id = id_of(first);
    add_fault(&sim, json!({"malformed_employee": {"id": id}})).await;
    let page = sim.get_ok("/v1/company/employees?limit=3", &token).await;
    assert_eq!(val(&page["data"][1], "hire_date"), "not a date");
    assert_ne!(val(&page["data"][0], "hire_date"), "not a date");
    let one = sim
        .get_ok(&format!("/v1/company/employees/{id}"), &token)
        .await;
    assert_eq!(val(&one["data"], "hire_date"), "not a date");
}

#[tokio::test]
async fn revoke_token() {
    let sim = start(config(10)).await;
    let old = sim.token().await;
    sim.get_ok("/v1/company/employees", &old).await;
    add_fault(&sim, json!({"revoke_token": {}})).await;
    let r = sim.get("/v1/company/employees", &old).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json()["error"]["message"],
        "Provided authorization is not valid"
    );
    let new = sim.token().await;
    assert_ne!(new, old);
    assert_eq!(new, sim.handle.current_token());
    sim.get_ok("/v1/company/employees", &new).await;
}

#[tokio::test]
async fn shift_listing() {
    let sim = start(config(120)).await;
    let token = sim.token().await;
    add_fault(&sim, json!({"shift_listing": {"after_requests": 1}})).await;
    let p0 = sim.get_ok("/v1/company/employees?limit=50", &token).await;
    assert_eq!(p0["metadata"]["total_elements"], 120);
    let p1 = sim
        .get_ok("/v1/company/employees?limit=50&offset=50", &token)
        .await;
    assert_eq!(p1["metadata"]["total_elements"], 121);
    // The last item of page 0 shifted onto page 1.
    assert_eq!(id_of(&p1["data"][0]), id_of(&p0["data"][49]));
    let p0_again = sim.get_ok("/v1/company/employees?limit=50", &token).await;
    let new_id = id_of(&p0_again["data"][0]);
    assert!(
        p0["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| id_of(e) != new_id)
    );
}

#[tokio::test]
async fn missing_attribute_and_bad_faults() {
    let sim = start(config(10)).await;
    let token = sim.token().await;
    add_fault(&sim, json!({"missing_attribute": {"attribute": "email"}})).await;
    let v = sim.get_ok("/v1/company/employees", &token).await;
    assert!(v["data"][0]["attributes"].get("email").is_none());
    assert!(v["data"][0]["attributes"].get("first_name").is_some());
    let attrs = sim.get_ok("/v1/company/employees/attributes", &token).await;
    assert!(
        attrs["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["key"] != "email")
    );

    for bad in [
        json!({"nonsense": {}}),
        json!({"fail_page": {}}),
        json!("x"),
    ] {
        let r = sim.control(Method::POST, "/_sim/faults", Some(bad)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn hire_patch_terminate_delete() {
    let sim = start(config(20)).await;
    let token = sim.token().await;

    // Hire (future start → onboarding).
    let r = sim
        .control(
            Method::POST,
            "/_sim/employees",
            Some(
                json!({"first_name": "Zoë", "last_name": "Ørsted", "email": "zoe@example.de",
                         "hire_date": "2026-09-01", "department": "Neue Abteilung"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let hired = r.json();
    let id = hired["id"].as_u64().unwrap();
    assert_eq!(hired["status"], "onboarding");
    let v = sim
        .get_ok(&format!("/v1/company/employees/{id}"), &token)
        .await;
    let e = &v["data"];
    assert_eq!(val(e, "first_name"), "Zoë");
    assert_eq!(val(e, "hire_date"), "2026-09-01T00:00:00+02:00");
    assert_eq!(val(e, "department")["attributes"]["name"], "Neue Abteilung");
    assert_eq!(
        sim.get_ok("/v1/company/employees", &token).await["metadata"]["total_elements"],
        21
    );
    let r = sim
        .control(
            Method::POST,
            "/_sim/employees",
            Some(json!({"first_name": "X"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Patch: set and clear.
    let r = sim
        .control(
            Method::PATCH,
            &format!("/_sim/employees/{id}"),
            Some(json!({"position": null, "status": "active", "supervisor_id": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = sim
        .get_ok(&format!("/v1/company/employees/{id}"), &token)
        .await;
    assert_eq!(val(&e["data"], "status"), "active");
    assert!(val(&e["data"], "supervisor").is_null());
    let r = sim
        .control(
            Method::PATCH,
            &format!("/_sim/employees/{id}"),
            Some(json!({"status": "retired"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = sim
        .control(
            Method::PATCH,
            &format!("/_sim/employees/{id}"),
            Some(json!({"shoe_size": 44})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Terminate in the future: still active; in the past: inactive.
    let r = sim
        .control(
            Method::POST,
            &format!("/_sim/employees/{id}/terminate"),
            Some(json!({"termination_date": "2026-12-31"})),
        )
        .await;
    assert_eq!(r.json()["status"], "active");
    assert_eq!(r.json()["termination_date"], "2026-12-31");
    let r = sim
        .control(
            Method::POST,
            &format!("/_sim/employees/{id}/terminate"),
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "inactive");
    assert_eq!(r.json()["termination_date"], "2026-06-15", "default: today");

    // Delete.
    let r = sim
        .control(Method::DELETE, &format!("/_sim/employees/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = sim
        .get(&format!("/v1/company/employees/{id}"), &token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(sim.sim_employees().await.len(), 20);
    let r = sim
        .control(Method::DELETE, &format!("/_sim/employees/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rehire_gets_new_id_and_suffixes_old_email() {
    let sim = start(config(20)).await;
    let token = sim.token().await;
    let old = sim.sim_employees().await[5].clone();
    let old_id = old["id"].as_u64().unwrap();
    let email = old["email"].as_str().unwrap().to_string();

    let r = sim
        .control(
            Method::POST,
            &format!("/_sim/employees/{old_id}/rehire"),
            Some(json!({"hire_date": "2026-07-01"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let new = r.json();
    let new_id = new["id"].as_u64().unwrap();
    assert_ne!(new_id, old_id);
    assert_eq!(new["email"], email.as_str());
    assert_eq!(new["status"], "onboarding");
    assert_eq!(new["hire_date"], "2026-07-01");

    let (local, domain) = email.split_once('@').unwrap();
    let old_now = sim
        .get_ok(&format!("/v1/company/employees/{old_id}"), &token)
        .await;
    assert_eq!(
        val(&old_now["data"], "email"),
        format!("{local}_inactive_{old_id}@{domain}").as_str()
    );
    assert_eq!(val(&old_now["data"], "status"), "inactive");

    let v = sim
        .get_ok(&format!("/v1/company/employees?email={email}"), &token)
        .await;
    assert_eq!(v["metadata"]["total_elements"], 1);
    assert_eq!(id_of(&v["data"][0]), new_id);
}

#[tokio::test]
async fn the_control_root_lists_the_control_endpoints() {
    let sim = start(config(5)).await;
    for root in ["/_sim/", "/_sim"] {
        let r = sim.control(Method::GET, root, None).await;
        assert_eq!(r.status, StatusCode::OK, "{root}: {}", r.text);
        assert_eq!(r.json()["docs"], "docs/simulator.md");
    }
    let listed = sim.control(Method::GET, "/_sim/", None).await.json();
    let endpoints = listed["endpoints"].as_array().unwrap();
    assert!(endpoints.len() >= 15, "{listed}");
    // Every listed read without a parameter answers: the list names real endpoints.
    for e in endpoints {
        let path = e["path"].as_str().unwrap();
        let methods = e["methods"].as_str().unwrap();
        if methods.split(' ').any(|m| m == "GET") && !path.contains('{') {
            let r = sim.control(Method::GET, path, None).await;
            assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.text);
        }
    }
}
