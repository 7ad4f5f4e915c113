//! `staffsync token create|list|revoke`: an account's REST API tokens.
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
            let token = generate_token();
            let stored = store
                .create_api_token(account.id, &hash_token(&token), args.label.trim())
                .await
                .with_context(|| format!("cannot create an API token for {}", account.slug))?;
            if args.json.json {
                let mut value = serde_json::to_value(&stored)?;
                value["token"] = json!(token);
                output::print_json(&value)?;
            } else {
                crate::outln!("{token}")?;
                eprintln!(
                    "API token {} for {} created. It is shown only now: store it in a secret \
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
                            output::timestamp(t.created_at),
                            t.revoked_at
                                .map(|r| format!("revoked {}", output::timestamp(r)))
                                .unwrap_or_else(|| "active".into()),
                        ]
                    })
                    .collect();
                output::print_table(&["ID", "LABEL", "CREATED", "STATUS"], &rows)?;
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
