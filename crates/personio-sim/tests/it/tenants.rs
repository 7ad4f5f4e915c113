//! One simulator serving many credentials ("tenants"): tenant client ids, per-tenant
//! tokens, per-tenant limits, the per-IP budget over all tenants, and the stats that prove
//! every tenant authenticated.
use crate::common;

use common::{Sim, config, start};
use personio_sim::{Fault, SimConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `tenants` extra credentials (`cid-1` … `cid-<tenants>`, secret `secret`), limits off.
fn tenants(tenants: u32) -> SimConfig {
    SimConfig {
        tenants,
        ..config(12)
    }
}

/// The same, with limits on and a per-IP burst large enough to stay out of the way of the
/// per-credential limits under test.
fn limited_tenants(tenants: u32) -> SimConfig {
    SimConfig {
        rate_limit: true,
        per_ip_burst: Some(2000),
        ..self::tenants(tenants)
    }
}

async fn v1_auth(sim: &Sim, id: &str, secret: &str) -> reqwest::Response {
    sim.http
        .post(sim.url("/v1/auth"))
        .json(&json!({"client_id": id, "client_secret": secret}))
        .send()
        .await
        .unwrap()
}

async fn v2_auth(sim: &Sim, id: &str, secret: &str) -> reqwest::Response {
    sim.http
        .post(sim.url("/v2/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap()
}

async fn v1_token(sim: &Sim, id: &str) -> String {
    let r = v1_auth(sim, id, "secret").await;
    assert_eq!(r.status(), StatusCode::OK, "{id}");
    let v: Value = r.json().await.unwrap();
    v["data"]["token"].as_str().unwrap().to_string()
}

async fn v2_token(sim: &Sim, id: &str) -> String {
    let r = v2_auth(sim, id, "secret").await;
    assert_eq!(r.status(), StatusCode::OK, "{id}");
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

async fn status_of(sim: &Sim, path: &str, token: &str) -> StatusCode {
    sim.get(path, token).await.status
}

#[tokio::test]
async fn tenant_credentials_authenticate_on_the_same_company() {
    let sim = start(tenants(3)).await;
    let plain = v1_token(&sim, "cid").await;
    assert_eq!(
        plain,
        sim.handle.current_token(),
        "tenant 0 is the plain credential"
    );
    assert!(!plain.starts_with("papi-t"), "{plain}");

    let t1 = v1_token(&sim, "cid-1").await;
    let t3 = v1_token(&sim, "cid-3").await;
    assert!(t1.starts_with("papi-t1-"), "{t1}");
    assert!(t3.starts_with("papi-t3-"), "{t3}");
    assert_eq!(v1_token(&sim, "cid-1").await, t1, "stable per tenant");

    let everyone = sim.walk(&plain, 5).await;
    assert_eq!(
        sim.walk(&t3, 5).await,
        everyone,
        "every tenant sees one company"
    );

    let v2 = v2_token(&sim, "cid-2").await;
    assert!(v2.starts_with("papi-t2-"), "{v2}");
    assert_eq!(status_of(&sim, "/v2/persons", &v2).await, StatusCode::OK);

    let stats = sim.control(Method::GET, "/_sim/stats", None).await.json();
    assert_eq!(stats["auth_calls"], 5);
    assert_eq!(stats["tenants_authenticated"], 4, "tenants 0, 1, 2 and 3");
}

#[tokio::test]
async fn wrong_tenant_number_or_secret_is_refused() {
    let sim = start(tenants(3)).await;
    for (id, secret) in [
        ("cid-4", "secret"),
        ("cid-0", "secret"),
        ("cid-01", "secret"),
        ("cid-", "secret"),
        ("cid-1", "nope"),
    ] {
        let r = v1_auth(&sim, id, secret).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{id}/{secret}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["message"], "Wrong credentials");
        let r = v2_auth(&sim, id, secret).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "v2 {id}/{secret}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "invalid_client");
    }
    let r = sim
        .control(
            Method::PUT,
            "/_sim/quirks",
            Some(json!({"wrong_credentials_status": 403})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = v1_auth(&sim, "cid-4", "secret").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "the usual quirk applies");

    let stats = sim.handle.stats();
    assert_eq!((stats.auth_calls, stats.tenants_authenticated), (0, 0));
    // Without tenants, a numbered client id is just a wrong one.
    let single = start(config(3)).await;
    let r = v1_auth(&single, "cid-1", "secret").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tenant_tokens_are_not_interchangeable() {
    let sim = start(tenants(3)).await;
    let employees = "/v1/company/employees?limit=1";
    let t1 = v1_token(&sim, "cid-1").await;
    let t2 = v1_token(&sim, "cid-2").await;
    assert_ne!(t1, t2);
    assert_eq!(status_of(&sim, employees, &t1).await, StatusCode::OK);

    // Tenant 1's token re-tagged as tenant 2's, or as the plain credential's: refused.
    let hex = t1.strip_prefix("papi-t1-").unwrap();
    for forged in [format!("papi-t2-{hex}"), format!("papi-{hex}")] {
        let r = sim.get(employees, &forged).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{forged}");
        assert_eq!(
            r.json()["error"]["message"],
            "Provided authorization is not valid"
        );
    }
    // A tenant above N, whatever follows the tag.
    let r = sim.get(employees, &format!("papi-t4-{hex}")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // v1 and v2 tokens stay apart per tenant too.
    let v2 = v2_token(&sim, "cid-1").await;
    assert_ne!(v2, t1);
    assert_eq!(
        status_of(&sim, employees, &v2).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_of(&sim, "/v2/persons", &t1).await,
        StatusCode::UNAUTHORIZED
    );

    // One revoke_token revokes every tenant's tokens; new auths give new ones.
    sim.handle.add_fault(Fault::RevokeToken {}).unwrap();
    for old in [&t1, &t2] {
        assert_eq!(
            status_of(&sim, employees, old).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        status_of(&sim, "/v2/persons", &v2).await,
        StatusCode::UNAUTHORIZED
    );
    let fresh = v1_token(&sim, "cid-1").await;
    assert_ne!(fresh, t1);
    assert_eq!(status_of(&sim, employees, &fresh).await, StatusCode::OK);
}

#[tokio::test]
async fn one_tenant_exhausting_its_limit_does_not_slow_another() {
    let sim = start(limited_tenants(2)).await;
    let employees = "/v1/company/employees?limit=1";
    let t1 = v1_token(&sim, "cid-1").await;
    let t2 = v1_token(&sim, "cid-2").await;
    let mut first_429 = None;
    for i in 0..40 {
        if status_of(&sim, employees, &t1).await == StatusCode::TOO_MANY_REQUESTS {
            first_429 = Some(i);
            break;
        }
    }
    let first_429 = first_429.expect("tenant 1 runs out of its burst");
    assert!(first_429 >= 15, "burst of 15, got 429 at {first_429}");
    assert_eq!(status_of(&sim, employees, &t2).await, StatusCode::OK);
    let v2 = v2_token(&sim, "cid-2").await;
    assert_eq!(
        status_of(&sim, "/v2/persons", &v2).await,
        StatusCode::OK,
        "v2 GETs share tenant 2's budget, not tenant 1's"
    );
    assert_eq!(sim.handle.stats().rate_limited, 1);

    // Auth (60/min, whole budget at once) is per tenant as well.
    let mut auth_limited = false;
    for _ in 0..70 {
        if v1_auth(&sim, "cid-1", "secret").await.status() == StatusCode::TOO_MANY_REQUESTS {
            auth_limited = true;
            break;
        }
    }
    assert!(auth_limited, "tenant 1 runs out of auths");
    assert_eq!(
        v1_auth(&sim, "cid-2", "secret").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        v1_auth(&sim, "cid", "secret").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn wrong_credentials_spend_no_tenant_budget() {
    let sim = start(limited_tenants(1)).await;
    // Far more than the 60 auths a tenant may make in a minute.
    for (id, secret) in [
        ("cid-1", "nope"),
        ("cid-2", "secret"),
        ("stranger", "secret"),
    ] {
        for _ in 0..25 {
            let r = v1_auth(&sim, id, secret).await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{id}/{secret}");
        }
    }
    assert_eq!(
        v1_auth(&sim, "cid-1", "secret").await.status(),
        StatusCode::OK
    );
    // Invalid bearer tokens are not charged to anyone either.
    for _ in 0..20 {
        let r = sim.get("/v1/company/employees", "papi-t1-forged").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let t1 = v1_token(&sim, "cid-1").await;
    assert_eq!(
        status_of(&sim, "/v1/company/employees", &t1).await,
        StatusCode::OK
    );
    assert_eq!(sim.handle.stats().rate_limited, 0);
}

#[tokio::test]
async fn per_ip_burst_defaults_to_one_second_of_the_budget() {
    // 120/min ⇒ a burst of 2, shared by every tenant and endpoint.
    let sim = start(SimConfig {
        rate_limit: true,
        per_ip_limit: Some(120),
        ..tenants(2)
    })
    .await;
    let t1 = v1_token(&sim, "cid-1").await;
    assert_eq!(
        v1_auth(&sim, "cid-2", "secret").await.status(),
        StatusCode::OK
    );
    let r = sim.get("/v1/company/employees/attributes", &t1).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"]["code"], 429);
    assert_eq!(sim.handle.stats().rate_limited, 1);

    // An explicit burst replaces the default.
    let sim = start(SimConfig {
        rate_limit: true,
        per_ip_limit: Some(120),
        per_ip_burst: Some(5),
        ..tenants(2)
    })
    .await;
    let t1 = v1_token(&sim, "cid-1").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(status_of(&sim, "/v1/company/employees/attributes", &t1).await);
    }
    assert_eq!(&statuses[..4], &[StatusCode::OK; 4]);
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_zero_per_ip_burst_is_refused() {
    let err = personio_sim::spawn(SimConfig {
        per_ip_burst: Some(0),
        ..tenants(1)
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, personio_sim::SimError::InvalidConfig(_)),
        "{err}"
    );
}
