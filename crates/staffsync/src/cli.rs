//! The command line's top level: the flags before a command, the list of commands, and
//! what several commands share (the store flags, `--json`, a Personio credential, an
//! account's slug, value parsers). Each command's own flags, with their environment
//! variables and defaults, live next to it in `commands/<command>.rs`.
//!
//! Secrets never have a default and are never echoed; prefer their environment variables
//! (`PERSONIO_CLIENT_SECRET`, `STAFFSYNC_SECRET_KEY`) so they stay out of shell history.

use crate::commands::account::AccountCommand;
use crate::commands::admin::AdminCommand;
use crate::commands::connect::ConnectArgs;
use crate::commands::demo::DemoArgs;
use crate::commands::feedback::FeedbackCommand;
use crate::commands::fetch::PersonioCommand;
use crate::commands::import::ImportArgs;
use crate::commands::serve::ServeArgs;
use crate::commands::settings::SettingsArgs;
use crate::commands::sim::SimArgs;
use crate::commands::sync::SyncArgs;
use crate::commands::token::TokenCommand;
use clap::{Args, Parser, Subcommand, ValueEnum};
use staffsync_core::AccountSlug;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Help a web-app admin: reset a forgotten password.
    #[command(subcommand)]
    Admin(AdminCommand),
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
            Command::Admin(AdminCommand::ResetPassword(a)) => Some(&a.store),
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
pub struct JsonFlag {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
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

// Usage errors clap reports (exit 2) rather than the command (exit 1): the value parsers
// here and next to the commands check what can be checked without the database.

/// An account's slug, as every command that names an account takes it.
pub fn parse_slug(s: &str) -> Result<AccountSlug, String> {
    AccountSlug::parse(s).map_err(|e| e.to_string())
}

/// A calendar date, YYYY-MM-DD (`--today` of several commands).
pub fn parse_date(s: &str) -> Result<time::Date, String> {
    staffsync_core::dates::parse_calendar_date(s)
        .filter(|_| s.len() == 10)
        .ok_or_else(|| format!("not a date: {s:?} (expected YYYY-MM-DD)"))
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
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Where the help of every command is recorded, as the binary prints it.
    const RECORDED_HELP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/cli-help.txt");

    /// The command line is a public interface: every command's `-h` and `--help` (flags,
    /// value names, defaults, environment variables, words) is the recorded one, so a
    /// change to it is deliberate and shows in review. After a deliberate change, record
    /// it anew: `STAFFSYNC_RECORD_CLI_HELP=1 cargo test -p staffsync --bin staffsync help`.
    #[test]
    fn every_commands_help_is_the_recorded_one() {
        fn envs(cmd: &clap::Command, found: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                if let Some(env) = arg.get_env() {
                    found.push(env.to_string_lossy().into_owned());
                }
            }
            for sub in cmd.get_subcommands() {
                envs(sub, found);
            }
        }
        // What the binary prints: the text of clap's "help" answer to `<path> -h|--help`.
        fn render(cmd: &clap::Command, path: &[&str], out: &mut String) {
            for flag in ["-h", "--help"] {
                let argv = path.iter().copied().chain([flag]);
                let answer = Cli::command()
                    .try_get_matches_from(argv)
                    .expect_err("help is an early exit");
                assert_eq!(answer.kind(), clap::error::ErrorKind::DisplayHelp);
                out.push_str(&format!("==== {} {flag}\n{answer}", path.join(" ")));
            }
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let path = [path, &[sub.get_name()]].concat();
                render(sub, &path, out);
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let mut help = String::new();
        render(&cmd, &["staffsync"], &mut help);
        // Help shows the value of each environment variable the command line reads (unless
        // hidden); the recorded help is the one with none of them set.
        let mut read = Vec::new();
        envs(&cmd, &mut read);
        for name in read {
            if let Some(value) = std::env::var_os(&name) {
                let value = value.to_string_lossy();
                help = help.replace(
                    &format!("[env: {name}={value}]"),
                    &format!("[env: {name}=]"),
                );
            }
        }
        if std::env::var_os("STAFFSYNC_RECORD_CLI_HELP").is_some() {
            std::fs::write(RECORDED_HELP, &help).expect("cannot write the recorded help");
            return;
        }
        let recorded = std::fs::read_to_string(RECORDED_HELP).expect("recorded help");
        let mut command = "";
        for (now, was) in help.lines().zip(recorded.lines()) {
            if now.starts_with("==== ") {
                command = now;
            }
            assert_eq!(now, was, "the help changed, in {command:?}");
        }
        assert_eq!(
            help.lines().count(),
            recorded.lines().count(),
            "commands were added or removed"
        );
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
