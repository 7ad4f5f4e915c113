//! `staffsync sync`: fetch, plan, apply — or preview with `--dry-run`.
//!
//! Exit 0 when done, 1 when the run failed (nothing changed), 3 when the deletion guard
//! held it (nothing changed; re-run with `--accept-deletions` to apply exactly the
//! removals it listed).
//!
//! Like every sync, it runs only with the account's lease: while the server (or another
//! command) syncs the account, it waits up to `--wait` and then gives up with a clear
//! message, never interrupting the other run.

use crate::cli::{Global, JsonFlag, OnOff, StoreFlags, parse_date, parse_duration, parse_slug};
use crate::exit::{self, Code};
use crate::output;
use clap::Args;
use staffsync_core::AccountSlug;
use staffsync_core::{DirectoryEmployee, PersonKey, Plan};
use staffsync_engine::lease;
use staffsync_engine::run::{self, Scope, SyncError};
use staffsync_engine::{Given, Source, SyncOptions, SyncReport, SyncResult};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// Show the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept the removals of the account's latest held run (the list a held sync
    /// printed): exactly those people, or fewer, may be removed beyond the deletion
    /// guard; if more are missing by now, the run is held again for a new review.
    #[arg(long)]
    pub accept_deletions: bool,
    /// How long to wait while another sync of the account runs (e.g. the server's),
    /// before giving up without interrupting it.
    /// A sync that died holds the account until its lease runs out (30 s for this
    /// command, `--lease` for the server).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub wait: std::time::Duration,
    #[command(flatten)]
    pub json: JsonFlag,
    /// Pace requests under Personio's limits (turn off only against a simulator).
    #[arg(long, default_value = "on")]
    pub rate_limit: OnOff,
    /// Pretend today is this date (YYYY-MM-DD), for tests and replays.
    #[arg(long, env = "STAFFSYNC_TODAY", value_parser = parse_date, hide = true)]
    pub today: Option<time::Date>,
    #[command(flatten)]
    pub store: StoreFlags,
}

/// The lease a command-line sync takes, renewed every third of it while the sync runs.
/// Short, so that a sync killed mid-run (Ctrl-C, SIGKILL) holds the account up for at
/// most this long: the next sync, here or in the server, takes over after it.
pub(crate) const LEASE: Duration = Duration::from_secs(30);

pub async fn run(global: &Global, args: SyncArgs) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    let account = super::find_account(&store, &args.slug).await?;
    let accept_held = accepted_run(&store, &account, args.accept_deletions).await?;
    let options = SyncOptions {
        dry_run: args.dry_run,
        accept_held,
        today: args.today,
        unlimited_rate: args.rate_limit == OnOff::Off,
        // One account, one run: its per-credential pacing keeps it far under the per-IP
        // budget, which only a fleet (`serve`) can exhaust.
        ip_budget: None,
        settings: None,
    };
    let bar = output::fetch_progress();
    let progress = |done: usize, total: Option<usize>| {
        if let Some(t) = total {
            bar.set_length(t as u64);
        }
        bar.set_position(done as u64);
    };
    let failed = || format!("sync of {} failed; nothing changed", account.slug);
    let lease = take_lease(&store, &account, args.wait)
        .await
        .map_err(|e| anyhow::anyhow!(e).context(failed()))?;
    let synced = async {
        let source = Source::open(
            &store,
            &account,
            Given::Nothing {
                progress: &progress,
            },
        )
        .await?;
        let report = run::run(&store, &lease, &account, source, Scope::Everyone, &options).await;
        Ok::<_, SyncError>(run::full(report?))
    };
    let report = lease::with_lease_renewal(&store, &lease, LEASE, synced).await;
    lease::give_back(&store, lease).await;
    bar.finish_and_clear();
    let report = report.map_err(|e| anyhow::anyhow!(e).context(failed()))?;
    let code = match report.result {
        SyncResult::Held => exit::HELD,
        SyncResult::Applied | SyncResult::DryRun => exit::OK,
    };
    // The run is done whether or not anyone still reads its summary: a closed stdout must
    // not turn a held run's 3 into a 0.
    match print_report(&store, &account, &report, args.json.json).await {
        Err(e) if output::is_closed_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

/// With `--accept-deletions`: the latest held run, whose removals (and no others) this
/// run may make. An admin accepts what was shown, never "deletions" in general.
pub(crate) async fn accepted_run(
    store: &staffsync_store::Store,
    account: &staffsync_store::Account,
    accept_deletions: bool,
) -> anyhow::Result<Option<staffsync_store::RunId>> {
    if !accept_deletions {
        return Ok(None);
    }
    let held = store.latest_held_run(account.id).await?;
    match held {
        Some(run) => {
            // The history names who accepted: here, the command line.
            store.record_decision(account.id, run, "cli").await?;
            eprintln!(
                "accepting the removals listed by held run {} (and no others)",
                run.0
            );
        }
        None => eprintln!(
            "no held run of {} to accept: this run is planned as usual, and held if it \
             removes more than the deletion guard allows",
            account.slug
        ),
    }
    Ok(held)
}

/// The account's lease for a run of this process, waiting up to `wait` while another
/// run (the server's, another command's) holds it.
pub(crate) async fn take_lease(
    store: &staffsync_store::Store,
    account: &staffsync_store::Account,
    wait: Duration,
) -> Result<staffsync_store::Lease, lease::LeaseError> {
    let holder = format!("cli:{}", std::process::id());
    match lease::acquire(store, account.id, &holder, LEASE, Duration::ZERO).await {
        Err(lease::LeaseError::Busy { .. }) if !wait.is_zero() => {
            eprintln!(
                "another sync of {} is running; waiting up to {} s for it to finish",
                account.slug,
                wait.as_secs()
            );
            lease::acquire(store, account.id, &holder, LEASE, wait).await
        }
        other => other,
    }
}

async fn print_report(
    store: &staffsync_store::Store,
    account: &staffsync_store::Account,
    report: &SyncReport,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        output::print_json(report)?;
    } else {
        // Name the people a preview or a held run would remove (they are still in the
        // directory); after an applied run they are erased, and only their ids remain.
        let directory = if report.result != SyncResult::Applied && !report.plan.removals.is_empty()
        {
            store.directory(account.id).await?
        } else {
            Vec::new()
        };
        print_summary(account.slug.as_str(), report, &directory)?;
    }
    Ok(())
}

/// Prints what a sync did (or would do) for a person at a terminal.
pub fn print_summary(
    slug: &str,
    report: &SyncReport,
    directory: &[DirectoryEmployee],
) -> std::io::Result<()> {
    let plan = &report.plan;
    let names: HashMap<PersonKey, String> = directory
        .iter()
        .map(|e| {
            (
                e.key,
                format!("{} {} <{}>", e.first_name, e.last_name, e.email),
            )
        })
        .collect();
    let name_of = |id: PersonKey| names.get(&id).cloned().unwrap_or_default();
    let what = match report.result {
        SyncResult::Applied => "applied",
        SyncResult::DryRun => "dry run, nothing changed",
        SyncResult::Held => "HELD by the deletion guard, nothing changed",
    };
    crate::outln!(
        "sync of {slug}: {what} (run {}, today {})",
        report.run_id.0,
        report.today
    )?;
    crate::outln!(
        "  read {} from Personio",
        crate::output::count(report.fetched, "employee", "employees")
    )?;
    let verb = if report.result == SyncResult::Applied {
        ""
    } else {
        "would be "
    };
    crate::outln!(
        "  {verb}created {}, {verb}updated {}, {verb}removed {}, unchanged {}",
        plan.creates.len(),
        plan.updates.len(),
        plan.removals.len(),
        plan.unchanged
    )?;
    // People an admin kept by rejecting a review: not removed, each named.
    for k in &plan.kept {
        crate::outln!(
            "  kept (a review was rejected): {} {} ({})",
            k.key,
            name_of(k.key),
            serde_json::to_string(&k.reason).unwrap_or_default()
        )?;
    }
    // Re-keyed people are among the updates; each is named with both ids.
    for r in &plan.rekeys {
        crate::outln!(
            "  {verb}kept under a new Personio ID (same e-mail address): {} → {} {}",
            r.from,
            r.to,
            name_of(r.from)
        )?;
    }
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &plan.skips {
        *skipped.entry(s.reason.code()).or_default() += 1;
    }
    if !skipped.is_empty() {
        let parts: Vec<String> = skipped.iter().map(|(k, v)| format!("{k} {v}")).collect();
        crate::outln!("  skipped {}: {}", plan.skips.len(), parts.join(", "))?;
    }
    for w in &plan.warnings {
        crate::outln!("  warning: {w}")?;
    }
    if report.result != SyncResult::Applied {
        print_details(plan, &name_of)?;
    }
    if let Some(hold) = plan.held {
        crate::outln!(
            "  {}",
            crate::output::held_line(
                hold.removing,
                hold.rekeying,
                hold.directory_size,
                "Personio ID"
            )
        )?;
        if report.result == SyncResult::Held {
            crate::outln!(
                "  Check the list above, then run `staffsync sync {slug} --accept-deletions`: it \
                 applies exactly these removals and ID changes (or fewer), never one not listed \
                 here."
            )?;
        }
    }
    Ok(())
}

fn print_details(plan: &Plan, name_of: &dyn Fn(PersonKey) -> String) -> std::io::Result<()> {
    for c in &plan.creates {
        crate::outln!(
            "  + {} {} {} <{}>",
            c.key,
            c.first_name,
            c.last_name,
            c.email
        )?;
    }
    for u in &plan.updates {
        let fields: Vec<String> = u
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{}: {} → {}",
                    c.field,
                    c.before.as_deref().unwrap_or("–"),
                    c.after.as_deref().unwrap_or("–")
                )
            })
            .collect();
        crate::outln!(
            "  ~ {} {} {}: {}",
            u.after.key,
            u.after.first_name,
            u.after.last_name,
            fields.join("; ")
        )?;
    }
    for r in &plan.removals {
        crate::outln!(
            "  - {} {} ({})",
            r.key,
            name_of(r.key),
            serde_json::to_string(&r.reason).unwrap_or_default()
        )?;
    }
    Ok(())
}
