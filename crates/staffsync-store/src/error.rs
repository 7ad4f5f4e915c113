//! The store's error type.
//!
//! Messages are shown to admins and written to logs, so they must never contain a secret:
//! no client secret, no encryption key, no database password (URLs are reduced to their
//! scheme), and no decrypted bytes. Crypto failures carry only a fixed reason.

use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist (in this account).
    #[error("not found: {what}")]
    NotFound { what: String },
    /// The write contradicts what is stored (duplicate slug, run no longer running, …).
    #[error("conflict: {what}")]
    Conflict { what: String },
    /// A plan held by the deletion guard was passed to `apply_plan`.
    #[error(
        "the plan is held by the deletion guard ({removing} of {directory_size} would be removed); nothing was applied"
    )]
    PlanHeld {
        removing: usize,
        directory_size: usize,
    },
    /// An argument the store cannot act on (e.g. finishing a run as `running`).
    #[error("invalid request: {what}")]
    Invalid { what: String },
    /// Stored data could not be read back (bad JSON, unknown enum value, bad timestamp).
    #[error("stored data is corrupt: {what}")]
    Corrupt { what: String },
    /// The database failed. sqlx's messages carry no bound values or passwords.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Encrypting or decrypting failed: wrong key, tampered data, or a malformed key.
    #[error("encryption error: {reason}")]
    Crypto { reason: &'static str },
    /// Running the schema migrations failed.
    #[error("database migration failed: {0}")]
    Migration(sqlx::migrate::MigrateError),
    /// `database_url` has a scheme the store does not speak. Only the scheme is kept.
    #[error("unsupported database URL scheme {scheme:?}: use postgres:// or postgresql://")]
    InvalidUrl { scheme: String },
    /// The data directory, the database or the key file is open to group or others and
    /// could not be restricted to its owner.
    #[error(
        "{} is accessible by group or others and could not be restricted to its owner \
         (make it mode 0700 for a directory, 0600 for a file)",
        path.display()
    )]
    NotPrivate {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The data directory or the key file could not be read or written.
    #[error("could not access {}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The SQLite database file could not be opened or migrated (SQLite's own message,
    /// e.g. "attempt to write a readonly database", names no file).
    #[error("{}: {error}", path.display())]
    DatabaseFile {
        path: PathBuf,
        error: Box<StoreError>,
    },
}

// The cause is part of each message above, so it is not also a `source()`: an error chain
// printed with `{:#}` (anyhow, the binary) would otherwise repeat it. Hence `From` by hand
// instead of `#[from]`.
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(e)
    }
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound { what: what.into() }
    }

    pub(crate) fn conflict(what: impl Into<String>) -> Self {
        StoreError::Conflict { what: what.into() }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        StoreError::Corrupt { what: what.into() }
    }
}

/// True when `e` is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// True when `e` is a foreign-key violation.
pub(crate) fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_foreign_key_violation())
}

#[cfg(test)]
mod tests {
    use super::StoreError;
    use std::error::Error as _;

    /// The cause is said once: in the message, not again as a `source()` that `{:#}`
    /// (anyhow, the binary) would print after it.
    #[test]
    fn a_cause_is_printed_once() {
        let e = StoreError::from(sqlx::Error::RowNotFound);
        let text = e.to_string();
        assert!(text.starts_with("database error: "), "{text}");
        assert!(e.source().is_none());
        let io = StoreError::Io {
            path: "/x/secret.key".into(),
            error: std::io::Error::other("denied"),
        };
        assert_eq!(io.to_string(), "could not access /x/secret.key: denied");
        assert!(io.source().is_none());
    }
}
