//! Configuration and opening of the [`Store`]: choosing the backend, connection pragmas,
//! the encryption key and the migrations.
//!
//! SQLite (the default) lives in `<data_dir>/staffsync.db` with WAL, `secure_delete=ON`
//! (deleted content is overwritten with zeros), `foreign_keys=ON`, `synchronous=NORMAL`
//! (durable at checkpoints; erasures checkpoint at once) and a busy timeout.
//! PostgreSQL is used when `database_url` is `postgres://…` or `postgresql://…`.
//!
//! This module must never print or return the database URL (it may hold a password):
//! errors name only its scheme, and `StoreConfig`'s `Debug` redacts it.

use crate::crypto::SecretKey;
use crate::error::{Result, StoreError};
use secrecy::SecretString;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection as _, Executor as _};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Where and how to open the store.
#[derive(Clone)]
pub struct StoreConfig {
    /// Holds `staffsync.db` (SQLite) and `secret.key` (when no key is configured).
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; `None` (or empty) for SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Base64 of 32 bytes (`STAFFSYNC_SECRET_KEY`); `None` ⇒ `<data_dir>/secret.key`.
    pub secret_key: Option<SecretString>,
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self
                    .database_url
                    .as_deref()
                    .map(|u| format!("{}://[REDACTED]", scheme(u))),
            )
            .field("secret_key", &self.secret_key)
            .finish()
    }
}

/// Which database the store is using.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The store: a connection pool and the key for stored secrets. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) key: Arc<SecretKey>,
}

/// The SQLite database's file name inside the data directory.
pub const SQLITE_FILE: &str = "staffsync.db";

fn scheme(url: &str) -> &str {
    url.split_once(':').map_or("", |(s, _)| s)
}

impl Store {
    /// Opens (and migrates) the store described by `cfg`.
    pub async fn open(cfg: &StoreConfig) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let url = cfg
            .database_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        let backend = match url.map(scheme) {
            None => Backend::Sqlite,
            Some("postgres" | "postgresql") => Backend::Postgres,
            Some(other) => {
                return Err(StoreError::InvalidUrl {
                    scheme: other.chars().take(32).collect(),
                });
            }
        };
        let needs_dir = backend == Backend::Sqlite || cfg.secret_key.is_none();
        if needs_dir {
            crate::fs::create_private_dir(&cfg.data_dir).map_err(|error| StoreError::Io {
                path: cfg.data_dir.clone(),
                error,
            })?;
            crate::fs::make_private(&cfg.data_dir)?;
        }
        let key = Arc::new(SecretKey::load(cfg.secret_key.as_ref(), &cfg.data_dir)?);
        let sqlite_file = cfg.data_dir.join(SQLITE_FILE);
        let pool = match (backend, url) {
            (Backend::Postgres, Some(url)) => open_postgres(url).await?,
            _ => open_sqlite(cfg)
                .await
                .map_err(|e| naming_file(&sqlite_file, e))?,
        };
        let store = Store { pool, backend, key };
        store.migrate().await.map_err(|e| match backend {
            Backend::Sqlite => naming_file(&sqlite_file, e),
            Backend::Postgres => e,
        })?;
        Ok(store)
    }

    /// Which database this store uses.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A trivial query: `Ok` when the database answers (readiness checks).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?;
                widen_source_check(&self.pool).await?;
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }
}

/// The CHECK on `accounts.source` as migration 0009 wrote it, and as it is since 0017.
const SOURCE_CHECK_0009: &str = "CHECK (source IN ('personio', 'file'))";
const SOURCE_CHECK_0017: &str = "CHECK (source IN ('personio', 'file', 'scim'))";

/// Lets SQLite's `accounts.source` hold `scim` (the part of migration 0017 SQLite cannot
/// do in a migration): rebuilds `accounts` with the wider CHECK, its rows and ids as
/// they were. A table rebuild needs foreign keys off, or dropping the old table would
/// cascade to every account's data; `PRAGMA foreign_keys` cannot change inside a
/// transaction, so this runs on a connection of its own, outside `sqlx::migrate!`. Does
/// nothing once done (the stored schema says so), so every start may call it.
async fn widen_source_check(pool: &AnyPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let sql: Option<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'accounts'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(sql) = sql.filter(|s| s.contains(SOURCE_CHECK_0009)) else {
        return Ok(());
    };
    let create = sql
        .replacen("CREATE TABLE accounts", "CREATE TABLE accounts_widened", 1)
        .replace(SOURCE_CHECK_0009, SOURCE_CHECK_0017);
    conn.execute("PRAGMA foreign_keys = OFF").await?;
    let rebuilt = async {
        let mut tx = conn.begin().await?;
        tx.execute(create.as_str()).await?;
        // Same columns in the same order: the new table is the old one's text.
        tx.execute("INSERT INTO accounts_widened SELECT * FROM accounts")
            .await?;
        tx.execute("DROP TABLE accounts").await?;
        tx.execute("ALTER TABLE accounts_widened RENAME TO accounts")
            .await?;
        let broken: Option<String> =
            sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(table) = broken {
            return Err(StoreError::corrupt(format!(
                "rebuilding accounts left a dangling reference in {table}"
            )));
        }
        tx.commit().await?;
        Ok::<(), StoreError>(())
    }
    .await;
    // Back on before the connection returns to the pool, whatever happened.
    conn.execute("PRAGMA foreign_keys = ON").await?;
    rebuilt
}

/// A database failure of the SQLite file, naming it (a read-only data directory fails
/// here); errors that name their path already stay as they are.
fn naming_file(path: &std::path::Path, e: StoreError) -> StoreError {
    match e {
        StoreError::Database(_) | StoreError::Migration(_) => StoreError::DatabaseFile {
            path: path.to_owned(),
            error: Box::new(e),
        },
        other => other,
    }
}

async fn open_sqlite(cfg: &StoreConfig) -> Result<AnyPool> {
    let path = cfg.data_dir.join(SQLITE_FILE);
    // Create the file ourselves so it (and the -wal/-shm files SQLite derives from it)
    // are private from the start.
    crate::fs::touch_private_file(&path).map_err(|error| StoreError::Io {
        path: path.clone(),
        error,
    })?;
    crate::fs::make_private(&path)?;
    // SQLite creates these with the database's mode; ones left by an earlier run may
    // predate a fix of it.
    for suffix in ["-wal", "-shm"] {
        let mut derived = path.clone().into_os_string();
        derived.push(suffix);
        let derived = PathBuf::from(derived);
        if derived.exists() {
            crate::fs::make_private(&derived)?;
        }
    }
    let url = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .to_url_lossy();
    let opts = AnyConnectOptions::from_url(&url)?;

    // WAL is a property of the file; switching needs an exclusive lock that the busy
    // timeout does not wait for, so do it once here rather than per pooled connection.
    let mut conn = AnyConnection::connect_with(&opts).await?;
    conn.execute("PRAGMA busy_timeout = 5000").await?;
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.close().await?;

    let pool = AnyPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute("PRAGMA secure_delete = ON").await?;
                conn.execute("PRAGMA busy_timeout = 5000").await?;
                // In WAL mode NORMAL syncs at checkpoints, not at every commit: a power cut
                // may lose the last committed run (the next sync redoes it) but never
                // corrupts the database. FULL cost a first sync of 10,000 people ~20 ms of
                // its ~0.2 s apply.
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await?;
    Ok(pool)
}

async fn open_postgres(url: &str) -> Result<AnyPool> {
    let opts = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await?;
    Ok(pool)
}

impl Store {
    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails
    /// at once with "database is locked" when another connection wrote in between, while
    /// an immediate one waits for the busy timeout like any other writer.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Starts a transaction that only reads, and reads one moment: every statement in it
    /// sees the database as its first statement did. A read of several statements (the
    /// groups, then the people with their memberships) outside one would see a group
    /// created between them as a membership in an unknown group. SQLite's deferred `BEGIN`
    /// keeps its WAL snapshot until the end; PostgreSQL's default (read committed) takes a
    /// snapshot per statement, so it asks for repeatable read.
    pub(crate) async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN").await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?
            }
        };
        Ok(tx)
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)] // helpers below are not #[test] functions, which clippy.toml covers
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn chmod(path: &std::path::Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[tokio::test]
    async fn a_new_data_dir_and_key_file_are_private() {
        let dir = tempfile::TempDir::new().unwrap();
        let data = dir.path().join("new");
        let store = Store::open(&StoreConfig {
            data_dir: data.clone(),
            database_url: None,
            secret_key: None,
        })
        .await
        .unwrap();
        store.close().await;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("secret.key")), 0o600);
        assert_eq!(mode(&data.join(SQLITE_FILE)), 0o600);
    }

    #[tokio::test]
    async fn an_open_data_dir_and_key_file_are_made_private() {
        let dir = tempfile::TempDir::new().unwrap();
        let data = dir.path().join("open");
        std::fs::create_dir(&data).unwrap();
        chmod(&data, 0o777);
        let key = data.join("secret.key");
        std::fs::write(&key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n").unwrap();
        chmod(&key, 0o644);
        std::fs::write(data.join(SQLITE_FILE), "").unwrap();
        chmod(&data.join(SQLITE_FILE), 0o666);
        let store = Store::open(&StoreConfig {
            data_dir: data.clone(),
            database_url: None,
            secret_key: None,
        })
        .await
        .unwrap();
        store.close().await;
        assert_eq!(mode(&data), 0o700, "data dir");
        assert_eq!(mode(&key), 0o600, "key file");
        assert_eq!(mode(&data.join(SQLITE_FILE)), 0o600, "database file");
    }
}
