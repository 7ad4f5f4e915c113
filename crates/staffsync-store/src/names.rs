//! People's display names by Personio id, for naming what is keyed by a person: the
//! reporting-line groups, whose identity is the manager's Personio id and whose name is
//! the manager's current name. Reads only; must never return another account's names.

use crate::error::Result;
use crate::{AccountId, Store};
use sqlx::Row as _;
use staffsync_core::PersonKey;
use std::collections::HashMap;

impl Store {
    /// "First Last" of everyone in the account's directory, by Personio id.
    pub async fn employee_names(&self, account: AccountId) -> Result<HashMap<PersonKey, String>> {
        let rows = sqlx::query(
            "SELECT personio_id, first_name, last_name FROM employees WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("personio_id")?;
                let first: String = row.try_get("first_name")?;
                let last: String = row.try_get("last_name")?;
                Ok((PersonKey(id), format!("{first} {last}")))
            })
            .collect()
    }
}
