//! The commands. Each returns an exit code or an error; errors are printed here, once.
//! Each module holds its command's clap arguments (flags, their environment variables,
//! defaults and value parsers) next to the code that uses them; `crate::cli` names the
//! modules' argument types in its `Command` list and holds only what commands share.
//!
//! Error policy for the command line: commands use `anyhow` with `.context(…)` naming what
//! was being done; the user sees the whole chain on one line (`error: a: b: c`) and exit 1.
//! A command that fails must have changed nothing (or, for sync, exactly nothing in the
//! directory). Secrets never reach an error message: the crates below never put them there.

pub mod account;
pub mod admin;
pub mod connect;
pub mod demo;
pub mod feedback;
pub mod fetch;
pub mod import;
pub mod serve;
pub mod settings;
mod show;
pub mod sim;
pub mod sync;
pub mod token;

use crate::cli::{Cli, Command, Global};
use crate::exit::{self, Code};
use anyhow::Context;
use secrecy::SecretString;
use staffsync_core::AccountSlug;
use staffsync_store::{Account, Store, StoreConfig};

pub async fn run(cli: Cli) -> Code {
    let global = &cli.global.clone().with(cli.command.store_flags());
    let result = match cli.command {
        Command::Demo(args) => demo::run(global, args).await,
        Command::PersonioSim(args) => sim::run(args).await,
        Command::Personio(fetch::PersonioCommand::Fetch(args)) => fetch::run(args).await,
        Command::Account(cmd) => account::run(global, cmd).await,
        Command::Admin(cmd) => admin::run(global, cmd).await,
        Command::Connect(args) => connect::run(global, args).await,
        Command::Sync(args) => sync::run(global, args).await,
        Command::Import(args) => import::run(global, args).await,
        Command::Employees(args) => show::employees(global, args).await,
        Command::Groups(args) => show::groups(global, args).await,
        Command::Runs(args) => show::runs(global, args).await,
        Command::Feedback(cmd) => feedback::run(global, cmd).await,
        Command::Serve(args) => serve::run(global, *args).await,
        Command::Token(cmd) => token::run(global, cmd).await,
        Command::Settings(args) => settings::run(global, args).await,
    };
    match result {
        Ok(code) => code,
        // The reader of stdout has gone (`| head`): nothing is wrong, and nobody to tell.
        Err(e) if crate::output::is_closed_pipe(&e) => exit::OK,
        Err(e) => {
            use std::io::Write as _;
            // Not `eprintln!`, which panics when stderr is closed too.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            if e.chain().any(|c| c.is::<exit::UsageError>()) {
                exit::USAGE
            } else {
                exit::FAILED
            }
        }
    }
}

/// Opens the configured store (SQLite under the data dir, or PostgreSQL).
pub async fn open_store(global: &Global) -> anyhow::Result<Store> {
    let secret_key = std::env::var("STAFFSYNC_SECRET_KEY")
        .ok()
        .map(SecretString::from);
    let config = StoreConfig {
        data_dir: global.data_dir.clone(),
        database_url: global.database_url.clone(),
        secret_key,
    };
    Store::open(&config)
        .await
        .context("cannot open the database")
}

/// Looks up an account by slug, with an error that says how to create it.
pub async fn find_account(store: &Store, slug: &AccountSlug) -> anyhow::Result<Account> {
    store.account(slug).await?.with_context(|| {
        format!("no account named {slug}; create it with `staffsync account create {slug}`")
    })
}
