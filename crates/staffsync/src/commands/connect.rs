//! `staffsync connect`: checks a Personio credential and stores it, encrypted.
//!
//! Nothing is stored unless Personio accepted the credential and it can read every
//! mandatory attribute (first name, last name, e-mail, department).

use crate::cli::{Credential, Global, JsonFlag, StoreFlags, parse_slug};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use clap::Args;
use staffsync_core::AccountSlug;

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    #[command(flatten)]
    pub credential: Credential,
    /// Personio API: v1 (changes arrive by polling) or v2 (by webhook, when the server
    /// has a public base URL: --public-base-url / STAFFSYNC_PUBLIC_BASE_URL).
    #[arg(long = "api", default_value = "v1", value_parser = parse_api_version)]
    pub api_version: personio::ApiVersion,
    /// Public base URL of the server that receives Personio's webhooks (v2 only).
    #[arg(long, env = "STAFFSYNC_PUBLIC_BASE_URL")]
    pub public_base_url: Option<url::Url>,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

fn parse_api_version(s: &str) -> Result<personio::ApiVersion, String> {
    s.parse().map_err(|e| personio::Error::from(e).to_string())
}

pub async fn run(global: &Global, args: ConnectArgs) -> anyhow::Result<Code> {
    let secret = args.credential.secret()?;
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let options = staffsync_engine::connect::ConnectOptions {
        api_version: args.api_version,
        public_base_url: args
            .public_base_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned()),
        unlimited_rate: false,
        // A one-off process: its few requests are paced per credential; the per-IP
        // budget is shared only among the clients of one `serve` process.
        ip_budget: None,
        // The operator's own command: any URL (a simulator, a proxy), and as long as the
        // client's own timeouts allow.
        allowed_urls: None,
        answer_timeout: None,
    };
    let connected = staffsync_engine::connect::connect_with(
        &store,
        account.id,
        Some(&account.slug),
        args.credential.personio_url.as_str(),
        &args.credential.client_id,
        secret,
        &options,
    )
    .await
    .with_context(|| {
        format!(
            "cannot connect {} to Personio at {}; nothing was stored",
            account.slug, args.credential.personio_url
        )
    })?;
    if let Some(e) = &connected.webhook_error {
        eprintln!(
            "warning: no Personio webhook registered ({e}); changes arrive with the daily date check and full syncs"
        );
    }
    let readable: Vec<String> = connected.readable.iter().map(|a| a.key.clone()).collect();
    let warnings = connected.warnings;
    let warnings: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    if args.json.json {
        output::print_json(&serde_json::json!({
            "account": account.slug, "connected": true,
            "api_version": args.api_version.as_str(), "webhook_id": connected.webhook_id,
            "readable_attributes": readable, "warnings": warnings,
        }))?;
    } else {
        crate::outln!(
            "connected {} to Personio at {} ({})",
            account.slug,
            args.credential.personio_url,
            crate::output::count(readable.len(), "readable attribute", "readable attributes")
        )?;
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(exit::OK)
}
