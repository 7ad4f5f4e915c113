//! `staffsync serve`: runs the service (web app, REST API, scheduler, `/healthz`,
//! `/readyz`, `/metrics`) until Ctrl-C or SIGTERM, then lets running syncs finish.
//!
//! Only wiring: flags → [`ServerConfig`], open the store, bind, hand over to
//! [`staffsync_server::serve`]. It must never print the database URL or a secret; the
//! listening address goes to stderr as `listening on http://ADDR` (scripts and tests
//! read it, so keep that wording).

use crate::cli::{Global, OnOff, StoreFlags, parse_date, parse_duration};
use crate::exit::{self, Code};
use anyhow::Context;
use clap::Args;
use staffsync_engine::{AppState, ServerConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STAFFSYNC_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// How often each connected account syncs (e.g. 12h, 30m, 45s).
    #[arg(long, env = "STAFFSYNC_SYNC_INTERVAL", default_value = "12h", value_parser = parse_positive_duration)]
    pub sync_interval: std::time::Duration,
    /// Start times are spread by up to this much either way (default: min(30m, interval/10)).
    #[arg(long, env = "STAFFSYNC_SYNC_JITTER", value_parser = parse_duration)]
    pub sync_jitter: Option<std::time::Duration>,
    /// How often the scheduler looks for due accounts.
    #[arg(long, env = "STAFFSYNC_SCHEDULER_POLL", default_value = "5s", value_parser = parse_positive_duration)]
    pub scheduler_poll: std::time::Duration,
    /// Serve HTTP only; another process runs the syncs.
    #[arg(long, env = "STAFFSYNC_NO_SCHEDULER")]
    pub no_scheduler: bool,
    /// Mark cookies Secure (when served over TLS, directly or behind a proxy).
    #[arg(long, env = "STAFFSYNC_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Public base URL of this deployment (https://staffsync.example.com).
    #[arg(long, env = "STAFFSYNC_PUBLIC_BASE_URL")]
    pub public_base_url: Option<url::Url>,
    /// Name of this process in sync leases (default: staffsync-<host>-<pid>-<random>).
    #[arg(long, env = "STAFFSYNC_INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// Pace Personio requests under its limits (turn off only against a simulator).
    #[arg(long, env = "STAFFSYNC_PERSONIO_RATE_LIMIT", default_value = "on")]
    pub personio_rate_limit: OnOff,
    /// Personio requests a minute this process sends over all accounts: its share of
    /// Personio's 2,000/min per client IP. With N processes behind one egress address,
    /// give each 1/N (e.g. 975 for two). 0 = no shared budget.
    #[arg(long, env = "STAFFSYNC_PERSONIO_IP_BUDGET", default_value_t = personio::DEFAULT_IP_BUDGET_PER_MINUTE)]
    pub personio_ip_budget: u32,
    /// Syncs this process runs at once.
    #[arg(long, env = "STAFFSYNC_MAX_CONCURRENT_SYNCS", default_value_t = 4, value_parser = parse_at_least_one)]
    pub max_concurrent_syncs: usize,
    /// How long a claimed sync may go without renewal before another process may take
    /// it over (renewed every third of this while the sync runs).
    #[arg(long, env = "STAFFSYNC_LEASE", default_value = "15m", value_parser = parse_lease)]
    pub lease: std::time::Duration,
    /// How often connections without a webhook ask Personio what changed (0 = never).
    #[arg(long, env = "STAFFSYNC_POLL_INTERVAL", default_value = "15m", value_parser = parse_duration)]
    pub poll_interval: std::time::Duration,
    /// Webhook events of one account within this window become one targeted sync.
    #[arg(long, env = "STAFFSYNC_WEBHOOK_DEBOUNCE", default_value = "2s", value_parser = parse_duration)]
    pub webhook_debounce: std::time::Duration,
    /// Requests a second each SCIM token may make on average (twice that at once); more
    /// are answered 429 with Retry-After.
    #[arg(long, env = "STAFFSYNC_SCIM_RATE", default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    pub scim_rate: u32,
    /// A Personio URL admins may connect to from the web app (repeatable; the
    /// environment variable takes a comma-separated list). Matches scheme, host and port,
    /// and the path as a prefix when it has one. Naming any replaces the default.
    #[arg(
        long = "allow-personio-url",
        value_name = "URL",
        env = "STAFFSYNC_ALLOW_PERSONIO_URL",
        value_delimiter = ',',
        default_value = personio::DEFAULT_BASE_URL
    )]
    pub allow_personio_url: Vec<staffsync_engine::outbound::AllowedUrl>,
    /// How long a web request waits for Personio (connect, preview) before it says
    /// Personio did not answer in time.
    #[arg(long, env = "STAFFSYNC_PERSONIO_ANSWER_TIMEOUT", default_value = "20s", value_parser = parse_positive_duration)]
    pub personio_answer_timeout: std::time::Duration,
    /// A reverse proxy whose X-Forwarded-For is believed, as a network (10.0.0.0/8) or
    /// an address; repeat the flag or separate with commas. Only requests whose TCP peer
    /// is in one of them take the client's address (for the login limits) from that
    /// header; without any, the header is ignored.
    #[arg(long = "trusted-proxy", env = "STAFFSYNC_TRUSTED_PROXY", value_delimiter = ',', value_parser = staffsync_server::client_ip::parse_trusted_proxy)]
    pub trusted_proxies: Vec<staffsync_server::client_ip::IpNet>,
    /// How long the change feed (GET /api/v1/changes) keeps changes; a cursor older than
    /// this answers 410.
    #[arg(long, env = "STAFFSYNC_CHANGE_RETENTION", default_value = "30d", value_parser = parse_positive_duration)]
    pub change_retention: std::time::Duration,
    /// Let accounts' outgoing webhooks go to http:// URLs and to private, loopback and
    /// other non-public addresses (tests, or receivers inside your own network). Without
    /// it: https:// to public addresses only.
    #[arg(long, env = "STAFFSYNC_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Where the file accounts' inbox folders are (`<dir>/<slug>/`; an employee file put
    /// there is imported and moved to `processed/` or `rejected/`). Default:
    /// `<data-dir>/inbox`.
    #[arg(long, env = "STAFFSYNC_INBOX_DIR", value_name = "DIR")]
    pub inbox_dir: Option<PathBuf>,
    /// An inbox file is imported once it has not changed for this long (so a file still
    /// being uploaded is left alone).
    #[arg(long, env = "STAFFSYNC_INBOX_SETTLE", default_value = "10s", value_parser = parse_duration)]
    pub inbox_settle: std::time::Duration,
    /// The largest employee file POST /api/v1/imports takes, in bytes; larger uploads
    /// are answered 413.
    #[arg(long, env = "STAFFSYNC_MAX_UPLOAD_BYTES", default_value_t = employee_file::Limits::default().max_bytes, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_upload_bytes: u64,
    /// Pretend today is this date (YYYY-MM-DD), for tests and replays.
    #[arg(long, env = "STAFFSYNC_TODAY", hide = true, value_parser = parse_date)]
    pub today: Option<time::Date>,
    /// SMTP server for alert e-mails to admins: smtp://[user[:password]@]host[:port]
    /// (STARTTLS when the server offers it; port 587) or smtps://… (TLS; port 465).
    /// Without it, alerts show in the web app only. Never logged.
    #[arg(long, env = "STAFFSYNC_SMTP_URL", value_name = "URL", value_parser = staffsync_engine::mail::SmtpUrl::parse, requires = "mail_from", hide_env_values = true)]
    pub smtp_url: Option<staffsync_engine::mail::SmtpUrl>,
    /// Sender address of alert e-mails (staffsync@example.com, or "Name <address>").
    #[arg(long, env = "STAFFSYNC_MAIL_FROM", value_name = "ADDRESS", value_parser = staffsync_engine::mail::MailFrom::parse, requires = "smtp_url")]
    pub mail_from: Option<staffsync_engine::mail::MailFrom>,
    /// The SMTP password, when the URL does not carry one (read from the environment only).
    #[arg(skip = std::env::var("STAFFSYNC_SMTP_PASSWORD").ok().filter(|p| !p.is_empty()).map(secrecy::SecretString::from))]
    pub smtp_password: Option<secrecy::SecretString>,
    #[command(flatten)]
    pub store: StoreFlags,
}

fn parse_positive_duration(s: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(format!(
            "{s:?} is no time at all: give a duration longer than 0"
        ));
    }
    Ok(d)
}

fn parse_lease(s: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(s)?;
    if d < std::time::Duration::from_secs(1) {
        return Err(format!("{s:?} is too short: a lease lasts at least 1s"));
    }
    Ok(d)
}

fn parse_at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("not a number of at least 1: {s:?}")),
    }
}

pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<Code> {
    // Listening for Ctrl-C and SIGTERM starts now, before anything can announce the
    // server or start a sync: a signal sent the moment it answers is never missed.
    let shutdown = shutdown_signal();
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
    staffsync_server::serve(listener, state, shutdown)
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
        scim_rate: args.scim_rate,
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

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled (the server polls it only once it runs).
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (int, term) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: std::io::Result<tokio::signal::unix::Signal>, what: &'static str| async move {
                match s {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for {what}");
                        std::future::pending::<()>().await;
                    }
                }
            };
            tokio::select! {
                () = wait(int, "Ctrl-C") => {}
                () = wait(term, "SIGTERM") => {}
            }
        }
        #[cfg(not(unix))]
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        eprintln!("stopping: waiting for running syncs to finish");
    }
}
