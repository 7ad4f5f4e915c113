//! Admins of an account's web app, their web sessions, and the account's API tokens.
//!
//! This module stores only what it is given: a password *hash* (argon2, made by the
//! server), opaque session data under the SHA-256 hex digest of the session id (the
//! server hashes the id its cookie carries), and the SHA-256 hex digest of an API token.
//! It must never see or store a password, a session id or a token in clear, and `Admin`'s `Debug` never shows
//! the hash. E-mails are unique across all accounts, compared trimmed and lower-cased.

use crate::error::{Result, StoreError, is_foreign_key_violation, is_unique_violation};
use crate::sql::{now, parse_opt_ts, parse_ts, ts};
use crate::{AccountId, Store};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;
use staffsync_core::MailAddress;
use std::fmt;
use time::OffsetDateTime;

/// An admin's row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AdminId(pub i64);

impl fmt::Display for AdminId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An admin of one account. `Debug` hides the password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Admin {
    pub id: AdminId,
    pub account_id: AccountId,
    pub email: String,
    pub password_hash: String,
    /// The language the admin last logged in with (`de`, `en`); `None` before that.
    pub lang: Option<String>,
    /// Raised by every password reset ([`Store::reset_admin_password`]): a session keeps
    /// the value it logged in under and ends when it differs.
    pub session_epoch: i64,
}

impl fmt::Debug for Admin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admin")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("email", &self.email)
            .field("password_hash", &"[REDACTED]")
            .field("lang", &self.lang)
            .field("session_epoch", &self.session_epoch)
            .finish()
    }
}

/// An API token as listed (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub account_id: AccountId,
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// What the token opens.
    pub scope: TokenScope,
}

/// What a token opens: the REST API under `/api/v1` or the SCIM endpoint under
/// `/scim/v2`, never both (an identity provider's token cannot read the directory, and
/// the survey app's cannot provision people).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    #[default]
    Api,
    Scim,
}

impl TokenScope {
    pub const ALL: [TokenScope; 2] = [TokenScope::Api, TokenScope::Scim];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Api => "api",
            TokenScope::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The account a token opens, and its label (who a SCIM write was made by, in the run
/// history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    pub account: AccountId,
    pub label: String,
}

/// The form in which e-mails are compared: trimmed and lower-cased.
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

const ADMIN_COLUMNS: &str = "id, account_id, email, password_hash, lang, session_epoch";

fn admin_from_row(row: &AnyRow) -> Result<Admin> {
    Ok(Admin {
        id: AdminId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        lang: row.try_get("lang")?,
        session_epoch: row.try_get("session_epoch")?,
    })
}

const TOKEN_COLUMNS: &str = "id, account_id, label, created_at, revoked_at, scope";

fn token_from_row(row: &AnyRow) -> Result<ApiToken> {
    let created_at: String = row.try_get("created_at")?;
    let scope: String = row.try_get("scope")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        account_id: AccountId(row.try_get("account_id")?),
        label: row.try_get("label")?,
        created_at: parse_ts(&created_at)?,
        revoked_at: parse_opt_ts(row.try_get("revoked_at")?)?,
        scope: TokenScope::parse(&scope)
            .ok_or_else(|| StoreError::corrupt(format!("token scope {scope:?}")))?,
    })
}

impl Store {
    /// Creates an admin of `account`. `Conflict` if the e-mail (case-insensitively) is
    /// already an admin's anywhere; `NotFound` for an unknown account. The e-mail is a
    /// [`MailAddress`]: their alerts are mailed to it.
    pub async fn create_admin(
        &self,
        account: AccountId,
        email: &MailAddress,
        password_hash: &str,
    ) -> Result<Admin> {
        let sql = format!(
            "INSERT INTO admins (account_id, email, email_key, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {ADMIN_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(email.as_str())
            .bind(email_key(email.as_str()))
            .bind(password_hash)
            .bind(ts(now()))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::conflict(format!("an admin with e-mail {email} exists"))
                } else if is_foreign_key_violation(&e) {
                    StoreError::not_found(format!("account {account}"))
                } else {
                    e.into()
                }
            })?;
        admin_from_row(&row)
    }

    /// The admin with this e-mail (compared case-insensitively), in any account.
    pub async fn admin_by_email(&self, email: &str) -> Result<Option<Admin>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM admins WHERE email_key = $1");
        let row = sqlx::query(&sql)
            .bind(email_key(email))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(admin_from_row).transpose()
    }

    /// The admin with this id.
    pub async fn admin(&self, id: AdminId) -> Result<Option<Admin>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM admins WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(admin_from_row).transpose()
    }

    /// The account's admins, in the order they were created.
    pub async fn admins(&self, account: AccountId) -> Result<Vec<Admin>> {
        let sql = format!("SELECT {ADMIN_COLUMNS} FROM admins WHERE account_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(admin_from_row).collect()
    }

    /// Remembers the language `admin` uses the web app in (`de`, `en`): their alert
    /// e-mails are written in it.
    pub async fn set_admin_lang(&self, admin: AdminId, lang: &str) -> Result<()> {
        sqlx::query("UPDATE admins SET lang = $1 WHERE id = $2")
            .bind(lang)
            .bind(admin.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores (or replaces) a web session's data under `id_sha256_hex`, the digest of the
    /// session id.
    pub async fn save_session(
        &self,
        id_sha256_hex: &str,
        data: &str,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id_sha256_hex)
        .bind(data)
        .bind(ts(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A session's data and expiry by the digest of its id; `None` if unknown or expired
    /// at `now`.
    pub async fn load_session(
        &self,
        id_sha256_hex: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(String, OffsetDateTime)>> {
        let row =
            sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id_sha256_hex)
                .bind(ts(now))
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| -> Result<_> {
            let expires: String = r.try_get("expires_at")?;
            Ok((r.try_get("data")?, parse_ts(&expires)?))
        })
        .transpose()
    }

    /// Deletes a session by the digest of its id (no error if it does not exist).
    pub async fn delete_session(&self, id_sha256_hex: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id_sha256_hex)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes every session expired at `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ts(now))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Stores a new REST API token of `account` by its SHA-256 hex digest.
    pub async fn create_api_token(
        &self,
        account: AccountId,
        token_sha256_hex: &str,
        label: &str,
    ) -> Result<ApiToken> {
        self.create_token(account, token_sha256_hex, label, TokenScope::Api)
            .await
    }

    /// Stores a new token of `scope` for `account` by its SHA-256 hex digest.
    pub async fn create_token(
        &self,
        account: AccountId,
        token_sha256_hex: &str,
        label: &str,
        scope: TokenScope,
    ) -> Result<ApiToken> {
        let sql = format!(
            "INSERT INTO api_tokens (account_id, token_sha256, label, created_at, scope) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(token_sha256_hex.to_ascii_lowercase())
            .bind(label)
            .bind(ts(now()))
            .bind(scope.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::conflict("this API token exists")
                } else if is_foreign_key_violation(&e) {
                    StoreError::not_found(format!("account {account}"))
                } else {
                    e.into()
                }
            })?;
        token_from_row(&row)
    }

    /// The account a REST API token (by digest) belongs to; `None` if unknown, revoked
    /// or of another scope (a SCIM token).
    pub async fn account_for_token(&self, token_sha256_hex: &str) -> Result<Option<AccountId>> {
        Ok(self
            .token_holder(token_sha256_hex, TokenScope::Api)
            .await?
            .map(|h| h.account))
    }

    /// Who holds a token of `scope` (by digest); `None` if unknown, revoked or of
    /// another scope.
    pub async fn token_holder(
        &self,
        token_sha256_hex: &str,
        scope: TokenScope,
    ) -> Result<Option<TokenHolder>> {
        let row = sqlx::query(
            "SELECT account_id, label FROM api_tokens \
             WHERE token_sha256 = $1 AND revoked_at IS NULL AND scope = $2",
        )
        .bind(token_sha256_hex.to_ascii_lowercase())
        .bind(scope.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(TokenHolder {
                account: AccountId(r.try_get("account_id")?),
                label: r.try_get("label")?,
            })
        })
        .transpose()
    }

    /// The account's API tokens (revoked ones included), oldest first.
    pub async fn api_tokens(&self, account: AccountId) -> Result<Vec<ApiToken>> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE account_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes the account's token `id`; `false` if unknown (in this account) or already
    /// revoked.
    pub async fn revoke_api_token(&self, account: AccountId, id: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 \
             WHERE account_id = $2 AND id = $3 AND revoked_at IS NULL",
        )
        .bind(ts(now()))
        .bind(account.0)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores a password-reset token of `admin` by its SHA-256 hex digest, valid until
    /// `expires_at`.
    pub async fn create_password_reset(
        &self,
        admin: AdminId,
        token_sha256_hex: &str,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO password_resets (admin_id, token_sha256, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(admin.0)
        .bind(token_sha256_hex.to_ascii_lowercase())
        .bind(ts(now()))
        .bind(ts(expires_at))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::not_found(format!("admin {admin}"))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    /// The admin a password-reset token (by digest) is for, while it is unused and not
    /// expired at `now`; `None` otherwise. Changes nothing.
    pub async fn password_reset_admin(
        &self,
        token_sha256_hex: &str,
        now: OffsetDateTime,
    ) -> Result<Option<AdminId>> {
        let row = sqlx::query(
            "SELECT admin_id FROM password_resets \
             WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_sha256_hex.to_ascii_lowercase())
        .bind(ts(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("admin_id"))
            .transpose()?
            .map(AdminId))
    }

    /// Uses a password-reset token (by digest): when it is unused and not expired at
    /// `now`, in one transaction, sets its admin's password hash, raises their session
    /// epoch (every session they have ends) and marks all their reset tokens used.
    /// Returns the admin, or `None` (nothing changed) for an unknown, used or expired
    /// token. Two concurrent uses of one token: only one succeeds.
    pub async fn reset_admin_password(
        &self,
        token_sha256_hex: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<AdminId>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE password_resets SET used_at = $1 \
             WHERE token_sha256 = $2 AND used_at IS NULL AND expires_at > $1 \
             RETURNING admin_id",
        )
        .bind(ts(now))
        .bind(token_sha256_hex.to_ascii_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let admin = AdminId(row.try_get("admin_id")?);
        set_password_in(&mut tx, admin, password_hash, now).await?;
        tx.commit().await?;
        Ok(Some(admin))
    }

    /// Sets `admin`'s password hash directly (the operator's `staffsync admin
    /// reset-password --set-password`), ending every session they have and every reset
    /// link not yet used; `false` for an unknown admin.
    pub async fn set_admin_password(&self, admin: AdminId, password_hash: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let changed = set_password_in(&mut tx, admin, password_hash, now()).await?;
        tx.commit().await?;
        Ok(changed)
    }
}

/// In `tx`: sets `admin`'s password hash, raises their session epoch and marks their
/// unused reset tokens used; `false` for an unknown admin.
async fn set_password_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    admin: AdminId,
    password_hash: &str,
    at: OffsetDateTime,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE admins SET password_hash = $1, session_epoch = session_epoch + 1 WHERE id = $2",
    )
    .bind(password_hash)
    .bind(admin.0)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE admin_id = $2 AND used_at IS NULL")
        .bind(ts(at))
        .bind(admin.0)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() > 0)
}
