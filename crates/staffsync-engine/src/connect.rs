//! Connecting an account to Personio: check the credential, then store it encrypted;
//! with API v2 and a public base URL, also register a Personio webhook for the account
//! and store its id and token. Disconnecting deletes that webhook in Personio (best
//! effort) and forgets the connection.
//!
//! Shared by `staffsync connect` and the web app's Integration page, so both refuse and
//! warn alike; both refuse a file account before any request. Nothing is stored unless Personio accepted the credential and it can read
//! every mandatory attribute. A webhook that cannot be registered is a warning, not a
//! failure: the account then stays current through the date check and full syncs.
//!
//! The web app passes the operator's allowed URLs ([`ConnectOptions::allowed_urls`]): a
//! URL outside them is refused before any request. The check never retries a host it
//! cannot reach (a few seconds at most, not a minute of backoff) and, with
//! [`ConnectOptions::answer_timeout`], gives up waiting after that long; either way the
//! error names the URL. What a foreign server answered is for the log, never for the page
//! (the web app shows a fixed message per [`ConnectError`] kind).

use crate::outbound::{self, AllowedUrl};
use personio::{ApiVersion, AttributeInfo, Client, ClientConfig, IpBudget};
use secrecy::SecretString;
use staffsync_core::{AccountSlug, Warning};
use staffsync_store::{AccountId, NewConnection, Store, StoreError};
use std::future::Future;
use std::time::Duration;

/// What a successful connect learned.
#[derive(Debug, Clone)]
pub struct Connected {
    pub readable: Vec<AttributeInfo>,
    /// Optional attributes the credential cannot read, each weakening a rule.
    pub warnings: Vec<Warning>,
    /// The webhook registered in Personio (v2 with a public base URL), if any.
    pub webhook_id: Option<String>,
    /// Why no webhook was registered although one was wanted (v2 with a public base URL).
    pub webhook_error: Option<String>,
}

/// How to connect (beyond the credential).
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// Which Personio API to use (default v1).
    pub api_version: ApiVersion,
    /// This deployment's public base URL (`ServerConfig::public_base_url`): with v2 a
    /// webhook to `{public_base_url}/webhooks/personio/{slug}` is registered.
    pub public_base_url: Option<String>,
    /// Do not pace requests (only against a simulator).
    pub unlimited_rate: bool,
    /// The process's per-IP budget (`AppState::ip_budget`): a connect's few requests
    /// draw from it like a sync's, so an admin's click cannot push a busy fleet over
    /// Personio's per-IP limit.
    pub ip_budget: Option<IpBudget>,
    /// The URLs this connect may use (`ServerConfig::allowed_personio_urls`, the web app);
    /// `None`: any (`staffsync connect`, the operator's own command).
    pub allowed_urls: Option<Vec<AllowedUrl>>,
    /// The longest this connect waits for Personio: for the credential check, and apart
    /// from it for deleting the old webhook and registering a new one. `None`: only the
    /// client's own timeouts.
    pub answer_timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("not a valid Personio URL: {0:?}")]
    BadUrl(String),
    /// The URL is not one the operator allows (nothing was sent to it).
    #[error(
        "the Personio URL {0} is not allowed on this server (the operator allows URLs with `staffsync serve --allow-personio-url`)"
    )]
    NotAllowed(String),
    /// Personio did not answer within [`ConnectOptions::answer_timeout`].
    #[error("Personio at {url} did not answer within {} s", .after.as_secs())]
    TimedOut { url: String, after: Duration },
    /// Wrong credentials, a missing mandatory attribute, Personio unreachable, ….
    #[error(transparent)]
    Personio(#[from] personio::Error),
    /// The account takes employee files: it never contacts Personio (nothing was sent).
    #[error("account {0} takes employee files: use `staffsync import`")]
    FileAccount(String),
    /// The account's people are pushed by an identity provider over SCIM: it never
    /// contacts Personio (nothing was sent).
    #[error(
        "account {0} takes its people from an identity provider over SCIM (/scim/v2): it is never connected to Personio"
    )]
    ScimAccount(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks the credential against Personio (API v1) and stores it for `account`.
pub async fn connect(
    store: &Store,
    account: AccountId,
    base_url: &str,
    client_id: &str,
    client_secret: SecretString,
) -> Result<Connected, ConnectError> {
    connect_with(
        store,
        account,
        None,
        base_url,
        client_id,
        client_secret,
        &ConnectOptions::default(),
    )
    .await
}

/// The webhook URL of an account under a public base URL.
pub fn webhook_url(public_base_url: &str, slug: &AccountSlug) -> String {
    format!(
        "{}/webhooks/personio/{slug}",
        public_base_url.trim().trim_end_matches('/')
    )
}

/// Checks the credential against Personio with `options.api_version`, stores it for
/// `account` (replacing an earlier connection, whose webhook is deleted in Personio),
/// and registers a webhook when the version is v2 and a public base URL and the
/// account's `slug` are given.
pub async fn connect_with(
    store: &Store,
    account: AccountId,
    slug: Option<&AccountSlug>,
    base_url: &str,
    client_id: &str,
    client_secret: SecretString,
    options: &ConnectOptions,
) -> Result<Connected, ConnectError> {
    // An account has one source, chosen when it was created: a file account's credential
    // would never be used, and its scheduler would start syncing from Personio.
    if let Some(acct) = store.account_by_id(account).await?
        && !crate::sources::of(&acct).connects
    {
        let slug = acct.slug.to_string();
        return Err(if crate::sources::of(&acct).takes_scim {
            ConnectError::ScimAccount(slug)
        } else {
            ConnectError::FileAccount(slug)
        });
    }
    // What errors and logs may repeat of the URL: never a password typed into it.
    let shown_url = outbound::without_credentials(base_url);
    let url = personio::Url::parse(base_url.trim())
        .map_err(|_| ConnectError::BadUrl(shown_url.clone()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConnectError::BadUrl(shown_url));
    }
    if let Some(allowed) = &options.allowed_urls
        && !outbound::is_allowed(allowed, &url)
    {
        return Err(ConnectError::NotAllowed(shown_url));
    }
    let mut config =
        ClientConfig::new(client_id.trim(), client_secret.clone()).with_base_url(url.clone());
    config.api_version = options.api_version;
    if options.unlimited_rate {
        config.rate = personio::RateLimit::Unlimited;
    }
    config.ip_budget = options.ip_budget.clone();
    // An admin waits for the answer: a host that cannot be reached is reported at once.
    config.transport_retries = 0;
    let client = Client::new(config)?;
    let readable = within(options.answer_timeout, &shown_url, client.attributes())
        .await?
        .map_err(|e| unreachable_names_url(e, &shown_url))?;
    let warnings = personio::check_mandatory(&readable)?;
    // The old connection's webhook would keep firing: delete it while we still can.
    delete_webhook(
        store,
        account,
        options.unlimited_rate,
        options.ip_budget.as_ref(),
        options.answer_timeout,
    )
    .await;
    store
        .save_connection(
            account,
            &NewConnection {
                client_id: client_id.trim().to_owned(),
                client_secret,
                base_url: url.clone(),
                api_version: options.api_version,
                readable_attributes: readable.iter().map(|a| a.key.clone()).collect(),
            },
        )
        .await?;
    store
        .set_attribute_labels(account, &labels_of(&readable))
        .await?;
    let mut connected = Connected {
        readable,
        warnings,
        webhook_id: None,
        webhook_error: None,
    };
    if let (ApiVersion::V2, Some(base), Some(slug)) = (
        options.api_version,
        options.public_base_url.as_deref(),
        slug,
    ) {
        let target = webhook_url(base, slug);
        let created = within(
            options.answer_timeout,
            &shown_url,
            client.create_webhook(&target, personio::WEBHOOK_EVENTS),
        )
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
        match created {
            Ok(hook) => {
                store.set_webhook(account, &hook.id, &hook.token).await?;
                tracing::info!(account = %slug, webhook = %hook.id, url = %target, "Personio webhook registered");
                connected.webhook_id = Some(hook.id);
            }
            Err(e) => {
                tracing::warn!(account = %slug, error = %e, "could not register the Personio webhook; changes arrive with the date check and full syncs");
                connected.webhook_error = Some(e);
            }
        }
    }
    Ok(connected)
}

/// `work`, given up after `limit` (when there is one) as [`ConnectError::TimedOut`].
async fn within<T>(
    limit: Option<Duration>,
    url: &str,
    work: impl Future<Output = T>,
) -> Result<T, ConnectError> {
    match limit {
        None => Ok(work.await),
        Some(after) => {
            tokio::time::timeout(after, work)
                .await
                .map_err(|_| ConnectError::TimedOut {
                    url: url.to_owned(),
                    after,
                })
        }
    }
}

/// A connection that failed names the URL it could not reach (the client's own message
/// names only the cause).
fn unreachable_names_url(e: personio::Error, url: &str) -> personio::Error {
    match e {
        personio::Error::Unavailable {
            status: None,
            detail,
        } => personio::Error::Unavailable {
            status: None,
            detail: format!("{url} cannot be reached: {detail}"),
        },
        other => other,
    }
}

/// Deletes the account's webhook in Personio (waiting at most `limit` for it) and forgets
/// it; best effort (logged).
async fn delete_webhook(
    store: &Store,
    account: AccountId,
    unlimited_rate: bool,
    ip_budget: Option<&IpBudget>,
    limit: Option<Duration>,
) {
    let (connection, hook) = match (
        store.connection(account).await,
        store.webhook(account).await,
    ) {
        (Ok(Some(c)), Ok(Some(h))) => (c, h),
        (Ok(_), Ok(None)) | (Ok(None), _) => return,
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(%account, error = %e, "cannot read the stored webhook; not deleted in Personio");
            return;
        }
    };
    let deleted = match crate::run::client_for(&connection, unlimited_rate, ip_budget) {
        Ok(client) => within(
            limit,
            connection.base_url.as_str(),
            client.delete_webhook(&hook.id),
        )
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string())),
        Err(e) => Err(e.to_string()),
    };
    match deleted {
        Ok(_) => tracing::info!(%account, webhook = %hook.id, "Personio webhook deleted"),
        Err(e) => {
            tracing::warn!(%account, webhook = %hook.id, error = %e, "could not delete the Personio webhook; delete it under Settings → Webhooks")
        }
    }
    if let Err(e) = store.clear_webhook(account).await {
        tracing::warn!(%account, error = %e, "could not forget the webhook");
    }
}

/// Disconnects `account`: deletes its webhook in Personio (best effort, logged), then
/// the connection and its schedule. `false` when it was not connected. `ip_budget` as in
/// [`ConnectOptions::ip_budget`].
pub async fn disconnect(
    store: &Store,
    account: AccountId,
    unlimited_rate: bool,
    ip_budget: Option<&IpBudget>,
) -> Result<bool, StoreError> {
    delete_webhook(store, account, unlimited_rate, ip_budget, None).await;
    store.remove_connection(account).await
}

/// The labels of `attributes` by key, where a label says more than the key (what
/// `Store::set_attribute_labels` keeps).
pub fn labels_of(
    attributes: &[personio::AttributeInfo],
) -> std::collections::BTreeMap<String, String> {
    attributes
        .iter()
        .filter(|a| !a.label.trim().is_empty() && a.label.trim() != a.key)
        .map(|a| (a.key.clone(), a.label.trim().to_owned()))
        .collect()
}
