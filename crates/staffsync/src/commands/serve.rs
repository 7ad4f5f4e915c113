//! `staffsync serve`: runs the service (web app, REST API, scheduler, `/healthz`,
//! `/readyz`, `/metrics`) until Ctrl-C or SIGTERM, then lets running syncs finish.
//!
//! Only wiring: flags → [`ServerConfig`], open the store, bind, hand over to
//! [`staffsync_server::serve`]. It must never print the database URL or a secret; the
//! listening address goes to stderr as `listening on http://ADDR` (scripts and tests
//! read it, so keep that wording).

use crate::cli::{Global, OnOff, ServeArgs};
use crate::exit::{self, Code};
use anyhow::Context;
use staffsync_engine::{AppState, ServerConfig};
use std::time::Duration;

pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<Code> {
    let config = server_config(&args, &global.data_dir)?;
    let store = super::open_store(global).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    tracing::info!(
        %addr,
        instance = %config.instance_id,
        scheduler = config.run_scheduler,
        trusted_proxies = ?config.trusted_proxies,
        backend = %store.backend(),
        "staffsync serve starting"
    );
    eprintln!("listening on http://{addr}");
    let state =
        AppState::new(store.clone(), config).with_letters(staffsync_server::letters::render);
    staffsync_server::serve(listener, state, shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    store.close().await;
    eprintln!("stopped");
    Ok(exit::OK)
}

fn server_config(args: &ServeArgs, data_dir: &std::path::Path) -> anyhow::Result<ServerConfig> {
    // --sync-interval, --scheduler-poll, --lease, --max-concurrent-syncs and
    // --personio-answer-timeout are checked by their clap value parsers (exit 2).
    let defaults = ServerConfig::default();
    let jitter = args
        .sync_jitter
        .unwrap_or_else(|| (args.sync_interval / 10).min(Duration::from_secs(30 * 60)));
    Ok(ServerConfig {
        sync_interval: args.sync_interval,
        sync_jitter: jitter,
        scheduler_poll: args.scheduler_poll,
        max_concurrent_syncs: args.max_concurrent_syncs,
        lease: args.lease,
        instance_id: args
            .instance_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(defaults.instance_id.clone()),
        secure_cookies: args.secure_cookies,
        public_base_url: args
            .public_base_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned()),
        run_scheduler: !args.no_scheduler,
        personio_rate_limit: args.personio_rate_limit == OnOff::On,
        personio_ip_budget: args.personio_ip_budget,
        poll_interval: args.poll_interval,
        webhook_debounce: args.webhook_debounce,
        allowed_personio_urls: args.allow_personio_url.clone(),
        personio_answer_timeout: args.personio_answer_timeout,
        trusted_proxies: args.trusted_proxies.clone(),
        today: args.today,
        change_retention: args.change_retention,
        webhook_allow_private: args.webhook_allow_private,
        inbox_dir: Some(
            args.inbox_dir
                .clone()
                .unwrap_or_else(|| data_dir.join("inbox")),
        ),
        inbox_settle: args.inbox_settle,
        max_upload_bytes: args.max_upload_bytes,
        mail: match (&args.smtp_url, &args.mail_from) {
            (Some(url), Some(from)) => Some(staffsync_engine::mail::MailConfig {
                smtp: url.clone().with_password(args.smtp_password.clone()),
                from: from.clone(),
            }),
            _ => None,
        },
        ..defaults
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    eprintln!("stopping: waiting for running syncs to finish");
}

/// Parses `12h`, `30m`, `45s`, `500ms`, `1d`, `1h30m` (or a bare number of seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("not a duration: {s:?} (use e.g. 12h, 30m, 45s, 500ms)");
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("12x").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
