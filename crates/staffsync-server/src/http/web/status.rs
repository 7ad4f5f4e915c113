//! Live status of the logged-in admin's account, for pages that update themselves while
//! a sync is queued or runs, and the health badge and incident links the Integration page
//! shows.
//!
//! `GET /integration/status` (session login, the session's account only; without a login
//! 401 `{"error": "login required"}`) answers JSON:
//!
//! ```json
//! {"source": "personio", "connected": true,
//!  "state": "running",              // "idle" | "queued" | "running"
//!  "queued": false, "running": true,
//!  "current_run": Run | null,       // the run in progress (any kind)
//!  "running_since": "2026-06-15T10:00:00Z" | null,
//!  "progress": {"employees_read": 100, "employees_total": 250} | null,
//!  "last_run": Run | null,          // the newest full run (the page's "Letzte Synchronisation")
//!  "employees": 250,                // people in the directory now
//!  "health": {"state": "failing", "failures": 3, "run_id": 12, "label": "…", "href": "/history/12"},
//!  "incidents": [{"kind": "attribute_unreadable", "attribute": "department",
//!                 "attribute_label": "Abteilung", "title": "…", "fix": "…",
//!                 "href": "/integration#attr-department", "link": "…", "opened_at": "…"}],
//!  "message": "Läuft: 100 von 250 Mitarbeitern gelesen" | null}
//! ```
//!
//! `Run` is `{"id", "kind", "status", "started_at", "finished_at", "created", "updated",
//! "removed", "skipped", "unchanged"}`. `health.state` is `fine` (the newest full run was
//! applied), `failing` (scheduled runs fail: `failures` in a row, `run_id` the failed
//! run), `held` (a run waits for review: `run_id`), `pending` (connected, no full run
//! applied yet) or `not_connected`. Texts (`label`, `title`, `fix`, `link`, `message`)
//! are in the session's language. `progress` comes from the scheduler of the process that
//! answers ([`staffsync_engine::progress`]); another process's run shows only
//! `running_since`.
//!
//! Read-only: it reads the store and the engine's progress, and never takes or adds
//! anything to the session (a poll must not eat the next page's message).
//!
//! [`SCRIPT_PATH`] serves the few lines of script that poll it (`assets/status.js`), allowed
//! by the content security policy as `script-src 'self'`; every page works without it.

use super::i18n::{Key, Lang, lookup, t};
use super::{WebState, view};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use staffsync_core::TimeZoneName;
use staffsync_engine::mail::texts::{kind_title, reason_text};
use staffsync_engine::progress::FetchProgress;
use staffsync_engine::sources::SourceKind;
use staffsync_store::{
    Account, AccountId, Incident, IncidentKind, RunId, RunKind, RunStatus, RunSummary, Schedule,
};
use std::time::Duration;
use time::OffsetDateTime;

/// Where the polling script is served.
pub(crate) const SCRIPT_PATH: &str = "/assets/status.js";

const SCRIPT: &str = include_str!("../../../assets/status.js");

/// `GET /assets/status.js`.
pub(crate) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// What the account is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activity {
    Idle,
    /// A sync is due or asked for and no one has taken it yet.
    Queued,
    /// Someone holds the lease and has not started the run yet.
    Starting,
    Running {
        since: OffsetDateTime,
    },
}

impl Activity {
    /// `idle`, `queued` or `running` (starting counts as running).
    pub(crate) fn state(self) -> &'static str {
        match self {
            Activity::Idle => "idle",
            Activity::Queued => "queued",
            Activity::Starting | Activity::Running { .. } => "running",
        }
    }

    pub(crate) fn active(self) -> bool {
        self != Activity::Idle
    }
}

/// What the schedule and the newest running run say. A run still marked `running` whose
/// lease is gone and which started longer than a lease ago was left by a worker that
/// died (the next run marks it interrupted): it does not count, so a page never waits
/// for it.
pub(crate) fn activity(
    schedule: Option<&Schedule>,
    running: Option<&RunSummary>,
    now: OffsetDateTime,
    lease: Duration,
) -> Activity {
    let leased = schedule.is_some_and(|s| s.leased_at(now));
    let lease = time::Duration::try_from(lease).unwrap_or(time::Duration::ZERO);
    if let Some(run) = running
        && (leased || run.started_at + lease > now)
    {
        return Activity::Running {
            since: run.started_at,
        };
    }
    if leased {
        return Activity::Starting;
    }
    if schedule.is_some_and(|s| s.requested_at.is_some() || s.next_run_at <= now) {
        return Activity::Queued;
    }
    Activity::Idle
}

/// "Läuft: 100 von 250 Mitarbeitern gelesen", or `None` when nothing is going on.
pub(crate) fn message(
    activity: Activity,
    progress: Option<FetchProgress>,
    now: OffsetDateTime,
    lang: Lang,
) -> Option<String> {
    let text = match (activity, progress) {
        (Activity::Idle, _) => return None,
        (Activity::Queued, _) => t(lang, key!("live.queued")).to_owned(),
        (Activity::Starting, _) => t(lang, key!("live.starting")).to_owned(),
        (Activity::Running { .. }, Some(p)) if p.employees_read > 0 => match p.employees_total {
            Some(total) => t(lang, key!("live.read"))
                .replace("{n}", &p.employees_read.to_string())
                .replace("{total}", &total.to_string()),
            None => t(lang, key!("live.read_some")).replace("{n}", &p.employees_read.to_string()),
        },
        (Activity::Running { since }, _) => {
            t(lang, key!("live.since")).replace("{elapsed}", &elapsed(now - since))
        }
    };
    Some(text)
}

/// `45 s`, `2 min 5 s`.
fn elapsed(d: time::Duration) -> String {
    let s = d.whole_seconds().max(0);
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// The account's health as its badge shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Health {
    /// `fine`, `failing`, `held`, `pending` or `not_connected`.
    pub state: &'static str,
    /// Scheduled runs failed in a row (0 unless failing).
    pub failures: i64,
    /// The failed run (failing) or the run to review (held).
    pub run_id: Option<i64>,
    pub label: String,
    /// Where it is fixed or seen.
    pub href: Option<String>,
    /// The badge's CSS class: `yes` (green) only when fine, `warn` (amber) when failing or
    /// held, none otherwise.
    #[serde(skip)]
    pub class: &'static str,
}

/// Green only when the newest full run was applied; a failing schedule (or a failed
/// newest full run) before a held run (a review cannot be applied while syncs fail)
/// before the rest.
pub(crate) fn health(
    lang: Lang,
    source: &SourceKind,
    connected: bool,
    schedule: Option<&Schedule>,
    last_full: Option<&RunSummary>,
    held: Option<RunId>,
) -> Health {
    let failures = schedule.map_or(0, |s| s.consecutive_failures);
    let last_failed = last_full.filter(|r| r.status == RunStatus::Failed);
    if failures > 0 || last_failed.is_some() {
        let failures = failures.max(1);
        let run_id = last_failed.map(|r| r.id.0);
        return Health {
            state: "failing",
            failures,
            run_id,
            label: t(lang, key!("health.failing")).replace("{n}", &failures.to_string()),
            href: Some(run_id.map_or_else(|| "/history".to_owned(), |id| format!("/history/{id}"))),
            class: "warn",
        };
    }
    if let Some(run) = held {
        return Health {
            state: "held",
            failures: 0,
            run_id: Some(run.0),
            label: t(lang, key!("health.held")).to_owned(),
            href: Some("/integration#held-review".to_owned()),
            class: "warn",
        };
    }
    let quiet = |state, key: Key, class| Health {
        state,
        failures: 0,
        run_id: None,
        label: t(lang, key).to_owned(),
        href: None,
        class,
    };
    if source.connects && !connected {
        return quiet("not_connected", key!("health.not_connected"), "");
    }
    match last_full.map(|r| r.status) {
        Some(RunStatus::Applied | RunStatus::Accepted) => {
            quiet("fine", key!("int.connected"), "yes")
        }
        _ => quiet("pending", key!("health.pending"), ""),
    }
}

/// One open incident as the Integration page and the status show it: what happened (the
/// attribute named), what to do, and a link to where it is done.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct IncidentView {
    pub kind: &'static str,
    /// The Personio key of the attribute that can no longer be read.
    pub attribute: Option<String>,
    /// Its name as the pages show it ("Abteilung").
    pub attribute_label: Option<String>,
    pub title: String,
    pub fix: String,
    pub href: String,
    /// The link's words.
    pub link: String,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// When it opened, as the page writes times.
    #[serde(skip)]
    pub since: String,
}

/// The account's open incidents as views; `failed_run` is the newest failed full run
/// (where a failing sync's link leads).
pub(crate) fn incident_views(
    open: Vec<Incident>,
    lang: Lang,
    tz: &TimeZoneName,
    failed_run: Option<RunId>,
) -> Vec<IncidentView> {
    let run_page =
        failed_run.map_or_else(|| "/history".to_owned(), |r| format!("/history/{}", r.0));
    open.into_iter()
        .map(|i| {
            let mut v = IncidentView {
                kind: i.kind.as_str(),
                attribute: None,
                attribute_label: None,
                title: kind_title(lang, i.kind).to_owned(),
                fix: String::new(),
                href: String::new(),
                link: String::new(),
                opened_at: i.opened_at,
                since: view::when(i.opened_at, tz, lang),
            };
            let reconnect = (
                "/integration#disconnect".to_owned(),
                t(lang, key!("inc.link.reconnect")).to_owned(),
            );
            (v.href, v.link) = match i.kind {
                IncidentKind::HeldRun => {
                    v.fix = t(lang, key!("inc.held.fix")).to_owned();
                    (
                        "/integration#held-review".to_owned(),
                        t(lang, key!("inc.link.review")).to_owned(),
                    )
                }
                IncidentKind::CredentialRejected => {
                    v.fix = t(lang, key!("inc.credential.fix")).to_owned();
                    reconnect
                }
                IncidentKind::AttributeUnreadable => {
                    let key = i.details.attribute.clone().unwrap_or_default();
                    let label = attribute_label(lang, &key);
                    v.title = t(lang, key!("inc.attribute.title")).replace("{attr}", &label);
                    v.fix = t(lang, key!("inc.attribute.fix")).replace("{attr}", &label);
                    let link = t(lang, key!("inc.attribute.link")).replace("{attr}", &label);
                    let href = format!("/integration#attr-{}", anchor(&key));
                    v.attribute = Some(key);
                    v.attribute_label = Some(label);
                    (href, link)
                }
                IncidentKind::SyncFailing => {
                    if let Some(n) = i.details.failures {
                        v.title = t(lang, key!("inc.failing.title")).replace("{n}", &n.to_string());
                    }
                    let reason = reason_text(lang, i.details.reason.as_deref().unwrap_or_default());
                    v.fix = format!("{reason} {}", t(lang, key!("inc.failing.fix")));
                    (run_page.clone(), t(lang, key!("inc.link.run")).to_owned())
                }
                IncidentKind::WebhookDropped => {
                    v.fix = t(lang, key!("inc.webhook.fix")).to_owned();
                    reconnect
                }
            };
            v
        })
        .collect()
}

/// An attribute's name as the pages show it ("Abteilung"), else its key.
pub(crate) fn attribute_label(lang: Lang, key: &str) -> String {
    lookup(lang, &format!("attr.{key}")).map_or_else(|| key.to_owned(), str::to_owned)
}

/// `key` as a fragment id: letters, digits, `_` and `-` kept, anything else `-`.
pub(crate) fn anchor(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A run in the status answer.
#[derive(Debug, Serialize)]
struct RunJson {
    id: i64,
    kind: RunKind,
    status: RunStatus,
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    finished_at: Option<OffsetDateTime>,
    created: i64,
    updated: i64,
    removed: i64,
    skipped: i64,
    unchanged: i64,
}

impl From<&RunSummary> for RunJson {
    fn from(r: &RunSummary) -> Self {
        RunJson {
            id: r.id.0,
            kind: r.kind,
            status: r.status,
            started_at: r.started_at,
            finished_at: r.finished_at,
            created: r.created,
            updated: r.updated,
            removed: r.removed,
            skipped: r.skipped,
            unchanged: r.unchanged,
        }
    }
}

#[derive(Debug, Serialize)]
struct ProgressJson {
    employees_read: usize,
    employees_total: Option<usize>,
}

#[derive(Debug, Serialize)]
struct StatusJson {
    source: &'static str,
    connected: bool,
    state: &'static str,
    queued: bool,
    running: bool,
    current_run: Option<RunJson>,
    #[serde(with = "time::serde::rfc3339::option")]
    running_since: Option<OffsetDateTime>,
    progress: Option<ProgressJson>,
    last_run: Option<RunJson>,
    employees: u64,
    health: Health,
    incidents: Vec<IncidentView>,
    message: Option<String>,
}

/// Everything the status says, read from the store and the engine for `account`.
pub(crate) struct Live {
    pub activity: Activity,
    pub message: Option<String>,
    pub health: Health,
    pub incidents: Vec<IncidentView>,
    connected: bool,
    /// The run in progress (only while the account is active).
    pub current: Option<RunSummary>,
    last_full: Option<RunSummary>,
    progress: Option<FetchProgress>,
    employees: u64,
}

impl Live {
    /// Reads the account's state now (a handful of small queries: this runs every two
    /// seconds while a page waits).
    pub(crate) async fn load(
        state: &WebState,
        account: &Account,
        lang: Lang,
    ) -> Result<Live, super::WebError> {
        let store = &state.app.store;
        let id: AccountId = account.id;
        let connected = store.connection(id).await?.is_some();
        let schedule = store.schedule(id).await?;
        let current = store.running_run(id).await?;
        let last_full = store.latest_run(id, RunKind::Full).await?;
        let held = store.latest_held_run(id).await?;
        let employees = store.employee_count(id).await?;
        let now = OffsetDateTime::now_utc();
        let activity = activity(
            schedule.as_ref(),
            current.as_ref(),
            now,
            state.app.config.lease,
        );
        let progress = match activity {
            Activity::Running { .. } => state.app.progress(id),
            _ => None,
        };
        // The newest finished full run, for the health and a failing sync's link.
        let finished_full = match &last_full {
            Some(r) if r.status == RunStatus::Running => None,
            other => other.clone(),
        };
        let failed_run = finished_full
            .as_ref()
            .filter(|r| r.status == RunStatus::Failed)
            .map(|r| r.id);
        let health = health(
            lang,
            staffsync_engine::sources::of(account),
            connected,
            schedule.as_ref(),
            finished_full.as_ref(),
            held,
        );
        let incidents = incident_views(
            store.open_incidents(id).await?,
            lang,
            &account.time_zone,
            failed_run,
        );
        Ok(Live {
            message: message(activity, progress, now, lang),
            activity,
            health,
            incidents,
            connected,
            current: if activity.active() { current } else { None },
            last_full,
            progress,
            employees,
        })
    }

    fn json(self, source: &SourceKind) -> StatusJson {
        let running_since = match self.activity {
            Activity::Running { since } => Some(since),
            _ => None,
        };
        StatusJson {
            source: source.source.as_str(),
            connected: self.connected,
            state: self.activity.state(),
            queued: self.activity == Activity::Queued,
            running: matches!(self.activity, Activity::Starting | Activity::Running { .. }),
            current_run: self.current.as_ref().map(RunJson::from),
            running_since,
            progress: self.progress.map(|p| ProgressJson {
                employees_read: p.employees_read,
                employees_total: p.employees_total,
            }),
            last_run: self.last_full.as_ref().map(RunJson::from),
            employees: self.employees,
            health: self.health,
            incidents: self.incidents,
            message: self.message,
        }
    }
}

/// The session's account, when someone is logged in (taking nothing from the session).
pub(crate) struct SessionAccount(Result<Option<Account>, Response>);

impl FromRequestParts<WebState> for SessionAccount {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        Ok(SessionAccount(
            super::session_admin(parts, state)
                .await
                .map(|found| found.map(|(_, _, account)| account))
                .map_err(IntoResponse::into_response),
        ))
    }
}

/// `GET /integration/status` (see the module docs).
pub(crate) async fn status(
    State(state): State<WebState>,
    lang: Lang,
    SessionAccount(account): SessionAccount,
) -> Response {
    let account = match account {
        Ok(Some(account)) => account,
        Ok(None) => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({"error": "login required"})),
            )
                .into_response();
        }
        Err(response) => return response,
    };
    match Live::load(&state, &account, lang).await {
        Ok(live) => Json(live.json(staffsync_engine::sources::of(&account))).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use staffsync_store::AccountSource;
    use staffsync_store::{IncidentDetails, IncidentId};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-06-15 10:00 UTC);
    const LEASE: Duration = Duration::from_secs(900);

    fn schedule(tune: impl FnOnce(&mut Schedule)) -> Schedule {
        let mut s = Schedule {
            account_id: AccountId(1),
            next_run_at: NOW + time::Duration::hours(12),
            last_run_at: None,
            consecutive_failures: 0,
            last_error: None,
            lease_owner: None,
            lease_expires_at: None,
            accept_run: None,
            requested_at: None,
        };
        tune(&mut s);
        s
    }

    fn run(id: i64, status: RunStatus, started: OffsetDateTime) -> RunSummary {
        RunSummary {
            id: RunId(id),
            kind: RunKind::Full,
            status,
            started_at: started,
            finished_at: None,
            created: 0,
            updated: 0,
            removed: 0,
            skipped: 0,
            unchanged: 0,
            skipped_by_reason: Default::default(),
            warnings: Vec::new(),
            error: None,
            failure: None,
            held: None,
            decision: None,
            started_by: None,
        }
    }

    #[test]
    fn queued_starting_running_and_idle() {
        let idle = schedule(|_| {});
        assert_eq!(activity(Some(&idle), None, NOW, LEASE), Activity::Idle);
        assert_eq!(activity(None, None, NOW, LEASE), Activity::Idle);
        let asked = schedule(|s| s.requested_at = Some(NOW));
        assert_eq!(activity(Some(&asked), None, NOW, LEASE), Activity::Queued);
        let due = schedule(|s| s.next_run_at = NOW - time::Duration::seconds(1));
        assert_eq!(activity(Some(&due), None, NOW, LEASE), Activity::Queued);
        let leased = schedule(|s| {
            s.lease_owner = Some("w".into());
            s.lease_expires_at = Some(NOW + time::Duration::minutes(5));
        });
        assert_eq!(
            activity(Some(&leased), None, NOW, LEASE),
            Activity::Starting
        );
        let started = NOW - time::Duration::seconds(45);
        let running = run(3, RunStatus::Running, started);
        assert_eq!(
            activity(Some(&leased), Some(&running), NOW, LEASE),
            Activity::Running { since: started }
        );
        // A run left `running` by a dead worker, long past its lease: not waited for.
        let stale = run(2, RunStatus::Running, NOW - time::Duration::hours(1));
        assert_eq!(
            activity(Some(&idle), Some(&stale), NOW, LEASE),
            Activity::Idle
        );
    }

    #[test]
    fn the_message_says_how_far_the_run_has_come_or_since_when_it_runs() {
        let since = NOW - time::Duration::seconds(125);
        let running = Activity::Running { since };
        let read = |n, total| {
            Some(FetchProgress {
                employees_read: n,
                employees_total: total,
            })
        };
        assert_eq!(message(Activity::Idle, None, NOW, Lang::De), None);
        assert_eq!(
            message(running, read(100, Some(250)), NOW, Lang::De).unwrap(),
            "Läuft: 100 von 250 Mitarbeitern gelesen"
        );
        assert_eq!(
            message(running, read(100, None), NOW, Lang::En).unwrap(),
            "Running: 100 employees read"
        );
        assert_eq!(
            message(running, read(0, None), NOW, Lang::De).unwrap(),
            "Läuft seit 2 min 5 s"
        );
        assert_eq!(
            message(running, None, NOW, Lang::En).unwrap(),
            "Running for 2 min 5 s"
        );
        assert!(
            message(Activity::Queued, None, NOW, Lang::De)
                .unwrap()
                .starts_with("In der Warteschlange")
        );
    }

    #[test]
    fn the_badge_is_green_only_after_an_applied_run() {
        let ok = schedule(|_| {});
        let applied = run(1, RunStatus::Applied, NOW);
        let h = health(
            Lang::De,
            staffsync_engine::sources::kind(AccountSource::Personio),
            true,
            Some(&ok),
            Some(&applied),
            None,
        );
        assert_eq!(
            (h.state, h.class, h.label.as_str()),
            ("fine", "yes", "Verbunden mit Personio")
        );

        let h = health(
            Lang::De,
            staffsync_engine::sources::kind(AccountSource::Personio),
            true,
            Some(&ok),
            None,
            None,
        );
        assert_eq!((h.state, h.class), ("pending", ""));

        let failing = schedule(|s| s.consecutive_failures = 3);
        let failed = run(7, RunStatus::Failed, NOW);
        let h = health(
            Lang::De,
            staffsync_engine::sources::kind(AccountSource::Personio),
            true,
            Some(&failing),
            Some(&failed),
            Some(RunId(5)),
        );
        assert_eq!((h.state, h.class, h.failures), ("failing", "warn", 3));
        assert_eq!(h.label, "Synchronisation fehlgeschlagen (3×)");
        assert_eq!(h.href.as_deref(), Some("/history/7"));
        let h = health(
            Lang::En,
            staffsync_engine::sources::kind(AccountSource::Personio),
            true,
            Some(&failing),
            Some(&failed),
            None,
        );
        assert_eq!(h.label, "Sync failing (3×)");

        let held = run(8, RunStatus::Held, NOW);
        let h = health(
            Lang::En,
            staffsync_engine::sources::kind(AccountSource::Personio),
            true,
            Some(&ok),
            Some(&held),
            Some(RunId(8)),
        );
        assert_eq!(
            (h.state, h.class, h.label.as_str()),
            ("held", "warn", "Review needed")
        );
        assert_eq!(h.href.as_deref(), Some("/integration#held-review"));

        let h = health(
            Lang::De,
            staffsync_engine::sources::kind(AccountSource::Personio),
            false,
            None,
            Some(&applied),
            None,
        );
        assert_eq!(h.state, "not_connected");
    }

    #[test]
    fn incidents_link_to_their_fix_and_name_the_attribute() {
        let incident = |kind, details| Incident {
            id: IncidentId(1),
            account_id: AccountId(1),
            kind,
            details,
            opened_at: NOW,
            resolved_at: None,
            opened_mail: None,
            resolved_mail: None,
        };
        let open = vec![
            incident(
                IncidentKind::AttributeUnreadable,
                IncidentDetails {
                    attribute: Some("department".into()),
                    ..IncidentDetails::default()
                },
            ),
            incident(
                IncidentKind::SyncFailing,
                IncidentDetails {
                    failures: Some(3),
                    reason: Some("personio_unavailable".into()),
                    ..IncidentDetails::default()
                },
            ),
            incident(IncidentKind::HeldRun, IncidentDetails::default()),
        ];
        let tz = TimeZoneName::default();
        let de = incident_views(open.clone(), Lang::De, &tz, Some(RunId(9)));
        assert_eq!(de[0].title, "Pflichtattribut „Abteilung“ nicht mehr lesbar");
        assert_eq!(de[0].href, "/integration#attr-department");
        assert!(
            de[0].fix.contains("Einstellungen → API-Zugangsdaten"),
            "{}",
            de[0].fix
        );
        assert!(de[0].fix.contains("„Abteilung“"), "{}", de[0].fix);
        assert_eq!(de[1].href, "/history/9");
        assert!(de[1].title.contains("3-mal"), "{}", de[1].title);
        assert_eq!(de[2].href, "/integration#held-review");
        let en = incident_views(open, Lang::En, &tz, None);
        assert_eq!(
            en[0].title,
            "Mandatory attribute “Department” no longer readable"
        );
        assert_eq!(en[0].attribute_label.as_deref(), Some("Department"));
        assert_eq!(en[1].href, "/history");
        assert_eq!(anchor("dynamic 1\"x"), "dynamic-1-x");
    }
}
