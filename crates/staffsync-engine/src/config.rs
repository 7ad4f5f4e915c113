//! Typed configuration of `staffsync serve`, validated at start-up.
//!
//! The binary fills it from flags and `STAFFSYNC_…` environment variables (clap); tests
//! build it directly. Nothing here reads the environment itself.

use crate::outbound::AllowedUrl;
use ipnet::IpNet;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Full syncs per connected account happen this often (default 12 h).
    pub sync_interval: Duration,
    /// Start times are spread by up to this much, so accounts do not all sync at once.
    pub sync_jitter: Duration,
    /// Waits after the 1st, 2nd, 3rd… consecutive failure (default 5 min, 30 min, 2 h).
    pub retry_backoff: Vec<Duration>,
    /// After this many consecutive failures an account shows as failing.
    pub failing_after: u32,
    /// How often the scheduler looks for due accounts.
    pub scheduler_poll: Duration,
    /// How long a claimed sync may run before another worker may take it over.
    pub lease: Duration,
    /// `POST /api/v1/sync` within this time after the account's last full sync answers
    /// 429 (each full sync authenticates with Personio, which allows few of those).
    pub sync_request_cooldown: Duration,
    /// Syncs this process runs at once.
    pub max_concurrent_syncs: usize,
    /// Name of this process in leases (unique per process).
    pub instance_id: String,
    /// Groups smaller than this cannot show survey results (anonymity).
    pub anonymity_threshold: usize,
    /// Mark cookies `Secure` (set when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Public base URL of this deployment (for Personio webhooks), if it has one.
    pub public_base_url: Option<String>,
    /// Run the scheduler in this process (off for a web-only instance).
    pub run_scheduler: bool,
    /// Pace Personio requests under its limits (off only against a simulator).
    pub personio_rate_limit: bool,
    /// Personio requests a minute this process may send over all accounts: its share of
    /// the per-IP budget Personio sets for the egress address (2,000/min). With N processes
    /// behind one address give each 1/N of it. 0 = no shared budget (each account is still
    /// paced by its own per-credential limit). Only applies with `personio_rate_limit`.
    pub personio_ip_budget: u32,
    /// Incremental polls (`updated_since`) of connections without a webhook happen this
    /// often (default 15 min); zero turns polling off.
    pub poll_interval: Duration,
    /// Webhook events of one account are collected this long into one targeted run
    /// (default 2 s).
    pub webhook_debounce: Duration,
    /// Requests a second each SCIM token may make on average, twice that at once
    /// (default 2,000: an initial provisioning of 10,000 users, a probe and a POST each,
    /// in seconds; a client over it is answered 429 with `Retry-After`).
    pub scim_rate: u32,
    /// The Personio URLs an admin may connect to from the web app (default: only
    /// `https://api.personio.de`); any other URL is refused before a request is sent
    /// ([`crate::outbound`]). `staffsync connect` on the command line is not limited.
    pub allowed_personio_urls: Vec<AllowedUrl>,
    /// How long a web request waits for Personio (the connect check, the preview's dry
    /// run) before it answers "Personio did not answer in time" (default 20 s).
    pub personio_answer_timeout: Duration,
    /// Proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`): only when the TCP
    /// peer is in one of these networks is the client's address taken from that header
    /// (the right-most entry not in them; see `staffsync_server::client_ip`). Empty: the header is
    /// ignored and the peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Expired web sessions are deleted this often (default 10 minutes, and once at
    /// start-up).
    pub session_sweep_interval: Duration,
    /// Changes stay in the feed (`GET /api/v1/changes`) this long (default 30 days); an
    /// older cursor answers 410.
    pub change_retention: Duration,
    /// Outgoing webhooks may go to `http://` URLs and non-public addresses (tests, or
    /// receivers in the operator's own network); off, only `https://` to public addresses
    /// ([`crate::outgoing_webhooks::targets`]).
    pub webhook_allow_private: bool,
    /// Waits after the 1st, 2nd, … failed attempt of a delivery (the last repeats).
    pub webhook_retry_backoff: Vec<Duration>,
    /// A delivery is retried this long after it was made (default 24 h), then given up.
    pub webhook_retry_window: Duration,
    /// How often the delivery worker looks for work (default 1 s).
    pub webhook_poll: Duration,
    /// How long one attempt may take (default 15 s).
    pub webhook_timeout: Duration,
    /// The largest employee file `POST /api/v1/imports` takes (default 20 MB); a larger
    /// body is answered 413 before it is read to the end.
    pub max_upload_bytes: u64,
    /// An upload (web or `POST /api/v1/imports`) whose client sends nothing for this long
    /// is answered 408 and its connection closed (default 20 s), so a stalled sender
    /// holds neither memory nor a connection for long.
    pub upload_idle_timeout: Duration,
    /// "Today" for every account instead of the date in its time zone (tests, replays).
    /// Tests can change it while running: [`AppState::set_today`](crate::AppState::set_today).
    pub today: Option<time::Date>,
    /// Where alert e-mails go out (`--smtp-url`, `--mail-from`); `None`: incidents show in
    /// the web app only.
    pub mail: Option<crate::mail::MailConfig>,
    /// The root of the file accounts' inbox folders (`<inbox>/<slug>/`,
    /// [`crate::inbox`]); `None`: no inbox.
    pub inbox_dir: Option<std::path::PathBuf>,
    /// An inbox file is imported once it has not changed for this long (default 10 s), so
    /// a file still being uploaded is left alone.
    pub inbox_settle: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            sync_interval: Duration::from_secs(12 * 3600),
            sync_jitter: Duration::from_secs(30 * 60),
            retry_backoff: vec![
                Duration::from_secs(5 * 60),
                Duration::from_secs(30 * 60),
                Duration::from_secs(2 * 3600),
            ],
            failing_after: 3,
            scheduler_poll: Duration::from_secs(5),
            lease: Duration::from_secs(15 * 60),
            sync_request_cooldown: Duration::from_secs(60),
            max_concurrent_syncs: 4,
            instance_id: format!("staffsync-{}", uuid::Uuid::new_v4()),
            anonymity_threshold: 5,
            secure_cookies: false,
            public_base_url: None,
            run_scheduler: true,
            personio_rate_limit: true,
            personio_ip_budget: personio::DEFAULT_IP_BUDGET_PER_MINUTE,
            poll_interval: Duration::from_secs(15 * 60),
            webhook_debounce: Duration::from_secs(2),
            scim_rate: 2000,
            allowed_personio_urls: vec![AllowedUrl::personio()],
            personio_answer_timeout: Duration::from_secs(20),
            trusted_proxies: Vec::new(),
            session_sweep_interval: Duration::from_secs(10 * 60),
            change_retention: Duration::from_secs(30 * 86_400),
            webhook_allow_private: false,
            // Standard Webhooks' suggestion; about 24 h in all.
            webhook_retry_backoff: [5, 300, 1800, 7200, 18_000, 36_000, 36_000]
                .map(Duration::from_secs)
                .to_vec(),
            webhook_retry_window: Duration::from_secs(24 * 3600),
            webhook_poll: Duration::from_secs(1),
            webhook_timeout: Duration::from_secs(15),
            max_upload_bytes: employee_file::Limits::default().max_bytes,
            upload_idle_timeout: Duration::from_secs(20),
            today: None,
            mail: None,
            inbox_dir: None,
            inbox_settle: Duration::from_secs(10),
        }
    }
}
