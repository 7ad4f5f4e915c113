//! Connecting an account to Personio: check the credential, then store it encrypted.
//!
//! Shared by `staffsync connect` and the web app's Integration page, so both refuse and
//! warn alike. Nothing is stored unless Personio accepted the credential and it can read
//! every mandatory attribute.

use personio::{AttributeInfo, Client, ClientConfig};
use secrecy::SecretString;
use staffsync_core::Warning;
use staffsync_store::{AccountId, NewConnection, Store, StoreError};

/// What a successful connect learned.
#[derive(Debug, Clone)]
pub struct Connected {
    pub readable: Vec<AttributeInfo>,
    /// Optional attributes the credential cannot read, each weakening a rule.
    pub warnings: Vec<Warning>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("not a valid Personio URL: {0:?}")]
    BadUrl(String),
    /// Wrong credentials, a missing mandatory attribute, Personio unreachable, ….
    #[error(transparent)]
    Personio(#[from] personio::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks the credential against Personio and stores it for `account`.
pub async fn connect(
    store: &Store,
    account: AccountId,
    base_url: &str,
    client_id: &str,
    client_secret: SecretString,
) -> Result<Connected, ConnectError> {
    let url = personio::Url::parse(base_url.trim())
        .map_err(|_| ConnectError::BadUrl(base_url.to_owned()))?;
    let client =
        Client::new(ClientConfig::new(client_id.trim(), client_secret.clone()).with_base_url(url))?;
    let readable = client.attributes().await?;
    let warnings = personio::check_mandatory(&readable)?;
    store
        .save_connection(
            account,
            &NewConnection {
                client_id: client_id.trim().to_owned(),
                client_secret,
                base_url: base_url.trim().to_owned(),
                api_version: "v1".into(),
                readable_attributes: readable.iter().map(|a| a.key.clone()).collect(),
            },
        )
        .await?;
    Ok(Connected { readable, warnings })
}
