//! Customer accounts and their sync policy.
//!
//! The policy is stored as JSON. `accepted_removals` is a per-run confirmation, never a
//! standing setting: it is never stored (`#[serde(skip)]`), whatever the caller passes.

use crate::error::{Result, StoreError, is_unique_violation};
use crate::sql::{from_json, now, parse_ts, to_json, ts};
use crate::{AccountId, Store};
use serde::Serialize;
use sqlx::Row as _;
use sqlx::any::AnyRow;
use staffsync_core::{AccountSlug, Policy, TimeZoneName};
use time::OffsetDateTime;

/// A customer account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub slug: AccountSlug,
    pub name: String,
    pub time_zone: TimeZoneName,
    pub policy: Policy,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "id, slug, name, time_zone, policy, created_at";

fn stored_policy(policy: &Policy) -> Result<String> {
    to_json(policy)
}

fn account_from_row(row: &AnyRow) -> Result<Account> {
    let slug: String = row.try_get("slug")?;
    let policy: String = row.try_get("policy")?;
    let created_at: String = row.try_get("created_at")?;
    let time_zone: String = row.try_get("time_zone")?;
    Ok(Account {
        id: AccountId(row.try_get("id")?),
        slug: AccountSlug::parse(&slug)
            .map_err(|_| StoreError::corrupt(format!("account slug {slug:?}")))?,
        name: row.try_get("name")?,
        time_zone: TimeZoneName::parse(&time_zone)
            .map_err(|_| StoreError::corrupt(format!("account time zone {time_zone:?}")))?,
        policy: from_json(&policy, "account policy")?,
        created_at: parse_ts(&created_at)?,
    })
}

impl Store {
    /// Creates an account with the default policy. `Conflict` if the slug is taken.
    pub async fn create_account(
        &self,
        slug: &AccountSlug,
        name: &str,
        time_zone: &TimeZoneName,
    ) -> Result<Account> {
        let sql = format!(
            "INSERT INTO accounts (slug, name, time_zone, policy, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(slug.as_str())
            .bind(name)
            .bind(time_zone.as_str())
            .bind(stored_policy(&Policy::default())?)
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

    /// Replaces the account's policy (never with its `accepted_removals`).
    pub async fn set_policy(&self, account: AccountId, policy: &Policy) -> Result<()> {
        let done = sqlx::query("UPDATE accounts SET policy = $1 WHERE id = $2")
            .bind(stored_policy(policy)?)
            .bind(account.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("account {account}")));
        }
        Ok(())
    }
}
