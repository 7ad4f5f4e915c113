//! `staffsync admin reset-password <slug> <email>`: the operator's way back for a web-app
//! admin who forgot their password (the web app's "Passwort vergessen?" mails a link only
//! when the deployment sends mail).
//!
//! By default it prints a one-time link (valid 30 minutes, used once; absolute with
//! `--public-base-url`, else the path to append to the web app's address) for the
//! operator to hand over: the admin chooses the password, the operator never knows it.
//! `--set-password` sets one at once instead, from `STAFFSYNC_ADMIN_PASSWORD` or a prompt
//! (as `account create`). Either way, using it ends every session of the admin. The link
//! is printed on stdout only, never logged; only its token's digest is stored.

use crate::cli::{Global, JsonFlag, StoreFlags, parse_slug};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use staffsync_core::AccountSlug;
use staffsync_engine::password_reset;
use time::OffsetDateTime;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Reset a web-app admin's password: print a one-time link (30 minutes) to give them,
    /// or set a password at once with --set-password.
    ResetPassword(ResetPasswordArgs),
}

#[derive(Debug, Args)]
pub struct ResetPasswordArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The admin's e-mail (an admin of this account).
    pub email: String,
    /// Public base URL of the web app (https://staffsync.example.com): the link is
    /// printed in full; without it, only its path.
    #[arg(long, env = "STAFFSYNC_PUBLIC_BASE_URL")]
    pub public_base_url: Option<url::Url>,
    /// Set a new password now (from STAFFSYNC_ADMIN_PASSWORD or asked for, at least 10
    /// characters) instead of printing a link.
    #[arg(long)]
    pub set_password: bool,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

pub async fn run(global: &Global, cmd: AdminCommand) -> anyhow::Result<Code> {
    let AdminCommand::ResetPassword(args) = cmd;
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let admin = store
        .admin_by_email(&args.email)
        .await?
        .filter(|a| a.account_id == account.id)
        .with_context(|| format!("no admin {} in account {}", args.email.trim(), account.slug))?;
    if args.set_password {
        let hash = super::account::new_password_hash(&admin.email).await?;
        store
            .set_admin_password(admin.id, &hash)
            .await
            .context("cannot set the password")?;
        if args.json.json {
            output::print_json(&json!({"email": admin.email, "password_set": true}))?;
        } else {
            crate::outln!(
                "set the password of {} ({}); their sessions and reset links ended",
                admin.email,
                account.slug
            )?;
        }
        return Ok(exit::OK);
    }
    let now = OffsetDateTime::now_utc();
    let token = password_reset::issue(&store, admin.id, now)
        .await
        .context("cannot make a reset link")?;
    let base = args.public_base_url.as_ref().map(url::Url::as_str);
    let link = password_reset::link(base, &token);
    let expires = now + password_reset::LINK_TTL;
    if args.json.json {
        output::print_json(&json!({
            "email": admin.email,
            "link": link,
            "expires_at": expires.format(&time::format_description::well_known::Rfc3339)?,
        }))?;
    } else {
        crate::outln!("{link}")?;
        eprintln!(
            "A one-time link for {} ({}), valid until {}{}. Give it to them over a channel \
             you trust; setting a password through it ends their sessions.",
            admin.email,
            account.slug,
            output::timestamp(expires),
            if base.is_none() {
                "; append it to the web app's address (or pass --public-base-url)"
            } else {
                ""
            }
        );
    }
    Ok(exit::OK)
}
