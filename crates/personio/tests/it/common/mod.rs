//! Shared helpers for the integration tests: start a simulator, build a client for it, and
//! drive the simulator's documented `/_sim/` control surface over HTTP.
#![allow(dead_code)]

use personio::{Client, ClientConfig, RateLimit, Url};
use serde_json::Value;
use std::time::Duration;

pub const ID: &str = "demo-client";
pub const SECRET: &str = "demo-secret";

/// Starts a simulator (kept alive as long as the returned value lives).
#[macro_export]
macro_rules! sim {
    ($employees:expr, $rate_limit:expr) => {
        personio_sim::spawn(personio_sim::SimConfig {
            employees: $employees,
            seed: 7,
            client_id: common::ID.into(),
            client_secret: common::SECRET.into(),
            rate_limit: $rate_limit,
            ..Default::default()
        })
        .await
        .expect("simulator starts")
    };
}

/// A client for `base` with short backoffs (tests) and the given rate limit.
pub fn config(base: &str, rate: RateLimit) -> ClientConfig {
    let mut c = ClientConfig::new(ID, SECRET.to_owned().into())
        .with_base_url(Url::parse(base).expect("sim base url"));
    c.rate = rate;
    c.backoff_base = Duration::from_millis(50);
    c.backoff_cap = Duration::from_millis(500);
    c.max_retries = 5;
    c.request_timeout = Duration::from_secs(5);
    c.partner_id = Some("STAFFSYNC".into());
    c.app_id = Some("STAFFSYNC_TESTS".into());
    c
}

pub fn client(base: &str) -> Client {
    Client::new(config(base, RateLimit::default())).expect("client")
}

async fn call(method: reqwest::Method, base: &str, path: &str, body: Option<Value>) -> Value {
    let http = reqwest::Client::new();
    let mut req = http.request(method, format!("{}{path}", base.trim_end_matches('/')));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("control call");
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub async fn fault(base: &str, fault: Value) {
    call(reqwest::Method::POST, base, "/_sim/faults", Some(fault)).await;
}

pub async fn stats(base: &str) -> Value {
    call(reqwest::Method::GET, base, "/_sim/stats", None).await
}

pub async fn reset_stats(base: &str) {
    call(reqwest::Method::POST, base, "/_sim/stats/reset", None).await;
}

pub async fn sim_employees(base: &str) -> Vec<Value> {
    match call(reqwest::Method::GET, base, "/_sim/employees", None).await {
        Value::Array(v) => v,
        Value::Object(m) => match m.get("employees").or_else(|| m.get("data")) {
            Some(Value::Array(v)) => v.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

pub async fn set_readable(base: &str, readable: Value) {
    call(
        reqwest::Method::PUT,
        base,
        "/_sim/credential",
        Some(serde_json::json!({ "readable": readable })),
    )
    .await;
}

pub fn n(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_u64()
        .unwrap_or_else(|| panic!("{path:?} missing in {v}"))
}

/// Asserts the listing is complete: counts add up and ids are unique.
pub fn assert_complete(l: &personio::Listing, expected_total: usize) {
    assert_eq!(l.total_elements, expected_total);
    assert_eq!(l.employees.len() + l.malformed.len(), expected_total);
    let mut ids: Vec<i64> = l.employees.iter().map(|e| e.id.0).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), l.employees.len(), "duplicate ids");
}
