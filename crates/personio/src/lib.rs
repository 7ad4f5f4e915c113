//! `personio`: a typed client for Personio's API v1 and v2 — authentication, rate limits,
//! retries, paging with completeness checks, and parsing into
//! [`staffsync_core::SourceEmployee`]s; targeted and incremental fetches; v2 webhook
//! management. [`ClientConfig::api_version`] chooses the API; the results are the same types.
//!
//! ```no_run
//! # async fn demo() -> Result<(), personio::Error> {
//! use personio::{Client, ClientConfig};
//! let config = ClientConfig::new("client-id", "client-secret".to_owned().into());
//! let client = Client::new(config)?;
//! let readable = client.attributes().await?;
//! let warnings = personio::check_mandatory(&readable)?;
//! let listing = client.fetch_all(|p| eprintln!("{}/{}", p.pages_done, p.pages_total)).await?;
//! # let _ = (warnings, listing); Ok(()) }
//! ```
//!
//! This crate never touches a database or the file system, never logs or returns a secret
//! or token, and never returns a partial listing as complete.

//! Layout: [`v1`] and [`v2`] each hold what their API version asks and how its bodies are
//! read; [`shared`] holds what reading needs in both (the JSON value tree, body errors,
//! text, dates, interning), so neither version imports the other's parser. [`client`] is
//! the transport both send through; [`listing`], [`targeted`] and [`credential`] are the
//! results they return, the same for both.

pub mod budget;
pub mod client;
pub mod config;
pub mod credential;
pub mod error;
pub mod error_body;
pub mod id;
pub mod listing;
pub mod shared;
pub mod targeted;
pub mod v1;
pub mod v2;
pub mod webhooks;

// The paths v1's modules had before they got their own folder.
pub use v1::{model, parse};

pub use budget::DEFAULT_PER_MINUTE as DEFAULT_IP_BUDGET_PER_MINUTE;
pub use budget::{IpBudget, PERSONIO_PER_IP_PER_MINUTE};
pub use client::Client;
pub use config::{ApiVersion, ClientConfig, DEFAULT_BASE_URL, RateLimit};
pub use credential::{
    AttributeInfo, MANDATORY_ATTRIBUTES, RECOMMENDED_ATTRIBUTES, check_mandatory,
};
pub use error::Error;
pub use id::{InvalidPersonioId, PersonioId};
pub use listing::{Listing, Progress};
pub use targeted::TargetedListing;
pub use url::Url;
pub use webhooks::{WEBHOOK_EVENTS, Webhook, WebhookInfo};
