//! `staffsync account create|list|policy`.
//!
//! `create --admin-email` also creates the web app's first admin. The password comes from
//! `STAFFSYNC_ADMIN_PASSWORD`, else a prompt without echo (a terminal) or one line of
//! stdin (a pipe); it is never printed, and only its argon2 hash is stored.

use crate::cli::{Global, JsonFlag, StoreFlags, parse_slug};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use clap::{Args, Subcommand};
use staffsync_core::AccountSlug;
use staffsync_core::settings::STANDARD_GROUP_ATTRIBUTES;
use staffsync_server::auth::MIN_PASSWORD_CHARS;

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create a customer account.
    Create(AccountCreateArgs),
    /// List accounts.
    List(AccountListArgs),
    /// Show or change an account's sync policy.
    Policy(AccountPolicyArgs),
}

#[derive(Debug, Args)]
pub struct AccountCreateArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The company's display name (default: the slug).
    #[arg(long)]
    pub name: Option<String>,
    /// IANA time zone that decides "today" for hire and termination dates.
    #[arg(long, default_value = "Europe/Berlin", value_parser = parse_time_zone)]
    pub time_zone: staffsync_core::TimeZoneName,
    /// Also create an admin of the web app with this e-mail; the password comes from
    /// STAFFSYNC_ADMIN_PASSWORD or is asked for (at least 10 characters).
    #[arg(long, value_parser = parse_mail_address)]
    pub admin_email: Option<staffsync_core::MailAddress>,
    /// Where the account's people come from: `personio` (connect a credential, then
    /// sync), `file` (employee files, with `staffsync import`) or `scim` (pushed by
    /// Microsoft Entra ID or Okta; `staffsync token create --scope scim`). Cannot change
    /// later.
    #[arg(long, default_value = "personio", value_parser = parse_source)]
    pub source: staffsync_store::AccountSource,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct AccountListArgs {
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct AccountPolicyArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// Custom attribute (key such as dynamic_33400, or its label) that forms groups; repeatable.
    #[arg(long = "group-attribute")]
    pub group_attributes: Vec<String>,
    /// Forget the custom attributes chosen before.
    #[arg(long)]
    pub clear_group_attributes: bool,
    /// Keep people with status `leave` in the directory.
    #[arg(long)]
    pub keep_on_leave: Option<bool>,
    /// Hold a run that would remove more than this share of the directory (0–1).
    #[arg(long, value_parser = parse_share)]
    pub max_removal_share: Option<f64>,
    /// …and at least this many people.
    #[arg(long)]
    pub min_removals: Option<usize>,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("not a share between 0 and 1: {s:?}")),
    }
}

fn parse_mail_address(s: &str) -> Result<staffsync_core::MailAddress, String> {
    staffsync_core::MailAddress::parse(s).map_err(|e| e.to_string())
}

fn parse_source(s: &str) -> Result<staffsync_store::AccountSource, String> {
    staffsync_store::AccountSource::parse(s.trim())
        .ok_or_else(|| format!("not a source: {s:?} (expected personio, file or scim)"))
}

fn parse_time_zone(s: &str) -> Result<staffsync_core::TimeZoneName, String> {
    staffsync_core::TimeZoneName::parse(s).map_err(|e| e.to_string())
}

pub async fn run(global: &Global, cmd: AccountCommand) -> anyhow::Result<Code> {
    match cmd {
        AccountCommand::Create(args) => {
            // Slug and time zone were checked by clap (a bad one is a usage error).
            let slug = args.slug;
            let time_zone = args.time_zone;
            let name = args.name.unwrap_or_else(|| slug.to_string());
            let store = super::open_store(global).await?;
            // The admin is checked and hashed before anything is created.
            let admin = match &args.admin_email {
                Some(email) => Some(admin_credentials(&store, email).await?),
                None => None,
            };
            let account = store
                .create_account_with_source(&slug, &name, &time_zone, args.source)
                .await
                .with_context(|| format!("cannot create account {slug}"))?;
            if let Some((email, hash)) = &admin {
                store
                    .create_admin(account.id, email, hash)
                    .await
                    .with_context(|| format!("cannot create the admin {email}"))?;
            }
            if args.json.json {
                let mut json = account_json(&account);
                json["admin_email"] = serde_json::json!(admin.as_ref().map(|(e, _)| e.as_str()));
                output::print_json(&json)?;
            } else {
                crate::outln!(
                    "created account {} ({}, time zone {}, people from {})",
                    slug,
                    account.name,
                    account.time_zone,
                    staffsync_engine::sources::of(&account).first_step
                )?;
                if let Some((email, _)) = &admin {
                    crate::outln!("created admin {email}: log in to the web app with this e-mail")?;
                }
            }
        }
        AccountCommand::Policy(args) => {
            let store = super::open_store(global).await?;
            let account = super::find_account(&store, &args.slug).await?;
            let mut settings = account.policy.settings.clone();
            let groups = &mut settings.groups.attributes;
            if args.clear_group_attributes {
                groups.retain(|a| STANDARD_GROUP_ATTRIBUTES.contains(&a.trim()));
            }
            for attribute in args.group_attributes {
                if !groups.contains(&attribute) {
                    groups.push(attribute);
                }
            }
            if let Some(keep) = args.keep_on_leave {
                settings.keep_on_leave = keep;
            }
            if let Some(share) = args.max_removal_share {
                settings.deletion_guard.max_share = share;
            }
            if let Some(min) = args.min_removals {
                settings.deletion_guard.min_people = min;
            }
            settings
                .validate()
                .map_err(|e| exit::UsageError(format!("invalid settings: {e}")))?;
            store.set_settings(account.id, &settings, "cli").await?;
            if args.json.json {
                output::print_json(&settings)?;
            } else {
                crate::outln!(
                    "{}: group attributes [{}], keep on leave {}, hold removals above {:.0}% and at least {}",
                    account.slug,
                    settings.groups.attributes.join(", "),
                    settings.keep_on_leave,
                    settings.deletion_guard.max_share * 100.0,
                    crate::output::count(settings.deletion_guard.min_people, "person", "people")
                )?;
            }
        }
        AccountCommand::List(args) => {
            let json = args.json;
            let store = super::open_store(global).await?;
            let accounts = store.accounts().await?;
            if json.json {
                output::print_json(&accounts.iter().map(account_json).collect::<Vec<_>>())?;
            } else {
                let rows = accounts
                    .iter()
                    .map(|a| vec![a.slug.to_string(), a.name.clone(), a.time_zone.to_string()])
                    .collect::<Vec<_>>();
                output::print_table(&["SLUG", "NAME", "TIME ZONE"], &rows)?;
            }
        }
    }
    Ok(exit::OK)
}

fn account_json(a: &staffsync_store::Account) -> serde_json::Value {
    serde_json::json!({
        "slug": a.slug, "name": a.name, "time_zone": a.time_zone, "policy": a.policy,
        "source": a.source,
    })
}

/// The admin's e-mail (checked by clap: a usage error, exit 2) and password hash, after
/// checking that the e-mail is free.
async fn admin_credentials(
    store: &staffsync_store::Store,
    email: &staffsync_core::MailAddress,
) -> anyhow::Result<(staffsync_core::MailAddress, String)> {
    if store.admin_by_email(email.as_str()).await?.is_some() {
        anyhow::bail!("an admin with the e-mail {email} already exists");
    }
    Ok((email.clone(), new_password_hash(email.as_str()).await?))
}

/// The argon2 hash of a new password for the admin `email`: read as [`admin_password`]
/// says, at least [`MIN_PASSWORD_CHARS`] characters.
pub(crate) async fn new_password_hash(email: &str) -> anyhow::Result<String> {
    let password = admin_password(email)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        anyhow::bail!("the admin password must have at least {MIN_PASSWORD_CHARS} characters");
    }
    let hash =
        tokio::task::spawn_blocking(move || staffsync_server::auth::hash_password(&password))
            .await
            .context("hashing the password")??;
    Ok(hash)
}

/// `STAFFSYNC_ADMIN_PASSWORD`, else asked for.
fn admin_password(email: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("STAFFSYNC_ADMIN_PASSWORD") {
        return Ok(password);
    }
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {email}: "))
            .context("reading the password")?;
        let again =
            rpassword::prompt_password("Repeat the password: ").context("reading the password")?;
        if first != again {
            anyhow::bail!("the passwords do not match");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
