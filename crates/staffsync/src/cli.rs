//! The command-line interface: every flag, its environment variable and its default.
//!
//! Secrets never have a default and are never echoed; prefer their environment variables
//! (`PERSONIO_CLIENT_SECRET`, `STAFFSYNC_SECRET_KEY`) so they stay out of shell history.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "staffsync",
    version,
    about = "Keeps an employee directory in sync with Personio"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Where the embedded SQLite database and the secret key file live.
    #[arg(
        long,
        global = true,
        env = "STAFFSYNC_DATA_DIR",
        default_value = "./staffsync-data"
    )]
    pub data_dir: PathBuf,
    /// Use PostgreSQL instead of the embedded SQLite (postgres://user@host/db).
    #[arg(
        long,
        global = true,
        env = "STAFFSYNC_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        env = "STAFFSYNC_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a demo: a simulated Personio company synced into a fresh directory.
    Demo(DemoArgs),
    /// Serve a simulated Personio API (for tests, benchmarks and demos).
    PersonioSim(SimArgs),
    /// Talk to Personio directly.
    #[command(subcommand)]
    Personio(PersonioCommand),
    /// Manage customer accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Connect an account to Personio with an API credential.
    Connect(ConnectArgs),
    /// Sync an account's directory with Personio now.
    Sync(SyncArgs),
    /// List an account's employee directory.
    Employees(ListArgs),
    /// List an account's groups with member counts.
    Groups(ListArgs),
    /// Show an account's sync history, newest first.
    Runs(ListArgs),
    /// Feedback given by employees (the part of the survey app the sync must respect).
    #[command(subcommand)]
    Feedback(FeedbackCommand),
    /// Run the service: web app, REST API, scheduler and operations endpoints.
    Serve(ServeArgs),
    /// Manage an account's REST API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; it is printed once and only its hash is stored.
    Create(TokenCreateArgs),
    /// List an account's API tokens (never the tokens themselves).
    List(ListArgs),
    /// Revoke an API token by its id (from `token list`).
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    pub slug: String,
    /// What the token is for, e.g. "survey app production".
    #[arg(long, default_value = "")]
    pub label: String,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    pub slug: String,
    pub id: i64,
}

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
}

#[derive(Debug, Args)]
pub struct SimArgs {
    #[arg(long, default_value = "127.0.0.1:9100")]
    pub listen: SocketAddr,
    #[arg(long, default_value_t = 250)]
    pub employees: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long, default_value = "demo")]
    pub client_id: String,
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

#[derive(Debug, Subcommand)]
pub enum PersonioCommand {
    /// Print every employee Personio lists (all statuses), normalized.
    Fetch(FetchArgs),
}

#[derive(Debug, Args)]
pub struct Credential {
    /// Personio API base URL.
    #[arg(long, env = "PERSONIO_URL", default_value = "https://api.personio.de")]
    pub personio_url: url::Url,
    #[arg(long, env = "PERSONIO_CLIENT_ID")]
    pub client_id: String,
    /// Better given as PERSONIO_CLIENT_SECRET, to keep it out of shell history.
    #[arg(long, env = "PERSONIO_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
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

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create a customer account.
    Create(AccountCreateArgs),
    /// List accounts.
    List(JsonFlag),
    /// Show or change an account's sync policy.
    Policy(AccountPolicyArgs),
}

#[derive(Debug, Args)]
pub struct AccountPolicyArgs {
    pub slug: String,
    /// Custom attribute (key such as dynamic_33400, or its label) that forms groups; repeatable.
    #[arg(long = "group-attribute")]
    pub group_attributes: Vec<String>,
    /// Forget the custom attributes chosen before.
    #[arg(long)]
    pub clear_group_attributes: bool,
    /// Keep people with status `leave` in the directory.
    #[arg(long)]
    pub keep_on_leave: Option<bool>,
    /// Hold a run that would remove more than this share of the directory (0–1).
    #[arg(long, value_parser = parse_share)]
    pub max_removal_share: Option<f64>,
    /// …and at least this many people.
    #[arg(long)]
    pub min_removals: Option<usize>,
    #[command(flatten)]
    pub json: JsonFlag,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("not a share between 0 and 1: {s:?}")),
    }
}

#[derive(Debug, Args)]
pub struct AccountCreateArgs {
    pub slug: String,
    /// The company's display name (default: the slug).
    #[arg(long)]
    pub name: Option<String>,
    /// IANA time zone that decides "today" for hire and termination dates.
    #[arg(long, default_value = "Europe/Berlin")]
    pub time_zone: String,
    /// Also create an admin of the web app with this e-mail; the password comes from
    /// STAFFSYNC_ADMIN_PASSWORD or is asked for (at least 10 characters).
    #[arg(long)]
    pub admin_email: Option<String>,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    pub slug: String,
    #[command(flatten)]
    pub credential: Credential,
    /// Personio API: v1 (changes arrive by polling) or v2 (by webhook, when the server
    /// has a public base URL: --public-base-url / STAFFSYNC_PUBLIC_BASE_URL).
    #[arg(long = "api", default_value = "v1", value_parser = parse_api_version)]
    pub api_version: personio::ApiVersion,
    /// Public base URL of the server that receives Personio's webhooks (v2 only).
    #[arg(long, env = "STAFFSYNC_PUBLIC_BASE_URL")]
    pub public_base_url: Option<url::Url>,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    pub slug: String,
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
    #[arg(long, default_value = "30s", value_parser = crate::commands::serve::parse_duration)]
    pub wait: std::time::Duration,
    #[command(flatten)]
    pub json: JsonFlag,
    /// Pace requests under Personio's limits (turn off only against a simulator).
    #[arg(long, default_value = "on")]
    pub rate_limit: OnOff,
    /// Pretend today is this date (YYYY-MM-DD), for tests and replays.
    #[arg(long, env = "STAFFSYNC_TODAY", value_parser = parse_date, hide = true)]
    pub today: Option<time::Date>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    pub slug: String,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// Store feedback given by an employee of the directory.
    Add(FeedbackAddArgs),
    /// List an account's feedback with its group snapshots.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct FeedbackAddArgs {
    pub slug: String,
    #[arg(long)]
    pub author_personio_id: i64,
    #[arg(long)]
    pub body: String,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STAFFSYNC_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// How often each connected account syncs (e.g. 12h, 30m, 45s).
    #[arg(long, env = "STAFFSYNC_SYNC_INTERVAL", default_value = "12h", value_parser = crate::commands::serve::parse_duration)]
    pub sync_interval: std::time::Duration,
    /// Start times are spread by up to this much either way (default: min(30m, interval/10)).
    #[arg(long, env = "STAFFSYNC_SYNC_JITTER", value_parser = crate::commands::serve::parse_duration)]
    pub sync_jitter: Option<std::time::Duration>,
    /// How often the scheduler looks for due accounts.
    #[arg(long, env = "STAFFSYNC_SCHEDULER_POLL", default_value = "5s", value_parser = crate::commands::serve::parse_duration)]
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
    #[arg(long, env = "STAFFSYNC_MAX_CONCURRENT_SYNCS", default_value_t = 4)]
    pub max_concurrent_syncs: usize,
    /// How long a claimed sync may go without renewal before another process may take
    /// it over (renewed every third of this while the sync runs).
    #[arg(long, env = "STAFFSYNC_LEASE", default_value = "15m", value_parser = crate::commands::serve::parse_duration)]
    pub lease: std::time::Duration,
    /// How often connections without a webhook ask Personio what changed (0 = never).
    #[arg(long, env = "STAFFSYNC_POLL_INTERVAL", default_value = "15m", value_parser = crate::commands::serve::parse_duration)]
    pub poll_interval: std::time::Duration,
    /// Webhook events of one account within this window become one targeted sync.
    #[arg(long, env = "STAFFSYNC_WEBHOOK_DEBOUNCE", default_value = "2s", value_parser = crate::commands::serve::parse_duration)]
    pub webhook_debounce: std::time::Duration,
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
    pub allow_personio_url: Vec<staffsync_server::outbound::AllowedUrl>,
    /// How long a web request waits for Personio (connect, preview) before it says
    /// Personio did not answer in time.
    #[arg(long, env = "STAFFSYNC_PERSONIO_ANSWER_TIMEOUT", default_value = "20s", value_parser = crate::commands::serve::parse_duration)]
    pub personio_answer_timeout: std::time::Duration,
    /// A reverse proxy whose X-Forwarded-For is believed, as a network (10.0.0.0/8) or
    /// an address; repeat the flag or separate with commas. Only requests whose TCP peer
    /// is in one of them take the client's address (for the login limits) from that
    /// header; without any, the header is ignored.
    #[arg(long = "trusted-proxy", env = "STAFFSYNC_TRUSTED_PROXY", value_delimiter = ',', value_parser = staffsync_server::client_ip::parse_trusted_proxy)]
    pub trusted_proxies: Vec<staffsync_server::client_ip::IpNet>,
    /// Pretend today is this date (YYYY-MM-DD), for tests and replays.
    #[arg(long, env = "STAFFSYNC_TODAY", hide = true, value_parser = parse_date)]
    pub today: Option<time::Date>,
}

fn parse_api_version(s: &str) -> Result<personio::ApiVersion, String> {
    s.parse().map_err(|e| personio::Error::from(e).to_string())
}

fn parse_date(s: &str) -> Result<time::Date, String> {
    staffsync_core::dates::parse_calendar_date(s)
        .filter(|_| s.len() == 10)
        .ok_or_else(|| format!("not a date: {s:?} (expected YYYY-MM-DD)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn allowed(args: &[&str]) -> Vec<String> {
        let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{e}"));
        match cli.command {
            Command::Serve(s) => s.allow_personio_url.iter().map(|u| u.to_string()).collect(),
            _ => panic!("not serve"),
        }
    }

    #[test]
    fn personio_urls_are_allowed_by_flag_and_personio_by_default() {
        if std::env::var_os("STAFFSYNC_ALLOW_PERSONIO_URL").is_some() {
            return; // the environment would decide the default
        }
        assert_eq!(
            allowed(&["staffsync", "serve"]),
            vec!["https://api.personio.de/"]
        );
        assert_eq!(
            allowed(&[
                "staffsync",
                "serve",
                "--allow-personio-url",
                "http://127.0.0.1:9100",
                "--allow-personio-url",
                "https://proxy.example/personio,https://api.personio.de",
            ]),
            vec![
                "http://127.0.0.1:9100/",
                "https://proxy.example/personio",
                "https://api.personio.de/"
            ]
        );
        assert!(
            Cli::try_parse_from(["staffsync", "serve", "--allow-personio-url", "ftp://x"]).is_err()
        );
    }

    #[test]
    fn trusted_proxies_repeat_and_split_on_commas() {
        let cli = Cli::try_parse_from([
            "staffsync",
            "serve",
            "--trusted-proxy",
            "10.0.0.0/8,192.0.2.10",
            "--trusted-proxy",
            "fd00::/8",
        ])
        .expect("parses");
        let Command::Serve(args) = cli.command else {
            panic!("not serve");
        };
        let nets: Vec<String> = args.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.0.2.10/32", "fd00::/8"]);
        let err = Cli::try_parse_from(["staffsync", "serve", "--trusted-proxy", "proxy.lan"])
            .map(|_| ())
            .expect_err("not a network");
        assert!(err.to_string().contains("proxy.lan"), "{err}");
    }
}
