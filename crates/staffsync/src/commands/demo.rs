//! `staffsync demo`: everything a newcomer needs to see staffsync work, on the embedded
//! default (SQLite in the data directory) and a simulated Personio company.
//!
//! By default it serves the web app and prints the URL, the login and the Client ID and
//! Secret to paste under Menü → Integration; the scheduler syncs as soon as the admin
//! connects. With `--walkthrough` it runs the main job on the terminal instead: sync, show
//! the directory and groups, change a few people in "Personio", sync again.

use crate::cli::{Global, StoreFlags};
use crate::exit::{self, Code};
use crate::outln;
use crate::output;
use anyhow::Context;
use clap::Args;
use secrecy::SecretString;
use serde_json::json;
use staffsync_core::{AccountSlug, GroupKind};
use staffsync_engine::outbound::AllowedUrl;
use staffsync_engine::run::{self, Scope, SyncError};
use staffsync_engine::{AppState, Given, ServerConfig, Source, SyncOptions, lease};
use staffsync_store::{Account, Store};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Employees in the simulated company.
    #[arg(long, default_value_t = 250)]
    pub employees: usize,
    /// Seed of the simulated company.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Where the web app listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the simulated Personio listens (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:9100")]
    pub sim_listen: SocketAddr,
    /// Instead of serving the web app: sync once on the terminal, show the directory and
    /// groups, change a few people in "Personio", sync again, and exit.
    #[arg(long)]
    pub walkthrough: bool,
    #[command(flatten)]
    pub store: StoreFlags,
}

const CLIENT_ID: &str = "demo";
const CLIENT_SECRET: &str = "demo-secret";
const ADMIN_EMAIL: &str = "admin@demo.example";
const ADMIN_PASSWORD: &str = "demo-passwort-2026";

pub async fn run(global: &Global, args: DemoArgs) -> anyhow::Result<Code> {
    let store = super::open_store(global).await?;
    let account = demo_account(&store).await?;
    let sim_config = personio_sim::SimConfig {
        employees: args.employees,
        seed: args.seed,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        ..Default::default()
    };
    // The configured port when it is free, any free port otherwise.
    let sim_listener = match tokio::net::TcpListener::bind(args.sim_listen).await {
        Ok(l) => l,
        Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0").await?,
    };
    let sim_url = format!("http://{}", sim_listener.local_addr()?);
    let (stop_sim, sim_stopped) = tokio::sync::oneshot::channel::<()>();
    let sim = tokio::spawn(personio_sim::serve(sim_listener, sim_config, async {
        let _ = sim_stopped.await;
    }));
    let result = if args.walkthrough {
        walkthrough(global, &store, &account, &sim_url, args.employees).await
    } else {
        serve(global, &store, &sim_url, &args).await
    };
    let _ = stop_sim.send(());
    let _ = sim.await;
    result
}

/// The account `demo` with its admin, created on first use.
async fn demo_account(store: &Store) -> anyhow::Result<Account> {
    let slug = AccountSlug::parse("demo")?;
    let account = match store.account(&slug).await? {
        Some(a) => a,
        None => {
            store
                .create_account(&slug, "Demo GmbH", &Default::default())
                .await?
        }
    };
    if store.admin_by_email(ADMIN_EMAIL).await?.is_none() {
        let hash =
            tokio::task::spawn_blocking(|| staffsync_server::auth::hash_password(ADMIN_PASSWORD))
                .await?
                .map_err(|e| anyhow::anyhow!("cannot hash the demo password: {e}"))?;
        store
            .create_admin(account.id, &ADMIN_EMAIL.parse()?, &hash)
            .await?;
    }
    Ok(account)
}

async fn serve(
    global: &Global,
    store: &Store,
    sim_url: &str,
    args: &DemoArgs,
) -> anyhow::Result<Code> {
    // Ctrl-C is heard from before the URL is printed (see `serve::shutdown_signal`).
    let shutdown = super::serve::shutdown_signal();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (try --listen 127.0.0.1:0)",
                args.listen
            )
        })?;
    let url = format!("http://{}", listener.local_addr()?);
    let config = demo_config(sim_url)?;
    outln!(
        "staffsync demo is running (data in {}).\n",
        global.data_dir.display()
    )?;
    outln!("  Web app        {url}   → Menü → Integration")?;
    outln!("  Login          {ADMIN_EMAIL} / {ADMIN_PASSWORD}")?;
    outln!("  Client-ID      {CLIENT_ID}")?;
    outln!("  Secret         {CLIENT_SECRET}")?;
    outln!("  Personio-URL   {sim_url}   (under \"Erweitert\")\n")?;
    outln!(
        "  Change people in the simulated Personio through {sim_url}/_sim/ (docs/simulator.md),"
    )?;
    outln!(
        "  the REST API after `staffsync token create demo` under {url}/api/v1 (openapi.json)."
    )?;
    outln!("\nPress Ctrl-C to stop.")?;
    let state =
        AppState::new(store.clone(), config).with_letters(staffsync_server::letters::render);
    staffsync_server::serve(listener, state, shutdown)
        .await
        .context("the demo server failed")?;
    Ok(exit::OK)
}

/// The demo server's configuration: a fast scheduler, and the simulator's URL allowed
/// besides Personio's own (the admin pastes it under "Erweitert").
fn demo_config(sim_url: &str) -> anyhow::Result<ServerConfig> {
    let sim_allowed = AllowedUrl::parse(sim_url)
        .map_err(|e| anyhow::anyhow!("the simulator's URL cannot be allowed: {e}"))?;
    Ok(ServerConfig {
        scheduler_poll: Duration::from_secs(1),
        allowed_personio_urls: vec![AllowedUrl::personio(), sim_allowed],
        ..ServerConfig::default()
    })
}

async fn walkthrough(
    global: &Global,
    store: &Store,
    account: &Account,
    sim_url: &str,
    employees: usize,
) -> anyhow::Result<Code> {
    outln!(
        "Simulated Personio at {sim_url} ({})",
        crate::output::count(employees, "employee", "employees")
    )?;
    let connected = staffsync_engine::connect::connect(
        store,
        account.id,
        sim_url,
        CLIENT_ID,
        SecretString::from(CLIENT_SECRET),
    )
    .await
    .context("cannot connect the demo account to the simulator")?;
    outln!(
        "Account demo connected ({})\n",
        crate::output::count(
            connected.readable.len(),
            "readable attribute",
            "readable attributes"
        )
    )?;

    let sync = |title: &'static str| async move {
        outln!("== {title}")?;
        let lease_len = Duration::from_secs(300);
        let lease = lease::acquire(store, account.id, "demo", lease_len, lease_len).await?;
        let options = SyncOptions::default();
        let synced = async {
            let source = Source::open(store, account, Given::nothing()).await?;
            let report = run::run(store, &lease, account, source, Scope::Everyone, &options).await;
            Ok::<_, SyncError>(run::full(report?))
        };
        let report = lease::with_lease_renewal(store, &lease, lease_len, synced).await;
        lease::give_back(store, lease).await;
        let report = report?;
        super::sync::print_summary("demo", &report, &[])?;
        anyhow::Ok(report)
    };
    sync("First sync").await?;
    outln!()?;

    let directory = store.directory(account.id).await?;
    outln!("== The directory (first 10 of {})", directory.len())?;
    let rows: Vec<Vec<String>> = directory
        .iter()
        .take(10)
        .map(|e| {
            vec![
                e.key.to_string(),
                format!("{} {}", e.first_name, e.last_name),
                e.department.clone().unwrap_or_default(),
                e.office.clone().unwrap_or_default(),
                e.position.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::print_table(&["ID", "NAME", "DEPARTMENT", "OFFICE", "POSITION"], &rows)?;
    outln!()?;
    let groups = store.groups(account.id).await?;
    outln!("== Groups: {} in all", groups.len())?;
    for kind in GroupKind::ALL {
        let of_kind: Vec<String> = groups
            .iter()
            .filter(|g| g.kind == kind)
            .map(|g| format!("{} ({})", g.name, g.member_count))
            .collect();
        if !of_kind.is_empty() {
            let shown = of_kind
                .iter()
                .take(6)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = of_kind.len().saturating_sub(6);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            outln!("  {kind}: {shown}{more}")?;
        }
    }
    outln!()?;

    // Changes in "Personio": a hire, a department move, a leaver.
    let http = reqwest::Client::new();
    let (mover, leaver) = pick_mover_and_leaver(&directory, &groups);
    http.post(format!("{sim_url}/_sim/employees"))
        .json(&json!({"first_name": "Zoë", "last_name": "Çelik-Ørsted", "email": "zoe.celik-oersted@demo.example",
                      "status": "active", "hire_date": "2020-01-01", "department": "Marketing"}))
        .send()
        .await?
        .error_for_status()?;
    outln!("(In Personio:")?;
    outln!("   hired:  Zoë Çelik-Ørsted, Marketing")?;
    if let Some(m) = &mover {
        http.patch(format!("{sim_url}/_sim/employees/{}", m.id))
            .json(&json!({"department": m.to}))
            .send()
            .await?
            .error_for_status()?;
        outln!("   moved:  {}, from {} to {}", m.name, m.from, m.to)?;
    }
    if let Some(l) = &leaver {
        http.delete(format!("{sim_url}/_sim/employees/{}", l.id))
            .send()
            .await?
            .error_for_status()?;
        outln!("   left:   {}", l.name)?;
    }
    outln!(")\n")?;
    let report = sync("Second sync").await?;
    // The leaver's reports are updates too: their supervisor link is cleared. Said here, so
    // that "updated 16" after one move does not look like a mistake.
    let lost_supervisor = report
        .plan
        .updates
        .iter()
        .filter(|u| {
            u.changes
                .iter()
                .any(|c| c.field == staffsync_core::Field::Supervisor && c.after.is_none())
        })
        .count();
    if let (Some(l), n @ 1..) = (&leaver, lost_supervisor) {
        let people = if n == 1 { "person" } else { "people" };
        outln!(
            "  ({n} {people} updated because their supervisor, {}, left: staffsync clears a \
             supervisor who is no longer in the directory)",
            l.name
        )?;
    }
    outln!()?;
    let data_dir = data_dir_flag(&global.data_dir);
    outln!("Try:")?;
    for command in ["employees", "groups", "runs"] {
        outln!("  staffsync {command} demo{data_dir}")?;
    }
    Ok(exit::OK)
}

/// `" --data-dir DIR"` when the data is not where a plain `staffsync` looks by default, so
/// the printed commands can be copied as they are.
fn data_dir_flag(dir: &std::path::Path) -> String {
    if dir == std::path::Path::new(crate::cli::DEFAULT_DATA_DIR) {
        return String::new();
    }
    format!(" --data-dir {}", shell_quoted(&dir.display().to_string()))
}

/// `s` as one shell word: as it is when it is plain, else in single quotes.
fn shell_quoted(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A change the walkthrough makes in "Personio".
struct DemoChange {
    id: i64,
    name: String,
    from: String,
    to: String,
}

/// Who moves (the first person with a department, to another department of the company)
/// and who leaves (the person with the most reports besides the mover, so the effect on
/// the reports shows).
fn pick_mover_and_leaver(
    directory: &[staffsync_core::DirectoryEmployee],
    groups: &[staffsync_store::GroupSummary],
) -> (Option<DemoChange>, Option<DemoChange>) {
    let name = |e: &staffsync_core::DirectoryEmployee| format!("{} {}", e.first_name, e.last_name);
    let departments: Vec<&str> = groups
        .iter()
        .filter(|g| g.kind == GroupKind::Department)
        .map(|g| g.name.as_str())
        .collect();
    let mover = directory.iter().find_map(|e| {
        let from = e.department.as_deref()?;
        let to = departments.iter().find(|d| **d != from)?;
        Some(DemoChange {
            id: e.key.0,
            name: name(e),
            from: from.to_owned(),
            to: (*to).to_owned(),
        })
    });
    let mover_id = mover.as_ref().map(|m| m.id);
    let leaver = directory
        .iter()
        .filter(|e| Some(e.key.0) != mover_id)
        .max_by_key(|e| {
            let reports = directory
                .iter()
                .filter(|r| r.supervisor_key == Some(e.key))
                .count();
            // Among equals, the lowest id: the same person on every run.
            (reports, std::cmp::Reverse(e.key))
        })
        .map(|e| DemoChange {
            id: e.key.0,
            name: name(e),
            from: String::new(),
            to: String::new(),
        });
    (mover, leaver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_lets_the_web_app_connect_to_its_simulator_and_personio_only() {
        let config = demo_config("http://127.0.0.1:9100").unwrap();
        let allowed = |u: &str| {
            staffsync_engine::outbound::is_allowed(
                &config.allowed_personio_urls,
                &url::Url::parse(u).unwrap(),
            )
        };
        assert!(allowed("http://127.0.0.1:9100/"));
        assert!(allowed("https://api.personio.de"));
        assert!(!allowed("http://127.0.0.1:8080/"));
    }
}
