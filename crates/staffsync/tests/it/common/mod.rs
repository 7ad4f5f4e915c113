//! Test harness: runs the real `staffsync` binary against a real simulator, each test in
//! its own data directory.
//!
//! Tests must use the multi-threaded runtime: the binary is run with blocking
//! `Command::output`, and the in-process simulator needs another thread to answer it.
#![allow(dead_code)]

use personio_sim::{SimConfig, SimHandle};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;
use time::Date;

pub const CLIENT_ID: &str = "test-client";
pub const CLIENT_SECRET: &str = "s3cr3t-Zebra-Quokka-4711";
pub const TODAY: Date = time::macros::date!(2026 - 06 - 15);

pub struct World {
    pub sim: SimHandle,
    pub dir: TempDir,
    pub http: reqwest::Client,
    pub database_url: Option<String>,
}

pub async fn sim(employees: usize, rate_limit: bool) -> SimHandle {
    personio_sim::spawn(SimConfig {
        employees,
        seed: 11,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        rate_limit,
        today: Some(TODAY),
        ..Default::default()
    })
    .await
    .expect("simulator starts")
}

/// The store a test runs on: the same story is told on both (issue 24: "each point shown
/// through the real binary on SQLite and PostgreSQL").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// A fresh database on the server named by `STAFFSYNC_TEST_DATABASE_URL`, dropped by
    /// [`World::finish`].
    Postgres,
}

impl World {
    /// [`World::connected`] on `backend`.
    pub async fn connected_on(backend: Backend, employees: usize) -> World {
        let w = World::without_accounts_on(backend, employees).await;
        w.create_acme_connected();
        w
    }

    /// `account create acme --name "Acme GmbH"`, connected to the simulator.
    pub fn create_acme_connected(&self) {
        self.ok(&["account", "create", "acme", "--name", "Acme GmbH"]);
        self.ok(&[
            "connect",
            "acme",
            "--client-id",
            CLIENT_ID,
            "--personio-url",
            &self.sim.base_url(),
        ]);
    }

    /// A data directory (and, on PostgreSQL, a fresh database) without accounts, beside
    /// a simulator with `employees` people.
    pub async fn without_accounts_on(backend: Backend, employees: usize) -> World {
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(crate::postgres_e2e::fresh_database().await.1),
        };
        World {
            sim: sim(employees, false).await,
            dir: TempDir::new().expect("tempdir"),
            http: reqwest::Client::new(),
            database_url,
        }
    }

    /// Drops the PostgreSQL database of a world made by [`World::connected_on`] or
    /// [`World::without_accounts_on`] (the data directory goes with the `TempDir`).
    pub async fn finish(mut self) {
        if let Some(url) = self.database_url.take() {
            let admin = std::env::var("STAFFSYNC_TEST_DATABASE_URL").expect("set for PostgreSQL");
            crate::postgres_e2e::drop_db(&admin, &url).await;
        }
    }

    /// A simulator with `employees` people, and an account `acme` connected to it.
    pub async fn connected(employees: usize) -> World {
        World::connected_on(Backend::Sqlite, employees).await
    }

    /// A data directory without accounts (and an idle simulator nobody connects to), for
    /// accounts that take employee files.
    pub async fn without_accounts() -> World {
        World::without_accounts_on(Backend::Sqlite, 1).await
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_staffsync"));
        cmd.args(args)
            .env("STAFFSYNC_DATA_DIR", self.dir.path())
            .env("PERSONIO_CLIENT_SECRET", CLIENT_SECRET)
            .env("STAFFSYNC_TODAY", staffsync_core::dates::format_date(TODAY))
            .env_remove("STAFFSYNC_DATABASE_URL")
            .env_remove("STAFFSYNC_SECRET_KEY");
        if let Some(url) = &self.database_url {
            cmd.env("STAFFSYNC_DATABASE_URL", url);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("staffsync runs")
    }

    pub fn run_on(&self, today: Date, args: &[&str]) -> Output {
        self.command(args)
            .env("STAFFSYNC_TODAY", staffsync_core::dates::format_date(today))
            .output()
            .expect("staffsync runs")
    }

    /// Runs and asserts exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "staffsync {args:?} failed: {}",
            describe(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all: Vec<&str> = args.to_vec();
        all.push("--json");
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    pub fn sync(&self) -> Value {
        self.json(&["sync", "acme"])
    }

    pub fn employees(&self) -> Vec<Value> {
        self.json(&["employees", "acme"])
            .as_array()
            .cloned()
            .expect("an array")
    }

    pub fn employee(&self, id: i64) -> Option<Value> {
        self.employees()
            .into_iter()
            .find(|e| e["personio_id"] == id)
    }

    pub fn sim_url(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url(), path)
    }

    pub async fn sim_employees(&self) -> Vec<Value> {
        get_json(&self.http, &self.sim_url("/_sim/employees")).await
    }

    /// Every request the simulator answered so far (all endpoints).
    pub async fn sim_requests(&self) -> u64 {
        let stats: Value = get_json(&self.http, &self.sim_url("/_sim/stats")).await;
        stats["requests"]
            .as_object()
            .expect("requests by endpoint")
            .values()
            .filter_map(Value::as_u64)
            .sum()
    }

    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(self.sim_url(path))
            .json(&body)
            .send()
            .await
            .expect("sim answers");
        assert!(resp.status().is_success(), "POST {path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    pub async fn sim_patch(&self, id: i64, body: Value) {
        let path = format!("/_sim/employees/{id}");
        let resp = self
            .http
            .patch(self.sim_url(&path))
            .json(&body)
            .send()
            .await
            .expect("sim answers");
        assert!(
            resp.status().is_success(),
            "PATCH {path}: {}",
            resp.status()
        );
    }

    pub async fn sim_delete(&self, id: i64) {
        let path = format!("/_sim/employees/{id}");
        let resp = self
            .http
            .delete(self.sim_url(&path))
            .send()
            .await
            .expect("sim answers");
        assert!(
            resp.status().is_success(),
            "DELETE {path}: {}",
            resp.status()
        );
    }

    /// Everyone the rules admit on `today`, computed from the simulator's own records
    /// (a reference independent of the planner).
    pub async fn expected_ids(&self, today: Date) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .sim_employees()
            .await
            .iter()
            .filter(|e| eligible(e, today))
            .filter_map(|e| e["id"].as_i64())
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// GETs `url` and reads its JSON body.
pub async fn get_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> T {
    http.get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: not the expected JSON: {e}"))
}

pub fn ids(employees: &[Value]) -> Vec<i64> {
    let mut ids: Vec<i64> = employees
        .iter()
        .filter_map(|e| e["personio_id"].as_i64())
        .collect();
    ids.sort_unstable();
    ids
}

fn date_of(v: &Value) -> Option<Date> {
    v.as_str()
        .and_then(staffsync_core::dates::parse_calendar_date)
}

pub fn eligible(e: &Value, today: Date) -> bool {
    let nonempty = |k: &str| e[k].as_str().is_some_and(|s| !s.trim().is_empty());
    e["status"] == "active"
        && nonempty("first_name")
        && nonempty("last_name")
        && e["email"]
            .as_str()
            .is_some_and(|s| staffsync_core::Email::parse(s).is_ok())
        && date_of(&e["hire_date"]).is_none_or(|d| d <= today)
        && date_of(&e["termination_date"]).is_none_or(|d| d >= today)
}

pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out
}

/// True when `needle` occurs in any file below `dir`.
pub fn found_in_files(dir: &Path, needle: &str) -> Option<PathBuf> {
    files_below(dir).into_iter().find(|p| {
        std::fs::read(p)
            .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .unwrap_or(false)
    })
}
