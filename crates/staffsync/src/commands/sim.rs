//! `staffsync personio-sim`: serves the simulated Personio API until Ctrl-C.

use crate::cli::{OnOff, parse_date};
use crate::exit::{self, Code};
use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Where the simulated Personio listens.
    #[arg(long, default_value = "127.0.0.1:9100")]
    pub listen: SocketAddr,
    /// Employees in the simulated company.
    #[arg(long, default_value_t = 250)]
    pub employees: usize,
    /// Seed of the simulated company (the same seed gives the same people).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The client id the simulator accepts.
    #[arg(long, default_value = "demo")]
    pub client_id: String,
    /// The client secret the simulator accepts.
    #[arg(
        long,
        default_value = "demo",
        env = "PERSONIO_SIM_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: String,
    /// Also accept the client ids <client-id>-1 … <client-id>-N (same secret, same company),
    /// each with its own tokens and per-credential rate limits.
    #[arg(long, default_value_t = 0)]
    pub tenants: u32,
    /// Enforce Personio's rate limits (per credential: 300/min with bursts of 15 on
    /// employees, 60/min on auth; 2000/min per client IP).
    #[arg(long, default_value = "on")]
    pub rate_limit: OnOff,
    /// Requests one client IP may send at once; default: one second's worth of the
    /// per-IP budget (34 for 2000/min).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub per_ip_burst: Option<u32>,
    /// Extra latency per request.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// The simulated company's "today" (YYYY-MM-DD); default: the real date.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<time::Date>,
}

pub async fn run(args: SimArgs) -> anyhow::Result<Code> {
    let config = personio_sim::SimConfig {
        employees: args.employees,
        seed: args.seed,
        client_id: args.client_id,
        client_secret: args.client_secret,
        tenants: args.tenants,
        rate_limit: args.rate_limit == OnOff::On,
        per_ip_burst: args.per_ip_burst,
        latency_ms: args.latency_ms,
        today: args.today,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    eprintln!(
        "Personio simulator on http://{} ({}, seed {}, rate limits {})",
        listener.local_addr()?,
        crate::output::count(config.employees, "employee", "employees"),
        config.seed,
        if config.rate_limit { "on" } else { "off" }
    );
    if config.tenants > 0 {
        eprintln!(
            "Also accepting client ids {id}-1 … {id}-{} (same secret, same company)",
            config.tenants,
            id = config.client_id
        );
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    personio_sim::serve(listener, config, shutdown)
        .await
        .context("simulator failed")?;
    Ok(exit::OK)
}
