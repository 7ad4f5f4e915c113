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
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Employees in the simulated company.
    #[arg(long, default_value_t = 250)]
    pub employees: usize,
    /// Seed of the simulated company.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
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
    /// Enforce Personio's rate limits (300/min with bursts of 15 on employees, 60/min on auth).
    #[arg(long, default_value = "on")]
    pub rate_limit: OnOff,
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
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    pub slug: String,
    /// Show the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm removals beyond the deletion guard's limit.
    #[arg(long)]
    pub accept_deletions: bool,
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
}
