//! The SCIM source's state: each user an identity provider (Microsoft Entra ID, Okta)
//! pushed to an account, as it last wrote it.
//!
//! A user is kept by the id staffsync issued for it (a UUID, handed out here), with the
//! identity provider's `externalId`, its `userName` (unique per account, ignoring case,
//! as SCIM's `userName` is), whether it is `active`, and the whole resource as JSON. The
//! store keeps what it is given: what a resource holds (a deactivated user keeping only
//! what the identity provider needs to find it again) is the caller's decision, and a
//! user's person key lives in `import_keys` under its id, as a file row's does.
//!
//! This module must never let one account read or change another's users, and never
//! keep a user it was told to delete.

use crate::error::{Result, StoreError, is_unique_violation};
use crate::sql::{now, parse_ts, to_json, ts};
use crate::{AccountId, Store};
use serde_json::Value;
use sqlx::Row as _;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

/// One SCIM user as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUser {
    /// The id staffsync issued (a UUID as text).
    pub id: String,
    pub external_id: Option<String>,
    pub user_name: String,
    pub active: bool,
    /// The resource as the identity provider last wrote it (a JSON object).
    pub resource: Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What a write of a user gives the store (its id and times are the store's).
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUserData {
    pub external_id: Option<String>,
    pub user_name: String,
    pub active: bool,
    pub resource: Value,
}

const COLUMNS: &str = "id, external_id, user_name, active, resource, created_at, updated_at";

fn user_from_row(row: &AnyRow) -> Result<ScimUser> {
    let resource: String = row.try_get("resource")?;
    let created_at: String = row.try_get("created_at")?;
    let updated_at: String = row.try_get("updated_at")?;
    let active: i64 = row.try_get("active")?;
    Ok(ScimUser {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        user_name: row.try_get("user_name")?,
        active: active != 0,
        resource: serde_json::from_str(&resource)
            .map_err(|e| StoreError::corrupt(format!("stored SCIM user: {e}")))?,
        created_at: parse_ts(&created_at)?,
        updated_at: parse_ts(&updated_at)?,
    })
}

/// How userNames (and groups' displayNames) are compared: SCIM's `userName` is unique
/// ignoring case.
pub(crate) fn user_name_key(user_name: &str) -> String {
    user_name.to_lowercase()
}

/// A unique violation as `Conflict` naming the attribute and the value another resource
/// of the account has (`userName "ada@acme.de" is taken`).
pub(crate) fn taken<'a>(
    attribute: &'static str,
    value: &'a str,
) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::conflict(format!("{attribute} {value:?} is taken"))
        } else {
            e.into()
        }
    }
}

impl Store {
    /// Stores a new user of `account` under a fresh id. `Conflict` when the account has a
    /// user with this `userName` (ignoring case).
    pub async fn create_scim_user(
        &self,
        account: AccountId,
        user: &ScimUserData,
    ) -> Result<ScimUser> {
        let at = ts(now());
        let sql = format!(
            "INSERT INTO scim_users (account_id, id, external_id, user_name, user_name_key, \
             active, resource, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(user.external_id.as_deref())
            .bind(user.user_name.as_str())
            .bind(user_name_key(&user.user_name))
            .bind(i64::from(user.active))
            .bind(to_json(&user.resource)?)
            .bind(at)
            .fetch_one(&self.pool)
            .await
            .map_err(taken("userName", &user.user_name))?;
        user_from_row(&row)
    }

    /// The account's user `id`, if it has one.
    pub async fn scim_user(&self, account: AccountId, id: &str) -> Result<Option<ScimUser>> {
        let sql = format!("SELECT {COLUMNS} FROM scim_users WHERE account_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The account's user with this `userName` (ignoring case), if any.
    pub async fn scim_user_by_user_name(
        &self,
        account: AccountId,
        user_name: &str,
    ) -> Result<Option<ScimUser>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scim_users WHERE account_id = $1 AND user_name_key = $2"
        );
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(user_name_key(user_name))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The account's users with this `externalId` (exactly), oldest first.
    pub async fn scim_users_by_external_id(
        &self,
        account: AccountId,
        external_id: &str,
    ) -> Result<Vec<ScimUser>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scim_users WHERE account_id = $1 AND external_id = $2 \
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .bind(external_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Every user of the account, oldest first (the order SCIM lists page through).
    pub async fn scim_users(&self, account: AccountId) -> Result<Vec<ScimUser>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scim_users WHERE account_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Replaces the account's user `id` with `user`; `None` when it has no such user,
    /// `Conflict` when another of its users has this `userName`.
    pub async fn replace_scim_user(
        &self,
        account: AccountId,
        id: &str,
        user: &ScimUserData,
    ) -> Result<Option<ScimUser>> {
        let sql = format!(
            "UPDATE scim_users SET external_id = $1, user_name = $2, user_name_key = $3, \
             active = $4, resource = $5, updated_at = $6 \
             WHERE account_id = $7 AND id = $8 RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(user.external_id.as_deref())
            .bind(user.user_name.as_str())
            .bind(user_name_key(&user.user_name))
            .bind(i64::from(user.active))
            .bind(to_json(&user.resource)?)
            .bind(ts(now()))
            .bind(account.0)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(taken("userName", &user.user_name))?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Deletes the account's user `id`; `false` when it has no such user.
    pub async fn delete_scim_user(&self, account: AccountId, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM scim_users WHERE account_id = $1 AND id = $2")
            .bind(account.0)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
