//! The state every HTTP handler and background task shares: the store, the
//! configuration, the clock that says "today", cached Personio clients, and the webhook
//! inbox (de-duplication and debouncing, in memory per process), what the file inbox
//! remembers between passes, the backoff of failing polls (in memory per process), how
//! far running scheduled syncs have come (in memory per process), and the mailer of alert
//! e-mails.

use crate::config::ServerConfig;
use crate::imports::{self, ParseSlots};
use crate::mail::Mailer;
use crate::mail::texts::RenderLetter;
use crate::personio_events::Inbox;
use personio::{Client, IpBudget};
use staffsync_store::{AccountId, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use time::{Date, OffsetDateTime};

/// Per account: the connection's `connected_at` and its client.
type ClientCache = HashMap<AccountId, (OffsetDateTime, Arc<Client>)>;

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<ServerConfig>,
    /// "Today" when overridden (starts as `config.today`; tests move it).
    today: Arc<RwLock<Option<Date>>>,
    /// One Personio client per account (its token and recently looked-up unit names
    /// survive between targeted runs), replaced when the connection changes (keyed by
    /// `connected_at`) and dropped after each full sync ([`AppState::forget_client`]).
    clients: Arc<Mutex<ClientCache>>,
    /// Webhook events waiting for their targeted run.
    pub(crate) inbox: Arc<Inbox>,
    /// SCIM writes waiting for their targeted run.
    pub(crate) scim_pending: Arc<crate::sources::scim::Pending>,
    /// What the file accounts' inbox folders remember between passes (stuck files, the
    /// refusals already logged).
    pub(crate) file_inbox: Arc<crate::inbox::Memory>,
    /// When each account's failing incremental poll may be tried again.
    pub(crate) poll_backoff: Arc<crate::realtime::PollBackoff>,
    /// The per-IP budget every Personio client of this process shares (see
    /// [`ServerConfig::personio_ip_budget`]).
    ip_budget: Option<IpBudget>,
    /// Sends alert e-mails; `None` without SMTP configured (incidents show in the web app).
    pub(crate) mailer: Option<Mailer>,
    /// Who may parse an employee file now ([`crate::imports::read`]).
    pub(crate) parse_slots: Arc<ParseSlots>,
    /// How far this process's running scheduled syncs have come ([`crate::progress`]).
    pub(crate) progress: Arc<crate::progress::Board>,
    /// Lays a letter out as text and HTML ([`AppState::with_letters`]); without it no
    /// alert e-mail can be sent (each is recorded as failed).
    pub(crate) letters: Option<RenderLetter>,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        let ip_budget = if config.personio_rate_limit {
            IpBudget::per_minute(config.personio_ip_budget)
        } else {
            None
        };
        let mailer = config.mail.as_ref().and_then(|m| match Mailer::new(m) {
            Ok(mailer) => Some(mailer),
            Err(e) => {
                tracing::error!(error = %e, "the SMTP configuration cannot be used: alerts show in the web app only");
                None
            }
        });
        AppState {
            store,
            mailer,
            ip_budget,
            today: Arc::new(RwLock::new(config.today)),
            config: Arc::new(config),
            clients: Arc::default(),
            inbox: Arc::default(),
            scim_pending: Arc::default(),
            file_inbox: Arc::default(),
            poll_backoff: Arc::default(),
            parse_slots: Arc::new(ParseSlots::new(imports::SERVER_PARSES)),
            progress: Arc::default(),
            letters: None,
        }
    }

    /// The state with `render` laying out alert e-mails (the server's templates: the
    /// engine words letters but does not render HTML).
    pub fn with_letters(mut self, render: RenderLetter) -> Self {
        self.letters = Some(render);
        self
    }

    /// How far `account`'s scheduled sync has come, when this process runs one (read
    /// only: the scheduler records it).
    pub fn progress(&self, account: AccountId) -> Option<crate::progress::FetchProgress> {
        self.progress.get(account)
    }

    /// The per-IP budget this process's Personio clients share, if any.
    pub fn ip_budget(&self) -> Option<IpBudget> {
        self.ip_budget.clone()
    }

    /// Overrides "today" for every account from now on (`None`: the real date).
    pub fn set_today(&self, today: Option<Date>) {
        match self.today.write() {
            Ok(mut t) => *t = today,
            Err(poisoned) => *poisoned.into_inner() = today,
        }
    }

    /// The overridden "today", if any.
    pub fn today_override(&self) -> Option<Date> {
        match self.today.read() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// "Today" for an account in time zone `zone`: the override, else the local date.
    pub fn today_in(&self, zone: &crate::clock::TimeZoneName) -> Date {
        match self.today_override() {
            Some(d) => d,
            None => crate::clock::date_in(zone, OffsetDateTime::now_utc()),
        }
    }

    /// The cached client for `account`'s connection, built on first use.
    /// Drops `account`'s cached client: after a full sync (which runs on a client of its
    /// own and may have written renamed units), so the next targeted run asks Personio
    /// for names again instead of writing back the ones it knew.
    pub(crate) fn forget_client(&self, account: AccountId) {
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&account);
    }

    pub(crate) fn client(
        &self,
        account: AccountId,
        connection: &staffsync_store::Connection,
    ) -> Result<Arc<Client>, crate::SyncError> {
        let mut clients = match self.clients.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((at, client)) = clients.get(&account)
            && *at == connection.connected_at
        {
            return Ok(client.clone());
        }
        let client = Arc::new(crate::run::client_for(
            connection,
            !self.config.personio_rate_limit,
            self.ip_budget.as_ref(),
        )?);
        clients.insert(account, (connection.connected_at, client.clone()));
        Ok(client)
    }
}
