//! `staffsync import`: read an employee file and import it into a file account — or
//! preview it with `--dry-run`.
//!
//! Exit codes as `sync`: 0 when applied (or previewed), 1 when it failed or the file was
//! refused (an empty file, missing columns, a corrupt workbook: nothing changed, nobody
//! removed), 3 when the deletion guard held it (nothing changed; run again with
//! `--accept-deletions` to apply exactly the removals it listed). Rows with errors are
//! left out and named ("row 7, column Email: …"); the people they name stay as they are.
//!
//! Like every run it holds the account's lease, never interrupting another run.

use crate::cli::{Global, JsonFlag, StoreFlags, parse_date, parse_duration, parse_slug};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context as _;
use clap::Args;
use employee_file::{Format, Limits};
use staffsync_core::AccountSlug;
use staffsync_engine::lease;
use staffsync_engine::run::{self, Scope, SyncError};
use staffsync_engine::{Given, Source, SyncOptions};
use staffsync_server::api::views::{ImportAnswer, ImportPerson};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The account's slug (its short name, e.g. acme); it must take employee files
    /// (`account create --source file`).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The employee file: .xlsx, .ods or .csv (by its extension, else by its content).
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// The workbook's sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Show what the file would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept the removals of the account's latest held run (the list a held import
    /// printed): exactly those people, or fewer, may be removed beyond the deletion
    /// guard; if more are missing from this file, the run is held again for a new review.
    #[arg(long)]
    pub accept_deletions: bool,
    /// How long to wait while another run of the account is going on (e.g. the server's
    /// date check), before giving up without interrupting it.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub wait: std::time::Duration,
    #[command(flatten)]
    pub json: JsonFlag,
    /// Pretend today is this date (YYYY-MM-DD), for tests and replays.
    #[arg(long, env = "STAFFSYNC_TODAY", value_parser = parse_date, hide = true)]
    pub today: Option<time::Date>,
    #[command(flatten)]
    pub store: StoreFlags,
}

pub async fn run(global: &Global, args: ImportArgs) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let failed = || format!("import into {} failed; nothing changed", account.slug);
    let source = staffsync_engine::sources::of(&account);
    if !source.takes_files {
        let slug = account.slug.to_string();
        let refused = if source.takes_scim {
            staffsync_engine::SyncError::ScimAccount(slug)
        } else {
            staffsync_engine::SyncError::PersonioAccount(slug)
        };
        return Err(anyhow::anyhow!(refused).context(failed()));
    }
    let file = read_file(&args).with_context(failed)?;
    let accept_held = super::sync::accepted_run(&store, &account, args.accept_deletions).await?;
    let options = SyncOptions {
        dry_run: args.dry_run,
        accept_held,
        today: args.today,
        ..SyncOptions::default()
    };
    let lease = super::sync::take_lease(&store, &account, args.wait)
        .await
        .map_err(|e| anyhow::anyhow!(e).context(failed()))?;
    // Who is there before the run: removed people are erased by the time it is reported.
    let before = store.import_ids(account.id).await?;
    let names = store.employee_names(account.id).await?;
    let imported = async {
        let source = Source::open(&store, &account, Given::File(file)).await?;
        let report = run::run(&store, &lease, &account, source, Scope::Everyone, &options).await;
        Ok::<_, SyncError>(run::full(report?))
    };
    let report = lease::with_lease_renewal(&store, &lease, super::sync::LEASE, imported).await;
    lease::give_back(&store, lease).await;
    let report = report.map_err(|e| anyhow::anyhow!(e).context(failed()))?;
    let code = match report.result {
        staffsync_engine::SyncResult::Held => exit::HELD,
        _ => exit::OK,
    };
    let answer = ImportAnswer::new(&report, &before, &names);
    let printed = if args.json.json {
        output::print_json(&answer)
    } else {
        print_answer(account.slug.as_str(), &args, &answer).map_err(anyhow::Error::from)
    };
    // The run is done whether or not anyone still reads its summary: a closed stdout must
    // not turn a held run's 3 into a 0.
    match printed {
        Err(e) if output::is_closed_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

/// The file read and checked; a refused file is an error naming the problem.
fn read_file(args: &ImportArgs) -> anyhow::Result<employee_file::EmployeeFile> {
    let path = &args.file;
    let limits = Limits::default();
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    // Checked before reading it all: a huge file is refused without filling memory.
    if size > limits.max_bytes {
        anyhow::bail!(
            "the file {} was refused: {}",
            path.display(),
            employee_file::ReadError::TooLarge {
                size,
                max: limits.max_bytes
            }
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = path
        .file_name()
        .and_then(|n| Format::from_file_name(&n.to_string_lossy()))
        .unwrap_or_else(|| Format::sniff(&bytes));
    employee_file::read(&bytes, format, args.sheet.as_deref(), &limits)
        .map_err(|e| anyhow::anyhow!("the file {} was refused: {e}", path.display()))
}

/// What the import did (or would do), for a person at a terminal.
fn print_answer(slug: &str, args: &ImportArgs, a: &ImportAnswer) -> std::io::Result<()> {
    let applied = a.result == "applied";
    let what = match a.result.as_str() {
        "applied" => "applied",
        "dry_run" => "dry run, nothing changed",
        _ => "HELD by the deletion guard, nothing changed",
    };
    crate::outln!(
        "import of {} into {slug}: {what} (run {}, today {})",
        args.file.display(),
        a.run_id,
        a.today
    )?;
    crate::outln!(
        "  read {}, {} with errors",
        crate::output::count(a.rows + a.row_errors.len(), "row", "rows"),
        a.row_errors.len()
    )?;
    let verb = if applied { "" } else { "would be " };
    crate::outln!(
        "  {verb}created {}, {verb}updated {}, {verb}removed {}, unchanged {}, skipped {}",
        a.creates,
        a.updates,
        a.removals,
        a.unchanged,
        a.skipped
    )?;
    if a.rekeys > 0 {
        crate::outln!(
            "  {verb}kept under a new ImportId (same e-mail address): {}",
            crate::output::count(a.rekeys, "person", "people")
        )?;
    }
    for e in &a.row_errors {
        crate::outln!("  row {}, column {}: {}", e.row, e.column, e.message)?;
    }
    for w in &a.row_warnings {
        crate::outln!(
            "  warning: row {}, column {}: {}",
            w.row,
            w.column,
            w.message
        )?;
    }
    for w in &a.warnings {
        crate::outln!("  warning: {w}")?;
    }
    if !applied {
        let id = |p: &ImportPerson| p.import_id.clone().unwrap_or_default();
        let name = |p: &ImportPerson| p.name.clone().unwrap_or_default();
        for p in &a.people.creates {
            let email = p.email.clone().unwrap_or_default();
            crate::outln!("  + {} {} <{email}>", id(p), name(p))?;
        }
        for p in &a.people.updates {
            crate::outln!("  ~ {} {}: {}", id(p), name(p), changes_text(p))?;
        }
        // Re-keys wait with a held run (no update yet): named here with both ImportIds.
        let updated =
            |p: &ImportPerson| a.people.updates.iter().any(|u| u.import_id == p.import_id);
        for p in a.people.rekeys.iter().filter(|p| !updated(p)) {
            crate::outln!("  ~ {} {}: {}", id(p), name(p), changes_text(p))?;
        }
        for p in &a.people.removals {
            let why = p.why.as_ref().map(ToString::to_string).unwrap_or_default();
            crate::outln!("  - {} {} ({why})", id(p), name(p))?;
        }
    }
    if let Some(held) = &a.held {
        let number = |key: &str| held[key].as_u64().unwrap_or_default() as usize;
        crate::outln!(
            "  {}",
            crate::output::held_line(
                number("removing"),
                number("rekeying"),
                number("directory_size"),
                "ImportId"
            )
        )?;
        if a.result == "held" {
            crate::outln!(
                "  Check the list above, then run `staffsync import {slug} {} --accept-deletions`: \
                 it applies exactly these removals and new ImportIds (or fewer), never one not \
                 listed here.",
                args.file.display()
            )?;
        }
    }
    Ok(())
}

/// `department: Vertrieb → Marketing; email: a@x.de → b@x.de`.
fn changes_text(p: &ImportPerson) -> String {
    let Some(serde_json::Value::Array(changes)) = &p.changes else {
        return String::new();
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("–").to_owned();
    changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                text(&c["field"]),
                text(&c["before"]),
                text(&c["after"])
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}
