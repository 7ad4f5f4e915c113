//! `staffsync demo`: the main job, end to end, on the embedded default.
//!
//! Starts a simulated Personio company in-process, creates (or reuses) the account `demo`
//! in the data directory, connects it, syncs, shows the directory and its groups, then
//! makes a few changes in "Personio" (a hire, a move, a leaver) and syncs again.

use crate::cli::{DemoArgs, Global};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use secrecy::SecretString;
use serde_json::json;
use staffsync_core::{AccountSlug, GroupKind};
use staffsync_server::{SyncOptions, run_sync};
use staffsync_store::NewConnection;

const CLIENT_ID: &str = "demo";
const CLIENT_SECRET: &str = "demo-secret";

pub async fn run(global: &Global, args: DemoArgs) -> anyhow::Result<Code> {
    let sim = personio_sim::spawn(personio_sim::SimConfig {
        employees: args.employees,
        seed: args.seed,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        ..Default::default()
    })
    .await
    .context("cannot start the Personio simulator")?;
    println!(
        "Simulated Personio at {} ({} employees)",
        sim.base_url(),
        args.employees
    );

    let store = super::open_store(global).await?;
    let slug = AccountSlug::parse("demo")?;
    let account = match store.account(&slug).await? {
        Some(a) => a,
        None => {
            store
                .create_account(&slug, "Demo GmbH", "Europe/Berlin")
                .await?
        }
    };
    let client = personio::Client::new(
        personio::ClientConfig::new(CLIENT_ID, SecretString::from(CLIENT_SECRET))
            .with_base_url(url::Url::parse(&sim.base_url())?),
    )?;
    let attributes = client.attributes().await?;
    personio::check_mandatory(&attributes)?;
    store
        .save_connection(
            account.id,
            &NewConnection {
                client_id: CLIENT_ID.into(),
                client_secret: SecretString::from(CLIENT_SECRET),
                base_url: sim.base_url(),
                api_version: "v1".into(),
                readable_attributes: attributes.iter().map(|a| a.key.clone()).collect(),
            },
        )
        .await?;
    println!(
        "Account demo connected ({} readable attributes)\n",
        attributes.len()
    );

    let sync = |title: &'static str| {
        let store = store.clone();
        let account = account.clone();
        async move {
            println!("== {title}");
            let before = store.directory(account.id).await?;
            let report = run_sync(&store, &account, &SyncOptions::default(), &|_, _| {}).await?;
            super::sync::print_summary("demo", &report, &before);
            println!();
            anyhow::Ok(())
        }
    };
    sync("First sync").await?;

    let directory = store.directory(account.id).await?;
    println!("== The directory (first 10 of {})", directory.len());
    let rows: Vec<Vec<String>> = directory
        .iter()
        .take(10)
        .map(|e| {
            vec![
                e.personio_id.to_string(),
                format!("{} {}", e.first_name, e.last_name),
                e.department.clone().unwrap_or_default(),
                e.office.clone().unwrap_or_default(),
                e.position.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::print_table(&["ID", "NAME", "DEPARTMENT", "OFFICE", "POSITION"], &rows);
    println!();
    let groups = store.groups(account.id).await?;
    println!("== Groups: {} in all", groups.len());
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
            println!("  {kind}: {shown}{more}");
        }
    }
    println!();

    // Changes in "Personio": a hire, a department move, a leaver.
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let mover = directory.first().map(|e| e.personio_id.0);
    let leaver = directory.get(1).map(|e| e.personio_id.0);
    http.post(format!("{base}/_sim/employees"))
        .json(&json!({"first_name": "Zoë", "last_name": "Çelik-Ørsted", "email": format!("zoe.celik.{}@demo.example", directory.len()),
                      "status": "active", "hire_date": "2020-01-01", "department": "Marketing"}))
        .send()
        .await?
        .error_for_status()?;
    if let Some(id) = mover {
        http.patch(format!("{base}/_sim/employees/{id}"))
            .json(&json!({"department": "Forschung & Entwicklung"}))
            .send()
            .await?
            .error_for_status()?;
    }
    if let Some(id) = leaver {
        http.delete(format!("{base}/_sim/employees/{id}"))
            .send()
            .await?
            .error_for_status()?;
    }
    println!("(In Personio: one hire, one department move, one leaver.)\n");
    sync("Second sync").await?;
    println!("Try: staffsync employees demo | staffsync groups demo | staffsync runs demo");
    sim.shutdown().await;
    Ok(exit::OK)
}
