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
        "Personio simulator on http://{} ({} employees, seed {}, rate limits {})",
        listener.local_addr()?,
        config.employees,
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
