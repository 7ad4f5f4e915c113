//! Upgrading a database written by an older release: the committed fixture
//! `tests/fixtures/upgrade-v1/` (a SQLite file, a PostgreSQL dump, the key that sealed
//! their Personio secret, API tokens and the REST API's answers as that release gave
//! them) is served by today's `staffsync serve`, which runs today's migrations when it
//! opens the store, and every recorded request must get exactly the recorded answer.
//!
//! A migration must keep every id, feedback link, snapshot and run; this is the check
//! that it did, through the interface the survey app reads. The fixture is a record of
//! the old format and is never re-recorded to make this test pass (see the fixture's
//! README and [`record`]).
//!
//! Nothing is excepted from the comparison: the answers hold only what the database
//! holds (times are when things happened, "today" is pinned with `STAFFSYNC_TODAY`).
//! The one thing of "now" is the change feed's retention, which would prune the
//! fixture's changes 30 days after they were recorded: the server is started with a
//! retention of 100 years instead ([`SERVE_ARGS`]).

mod diff;
mod record;

use crate::common::{TODAY, describe};
use crate::postgres_e2e::{drop_db, fresh_database};
use crate::serve_common::ServeProcess;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Connection as _;
use staffsync_core::AccountSlug;
use staffsync_store::{Store, StoreConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The client secret the fixture's Personio account was connected with.
const CLIENT_SECRET: &str = crate::common::CLIENT_SECRET;

/// `serve` as both the recording and the test run it: no scheduler (nothing may sync or
/// check dates while the answers are compared) and a change retention that does not
/// depend on how long ago the fixture was recorded.
const SERVE_ARGS: [&str; 3] = ["--no-scheduler", "--change-retention", "36500d"];

/// A backend the fixture was written on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// `fixture.json`: how the fixture was made and the API tokens (plaintext) it holds.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    /// The commit whose code wrote the fixture.
    recorded_with_commit: String,
    /// `STAFFSYNC_TODAY` while it was written and while it is served.
    today: String,
    /// Per backend: token name → the token (`Bearer` value).
    tokens: BTreeMap<String, BTreeMap<String, String>>,
}

/// One recorded request and the answer it got.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Exchange {
    /// Which token of [`Meta::tokens`] asked.
    token: String,
    method: String,
    /// Path and query under the server's root (`/api/v1/employees?limit=7`).
    path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    status: u16,
    answer: Value,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade-v1")
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid: {e}", path.display()))
}

fn answers_path(backend: Backend) -> PathBuf {
    fixture_dir()
        .join("answers")
        .join(format!("{}.json", backend.name()))
}

/// The fixture's database, ready for `serve`: a data directory with the key file (and,
/// on SQLite, the database file); on PostgreSQL, a fresh database loaded from the dump
/// (dropped by [`Served::finish`]).
struct Prepared {
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Prepared {
    async fn new(backend: Backend) -> Prepared {
        let fixture = fixture_dir();
        let dir = tempfile::TempDir::new().expect("tempdir");
        std::fs::copy(fixture.join("secret.key"), dir.path().join("secret.key"))
            .expect("copy secret.key");
        let postgres = match backend {
            Backend::Sqlite => {
                std::fs::copy(
                    fixture.join("sqlite/staffsync.db"),
                    dir.path().join("staffsync.db"),
                )
                .expect("copy staffsync.db");
                None
            }
            Backend::Postgres => {
                let dump = std::fs::read_to_string(fixture.join("postgres/dump.sql"))
                    .expect("postgres/dump.sql");
                Some(load_dump(&dump).await)
            }
        };
        Prepared { dir, postgres }
    }

    fn database_url(&self) -> Option<&str> {
        self.postgres.as_ref().map(|(_, url)| url.as_str())
    }

    fn serve(&self) -> ServeProcess {
        let mut envs = vec![("STAFFSYNC_TODAY", TODAY_TEXT)];
        if let Some(url) = self.database_url() {
            envs.push(("STAFFSYNC_DATABASE_URL", url));
        }
        ServeProcess::start(
            self.dir.path(),
            self.dir.path().join("serve.log"),
            &SERVE_ARGS,
            &envs,
        )
    }

    /// The store as the server left it (migrated), opened the way the binary opens it.
    async fn store(&self) -> Store {
        Store::open(&StoreConfig {
            data_dir: self.dir.path().to_owned(),
            database_url: self.database_url().map(str::to_owned),
            secret_key: None,
        })
        .await
        .expect("the upgraded store opens")
    }

    async fn finish(self) {
        if let Some((admin, url)) = &self.postgres {
            drop_db(admin, url).await;
        }
    }
}

const TODAY_TEXT: &str = "2026-06-15";

/// Loads a plain-SQL `pg_dump` (made with `--column-inserts`, so there is no `COPY … FROM
/// stdin` data) into a fresh database. psql's meta-commands (`\restrict`, which newer
/// pg_dumps write) are psql's, not SQL: they are left out.
async fn load_dump(dump: &str) -> (String, String) {
    let (admin, url) = fresh_database().await;
    let sql: String = dump
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .flat_map(|l| [l, "\n"])
        .collect();
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("the new database");
    sqlx::raw_sql(&sql)
        .execute(&mut conn)
        .await
        .expect("the dump loads");
    conn.close().await.ok();
    (admin, url)
}

/// Sends one recorded request to `base` and returns what it got now.
async fn ask(http: &reqwest::Client, base: &str, token: &str, ex: &Exchange) -> (u16, Value) {
    let url = format!("{base}{}", ex.path);
    let mut req = match ex.method.as_str() {
        "GET" => http.get(&url),
        "POST" => http.post(&url),
        other => panic!("the fixture asks {other}; only GET and POST are recorded"),
    }
    .bearer_auth(token);
    if let Some(body) = &ex.body {
        req = req.json(body);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e}", ex.method, ex.path));
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, answer)
}

/// Fields added to the answers since the fixture was recorded, each by a migration that
/// fills it for old rows, with the value an upgraded row must have (checked as the
/// difference's text, `path: new field VALUE`). Only new fields: nothing recorded may
/// change or go.
///
/// - `error_code` of a run (migration 0011, failures stored as values): runs recorded
///   before it have no failure kind, so `null` (their English `error` is unchanged).
/// - `keep_attributes` of the settings (migration 0013, only used attributes are kept):
///   an upgraded account keeps exactly the custom attributes its directory held, so the
///   migration lists them; the next sync drops nobody's data by surprise (the employees'
///   answers above, recorded before, are unchanged).
const NEW_FIELDS: [(&str, &str); 2] = [
    (".error_code: new field ", "null"),
    ("$.keep_attributes: new field ", "["),
];

fn is_new_field(difference: &str) -> bool {
    NEW_FIELDS.iter().any(|(field, value)| {
        difference
            .find(field)
            .is_some_and(|at| difference[at + field.len()..].starts_with(value))
    })
}

/// The recorded requests whose answer from `base` differs now: the request, and where
/// its answer differs (status, JSON paths), leaving out the [`NEW_FIELDS`].
async fn differences(
    base: &str,
    tokens: &BTreeMap<String, String>,
    recorded: &[Exchange],
) -> Vec<(String, Vec<String>)> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for ex in recorded {
        let token = tokens
            .get(&ex.token)
            .unwrap_or_else(|| panic!("fixture.json has no token {:?}", ex.token));
        let (status, answer) = ask(&http, base, token, ex).await;
        let mut found = Vec::new();
        if status != ex.status {
            found.push(format!("status {status} (was {})", ex.status));
        }
        found.extend(diff::json_differences_but(
            &ex.answer,
            &answer,
            is_new_field,
        ));
        if !found.is_empty() {
            out.push((
                format!("{} {} (token {})", ex.method, ex.path, ex.token),
                found,
            ));
        }
    }
    out
}

/// The differences as a report: the first `requests` requests, each with its paths.
fn report(found: &[(String, Vec<String>)], requests: usize) -> String {
    let mut text = String::new();
    for (request, paths) in found.iter().take(requests) {
        text.push_str(request);
        text.push('\n');
        for p in paths {
            text.push_str("    ");
            text.push_str(p);
            text.push('\n');
        }
    }
    if found.len() > requests {
        text.push_str(&format!("… and {} more requests\n", found.len() - requests));
    }
    text
}

/// Serves the fixture of `backend` with today's code and compares every answer.
async fn upgrade_and_compare(backend: Backend) {
    let meta: Meta = read_json(&fixture_dir().join("fixture.json"));
    assert_eq!(meta.today, TODAY_TEXT, "the fixture's pinned date");
    assert_eq!(staffsync_core::dates::format_date(TODAY), TODAY_TEXT);
    let tokens = meta
        .tokens
        .get(backend.name())
        .unwrap_or_else(|| panic!("fixture.json has no tokens for {}", backend.name()))
        .clone();
    let recorded: Vec<Exchange> = read_json(&answers_path(backend));
    assert!(recorded.len() > 50, "the recorded answers are all there");

    let prepared = Prepared::new(backend).await;
    let mut serve = prepared.serve();
    let base = format!("http://{}", serve.addr);
    let found = differences(&base, &tokens, &recorded).await;
    let status = serve.terminate(Duration::from_secs(30));
    assert!(
        status.success(),
        "serve stopped: {status}\n{}",
        serve.log_text()
    );

    // The Personio secret still decrypts with the fixture's key.
    let store = prepared.store().await;
    let acme = store
        .account(&AccountSlug::parse("acme").expect("slug"))
        .await
        .expect("accounts readable")
        .expect("account acme");
    let connection = store
        .connection(acme.id)
        .await
        .expect("the connection decrypts")
        .expect("acme is connected");
    store.close().await;
    prepared.finish().await;
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&connection.client_secret),
        CLIENT_SECRET
    );

    assert!(
        found.is_empty(),
        "{} of {} recorded answers of the {} fixture differ after the upgrade:\n{}",
        found.len(),
        recorded.len(),
        backend.name(),
        report(&found, 15)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_sqlite_database_answers_as_recorded() {
    upgrade_and_compare(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_postgres_database_answers_as_recorded() {
    upgrade_and_compare(Backend::Postgres).await;
}
