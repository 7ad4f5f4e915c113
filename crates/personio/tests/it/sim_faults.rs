//! The client against the Personio simulator, one test per documented fault: it either
//! returns a complete listing or a typed error, never a partial list.

use crate::common;

use common::*;
use personio::{Client, ClientConfig, Error, PersonioId, RateLimit, Url, check_mandatory};
use serde_json::json;
use std::sync::Mutex;
use std::time::Duration;

const N: usize = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_listing_with_progress() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    let client = client(&base);
    let seen = Mutex::new(Vec::new());
    let l = client
        .fetch_all(|p| seen.lock().unwrap().push(p))
        .await
        .unwrap();
    assert_complete(&l, N);
    assert!(l.malformed.is_empty());
    assert_eq!(l.requests, 3);
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 3);
    let last = seen.last().unwrap();
    assert_eq!((last.pages_done, last.pages_total), (3, 3));
    assert_eq!((last.employees_done, last.employees_total), (N, N));
    let s = stats(&base).await;
    assert_eq!(n(&s, &["auth_calls"]), 1);
    assert_eq!(n(&s, &["rate_limited"]), 0);
    assert_eq!(client.auth_calls(), 1);
    // Every employee the simulator lists is there, with the fields it holds.
    let all = sim_employees(&base).await;
    let first = l.employees.iter().find(|e| {
        all.iter()
            .any(|s| s["id"].as_i64() == Some(e.id.0) && s["email"].as_str() == e.email.as_deref())
    });
    assert!(
        first.is_some(),
        "no employee matches the simulator's own data"
    );
    // Single employee and attributes.
    let one = client
        .fetch_employee(PersonioId::of_key(l.employees[0].id))
        .await
        .unwrap();
    assert_eq!(one.as_ref(), Some(&l.employees[0]));
    let attrs = client.attributes().await.unwrap();
    assert!(check_mandatory(&attrs).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_storm_with_retry_after() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(
        &base,
        json!({"rate_limit_storm": {"requests": 3, "retry_after": 1}}),
    )
    .await;
    let started = std::time::Instant::now();
    let l = client(&base).fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(n(&stats(&base).await, &["rate_limited"]), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_storm_without_retry_after() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(&base, json!({"rate_limit_storm": {"requests": 4}})).await;
    let l = client(&base).fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
    assert_eq!(l.requests, 3 + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_rate_limiting_is_a_typed_error() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(&base, json!({"rate_limit_storm": {"requests": 1000}})).await;
    let mut cfg = config(&base, RateLimit::default());
    cfg.max_retries = 2;
    let err = Client::new(cfg)
        .unwrap()
        .fetch_all(|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited { retries: 2 }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_500_is_retried() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(
        &base,
        json!({"fail_page": {"offset": 100, "status": 500, "times": 2}}),
    )
    .await;
    let l = client(&base).fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_500_is_a_typed_error() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(&base, json!({"fail_page": {"offset": 100, "status": 500}})).await;
    let err = client(&base).fetch_all(|_| {}).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unavailable {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_responses_time_out_and_are_retried() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(&base, json!({"slow": {"delay_ms": 1500, "requests": 2}})).await;
    let mut cfg = config(&base, RateLimit::default());
    cfg.request_timeout = Duration::from_millis(500);
    let l = Client::new(cfg).unwrap().fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
    assert!(l.requests >= 5, "{}", l.requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_page_is_an_error_never_a_partial_list() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(&base, json!({"malformed_json": {"offset": 100}})).await;
    match client(&base).fetch_all(|_| {}).await {
        Ok(l) => assert_complete(&l, N),
        Err(Error::Malformed { path, detail }) => {
            assert!(path.contains("offset=100"), "{path}");
            assert!(!detail.is_empty());
        }
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_token_reauthenticates_once() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    let mut cfg = config(&base, RateLimit::default());
    cfg.page_size = 10; // 25 pages: the revocation lands mid-run
    let client = Client::new(cfg).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let revoker = {
        let base = base.clone();
        tokio::spawn(async move {
            if rx.await.is_ok() {
                fault(&base, json!({"revoke_token": {}})).await;
            }
        })
    };
    let l = client
        .fetch_all(|p| {
            if p.pages_done == 3
                && let Some(tx) = tx.lock().unwrap().take()
            {
                let _ = tx.send(());
            }
        })
        .await
        .unwrap();
    revoker.await.unwrap();
    assert_complete(&l, N);
    assert_eq!(n(&stats(&base).await, &["auth_calls"]), 2);
    assert_eq!(client.auth_calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shifting_listing_is_incomplete() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(&base, json!({"shift_listing": {"after_requests": 3}})).await;
    let mut cfg = config(&base, RateLimit::default());
    cfg.page_size = 10;
    let err = Client::new(cfg)
        .unwrap()
        .fetch_all(|_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IncompleteListing { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_employee_is_reported_and_the_rest_complete() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    let all = sim_employees(&base).await;
    let id = all
        .iter()
        .rev()
        .find_map(|e| e["id"].as_i64())
        .expect("simulator lists ids");
    fault(&base, json!({"malformed_employee": {"id": id}})).await;
    let l = client(&base).fetch_all(|_| {}).await.unwrap();
    assert_complete(&l, N);
    assert_eq!(l.malformed.len(), 1, "{:?}", l.malformed);
    let m = &l.malformed[0];
    assert_eq!(m.id.map(|i| i.0), Some(id));
    assert!(
        m.reason.contains("attributes.hire_date.value: not a date"),
        "{}",
        m.reason
    );
    assert!(l.employees.iter().all(|e| e.id.0 != id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_missing_email_is_named() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    fault(&base, json!({"missing_attribute": {"attribute": "email"}})).await;
    let client = client(&base);
    let attrs = client.attributes().await.unwrap();
    let err = check_mandatory(&attrs).unwrap_err();
    assert!(
        matches!(&err, Error::AttributeNotReadable { attribute } if attribute == "email"),
        "{err:?}"
    );
    // The listing still works, without e-mails.
    let l = client.fetch_all(|_| {}).await.unwrap();
    assert!(l.employees.iter().all(|e| e.email.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    let mut cfg = ClientConfig::new(ID, "not-the-secret".to_owned().into());
    cfg.base_url = Url::parse(&base).unwrap();
    let client = Client::new(cfg).unwrap();
    let err = client.authenticate().await.unwrap_err();
    assert!(matches!(err, Error::WrongCredentials), "{err:?}");
    assert!(!err.to_string().contains("not-the-secret"));
    let err = client.fetch_all(|_| {}).await.unwrap_err();
    assert!(matches!(err, Error::WrongCredentials), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_answered_with_403() {
    let sim = personio_sim::spawn(personio_sim::SimConfig {
        employees: 10,
        client_id: ID.into(),
        client_secret: SECRET.into(),
        quirks: personio_sim::Quirks {
            wrong_credentials_status: 403,
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .unwrap();
    let mut cfg = config(&sim.base_url(), RateLimit::default());
    cfg.client_secret = "nope".to_owned().into();
    let err = Client::new(cfg).unwrap().authenticate().await.unwrap_err();
    assert!(matches!(err, Error::WrongCredentials), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updated_since_long_ago_lists_everyone() {
    let sim = sim!(N, true);
    let base = sim.base_url().to_string();
    let since = time::macros::date!(2000 - 01 - 01);
    let l = client(&base)
        .fetch_updated_since_date(since, |_| {})
        .await
        .unwrap();
    assert_complete(&l, N);
    let l = client(&base)
        .fetch_updated_since(time::macros::datetime!(2000-01-01 00:00 UTC))
        .await
        .unwrap();
    assert_complete(&l, N);
}
