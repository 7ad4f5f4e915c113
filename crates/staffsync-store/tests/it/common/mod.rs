//! Test harness: runs one conformance test on a fresh SQLite store in a temporary
//! directory, or on a fresh PostgreSQL database created for the test and dropped after.

use base64::Engine as _;
use secrecy::SecretString;
use sqlx::Connection as _;
use staffsync_store::{Backend, Store, StoreConfig};
use std::future::Future;
use std::path::PathBuf;

pub const PG_ENV: &str = "STAFFSYNC_TEST_DATABASE_URL";

/// What a test may need besides the store: how to reopen it, where its bytes live.
#[derive(Debug, Clone)]
pub struct Env {
    pub cfg: StoreConfig,
    /// URL of the test's own PostgreSQL database (PostgreSQL only).
    pub pg_url: Option<String>,
}

pub fn random_key() -> SecretString {
    let bytes: [u8; 32] = rand::random();
    SecretString::from(base64::engine::general_purpose::STANDARD.encode(bytes))
}

impl Env {
    /// Opens the same database again with another key (or the same config when `None`).
    pub async fn reopen(&self, key: Option<SecretString>) -> Store {
        let mut cfg = self.cfg.clone();
        if key.is_some() {
            cfg.secret_key = key;
        }
        Store::open(&cfg).await.expect("reopen")
    }

    /// True when any file of the data directory contains `needle` (SQLite), or any
    /// stored value of the connections table does (PostgreSQL).
    pub async fn raw_contains(&self, backend: Backend, needle: &[u8]) -> bool {
        match backend {
            Backend::Sqlite => files_contain(&self.cfg.data_dir, needle),
            Backend::Postgres => {
                let url = self.pg_url.as_deref().expect("pg url");
                let mut conn = sqlx::PgConnection::connect(url).await.expect("pg connect");
                let rows: Vec<(Vec<u8>, String, String)> = sqlx::query_as(
                    "SELECT secret_ciphertext, client_id, base_url FROM connections",
                )
                .fetch_all(&mut conn)
                .await
                .expect("select");
                rows.iter().any(|(c, a, b)| {
                    contains(c, needle)
                        || contains(a.as_bytes(), needle)
                        || contains(b.as_bytes(), needle)
                })
            }
        }
    }
}

impl Env {
    /// Runs `sql` over a connection of its own, bypassing the store (to corrupt a row).
    pub async fn raw_execute(&self, backend: Backend, sql: &str) {
        match backend {
            Backend::Sqlite => {
                let path = self.cfg.data_dir.join(staffsync_store::SQLITE_FILE);
                let url = format!("sqlite://{}", path.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
                sqlx::query(sql).execute(&mut conn).await.expect("execute");
            }
            Backend::Postgres => {
                let url = self.pg_url.as_deref().expect("pg url");
                let mut conn = sqlx::PgConnection::connect(url).await.expect("pg connect");
                sqlx::query(sql).execute(&mut conn).await.expect("execute");
            }
        }
    }

    /// The number `sql` (a `SELECT COUNT(*) …`) counts, over a connection of its own.
    pub async fn raw_count(&self, backend: Backend, sql: &str) -> i64 {
        match backend {
            Backend::Sqlite => {
                let path = self.cfg.data_dir.join(staffsync_store::SQLITE_FILE);
                let url = format!("sqlite://{}?mode=ro", path.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut conn)
                    .await
                    .expect("count")
            }
            Backend::Postgres => {
                let url = self.pg_url.as_deref().expect("pg url");
                let mut conn = sqlx::PgConnection::connect(url).await.expect("pg connect");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut conn)
                    .await
                    .expect("count")
            }
        }
    }

    /// Memberships whose person or group is gone (memberships have no foreign keys; the
    /// store must keep them linked itself), counted over a connection of its own.
    pub async fn orphan_memberships(&self, backend: Backend) -> i64 {
        self.raw_count(
            backend,
            "SELECT COUNT(*) FROM memberships m \
             WHERE NOT EXISTS (SELECT 1 FROM employees e WHERE e.id = m.employee_id) \
                OR NOT EXISTS (SELECT 1 FROM groups g WHERE g.id = m.group_id)",
        )
        .await
    }
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir` (recursively), searched for `needle`.
pub fn files_contain(dir: &std::path::Path, needle: &[u8]) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            files_contain(&p, needle)
        } else {
            std::fs::read(&p).is_ok_and(|b| contains(&b, needle))
        }
    })
}

async fn run_spawned<Fut>(fut: Fut)
where
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Err(e) = tokio::spawn(fut).await {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task failed: {e}");
    }
}

pub async fn run_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Store, Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = StoreConfig {
        data_dir: tmp.path().join("data"),
        database_url: None,
        secret_key: None,
    };
    let store = Store::open(&cfg).await.expect("open sqlite");
    assert_eq!(store.backend(), Backend::Sqlite);
    let env = Env { cfg, pg_url: None };
    run_spawned(test(store.clone(), env)).await;
    store.close().await;
}

/// `admin` with its database name replaced by `db`.
fn with_database(admin: &str, db: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut url = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

pub async fn run_postgres<F, Fut>(test: F)
where
    F: FnOnce(Store, Env) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin = std::env::var(PG_ENV).unwrap_or_else(|_| {
        panic!(
            "needs PostgreSQL: set {PG_ENV} (scripts/test skips the postgres:: half \
             visibly when no server answers)"
        )
    });
    let db = format!("ss_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect admin");
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    let url = with_database(&admin, &db);
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = StoreConfig {
        data_dir: PathBuf::from(tmp.path()).join("data"),
        database_url: Some(url.clone()),
        secret_key: Some(random_key()),
    };
    let store = Store::open(&cfg).await.expect("open postgres");
    assert_eq!(store.backend(), Backend::Postgres);
    let env = Env {
        cfg,
        pg_url: Some(url),
    };
    let outcome = tokio::spawn(test(store.clone(), env)).await;
    store.close().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("drop database");
    if let Err(e) = outcome {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        panic!("test task failed: {e}");
    }
}

#[test]
fn database_name_replacement() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/test?sslmode=disable", "x"),
        "postgres://u:p@h:5432/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}

/// Prints where `needle` occurs under `dir` (debugging aid for erasure tests).
pub fn locate(dir: &std::path::Path, needle: &[u8]) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let Ok(b) = std::fs::read(&p) else { continue };
        for (i, w) in b.windows(needle.len()).enumerate() {
            if w == needle {
                let lo = i.saturating_sub(64);
                let hi = (i + 64).min(b.len());
                println!(
                    "{} @ {i} (page {}): {:?}",
                    p.display(),
                    i / 4096,
                    String::from_utf8_lossy(&b[lo..hi])
                );
            }
        }
    }
}

/// `plan` with its group changes decided by the planner against `account`'s directory as
/// stored (tests build plans by hand; the store applies group changes, never decides them).
pub async fn with_group_changes(
    store: &staffsync_store::Store,
    account: staffsync_store::AccountId,
    plan: &staffsync_core::Plan,
) -> staffsync_core::Plan {
    let directory = store.directory(account).await.expect("directory");
    let mut plan = plan.clone();
    staffsync_core::planner::group_changes::decide(&directory, &mut plan);
    plan
}
