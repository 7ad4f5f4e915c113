//! `staffsync account create|list`.

use crate::cli::{AccountCommand, Global};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use staffsync_core::AccountSlug;
use staffsync_server::clock;

pub async fn run(global: &Global, cmd: AccountCommand) -> anyhow::Result<Code> {
    match cmd {
        AccountCommand::Create(args) => {
            let slug = AccountSlug::parse(&args.slug)?;
            clock::validate_time_zone(&args.time_zone)?;
            let name = args.name.unwrap_or_else(|| slug.to_string());
            let store = super::open_store(global).await?;
            let account = store
                .create_account(&slug, &name, &args.time_zone)
                .await
                .with_context(|| format!("cannot create account {slug}"))?;
            if args.json.json {
                output::print_json(&account_json(&account))?;
            } else {
                println!(
                    "created account {} ({}, time zone {})",
                    slug, account.name, account.time_zone
                );
            }
        }
        AccountCommand::List(json) => {
            let store = super::open_store(global).await?;
            let accounts = store.accounts().await?;
            if json.json {
                output::print_json(&accounts.iter().map(account_json).collect::<Vec<_>>())?;
            } else {
                let rows = accounts
                    .iter()
                    .map(|a| vec![a.slug.to_string(), a.name.clone(), a.time_zone.clone()])
                    .collect::<Vec<_>>();
                output::print_table(&["SLUG", "NAME", "TIME ZONE"], &rows);
            }
        }
    }
    Ok(exit::OK)
}

fn account_json(a: &staffsync_store::Account) -> serde_json::Value {
    serde_json::json!({
        "slug": a.slug, "name": a.name, "time_zone": a.time_zone, "policy": a.policy,
    })
}
