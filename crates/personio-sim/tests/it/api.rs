//! The Personio side of the simulator: generated company, auth, paging, filters,
//! whitelisting, rate limits and stats.
use crate::common;

use common::{TODAY, config, id_of, start, val};
use personio_sim::{SimConfig, SimState};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;

#[tokio::test]
async fn same_seed_same_company() {
    let a = start(config(300)).await;
    let b = start(config(300)).await;
    assert_eq!(a.sim_employees().await, b.sim_employees().await);
    let (ta, tb) = (a.token().await, b.token().await);
    assert_eq!(ta, tb, "token is derived from the credential");
    assert_eq!(a.walk(&ta, 100).await, b.walk(&tb, 100).await);

    let c = start(SimConfig {
        seed: 43,
        ..config(300)
    })
    .await;
    assert_ne!(a.sim_employees().await, c.sim_employees().await);
}

#[tokio::test]
async fn generated_company_looks_like_personio() {
    let sim = start(config(2000)).await;
    let token = sim.token().await;
    let all = sim.walk(&token, 100).await;
    assert_eq!(all.len(), 2000);

    let ids: HashSet<u64> = all.iter().map(id_of).collect();
    assert_eq!(ids.len(), 2000);
    assert!(ids.iter().all(|id| (100_000..10_000_000).contains(id)));

    let emails: HashSet<String> = all
        .iter()
        .map(|e| val(e, "email").as_str().unwrap().to_string())
        .collect();
    assert_eq!(emails.len(), 2000, "emails are unique");
    for e in &emails {
        assert!(
            e.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".@-".contains(c)),
            "{e}"
        );
    }

    let firsts: Vec<&str> = all
        .iter()
        .map(|e| val(e, "first_name").as_str().unwrap())
        .collect();
    assert!(firsts.iter().any(|n| n.contains('<')), "some HTML names");
    assert!(firsts.iter().any(|n| !n.is_ascii()), "some Unicode names");

    let status = |e: &Value| val(e, "status").as_str().unwrap().to_string();
    let date = |e: &Value, k: &str| val(e, k).as_str().map(|s| s[..10].to_string());
    let today = "2026-06-15".to_string();
    let count = |s: &str| all.iter().filter(|e| status(e) == s).count();
    assert!(count("active") > 1600);
    for s in ["onboarding", "leave", "inactive"] {
        assert!(count(s) > 10, "{s}: {}", count(s));
    }
    for e in &all {
        match status(e).as_str() {
            "onboarding" => assert!(date(e, "hire_date").unwrap() > today),
            "inactive" => assert!(date(e, "termination_date").unwrap() < today),
            _ => {}
        }
    }
    assert!(
        all.iter().any(
            |e| status(e) == "active" && date(e, "termination_date").is_some_and(|d| d > today)
        ),
        "some actives leave in the future"
    );

    // Dates: local midnight with +01:00 / +02:00, some compact +0100 / +0200.
    let hire: Vec<&str> = all
        .iter()
        .filter_map(|e| val(e, "hire_date").as_str())
        .collect();
    for suffix in [
        "T00:00:00+01:00",
        "T00:00:00+02:00",
        "T00:00:00+0100",
        "T00:00:00+0200",
    ] {
        assert!(hire.iter().any(|h| h.ends_with(suffix)), "{suffix}");
    }

    // Empty values come as null, "" and [].
    let pos: Vec<&Value> = all.iter().map(|e| val(e, "preferred_name")).collect();
    assert!(pos.iter().any(|v| v.is_null()));
    assert!(pos.iter().any(|v| v.as_str() == Some("")));
    assert!(all.iter().any(|e| val(e, "cost_centers") == &json!([])));

    // Nested shapes.
    let e = all
        .iter()
        .find(|e| !val(e, "department").is_null() && !val(e, "supervisor").is_null())
        .unwrap();
    assert_eq!(val(e, "department")["type"], "Department");
    assert!(val(e, "department")["attributes"]["id"].is_u64());
    assert_eq!(val(e, "supervisor")["type"], "Employee");
    assert!(val(e, "supervisor")["attributes"]["id"]["value"].is_u64());
    assert!(val(e, "weekly_working_hours").is_string() || val(e, "weekly_working_hours").is_null());
    assert_eq!(e["attributes"]["dynamic_33400"]["label"], "Standort");
    assert!(e["attributes"]["dynamic_33400"]["universal_id"].is_null());
    let custom_date = all
        .iter()
        .find_map(|e| val(e, "dynamic_33412").as_str().filter(|s| !s.is_empty()))
        .unwrap();
    assert_eq!(custom_date.len(), 10, "custom dates are plain YYYY-MM-DD");

    // Supervisors form one tree.
    let roots = all
        .iter()
        .filter(|e| val(e, "supervisor").is_null())
        .count();
    assert_eq!(roots, 1);

    let company = sim.control(Method::GET, "/_sim/company", None).await.json();
    let departments = company["departments"].as_array().unwrap().len();
    assert!((8..=15).contains(&departments));
}

#[test]
fn generates_a_hundred_thousand_employees() {
    let started = std::time::Instant::now();
    let state = SimState::new(SimConfig {
        employees: 100_000,
        today: Some(TODAY),
        ..Default::default()
    })
    .unwrap();
    eprintln!("100k employees generated in {:?}", started.elapsed());
    assert_eq!(state.stats().requests.employees, 0);
}

#[tokio::test]
async fn auth_accepts_json_and_form_rejects_query_and_wrong_credentials() {
    let sim = start(config(10)).await;
    let json_token = sim.token().await;
    assert!(json_token.starts_with("papi-"));

    let form = sim
        .http
        .post(sim.url("/v1/auth"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("client_id=cid&client_secret=secret")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let v: Value = form.json().await.unwrap();
    assert_eq!(v["success"], true);
    assert_eq!(
        v["data"]["token"],
        json_token.as_str(),
        "stable per credential"
    );
    assert_eq!(v["data"]["expires_in"], 86400);

    let query = sim
        .http
        .post(sim.url("/v1/auth?client_id=cid&client_secret=secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), StatusCode::FORBIDDEN);
    let v: Value = query.json().await.unwrap();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], 403);

    let wrong = sim
        .http
        .post(sim.url("/v1/auth"))
        .json(&json!({"client_id": "cid", "client_secret": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let v: Value = wrong.json().await.unwrap();
    assert_eq!(
        v,
        json!({"success": false, "error": {"code": 401, "message": "Wrong credentials"}})
    );

    // Token handling on employee calls.
    let r = sim
        .http
        .get(sim.url("/v1/company/employees"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["message"], "Authorization is not provided");
    let r = sim.get("/v1/company/employees", "papi-forged").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json()["error"]["message"],
        "Provided authorization is not valid"
    );

    for path in ["/v1/company/employees", "/v1/company/employees/attributes"] {
        let r = sim.get(path, &json_token).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.headers["authorization"].to_str().unwrap(),
            format!("Bearer {json_token}")
        );
    }
    assert_eq!(sim.handle.stats().auth_calls, 2);
}

#[tokio::test]
async fn wrong_credentials_status_is_switchable() {
    let sim = start(config(5)).await;
    let r = sim
        .control(
            Method::PUT,
            "/_sim/quirks",
            Some(json!({"wrong_credentials_status": 403})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let wrong = sim
        .http
        .post(sim.url("/v1/auth"))
        .json(&json!({"client_id": "x", "client_secret": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn paging_follows_personio() {
    let sim = start(config(250)).await;
    let token = sim.token().await;

    let r = sim.get("/v1/company/employees?limit=101", &token).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let v = r.json();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["code"], 422);
    assert!(v["error"]["message"].as_str().unwrap().contains("limit"));
    assert!(v["error"]["error_data"]["limit"].is_array());

    let v = sim.get_ok("/v1/company/employees", &token).await;
    assert_eq!(v["limit"], 50);
    assert_eq!(v["offset"], 0);
    assert_eq!(v["data"].as_array().unwrap().len(), 50);
    assert_eq!(
        v["metadata"],
        json!({"total_elements": 250, "current_page": 0, "total_pages": 5})
    );

    let v = sim
        .get_ok("/v1/company/employees?limit=100&offset=200", &token)
        .await;
    assert_eq!(v["data"].as_array().unwrap().len(), 50);
    assert_eq!(
        v["metadata"],
        json!({"total_elements": 250, "current_page": 2, "total_pages": 3})
    );
    assert_eq!(v["offset"], 200);
    assert_eq!(v["limit"], 100);

    let v = sim
        .get_ok("/v1/company/employees?limit=100&offset=300", &token)
        .await;
    assert_eq!(v["data"], json!([]));

    let all = sim.walk(&token, 100).await;
    let ids: HashSet<u64> = all.iter().map(id_of).collect();
    assert_eq!(ids.len(), 250);

    // Single employee.
    let first = &all[0];
    let v = sim
        .get_ok(&format!("/v1/company/employees/{}", id_of(first)), &token)
        .await;
    assert_eq!(v["success"], true);
    assert_eq!(&v["data"], first);
    let r = sim.get("/v1/company/employees/1", &token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], 404);

    // Clamping instead of rejecting, when switched.
    sim.handle
        .state()
        .set_quirks(personio_sim::Quirks {
            oversize_limit: personio_sim::OversizeLimit::Clamp,
            ..Default::default()
        })
        .unwrap();
    let v = sim.get_ok("/v1/company/employees?limit=500", &token).await;
    assert_eq!(v["limit"], 100);
    assert_eq!(v["data"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn filters_and_projection() {
    let sim = start(config(120)).await;
    let token = sim.token().await;
    let all = sim.walk(&token, 100).await;
    let target = &all[17];
    let email = val(target, "email").as_str().unwrap();

    let v = sim
        .get_ok(
            &format!("/v1/company/employees?email={}", email.to_uppercase()),
            &token,
        )
        .await;
    assert_eq!(v["metadata"]["total_elements"], 1);
    assert_eq!(id_of(&v["data"][0]), id_of(target));

    let v = sim
        .get_ok(
            "/v1/company/employees?attributes[]=first_name&attributes[]=department&limit=5",
            &token,
        )
        .await;
    for e in v["data"].as_array().unwrap() {
        let keys: HashSet<&str> = e["attributes"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HashSet::from(["id", "first_name", "department"]));
    }

    // updated_since: nothing generated changed after today; a PATCH does.
    let since = (time::OffsetDateTime::now_utc() - time::Duration::minutes(1))
        .format(&time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap();
    let path = format!("/v1/company/employees?updated_since={since}");
    assert_eq!(
        sim.get_ok(&path, &token).await["metadata"]["total_elements"],
        0
    );
    let id = id_of(target);
    let r = sim
        .control(
            Method::PATCH,
            &format!("/_sim/employees/{id}"),
            Some(json!({"position": "Chief Tester"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = sim.get_ok(&path, &token).await;
    assert_eq!(v["metadata"]["total_elements"], 1);
    assert_eq!(id_of(&v["data"][0]), id);
    assert_eq!(val(&v["data"][0], "position"), "Chief Tester");
    // With a projection, only changes to the listed attributes count.
    let v = sim
        .get_ok(&format!("{path}&attributes[]=department"), &token)
        .await;
    assert_eq!(v["metadata"]["total_elements"], 0);
    let v = sim
        .get_ok(&format!("{path}&attributes[]=position"), &token)
        .await;
    assert_eq!(v["metadata"]["total_elements"], 1);
    // Date-only form.
    let v = sim
        .get_ok("/v1/company/employees?updated_since=2000-01-01", &token)
        .await;
    assert_eq!(v["metadata"]["total_elements"], 120);
    let r = sim
        .get("/v1/company/employees?updated_since=yesterday", &token)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn whitelisting_hides_attributes() {
    let readable = ["first_name", "last_name", "email", "status"];
    let sim = start(SimConfig {
        readable: Some(readable.iter().map(|s| s.to_string()).collect()),
        ..config(30)
    })
    .await;
    let token = sim.token().await;
    let v = sim.get_ok("/v1/company/employees", &token).await;
    let mut expected: HashSet<&str> = readable.into_iter().collect();
    expected.insert("id");
    for e in v["data"].as_array().unwrap() {
        let keys: HashSet<&str> = e["attributes"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, expected);
    }
    let attrs = sim.get_ok("/v1/company/employees/attributes", &token).await;
    let keys: HashSet<&str> = attrs["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, readable.into_iter().collect());
    let first = &attrs["data"][0];
    for field in ["key", "label", "type", "universal_id", "options"] {
        assert!(first.get(field).is_some(), "{field}");
    }

    // Projection cannot reveal what is not readable.
    let v = sim
        .get_ok(
            "/v1/company/employees?attributes[]=hire_date&limit=1",
            &token,
        )
        .await;
    let keys: Vec<&String> = v["data"][0]["attributes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, vec!["id"]);

    // Everything again.
    let r = sim
        .control(
            Method::PUT,
            "/_sim/credential",
            Some(json!({"readable": null})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = sim.get_ok("/v1/company/employees?limit=1", &token).await;
    let attrs = v["data"][0]["attributes"].as_object().unwrap();
    for key in [
        "hire_date",
        "supervisor",
        "department",
        "cost_centers",
        "dynamic_61055",
    ] {
        assert!(attrs.contains_key(key), "{key}");
    }
    let r = sim
        .control(
            Method::PUT,
            "/_sim/credential",
            Some(json!({"readable": ["bogus"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn rate_limits_answer_429() {
    let sim = start(SimConfig {
        rate_limit: true,
        // Room for the 70 auths below, so the auth limit answers, not the per-IP budget.
        per_ip_burst: Some(2000),
        ..config(20)
    })
    .await;
    let token = sim.token().await;
    let mut limited = None;
    for _ in 0..60 {
        let r = sim.get("/v1/company/employees?limit=1", &token).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = limited.expect("a burst of 60 requests is limited");
    assert_eq!(r.json()["success"], false);
    assert_eq!(r.json()["error"]["code"], 429);
    assert!(sim.handle.stats().rate_limited >= 1);

    // Auth: 60/min.
    let mut auth_limited = false;
    for _ in 0..70 {
        let r = sim
            .http
            .post(sim.url("/v1/auth"))
            .json(&json!({"client_id": "cid", "client_secret": "secret"}))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            auth_limited = true;
            break;
        }
    }
    assert!(auth_limited);
}

#[tokio::test]
async fn per_ip_budget_covers_all_endpoints() {
    let sim = start(SimConfig {
        rate_limit: true,
        per_ip_limit: Some(5),
        // The whole minute's budget at once (the default burst would be 1).
        per_ip_burst: Some(5),
        ..config(20)
    })
    .await;
    let token = sim.token().await; // 1
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            sim.get("/v1/company/employees/attributes", &token)
                .await
                .status,
        );
    }
    assert_eq!(&statuses[..4], &[StatusCode::OK; 4]);
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS);
    // The control surface is never limited.
    let r = sim.control(Method::GET, "/_sim/stats", None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn stats_count_requests() {
    let sim = start(config(20)).await;
    let token = sim.token().await;
    sim.get_ok("/v1/company/employees", &token).await;
    sim.get_ok("/v1/company/employees", &token).await;
    sim.get_ok("/v1/company/employees/attributes", &token).await;
    let id = id_of(&sim.get_ok("/v1/company/employees?limit=1", &token).await["data"][0]);
    sim.get_ok(&format!("/v1/company/employees/{id}"), &token)
        .await;
    let _ = sim.get("/v1/company/employees", "bad").await;

    let stats = sim.handle.stats();
    assert_eq!(stats.requests.auth, 1);
    assert_eq!(stats.requests.employees, 4);
    assert_eq!(stats.requests.employee, 1);
    assert_eq!(stats.requests.attributes, 1);
    assert_eq!(stats.auth_calls, 1);
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(stats.errors_injected, 0);

    let http = sim.control(Method::GET, "/_sim/stats", None).await.json();
    assert_eq!(http, serde_json::to_value(stats).unwrap());
    assert_eq!(
        http,
        json!({"requests": {"auth": 1, "employees": 4, "employee": 1, "attributes": 1},
               "rate_limited": 0, "auth_calls": 1, "errors_injected": 0})
    );

    let r = sim.control(Method::POST, "/_sim/stats/reset", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(sim.handle.stats(), personio_sim::Stats::default());
    sim.handle.shutdown().await;
}
