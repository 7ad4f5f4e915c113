//! The Personio credential of an account: one connection per account.
//!
//! The client secret is stored only sealed (AES-256-GCM, see `crypto`), is held in memory
//! as a `SecretString`, and never appears in `Debug` output, errors or logs.

use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::sql::{from_json, now, parse_ts, to_json, ts};
use crate::{AccountId, Store};
use secrecy::{ExposeSecret as _, SecretString};
use sqlx::Row as _;
use staffsync_core::ApiVersion;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use url::Url;

/// A credential to store. `Debug` redacts the secret.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub client_id: String,
    pub client_secret: SecretString,
    pub base_url: Url,
    pub api_version: ApiVersion,
    pub readable_attributes: Vec<String>,
}

/// A stored credential, decrypted. `Debug` redacts the secret.
#[derive(Debug, Clone)]
pub struct Connection {
    pub client_id: String,
    pub client_secret: SecretString,
    pub base_url: Url,
    pub api_version: ApiVersion,
    pub readable_attributes: Vec<String>,
    /// The labels of the readable attributes, by key, where Personio gives one (empty
    /// until [`Store::set_attribute_labels`] first records them).
    pub attribute_labels: BTreeMap<String, String>,
    pub connected_at: OffsetDateTime,
    /// The id of the Personio webhook registered for it (its token: `Store::webhook`).
    pub webhook_id: Option<String>,
}

/// A stored API version; anything but what [`Store::save_connection`] writes is corrupt.
pub(crate) fn stored_api_version(s: &str) -> Result<ApiVersion> {
    s.parse()
        .map_err(|_| StoreError::corrupt(format!("Personio API version {s:?} of the connection")))
}

impl Store {
    /// Stores (or replaces) the account's connection, sealing the secret, and gives the
    /// account a schedule due now if it has none (its first sync runs right away).
    /// Replacing a connection forgets its webhook (read it first to delete it in Personio).
    pub async fn save_connection(&self, account: AccountId, c: &NewConnection) -> Result<()> {
        let sealed = self
            .key
            .seal(account, c.client_secret.expose_secret().as_bytes())?;
        sqlx::query(
            "INSERT INTO connections \
               (account_id, client_id, secret_ciphertext, base_url, api_version, \
                readable_attributes, connected_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (account_id) DO UPDATE SET \
               client_id = excluded.client_id, \
               secret_ciphertext = excluded.secret_ciphertext, \
               base_url = excluded.base_url, \
               api_version = excluded.api_version, \
               readable_attributes = excluded.readable_attributes, \
               connected_at = excluded.connected_at, \
               attribute_labels = '{}', \
               webhook_id = NULL, \
               webhook_token_ciphertext = NULL",
        )
        .bind(account.0)
        .bind(&c.client_id)
        .bind(sealed)
        .bind(c.base_url.as_str())
        .bind(c.api_version.as_str())
        .bind(to_json(&c.readable_attributes)?)
        .bind(ts(now()))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::not_found(format!("account {account}"))
            } else {
                e.into()
            }
        })?;
        self.ensure_schedule(account, now()).await?;
        Ok(())
    }

    /// Records what the credential may read now (a full run reads `/attributes` every
    /// time), so the Integration page shows an attribute someone un-ticked in Personio.
    /// `false` when the account has no connection. Leaves `connected_at` (the client
    /// cache's key) alone.
    pub async fn set_readable_attributes(
        &self,
        account: AccountId,
        readable: &[String],
    ) -> Result<bool> {
        let done =
            sqlx::query("UPDATE connections SET readable_attributes = $1 WHERE account_id = $2")
                .bind(to_json(&readable)?)
                .bind(account.0)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records the labels of the readable attributes, by key (settings may name a custom
    /// attribute by its label). `false` when the account has no connection.
    pub async fn set_attribute_labels(
        &self,
        account: AccountId,
        labels: &BTreeMap<String, String>,
    ) -> Result<bool> {
        let done =
            sqlx::query("UPDATE connections SET attribute_labels = $1 WHERE account_id = $2")
                .bind(to_json(labels)?)
                .bind(account.0)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The account's connection with the secret decrypted; `Crypto` with the wrong key.
    pub async fn connection(&self, account: AccountId) -> Result<Option<Connection>> {
        let row = sqlx::query(
            "SELECT client_id, secret_ciphertext, base_url, api_version, readable_attributes, \
                    attribute_labels, connected_at, webhook_id \
             FROM connections WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Vec<u8> = row.try_get("secret_ciphertext")?;
        let attrs: String = row.try_get("readable_attributes")?;
        let labels: String = row.try_get("attribute_labels")?;
        let connected_at: String = row.try_get("connected_at")?;
        let base_url: String = row.try_get("base_url")?;
        let api_version: String = row.try_get("api_version")?;
        Ok(Some(Connection {
            client_id: row.try_get("client_id")?,
            client_secret: self.key.open_string(account, &sealed)?,
            // The text is left out: a URL may carry a password someone typed into it.
            base_url: Url::parse(&base_url).map_err(|e| {
                StoreError::corrupt(format!("the connection's Personio URL is not a URL ({e})"))
            })?,
            api_version: stored_api_version(&api_version)?,
            readable_attributes: from_json(&attrs, "readable attributes")?,
            attribute_labels: from_json(&labels, "attribute labels")?,
            connected_at: parse_ts(&connected_at)?,
            webhook_id: row.try_get("webhook_id")?,
        }))
    }

    /// Deletes the account's connection, its schedule, its real-time watermarks and known
    /// future hires; `false` when there was no connection.
    pub async fn remove_connection(&self, account: AccountId) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM connections WHERE account_id = $1")
            .bind(account.0)
            .execute(&mut *tx)
            .await?;
        for table in ["schedules", "sync_state", "pending_hires"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE account_id = $1"))
                .bind(account.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
