//! Feedback given by employees of the directory.
//!
//! Each entry snapshots its author's groups when written, so it can still be attributed
//! to teams after the author is erased. The author link is the only personal reference
//! and is set to NULL when the author is removed; this module must never copy the
//! author's name, e-mail or Personio id into the feedback row itself.

use crate::directory::group_key_from_row;
use crate::error::{Result, StoreError};
use crate::sql::{from_json, now, parse_ts, to_json, ts};
use crate::{AccountId, Store};
use serde::Serialize;
use sqlx::Row as _;
use staffsync_core::{GroupKey, PersonKey};
use time::OffsetDateTime;

/// One piece of feedback. `author` is `None` once the author has been erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    pub id: i64,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub author: Option<PersonKey>,
    pub groups: Vec<GroupKey>,
}

impl Store {
    /// Stores feedback by `author`, who must be in the account's directory (`NotFound`
    /// otherwise), with a snapshot of the author's current groups.
    pub async fn add_feedback(
        &self,
        account: AccountId,
        author: PersonKey,
        body: &str,
    ) -> Result<Feedback> {
        let mut tx = self.begin_write().await?;
        let row =
            sqlx::query("SELECT id FROM employees WHERE account_id = $1 AND personio_id = $2")
                .bind(account.0)
                .bind(author.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    StoreError::not_found(format!("employee {author} in account {account}"))
                })?;
        let employee_id: i64 = row.try_get("id")?;
        let rows = sqlx::query(
            "SELECT g.kind, g.name FROM memberships m JOIN groups g ON g.id = m.group_id \
             WHERE m.employee_id = $1 AND g.account_id = $2",
        )
        .bind(employee_id)
        .bind(account.0)
        .fetch_all(&mut *tx)
        .await?;
        let mut groups = rows
            .iter()
            .map(group_key_from_row)
            .collect::<Result<Vec<_>>>()?;
        groups.sort();
        let created_at = now();
        let row = sqlx::query(
            "INSERT INTO feedback (account_id, employee_id, body, created_at, groups_snapshot) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account.0)
        .bind(employee_id)
        .bind(body)
        .bind(ts(created_at))
        .bind(to_json(&groups)?)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        tx.commit().await?;
        Ok(Feedback {
            id,
            body: body.to_owned(),
            created_at,
            author: Some(author),
            groups,
        })
    }

    /// Stores feedback by the account's employee with this e-mail (compared
    /// case-insensitively); `NotFound` if there is none. See [`Store::add_feedback`].
    pub async fn add_feedback_by_email(
        &self,
        account: AccountId,
        email: &str,
        body: &str,
    ) -> Result<Feedback> {
        let row = sqlx::query(
            "SELECT personio_id FROM employees \
             WHERE account_id = $1 AND LOWER(email) = LOWER($2) ORDER BY personio_id LIMIT 1",
        )
        .bind(account.0)
        .bind(email.trim())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| {
            StoreError::not_found(format!("employee with this e-mail in account {account}"))
        })?;
        let author = PersonKey(row.try_get("personio_id")?);
        self.add_feedback(account, author, body).await
    }

    /// The account's feedback, newest first.
    pub async fn feedback(&self, account: AccountId) -> Result<Vec<Feedback>> {
        let rows = sqlx::query(
            "SELECT f.id, f.body, f.created_at, f.groups_snapshot, e.personio_id \
             FROM feedback f \
             LEFT JOIN employees e ON e.id = f.employee_id AND e.account_id = f.account_id \
             WHERE f.account_id = $1 ORDER BY f.id DESC",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let created_at: String = row.try_get("created_at")?;
                let groups: String = row.try_get("groups_snapshot")?;
                let author: Option<i64> = row.try_get("personio_id")?;
                Ok(Feedback {
                    id: row.try_get("id")?,
                    body: row.try_get("body")?,
                    created_at: parse_ts(&created_at)?,
                    author: author.map(PersonKey),
                    groups: from_json(&groups, "feedback groups")?,
                })
            })
            .collect()
    }
}
