//! Helpers shared by the simulator's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use personio_sim::{SimConfig, SimHandle};
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::Value;

pub const TODAY: time::Date = time::macros::date!(2026 - 06 - 15);

/// A small company with limits off and a fixed today.
pub fn config(employees: usize) -> SimConfig {
    SimConfig {
        employees,
        seed: 42,
        client_id: "cid".into(),
        client_secret: "secret".into(),
        rate_limit: false,
        today: Some(TODAY),
        ..Default::default()
    }
}

pub struct Sim {
    pub handle: SimHandle,
    pub http: Client,
    pub base: String,
}

pub async fn start(config: SimConfig) -> Sim {
    let handle = personio_sim::spawn(config).await.unwrap();
    let base = handle.base_url();
    Sim {
        handle,
        http: Client::new(),
        base,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn reply(r: reqwest::Response) -> Reply {
    Reply {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

impl Sim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn token(&self) -> String {
        let r = self
            .http
            .post(self.url("/v1/auth"))
            .json(&serde_json::json!({"client_id": "cid", "client_secret": "secret"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        v["data"]["token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        reply(
            self.http
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let r = self.get(path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        r.json()
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        reply(req.send().await.unwrap()).await
    }

    pub async fn sim_employees(&self) -> Vec<Value> {
        let r = self
            .control(reqwest::Method::GET, "/_sim/employees", None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        r.json().as_array().unwrap().clone()
    }

    /// Every employee the v1 listing returns, walking pages of `limit`.
    pub async fn walk(&self, token: &str, limit: u64) -> Vec<Value> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let v = self
                .get_ok(
                    &format!("/v1/company/employees?limit={limit}&offset={offset}"),
                    token,
                )
                .await;
            out.extend(v["data"].as_array().unwrap().iter().cloned());
            let m = &v["metadata"];
            if m["current_page"].as_u64().unwrap() + 1 >= m["total_pages"].as_u64().unwrap() {
                return out;
            }
            offset += limit;
        }
    }
}

/// The `value` of attribute `key` of a v1 employee object.
pub fn val<'a>(employee: &'a Value, key: &str) -> &'a Value {
    &employee["attributes"][key]["value"]
}

pub fn id_of(employee: &Value) -> u64 {
    val(employee, "id").as_u64().unwrap()
}

/// `YYYY-MM-DD`.
pub fn ymd(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}
