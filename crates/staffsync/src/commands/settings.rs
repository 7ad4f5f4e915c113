//! `staffsync settings <slug> [--json]`: print the account's settings document;
//! `--set FILE`: replace it (checked as the API checks it, recorded as a new version, a
//! full sync queued); `--set FILE --dry-run`: show what it would change now, save nothing.
//!
//! An invalid document is bad usage (exit 2) naming the field; a preview the deletion
//! guard would hold exits 3, like `sync --dry-run`. This command never accepts removals:
//! a saved document that removes people is held for review like any other run.

use crate::cli::{Global, JsonFlag, StoreFlags, parse_date, parse_slug};
use crate::exit::{self, Code, UsageError};
use crate::output;
use anyhow::Context;
use clap::Args;
use staffsync_core::AccountSlug;
use staffsync_core::Settings;
use staffsync_engine::SyncOptions;
use staffsync_engine::settings::{self as engine_settings, SettingsPreview};
use std::io::Read as _;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// Replace the settings with this JSON document (`-` reads stdin); a full sync is
    /// queued so the directory follows (removals go through the deletion guard).
    #[arg(long, value_name = "FILE")]
    pub set: Option<std::path::PathBuf>,
    /// With --set: show what the document would change now (a dry run against
    /// Personio); save nothing. Exit 3 when the deletion guard would hold the run.
    #[arg(long, requires = "set")]
    pub dry_run: bool,
    /// Pretend today is this date (YYYY-MM-DD) for the preview, as `sync` does.
    #[arg(long, env = "STAFFSYNC_TODAY", value_parser = parse_date, hide = true)]
    pub today: Option<time::Date>,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

/// The lease a preview takes (renewed while it runs).
const LEASE: Duration = Duration::from_secs(30);
/// How long a preview may wait for Personio's listing.
const PREVIEW_LIMIT: Duration = Duration::from_secs(30 * 60);

pub async fn run(global: &Global, args: SettingsArgs) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let Some(path) = &args.set else {
        let settings = &account.policy.settings;
        if args.json.json {
            output::print_json(settings)?;
        } else {
            print_summary(&account.slug.to_string(), settings)?;
        }
        return Ok(exit::OK);
    };
    let mut text = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut text)
            .context("cannot read the settings from stdin")?;
    } else {
        text = std::fs::read(path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
    }
    let invalid = |e: staffsync_core::SettingsError| {
        UsageError(format!("invalid settings in {}: {e}", path.display()))
    };
    let settings = Settings::parse(&text).map_err(invalid)?;
    match engine_settings::check(&store, account.id, &settings).await {
        Ok(()) => {}
        Err(engine_settings::CheckError::Invalid(e)) => return Err(invalid(e).into()),
        Err(engine_settings::CheckError::Store(e)) => return Err(e.into()),
    }
    if args.dry_run {
        let holder = format!("cli:{}:settings-preview", std::process::id());
        let preview = engine_settings::preview(
            &store,
            &account,
            settings,
            SyncOptions {
                today: args.today,
                ..SyncOptions::default()
            },
            &holder,
            LEASE,
            PREVIEW_LIMIT,
        )
        .await
        .with_context(|| format!("preview of the settings of {} failed", account.slug))?;
        if args.json.json {
            output::print_json(&preview)?;
        } else {
            print_preview(&preview)?;
        }
        return Ok(if preview.held { exit::HELD } else { exit::OK });
    }
    let version = store.set_settings(account.id, &settings, "cli").await?;
    // The server's scheduler runs it (no schedule yet: not connected, nothing to sync); a
    // file account follows with its next import.
    let connects = staffsync_engine::sources::of(&account).connects;
    if connects {
        match store.request_sync(account.id, None).await {
            Ok(()) | Err(staffsync_store::StoreError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if args.json.json {
        output::print_json(&serde_json::json!({ "version": version, "settings": settings }))?;
    } else {
        crate::outln!(
            "saved the settings of {} as version {version}; {}",
            account.slug,
            if connects {
                "a full sync is queued"
            } else {
                "the next import applies them"
            }
        )?;
        print_summary(&account.slug.to_string(), &settings)?;
    }
    Ok(exit::OK)
}

fn print_summary(slug: &str, s: &Settings) -> anyhow::Result<()> {
    let rules = |rules: &[staffsync_core::Rule]| {
        if rules.is_empty() {
            return "-".to_owned();
        }
        rules
            .iter()
            .map(|r| format!("{} = {}", r.attribute, r.values.join(" | ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    crate::outln!("{slug}")?;
    crate::outln!("  include:          {}", rules(&s.scope.include))?;
    crate::outln!("  exclude:          {}", rules(&s.scope.exclude))?;
    crate::outln!("  group attributes: {}", s.groups.attributes.join(", "))?;
    crate::outln!("  reporting lines:  {}", on_off(s.groups.reporting_lines))?;
    crate::outln!("  tenure:           {}", on_off(s.groups.tenure))?;
    let age = s
        .groups
        .age
        .as_ref()
        .map_or("off", |a| a.attribute.as_str());
    crate::outln!("  age from:         {age}")?;
    let kept = if s.keep_attributes.is_empty() {
        "-".to_owned()
    } else {
        s.keep_attributes.join(", ")
    };
    crate::outln!("  kept attributes:  {kept}")?;
    crate::outln!("  keep on leave:    {}", on_off(s.keep_on_leave))?;
    crate::outln!(
        "  deletion guard:   hold removals above {:.0}% and at least {}",
        s.deletion_guard.max_share * 100.0,
        crate::output::count(s.deletion_guard.min_people, "person", "people")
    )?;
    let notify = if s.notify.is_empty() {
        "-".to_owned()
    } else {
        s.notify.join(", ")
    };
    crate::outln!("  notify:           {notify}")?;
    Ok(())
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn print_preview(p: &SettingsPreview) -> anyhow::Result<()> {
    crate::outln!(
        "would create {}, update {}, remove {} ({} excluded by rules); groups: {} added, {} removed{}",
        p.creates,
        p.updates,
        p.removals,
        p.excluded,
        p.groups_added,
        p.groups_removed,
        if p.held {
            " — held by the deletion guard until reviewed"
        } else {
            ""
        }
    )?;
    for (what, people) in [
        ("create", &p.people.creates),
        ("remove", &p.people.removals),
        ("excluded", &p.people.excluded),
    ] {
        for person in people {
            match &person.rule {
                Some(rule) => crate::outln!("  {what} {} {} ({rule})", person.id, person.name)?,
                None => crate::outln!("  {what} {} {}", person.id, person.name)?,
            }
        }
    }
    Ok(())
}
