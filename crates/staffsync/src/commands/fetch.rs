//! `staffsync personio fetch`: reads every employee Personio lists and prints them.
//!
//! With `--json`, stdout holds one JSON object per employee per line and nothing else.

use crate::cli::{Credential, OnOff};
use crate::exit::{self, Code};
use crate::output;
use anyhow::Context;
use clap::{Args, Subcommand};
use personio::{Client, ClientConfig};
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum PersonioCommand {
    /// Print every employee Personio lists (all statuses), normalized.
    Fetch(FetchArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub credential: Credential,
    /// One JSON object per employee per line on stdout, nothing else there.
    #[arg(long)]
    pub json: bool,
    /// Pace requests under Personio's limits (turn off only against a simulator).
    #[arg(long, default_value = "on")]
    pub rate_limit: OnOff,
}

/// A client for a credential given on the command line.
pub fn client(credential: &Credential, rate_limit: OnOff) -> anyhow::Result<Client> {
    let mut config = ClientConfig::new(credential.client_id.clone(), credential.secret()?)
        .with_base_url(credential.personio_url.clone());
    if rate_limit == OnOff::Off {
        config.rate = personio::RateLimit::Unlimited;
    }
    Client::new(config).context("cannot set up the Personio client")
}

pub async fn run(args: FetchArgs) -> anyhow::Result<Code> {
    let client = client(&args.credential, args.rate_limit)?;
    let bar = output::fetch_progress();
    let started = std::time::Instant::now();
    // Each record becomes its printed line as its page arrives: the listing is held as
    // text, not as records (issue 21, point 7), and printed only once it is complete.
    let json = args.json;
    let listing = client
        .fetch_all_with(
            |p| {
                bar.set_length(p.employees_total as u64);
                bar.set_position(p.employees_done as u64);
            },
            |e| Printed::of(&e, json),
        )
        .await
        .context("cannot read employees from Personio")?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for e in &listing.employees {
        out.write_all(
            e.line
                .as_ref()
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .as_bytes(),
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let mut by_status = std::collections::BTreeMap::<String, usize>::new();
    for e in &listing.employees {
        let s = e.status.as_deref().unwrap_or("unknown");
        *by_status.entry(s.to_owned()).or_default() += 1;
    }
    let statuses: Vec<String> = by_status.iter().map(|(k, v)| format!("{k} {v}")).collect();
    eprintln!(
        "read {} ({}) in {:.2} s with {}{}",
        crate::output::count(listing.employees.len(), "employee", "employees"),
        statuses.join(", "),
        elapsed.as_secs_f64(),
        crate::output::count(listing.requests, "request", "requests"),
        if listing.malformed.is_empty() {
            String::new()
        } else {
            format!(
                "; {} could not be read:",
                crate::output::count(listing.malformed.len(), "record", "records")
            )
        }
    );
    for m in &listing.malformed {
        let id = m.id.map(|i| i.to_string()).unwrap_or_else(|| "?".into());
        eprintln!("  employee {id}: {}", m.reason);
    }
    Ok(exit::OK)
}

/// One employee as `fetch` prints them: their line (JSON, or tab-separated text) and their
/// status for the summary.
struct Printed {
    line: Result<String, String>,
    status: Option<Box<str>>,
}

impl Printed {
    fn of(e: &staffsync_core::SourceEmployee, json: bool) -> Printed {
        let line = if json {
            serde_json::to_string(e).map_err(|err| format!("cannot print employee {}: {err}", e.id))
        } else {
            Ok(format!(
                "{}\t{} {}\t{}\t{}\t{}",
                e.id,
                e.first_name.as_deref().unwrap_or(""),
                e.last_name.as_deref().unwrap_or(""),
                e.email.as_deref().unwrap_or(""),
                e.status.as_ref().map(|s| s.as_str()).unwrap_or(""),
                e.department.as_ref().map(|d| d.name.as_str()).unwrap_or(""),
            ))
        };
        Printed {
            line,
            status: e.status.as_ref().map(|s| s.as_str().into()),
        }
    }
}
