//! `staffsync personio-sim`: serves the simulated Personio API until Ctrl-C.

use crate::cli::{OnOff, SimArgs};
use crate::exit::{self, Code};
use anyhow::Context;

pub async fn run(args: SimArgs) -> anyhow::Result<Code> {
    let config = personio_sim::SimConfig {
        employees: args.employees,
        seed: args.seed,
        client_id: args.client_id,
        client_secret: args.client_secret,
        rate_limit: args.rate_limit == OnOff::On,
        latency_ms: args.latency_ms,
        today: args.today,
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    eprintln!(
        "Personio simulator on http://{} ({} employees, seed {}, rate limits {})",
        listener.local_addr()?,
        config.employees,
        config.seed,
        if config.rate_limit { "on" } else { "off" }
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    personio_sim::serve(listener, config, shutdown)
        .await
        .context("simulator failed")?;
    Ok(exit::OK)
}
