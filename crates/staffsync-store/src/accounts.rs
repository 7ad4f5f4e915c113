//! Customer accounts and their settings.
//!
//! The settings document is stored as JSON in `accounts.policy` (read by every run), and
//! every change also as a numbered version with who made it and when (the history). Only
//! the settings are stored: a policy's `accepted_removals` is a per-run confirmation,
//! never a standing setting. A document an older release stored (the policy before
//! settings existed) reads as the same choices ([`Settings::from_stored`]).

use crate::error::{Result, StoreError, is_unique_violation};
use crate::sql::{now, parse_ts, to_json, ts};
use crate::{AccountId, Store};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;
use staffsync_core::{AccountSlug, Policy, Settings, TimeZoneName};
use time::OffsetDateTime;

/// Where an account's people come from: exactly one source per account, chosen when it
/// is created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountSource {
    /// Synced from Personio with a stored credential.
    #[default]
    Personio,
    /// Imported from employee files (XLSX, ODS, CSV); never contacts Personio.
    File,
    /// Pushed by an identity provider (Microsoft Entra ID, Okta) to the SCIM 2.0
    /// endpoint; never contacts Personio.
    Scim,
}

impl AccountSource {
    pub const ALL: [AccountSource; 3] = [
        AccountSource::Personio,
        AccountSource::File,
        AccountSource::Scim,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountSource::Personio => "personio",
            AccountSource::File => "file",
            AccountSource::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for AccountSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customer account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub slug: AccountSlug,
    pub name: String,
    pub time_zone: TimeZoneName,
    pub policy: Policy,
    /// Personio or employee files.
    pub source: AccountSource,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "id, slug, name, time_zone, policy, source, created_at";

/// One saved version of an account's settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsVersion {
    /// 1 for the first change, counting up per account.
    pub version: i64,
    pub settings: Settings,
    /// Who saved it: `admin:<e-mail>`, `api:<token label>`, `cli`.
    pub changed_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
}

fn stored_settings(text: &str, what: &str) -> Result<Settings> {
    Settings::from_stored(text).map_err(|e| StoreError::corrupt(format!("{what}: {e}")))
}

fn account_from_row(row: &AnyRow) -> Result<Account> {
    let slug: String = row.try_get("slug")?;
    let policy: String = row.try_get("policy")?;
    let created_at: String = row.try_get("created_at")?;
    let time_zone: String = row.try_get("time_zone")?;
    let source: String = row.try_get("source")?;
    Ok(Account {
        id: AccountId(row.try_get("id")?),
        slug: AccountSlug::parse(&slug)
            .map_err(|_| StoreError::corrupt(format!("account slug {slug:?}")))?,
        name: row.try_get("name")?,
        time_zone: TimeZoneName::parse(&time_zone)
            .map_err(|_| StoreError::corrupt(format!("account time zone {time_zone:?}")))?,
        policy: Policy::from(stored_settings(&policy, "account settings")?),
        source: AccountSource::parse(&source)
            .ok_or_else(|| StoreError::corrupt(format!("account source {source:?}")))?,
        created_at: parse_ts(&created_at)?,
    })
}

impl Store {
    /// Creates a Personio account with the default policy. `Conflict` if the slug is taken.
    pub async fn create_account(
        &self,
        slug: &AccountSlug,
        name: &str,
        time_zone: &TimeZoneName,
    ) -> Result<Account> {
        self.create_account_with_source(slug, name, time_zone, AccountSource::Personio)
            .await
    }

    /// Creates an account of `source` with the default policy. `Conflict` if the slug is
    /// taken. The source cannot change later.
    pub async fn create_account_with_source(
        &self,
        slug: &AccountSlug,
        name: &str,
        time_zone: &TimeZoneName,
        source: AccountSource,
    ) -> Result<Account> {
        let sql = format!(
            "INSERT INTO accounts (slug, name, time_zone, policy, source, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(slug.as_str())
            .bind(name)
            .bind(time_zone.as_str())
            .bind(to_json(&Settings::default())?)
            .bind(source.as_str())
            .bind(ts(now()))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::conflict(format!("account {slug} already exists"))
                } else {
                    e.into()
                }
            })?;
        account_from_row(&row)
    }

    /// The account with this slug, if any.
    pub async fn account(&self, slug: &AccountSlug) -> Result<Option<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// The account with this id, if any.
    pub async fn account_by_id(&self, id: AccountId) -> Result<Option<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// All accounts, ordered by slug.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {COLUMNS} FROM accounts");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut accounts = rows
            .iter()
            .map(account_from_row)
            .collect::<Result<Vec<_>>>()?;
        // Sorted here, not in SQL: collations differ between the backends.
        accounts.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(accounts)
    }

    /// Replaces the account's settings and records the change as the next version, in
    /// one transaction; returns that version's number. Saving the settings it already has
    /// records nothing and returns the current version (0 when never changed).
    pub async fn set_settings(
        &self,
        account: AccountId,
        settings: &Settings,
        changed_by: &str,
    ) -> Result<i64> {
        let text = to_json(settings)?;
        let mut tx = self.begin_write().await?;
        let current: Option<String> =
            sqlx::query_scalar("SELECT policy FROM accounts WHERE id = $1")
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await?;
        let current = current.ok_or_else(|| StoreError::not_found(format!("account {account}")))?;
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) FROM settings_versions WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_one(&mut *tx)
        .await?;
        if stored_settings(&current, "account settings")? == *settings {
            return Ok(version);
        }
        sqlx::query("UPDATE accounts SET policy = $1 WHERE id = $2")
            .bind(&text)
            .bind(account.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO settings_versions (account_id, version, settings, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account.0)
        .bind(version + 1)
        .bind(&text)
        .bind(changed_by)
        .bind(ts(now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(version + 1)
    }

    /// The account's saved versions, newest first (at most `limit`).
    pub async fn settings_history(
        &self,
        account: AccountId,
        limit: i64,
    ) -> Result<Vec<SettingsVersion>> {
        let rows = sqlx::query(
            "SELECT version, settings, changed_by, changed_at FROM settings_versions \
             WHERE account_id = $1 ORDER BY version DESC LIMIT $2",
        )
        .bind(account.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let version: i64 = row.try_get("version")?;
                let settings: String = row.try_get("settings")?;
                let changed_at: String = row.try_get("changed_at")?;
                Ok(SettingsVersion {
                    version,
                    settings: stored_settings(&settings, &format!("settings version {version}"))?,
                    changed_by: row.try_get("changed_by")?,
                    changed_at: parse_ts(&changed_at)?,
                })
            })
            .collect()
    }
}
