//! `staffsync feedback add|list`: the survey app's feedback, as far as the sync touches it.

use crate::cli::{FeedbackCommand, Global};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use staffsync_core::PersonioId;

pub async fn run(global: &Global, cmd: FeedbackCommand) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    match cmd {
        FeedbackCommand::Add(args) => {
            let account = super::find_account(&store, &args.slug).await?;
            let item = store
                .add_feedback(account.id, PersonioId(args.author_personio_id), &args.body)
                .await
                .with_context(|| format!("cannot store feedback by {}", args.author_personio_id))?;
            if args.json.json {
                output::print_json(&item)?;
            } else {
                println!("stored feedback {}", item.id);
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
                    println!(
                        "{}\t{}\t{}\t[{}]\t{}",
                        f.id,
                        f.created_at,
                        author,
                        groups.join(", "),
                        f.body
                    );
                }
            }
        }
    }
    Ok(exit::OK)
}
