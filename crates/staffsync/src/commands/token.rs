//! `staffsync token create|list|revoke`: an account's tokens: for the REST API (the
//! default), or with `--scope scim` for an identity provider's SCIM pushes.
//!
//! `create` prints the new token once, on stdout, and stores only its SHA-256 digest; the
//! token can never be shown again. This command must never print or log a token anywhere
//! else, and `list` never shows more than id, label and dates.

use crate::cli::{Global, JsonFlag, ListArgs, StoreFlags, parse_slug};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use staffsync_core::AccountSlug;
use staffsync_server::api::tokens::{generate_token, hash_token};
use staffsync_store::TokenScope;

fn parse_scope(s: &str) -> Result<TokenScope, String> {
    TokenScope::parse(s.trim())
        .ok_or_else(|| format!("not a token scope: {s:?} (expected api or scim)"))
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; it is printed once and only its hash is stored.
    Create(TokenCreateArgs),
    /// List an account's API tokens (never the tokens themselves).
    List(ListArgs),
    /// Revoke an API token by its id (from `token list`).
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// What the token is for, e.g. "survey app production".
    #[arg(long, default_value = "")]
    pub label: String,
    /// What it opens: `api` (the REST API under /api/v1) or `scim` (the SCIM endpoint
    /// under /scim/v2, for Microsoft Entra ID or Okta). Never both.
    #[arg(long, default_value = "api", value_parser = parse_scope)]
    pub scope: TokenScope,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The token's id, as `token list` shows it.
    pub id: i64,
    #[command(flatten)]
    pub store: StoreFlags,
}

pub async fn run(global: &Global, cmd: TokenCommand) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    match cmd {
        TokenCommand::Create(args) => {
            let account = super::find_account(&store, &args.slug).await?;
            if args.scope == TokenScope::Scim && !staffsync_engine::sources::of(&account).takes_scim
            {
                anyhow::bail!(
                    "account {} does not take SCIM pushes (only accounts created with \
                     `--source scim` do)",
                    account.slug
                );
            }
            let token = generate_token();
            let stored = store
                .create_token(
                    account.id,
                    &hash_token(&token),
                    args.label.trim(),
                    args.scope,
                )
                .await
                .with_context(|| format!("cannot create a token for {}", account.slug))?;
            if args.json.json {
                let mut value = serde_json::to_value(&stored)?;
                value["token"] = json!(token);
                output::print_json(&value)?;
            } else {
                crate::outln!("{token}")?;
                let what = match args.scope {
                    TokenScope::Api => "API token",
                    TokenScope::Scim => "SCIM token (the identity provider's secret token)",
                };
                eprintln!(
                    "{what} {} for {} created. It is shown only now: store it in a secret \
                     manager. Use it as `Authorization: Bearer <token>`.",
                    stored.id, account.slug
                );
            }
        }
        TokenCommand::List(args) => {
            let account = super::find_account(&store, &args.slug).await?;
            let tokens = store.api_tokens(account.id).await?;
            if args.json.json {
                output::print_json(&tokens)?;
            } else {
                let rows: Vec<Vec<String>> = tokens
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            t.label.clone(),
                            t.scope.as_str().to_owned(),
                            output::timestamp(t.created_at),
                            t.revoked_at
                                .map(|r| format!("revoked {}", output::timestamp(r)))
                                .unwrap_or_else(|| "active".into()),
                        ]
                    })
                    .collect();
                output::print_table(&["ID", "LABEL", "SCOPE", "CREATED", "STATUS"], &rows)?;
            }
        }
        TokenCommand::Revoke(args) => {
            let account = super::find_account(&store, &args.slug).await?;
            let revoked = store.revoke_api_token(account.id, args.id).await?;
            if !revoked {
                anyhow::bail!(
                    "no active API token {} in account {} (see `staffsync token list {}`)",
                    args.id,
                    account.slug,
                    account.slug
                );
            }
            crate::outln!("revoked API token {}", args.id)?;
        }
    }
    Ok(exit::OK)
}
