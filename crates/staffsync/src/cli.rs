//! The command-line interface: every flag, its environment variable and its default.
//!
//! Secrets never have a default and are never echoed; prefer their environment variables
//! (`PERSONIO_CLIENT_SECRET`, `STAFFSYNC_SECRET_KEY`) so they stay out of shell history.

use clap::{Args, Parser, Subcommand, ValueEnum};
use staffsync_core::AccountSlug;
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

/// The top-level flags. `--data-dir` and `--database-url` are not `global`: a global flag
/// shows in the help of every command, also of those that never open the database
/// (`personio fetch`, `personio-sim`). They are accepted here, before the command, and
/// again after it by each command that uses the database ([`StoreFlags`], which wins).
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Where the embedded SQLite database and the secret key file live.
    #[arg(long, env = "STAFFSYNC_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Use PostgreSQL instead of the embedded SQLite (postgres://user@host/db).
    #[arg(long, env = "STAFFSYNC_DATABASE_URL", hide_env_values = true)]
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

/// Where the data lives when neither `--data-dir` nor `STAFFSYNC_DATA_DIR` says.
pub const DEFAULT_DATA_DIR: &str = "./staffsync-data";

impl Global {
    /// These flags with a command's own store flags applied over them.
    pub fn with(mut self, store: Option<&StoreFlags>) -> Global {
        if let Some(store) = store {
            if let Some(dir) = &store.data_dir {
                self.data_dir = dir.clone();
            }
            if let Some(url) = &store.database_url {
                self.database_url = Some(url.clone());
            }
        }
        self
    }
}

/// `--data-dir` and `--database-url` after a command that uses the database; they win over
/// the same flags before the command, which carry the environment variables and defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct StoreFlags {
    /// Where the embedded SQLite database and the secret key file live
    /// [env: STAFFSYNC_DATA_DIR] [default: ./staffsync-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded SQLite (postgres://user@host/db)
    /// [env: STAFFSYNC_DATABASE_URL].
    #[arg(long)]
    pub database_url: Option<String>,
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
    /// Import an employee file (XLSX, ODS or CSV) into an account that takes files.
    Import(ImportArgs),
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
    Serve(Box<ServeArgs>),
    /// Manage an account's REST API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Show an account's settings document, or replace it from a JSON file.
    Settings(SettingsArgs),
}

impl Command {
    /// The command's own `--data-dir` / `--database-url`; `None` for the commands that do
    /// not use the database.
    pub fn store_flags(&self) -> Option<&StoreFlags> {
        match self {
            Command::PersonioSim(_) | Command::Personio(_) => None,
            Command::Demo(a) => Some(&a.store),
            Command::Account(AccountCommand::Create(a)) => Some(&a.store),
            Command::Account(AccountCommand::List(a)) => Some(&a.store),
            Command::Account(AccountCommand::Policy(a)) => Some(&a.store),
            Command::Connect(a) => Some(&a.store),
            Command::Sync(a) => Some(&a.store),
            Command::Import(a) => Some(&a.store),
            Command::Employees(a) | Command::Groups(a) | Command::Runs(a) => Some(&a.store),
            Command::Feedback(FeedbackCommand::Add(a)) => Some(&a.store),
            Command::Feedback(FeedbackCommand::List(a)) => Some(&a.store),
            Command::Serve(a) => Some(&a.store),
            Command::Token(TokenCommand::Create(a)) => Some(&a.store),
            Command::Token(TokenCommand::List(a)) => Some(&a.store),
            Command::Token(TokenCommand::Revoke(a)) => Some(&a.store),
            Command::Settings(a) => Some(&a.store),
        }
    }
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
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// What the token is for, e.g. "survey app production".
    #[arg(long, default_value = "")]
    pub label: String,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The token's id, as `token list` shows it.
    pub id: i64,
    #[command(flatten)]
    pub store: StoreFlags,
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
    #[command(flatten)]
    pub store: StoreFlags,
}

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

#[derive(Debug, Subcommand)]
pub enum PersonioCommand {
    /// Print every employee Personio lists (all statuses), normalized.
    Fetch(FetchArgs),
}

/// A Personio API credential. Its Debug never shows the secret.
#[derive(Args)]
pub struct Credential {
    /// Personio API base URL.
    #[arg(long, env = "PERSONIO_URL", default_value = "https://api.personio.de")]
    pub personio_url: url::Url,
    /// The API credential's Client ID (Personio: Settings → API credentials).
    #[arg(long, env = "PERSONIO_CLIENT_ID")]
    pub client_id: String,
    /// The API credential's secret; better given as PERSONIO_CLIENT_SECRET, to keep it out
    /// of shell history.
    #[arg(long, env = "PERSONIO_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
}

impl Credential {
    /// The secret, or a usage error saying how to give it. Not required by clap, whose
    /// message would name only the flag and not the environment variable.
    pub fn secret(&self) -> Result<secrecy::SecretString, crate::exit::UsageError> {
        match &self.client_secret {
            Some(s) if !s.is_empty() => Ok(secrecy::SecretString::from(s.clone())),
            _ => Err(crate::exit::UsageError(
                "no Personio client secret: set PERSONIO_CLIENT_SECRET or pass --client-secret"
                    .into(),
            )),
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("personio_url", &self.personio_url.as_str())
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
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
    List(AccountListArgs),
    /// Show or change an account's sync policy.
    Policy(AccountPolicyArgs),
}

#[derive(Debug, Args)]
pub struct AccountListArgs {
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct AccountPolicyArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
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
    #[command(flatten)]
    pub store: StoreFlags,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("not a share between 0 and 1: {s:?}")),
    }
}

#[derive(Debug, Args)]
pub struct AccountCreateArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The company's display name (default: the slug).
    #[arg(long)]
    pub name: Option<String>,
    /// IANA time zone that decides "today" for hire and termination dates.
    #[arg(long, default_value = "Europe/Berlin", value_parser = parse_time_zone)]
    pub time_zone: staffsync_core::TimeZoneName,
    /// Also create an admin of the web app with this e-mail; the password comes from
    /// STAFFSYNC_ADMIN_PASSWORD or is asked for (at least 10 characters).
    #[arg(long, value_parser = parse_mail_address)]
    pub admin_email: Option<staffsync_core::MailAddress>,
    /// Where the account's people come from: `personio` (connect a credential, then
    /// sync) or `file` (employee files, with `staffsync import`). Cannot change later.
    #[arg(long, default_value = "personio", value_parser = parse_source)]
    pub source: staffsync_store::AccountSource,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
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
    #[command(flatten)]
    pub store: StoreFlags,
}

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
    #[arg(long, default_value = "60s", value_parser = crate::commands::serve::parse_duration)]
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

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The account's slug (its short name, e.g. acme); it must take employee files
    /// (`account create --source file`).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The employee file: .xlsx, .ods or .csv (by its extension, else by its content).
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// The workbook's sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Show what the file would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept the removals of the account's latest held run (the list a held import
    /// printed): exactly those people, or fewer, may be removed beyond the deletion
    /// guard; if more are missing from this file, the run is held again for a new review.
    #[arg(long)]
    pub accept_deletions: bool,
    /// How long to wait while another run of the account is going on (e.g. the server's
    /// date check), before giving up without interrupting it.
    #[arg(long, default_value = "60s", value_parser = crate::commands::serve::parse_duration)]
    pub wait: std::time::Duration,
    #[command(flatten)]
    pub json: JsonFlag,
    /// Pretend today is this date (YYYY-MM-DD), for tests and replays.
    #[arg(long, env = "STAFFSYNC_TODAY", value_parser = parse_date, hide = true)]
    pub today: Option<time::Date>,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// Replace the settings with this JSON document (`-` reads stdin); a full sync is
    /// queued so the directory follows (removals go through the deletion guard).
    #[arg(long, value_name = "FILE")]
    pub set: Option<std::path::PathBuf>,
    /// With --set: show what the document would change now (a dry run against
    /// Personio); save nothing. Exit 3 when the deletion guard would hold the run.
    #[arg(long, requires = "set")]
    pub dry_run: bool,
    /// Pretend today is this date (YYYY-MM-DD) for the preview, as `sync` does.
    #[arg(long, env = "STAFFSYNC_TODAY", value_parser = parse_date, hide = true)]
    pub today: Option<time::Date>,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
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
    /// The account's slug (its short name, e.g. acme).
    #[arg(value_parser = parse_slug)]
    pub slug: AccountSlug,
    /// The author's Personio id (someone in the account's directory).
    #[arg(long)]
    pub author_personio_id: i64,
    /// The feedback's text.
    #[arg(long)]
    pub body: String,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub store: StoreFlags,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STAFFSYNC_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// How often each connected account syncs (e.g. 12h, 30m, 45s).
    #[arg(long, env = "STAFFSYNC_SYNC_INTERVAL", default_value = "12h", value_parser = parse_positive_duration)]
    pub sync_interval: std::time::Duration,
    /// Start times are spread by up to this much either way (default: min(30m, interval/10)).
    #[arg(long, env = "STAFFSYNC_SYNC_JITTER", value_parser = crate::commands::serve::parse_duration)]
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
    #[arg(long, env = "STAFFSYNC_INBOX_SETTLE", default_value = "10s", value_parser = crate::commands::serve::parse_duration)]
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

/// Usage errors clap reports (exit 2) rather than the command (exit 1): the value parsers
/// below check what can be checked without the database.
fn parse_slug(s: &str) -> Result<AccountSlug, String> {
    AccountSlug::parse(s).map_err(|e| e.to_string())
}

fn parse_mail_address(s: &str) -> Result<staffsync_core::MailAddress, String> {
    staffsync_core::MailAddress::parse(s).map_err(|e| e.to_string())
}

fn parse_source(s: &str) -> Result<staffsync_store::AccountSource, String> {
    staffsync_store::AccountSource::parse(s.trim())
        .ok_or_else(|| format!("not a source: {s:?} (expected personio or file)"))
}

fn parse_time_zone(s: &str) -> Result<staffsync_core::TimeZoneName, String> {
    staffsync_core::TimeZoneName::parse(s).map_err(|e| e.to_string())
}

fn parse_positive_duration(s: &str) -> Result<std::time::Duration, String> {
    let d = crate::commands::serve::parse_duration(s)?;
    if d.is_zero() {
        return Err(format!(
            "{s:?} is no time at all: give a duration longer than 0"
        ));
    }
    Ok(d)
}

fn parse_lease(s: &str) -> Result<std::time::Duration, String> {
    let d = crate::commands::serve::parse_duration(s)?;
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

    #[test]
    fn the_client_secret_stays_out_of_debug_output() {
        let cli = Cli::try_parse_from([
            "staffsync",
            "connect",
            "acme",
            "--client-id",
            "id",
            "--client-secret",
            "Secret-Quokka-4711",
        ])
        .expect("parses");
        let shown = format!("{cli:?}");
        assert!(!shown.contains("Secret-Quokka-4711"), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }

    /// Every flag and argument a user can see says what it is for.
    #[test]
    fn every_visible_argument_has_a_description() {
        fn check(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if arg.is_hide_set() || id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                check(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        check(&cmd, "staffsync", &mut missing);
        assert!(missing.is_empty(), "no description: {missing:?}");
    }

    #[test]
    fn store_flags_are_not_offered_where_no_database_is_used() {
        let mut cmd = Cli::command();
        cmd.build();
        let personio = cmd.find_subcommand("personio").expect("personio");
        let fetch = personio.find_subcommand("fetch").expect("fetch");
        let sim = cmd.find_subcommand("personio-sim").expect("personio-sim");
        for c in [fetch, sim] {
            assert!(
                c.get_arguments()
                    .all(|a| a.get_id() != "data_dir" && a.get_id() != "database_url"),
                "{}",
                c.get_name()
            );
        }
        let employees = cmd.find_subcommand("employees").expect("employees");
        assert!(employees.get_arguments().any(|a| a.get_id() == "data_dir"));
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
