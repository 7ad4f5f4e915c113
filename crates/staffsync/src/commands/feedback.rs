//! `staffsync feedback add|list`: the survey app's feedback, as far as the sync touches it.

use crate::cli::{Global, JsonFlag, ListArgs, StoreFlags, parse_slug};
use crate::exit::{self, Code};
use crate::output;
use clap::{Args, Subcommand};
use staffsync_core::AccountSlug;
use staffsync_core::PersonKey;

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// Store feedback given by an employee of the directory.
    Add(FeedbackAddArgs),
    /// List an account's feedback with its group snapshots.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct FeedbackAddArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The author's Personio id (someone in the account's directory).
    #[arg(long)]
    pub author_personio_id: i64,
    /// The feedback's text.
    #[arg(long)]
    pub body: String,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

pub async fn run(global: &Global, cmd: FeedbackCommand) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    match cmd {
        FeedbackCommand::Add(args) => {
            let account = super::find_account(&store, &args.slug).await?;
            let item = store
                .add_feedback(account.id, PersonKey(args.author_personio_id), &args.body)
                .await
                .map_err(|e| match e {
                    // The store names the account by its internal id; the user knows its slug.
                    staffsync_store::StoreError::NotFound { .. } => anyhow::anyhow!(
                        "no employee with Personio id {} in account {} (see `staffsync employees {}`)",
                        args.author_personio_id,
                        account.slug,
                        account.slug
                    ),
                    e => anyhow::Error::new(e).context(format!(
                        "cannot store feedback by {} in account {}",
                        args.author_personio_id, account.slug
                    )),
                })?;
            if args.json.json {
                output::print_json(&item)?;
            } else {
                crate::outln!("stored feedback {}", item.id)?;
            }
        }
        FeedbackCommand::List(args) => {
            let account = super::find_account(&store, &args.slug).await?;
            let items = store.feedback(account.id).await?;
            if args.json.json {
                output::print_json(&items)?;
            } else {
                for f in &items {
                    let author = f
                        .author
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "(removed)".into());
                    let groups: Vec<String> = f
                        .groups
                        .iter()
                        .map(|g| format!("{}={}", g.kind, g.name))
                        .collect();
                    crate::outln!(
                        "{}\t{}\t{}\t[{}]\t{}",
                        f.id,
                        output::timestamp(f.created_at),
                        author,
                        groups.join(", "),
                        f.body
                    )?;
                }
            }
        }
    }
    Ok(exit::OK)
}
