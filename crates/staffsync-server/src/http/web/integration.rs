//! `/integration`: the Personio card.
//!
//! Not connected: Client-ID and Secret ("Verbinden"); the secret is never rendered back.
//! Connected: the health badge (green only when the newest full run was applied; amber
//! while syncs fail or a held run waits for review, linking to the failed run or the
//! review), which attributes the credential can read, last and next sync, a failing
//! banner, the open incidents admins were alerted about (each a link to where it is
//! fixed, a missing attribute named), "Jetzt synchronisieren" (asks the scheduler),
//! "Änderungen anzeigen" (a dry run, rendered at once), the review of a held run
//! ("Übernehmen" / "Ablehnen"), and "Trennen" (the directory stays). While a sync is
//! queued or runs, the page says so and updates itself ([`super::status`]). Below, connected or not, one line links to
//! the developers' page ([`super::developer`]: API tokens, outgoing webhooks).

use super::i18n::{Key, lookup};
use super::names::{Names, people_of};
use super::status::{Health, IncidentView, Live};
use super::view::{self, ChangeView, PersonView, RunView};
use super::{Ctx, Page, WebResult, WebState, message, render};
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use secrecy::SecretString;
use serde::Deserialize;
use staffsync_core::{DirectoryEmployee, PersonKey, Plan, RemovalReason};
use staffsync_engine::connect::{self, ConnectError};
use staffsync_engine::dry_run::{self, DryRunError};
use staffsync_engine::lease::LeaseError;
use staffsync_engine::run::{SyncError, SyncOptions};
use staffsync_store::{RunId, RunKind, RunStatus};
use std::collections::HashMap;

/// Personio's API, the default under "Erweitert".
const DEFAULT_PERSONIO_URL: &str = "https://api.personio.de";

/// One attribute row of the connected card.
pub(crate) struct AttrRow {
    label: &'static str,
    key: &'static str,
    level: &'static str,
    level_label: &'static str,
    readable: bool,
    /// What goes wrong without it (shown when it is not readable).
    note: &'static str,
}

/// Someone the admin kept ("behalten").
pub(crate) struct KeptView {
    pub(crate) person: PersonView,
    /// Whether "Jetzt entfernen" was clicked: the next run removes them.
    pub(crate) released: bool,
}

/// The directory as the reviews name its people: each by key, and the names of
/// people, groups and rules; made once per page.
pub(crate) struct Named<'d> {
    by_id: HashMap<PersonKey, &'d DirectoryEmployee>,
    names: Names,
}

impl<'d> Named<'d> {
    pub(crate) fn of(directory: &'d [DirectoryEmployee], ctx: &Ctx) -> Self {
        Named {
            by_id: directory.iter().map(|e| (e.key, e)).collect(),
            names: Names::new(
                ctx.lang(),
                people_of(directory),
                ctx.account.policy.settings.scope.clone(),
            ),
        }
    }

    fn person(&self, id: PersonKey) -> PersonView {
        person(id, self.by_id.get(&id).copied())
    }
}

/// The people an admin kept, each with why they would have gone.
pub(crate) fn kept_views(
    kept: Vec<staffsync_store::KeptPerson>,
    named: &Named<'_>,
    ctx: &Ctx,
) -> Vec<KeptView> {
    kept.into_iter()
        .map(|k| KeptView {
            released: k.released,
            person: PersonView {
                note: view::removal_reason(&k.reason, &named.names, ctx.source()),
                ..named.person(k.key)
            },
        })
        .collect()
}

/// The review of a held run.
pub(crate) struct HeldView {
    pub(crate) run_id: i64,
    /// "17 von 55 Personen im Verzeichnis würden entfernt."
    pub(crate) summary: String,
    pub(crate) people: Vec<PersonView>,
    /// Some listed people are removed by the admin's own scope rules: the review says
    /// so instead of asking whether they are still in the source.
    pub(crate) by_rule: bool,
    /// Some listed people are gone from the source (or no longer eligible there).
    pub(crate) by_source: bool,
    /// The admin already accepted; the scheduler has not run it yet.
    pub(crate) accepting: bool,
}

pub(crate) struct ConnectedView {
    client_id: String,
    base_url: String,
    connected_at: String,
    attrs: Vec<AttrRow>,
    last_run: Option<RunView>,
    next_sync: Option<String>,
    /// The badge: green only when the newest full run was applied.
    health: Health,
    /// A sync is queued or running: the page shows [`Self::live_message`] and updates
    /// itself (`assets/status.js`).
    live: bool,
    /// `queued` or `running` (`idle` when not [`Self::live`]).
    live_state: &'static str,
    live_message: String,
    /// Consecutive failures, the last error and the failed run (its page says why).
    failing: Option<(i64, String, Option<i64>)>,
    held: Option<HeldView>,
    /// People the admin kept by rejecting a review, with why they would go.
    kept: Vec<KeptView>,
    employees: usize,
}

#[derive(Template)]
#[template(path = "integration.html")]
pub(crate) struct IntegrationTemplate {
    page: Page,
    connected: Option<ConnectedView>,
    client_id: String,
    personio_url: String,
    /// `v1` or `v2`: the API version chosen in the form.
    api_version: String,
    error: Option<String>,
    /// The account's open incidents (what its admins were alerted about), oldest first,
    /// each linking to where it is fixed.
    incidents: Vec<IncidentView>,
}

/// How much the sync needs an attribute.
#[derive(Debug, Clone, Copy)]
enum Level {
    Mandatory,
    Recommended,
    Optional,
}

impl Level {
    /// The CSS class, and the level's words.
    fn class_and_label(self) -> (&'static str, Key) {
        match self {
            Level::Mandatory => ("mandatory", key!("int.attr_level.mandatory")),
            Level::Recommended => ("recommended", key!("int.attr_level.recommended")),
            Level::Optional => ("optional", key!("int.attr_level.optional")),
        }
    }
}

/// Attributes shown on the card: (key, level, label, note).
const ATTRIBUTES: &[(&str, Level, Key, Key)] = &[
    (
        "first_name",
        Level::Mandatory,
        key!("attr.first_name"),
        key!("int.attr_where"),
    ),
    (
        "last_name",
        Level::Mandatory,
        key!("attr.last_name"),
        key!("int.attr_where"),
    ),
    (
        "email",
        Level::Mandatory,
        key!("attr.email"),
        key!("int.attr_where"),
    ),
    (
        "department",
        Level::Mandatory,
        key!("attr.department"),
        key!("int.attr_where"),
    ),
    (
        "hire_date",
        Level::Recommended,
        key!("attr.hire_date"),
        key!("attrnote.hire_date"),
    ),
    (
        "termination_date",
        Level::Recommended,
        key!("attr.termination_date"),
        key!("attrnote.termination_date"),
    ),
    (
        "status",
        Level::Recommended,
        key!("attr.status"),
        key!("attrnote.status"),
    ),
    (
        "position",
        Level::Optional,
        key!("attr.position"),
        key!("attrnote.optional"),
    ),
    (
        "office",
        Level::Optional,
        key!("attr.office"),
        key!("attrnote.optional"),
    ),
    (
        "team",
        Level::Optional,
        key!("attr.team"),
        key!("attrnote.optional"),
    ),
    (
        "supervisor",
        Level::Optional,
        key!("attr.supervisor"),
        key!("attrnote.optional"),
    ),
    (
        "subcompany",
        Level::Optional,
        key!("attr.subcompany"),
        key!("attrnote.optional"),
    ),
    (
        "cost_centers",
        Level::Optional,
        key!("attr.cost_centers"),
        key!("attrnote.optional"),
    ),
];

fn attr_rows(readable: &[String], ctx: &Ctx) -> Vec<AttrRow> {
    ATTRIBUTES
        .iter()
        .map(|&(key, level, label, note)| {
            let (level, level_label) = level.class_and_label();
            AttrRow {
                label: ctx.t(label),
                key,
                level,
                level_label: ctx.t(level_label),
                readable: readable.iter().any(|r| r == key),
                note: ctx.t(note),
            }
        })
        .collect()
}

/// `GET /integration`.
pub(crate) async fn page(State(state): State<WebState>, ctx: Ctx) -> WebResult {
    if staffsync_engine::sources::of(&ctx.account).takes_files {
        return super::import::page(&state, &ctx).await;
    }
    if staffsync_engine::sources::of(&ctx.account).takes_scim {
        return super::scim::page(&state, &ctx).await;
    }
    render_integration(&state, &ctx, StatusCode::OK).await
}

/// The page.
async fn render_integration(state: &WebState, ctx: &Ctx, status: StatusCode) -> WebResult {
    let live = Live::load(state, &ctx.account, ctx.lang()).await?;
    let connected = connected_view(state, ctx, &live).await?;
    let incidents = live.incidents;
    render(
        status,
        &IntegrationTemplate {
            page: ctx.page("integration"),
            connected,
            client_id: String::new(),
            personio_url: DEFAULT_PERSONIO_URL.to_owned(),
            api_version: "v1".to_owned(),
            error: None,
            incidents,
        },
    )
}

/// The review of the account's held run, if one can still be accepted (older ones are
/// superseded), with the people it would remove as `directory` names them.
pub(crate) async fn held_view(
    state: &WebState,
    ctx: &Ctx,
    named: &Named<'_>,
    schedule: Option<&staffsync_store::Schedule>,
) -> Result<Option<HeldView>, super::WebError> {
    let store = &state.app.store;
    let account = &ctx.account;
    // The one held run that can still be accepted: older ones are superseded.
    let held_run = match store.latest_held_run(account.id).await? {
        Some(id) => store.run(account.id, id).await?,
        None => None,
    };
    Ok(match held_run.as_ref() {
        Some(run) => {
            let changes = store.run_changes(account.id, run.id).await?;
            let (mut by_rule, mut by_source) = (false, false);
            let mut people: Vec<PersonView> = changes
                .iter()
                .filter(|c| c.action == "remove")
                .map(|c| {
                    // Runs held before removals carried their reason show none.
                    let reason = c
                        .detail
                        .clone()
                        .and_then(|d| serde_json::from_value::<RemovalReason>(d).ok());
                    match &reason {
                        Some(RemovalReason::Excluded { .. }) => by_rule = true,
                        _ => by_source = true,
                    }
                    PersonView {
                        note: reason
                            .map(|r| view::removal_reason(&r, &named.names, ctx.source()))
                            .unwrap_or_default(),
                        ..named.person(c.key)
                    }
                })
                .collect();
            // People the run would keep under a new id wait for the review too (issue 24):
            // each by their entry (still under the old id) and both ids.
            people.extend(changes.iter().filter_map(|c| {
                let from = c.detail.as_ref()?["rekeyed_from"].as_i64().map(PersonKey)?;
                let mut p = named.person(from);
                p.shown_id = format!("{from} → {}", c.key);
                p.note = ctx.t(key!("hist.rekeyed")).to_owned();
                Some(p)
            }));
            Some(HeldView {
                by_rule,
                by_source,
                run_id: run.id.0,
                summary: held_summary(ctx, run.held),
                people,
                accepting: schedule.is_some_and(|s| s.accept_run == Some(run.id)),
            })
        }
        None => None,
    })
}

async fn connected_view(
    state: &WebState,
    ctx: &Ctx,
    live: &Live,
) -> Result<Option<ConnectedView>, super::WebError> {
    let store = &state.app.store;
    let account = &ctx.account;
    let Some(conn) = store.connection(account.id).await? else {
        return Ok(None);
    };
    let tz = &account.time_zone;
    let lang = ctx.lang();
    let last = store.latest_run(account.id, RunKind::Full).await?;
    let schedule = store.schedule(account.id).await?;
    let directory = store.directory(account.id).await?;
    let named = Named::of(&directory, ctx);
    let held = held_view(state, ctx, &named, schedule.as_ref()).await?;
    let kept = kept_views(store.kept_people(account.id).await?, &named, ctx);
    let last_run = last
        .as_ref()
        .map(|r| RunView::of(r, tz, lang, ctx.source()));
    // Why it fails is the failed run's failure, in the page's language.
    let failing = schedule.as_ref().and_then(|s| {
        (s.consecutive_failures >= i64::from(state.app.config.failing_after)).then(|| {
            let why = last_run
                .as_ref()
                .filter(|r| r.status == "failed")
                .and_then(|r| r.error.clone());
            (
                s.consecutive_failures,
                why.unwrap_or_default(),
                live.health.run_id,
            )
        })
    });
    Ok(Some(ConnectedView {
        client_id: conn.client_id.clone(),
        base_url: shown_url(&conn.base_url),
        connected_at: view::when(conn.connected_at, tz, lang),
        attrs: attr_rows(&conn.readable_attributes, ctx),
        last_run,
        next_sync: schedule
            .as_ref()
            .map(|s| view::when(s.next_run_at, tz, lang)),
        health: live.health.clone(),
        live: live.activity.active(),
        live_state: live.activity.state(),
        live_message: live.message.clone().unwrap_or_default(),
        failing,
        held,
        kept,
        employees: directory.len(),
    }))
}

/// "17 von 55 Personen im Verzeichnis würden entfernt."
/// Why the guard held a run: how many would be removed, how many would get a new id
/// (re-keyed: the same people), or both.
fn held_summary(ctx: &Ctx, hold: Option<staffsync_core::Hold>) -> String {
    let hold = hold.unwrap_or_default();
    let say = |n: usize, one: Key, many: Key| {
        super::i18n::count_text(ctx.lang(), n, one, many)
            .replace("{n}", &n.to_string())
            .replace("{total}", &hold.directory_size.to_string())
    };
    let removing = say(
        hold.removing,
        key!("held.would_remove.one"),
        key!("held.would_remove"),
    );
    let rekeying = say(
        hold.rekeying,
        key!("held.new_ids.one"),
        key!("held.new_ids"),
    );
    match (hold.removing, hold.rekeying) {
        (_, 0) => removing,
        (0, _) => rekeying,
        _ => format!("{removing} {rekeying}"),
    }
}

/// A plan as the preview pages list it: who is created, updated, removed, skipped (with
/// their names from the plan or the directory), the guard's verdict and the warnings.
pub(crate) struct PlanLists {
    pub creates: Vec<PersonView>,
    pub updates: Vec<PersonView>,
    pub removals: Vec<PersonView>,
    pub skips: Vec<PersonView>,
    /// Kept people the plan does not remove ("behalten").
    pub kept: Vec<PersonView>,
    pub unchanged: usize,
    pub held: Option<String>,
    pub warnings: Vec<String>,
}

impl PlanLists {
    pub(crate) fn of(plan: &Plan, directory: &[DirectoryEmployee], ctx: &Ctx) -> PlanLists {
        // Managers by their name after the plan: a new hire's team is named too.
        let mut names = Names::new(
            ctx.lang(),
            people_of(directory),
            ctx.account.policy.settings.scope.clone(),
        );
        names.add_people(people_of(&plan.creates));
        names.add_people(
            plan.updates
                .iter()
                .map(|u| (u.after.key, view::full_name(&u.after))),
        );
        let by_id: HashMap<PersonKey, &DirectoryEmployee> =
            directory.iter().map(|e| (e.key, e)).collect();
        PlanLists {
            creates: plan
                .creates
                .iter()
                .map(|e| PersonView {
                    note: names.groups_text(&e.groups),
                    ..person(e.key, Some(e))
                })
                .collect(),
            updates: plan
                .updates
                .iter()
                .map(|u| PersonView {
                    changes: u
                        .changes
                        .iter()
                        .map(|c| ChangeView::of(c, &names))
                        .collect(),
                    ..person(u.after.key, Some(&u.after))
                })
                .collect(),
            removals: plan
                .removals
                .iter()
                .map(|r| PersonView {
                    note: view::removal_reason(&r.reason, &names, ctx.source()),
                    ..person(r.key, by_id.get(&r.key).copied())
                })
                .collect(),
            skips: plan
                .skips
                .iter()
                .map(|s| PersonView {
                    note: view::skip_reason(&s.reason, &names, ctx.source()),
                    ..match s.key {
                        Some(id) => person(id, by_id.get(&id).copied()),
                        None => PersonView::default(),
                    }
                })
                .collect(),
            kept: plan
                .kept
                .iter()
                .map(|r| PersonView {
                    note: view::removal_reason(&r.reason, &names, ctx.source()),
                    ..person(r.key, by_id.get(&r.key).copied())
                })
                .collect(),
            unchanged: plan.unchanged,
            held: plan.held.map(|h| held_summary(ctx, Some(h))),
            warnings: plan
                .warnings
                .iter()
                .map(|w| view::warning_text(w, ctx.lang(), ctx.source()))
                .collect(),
        }
    }
}

fn person(id: PersonKey, e: Option<&DirectoryEmployee>) -> PersonView {
    match e {
        Some(e) => PersonView {
            personio_id: id.0,
            shown_id: id.to_string(),
            name: view::full_name(e),
            email: e.email.clone(),
            department: e.department.clone().unwrap_or_default(),
            ..PersonView::default()
        },
        None => PersonView {
            personio_id: id.0,
            shown_id: id.to_string(),
            ..PersonView::default()
        },
    }
}

#[derive(Deserialize)]
pub(crate) struct ConnectForm {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    personio_url: String,
    #[serde(default)]
    api_version: String,
}

/// `POST /integration/connect`: check the credential with Personio and store it.
pub(crate) async fn connect(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<ConnectForm>,
) -> WebResult {
    let client_id = form.client_id.trim().to_owned();
    let url = match form.personio_url.trim() {
        "" => DEFAULT_PERSONIO_URL.to_owned(),
        u => u.to_owned(),
    };
    let error = if client_id.is_empty() || form.client_secret.trim().is_empty() {
        Some(ctx.t(key!("connect.error.missing")).to_owned())
    } else {
        let secret = SecretString::from(form.client_secret.trim().to_owned());
        let options = connect::ConnectOptions {
            api_version: form.api_version.parse().unwrap_or_default(),
            public_base_url: state.app.config.public_base_url.clone(),
            unlimited_rate: !state.app.config.personio_rate_limit,
            ip_budget: state.app.ip_budget(),
            allowed_urls: Some(state.app.config.allowed_personio_urls.clone()),
            answer_timeout: Some(state.app.config.personio_answer_timeout),
        };
        match connect::connect_with(
            &state.app.store,
            ctx.account.id,
            Some(&ctx.account.slug),
            &url,
            &client_id,
            secret,
            &options,
        )
        .await
        {
            Ok(_) => {
                tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, "connected to Personio from the web app");
                // A reconnect keeps an existing schedule: make it due now as well.
                let _ = state.app.store.request_sync(ctx.account.id, None).await;
                ctx.flash("ok", ctx.t(key!("connect.ok"))).await;
                return Ok(Redirect::to("/integration").into_response());
            }
            Err(e) => {
                // The detail (what the server answered) is for the operator's log only.
                let shown = staffsync_engine::outbound::without_credentials(&url);
                tracing::warn!(account = %ctx.account.slug, url = %shown, error = %e, "connecting to Personio from the web app failed");
                Some(connect_error(&e, &shown, &ctx))
            }
        }
    };
    let incidents = Live::load(&state, &ctx.account, ctx.lang())
        .await?
        .incidents;
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &IntegrationTemplate {
            page: ctx.page("integration"),
            connected: None,
            client_id,
            personio_url: url,
            api_version: form.api_version,
            error,
            incidents,
        },
    )
}

/// A connect failure in plain words, with where to fix it: a fixed text per kind of
/// failure. Never the remote server's answer (its body, message or status text): the URL
/// may point at a server that is not Personio, and the page must not become a window
/// onto it. The log has the detail.
fn connect_error(e: &ConnectError, url: &str, ctx: &Ctx) -> String {
    use personio::Error as P;
    let with_url = |key: Key| ctx.t(key).replace("{url}", url);
    match e {
        ConnectError::BadUrl(_) => ctx.t(key!("connect.error.url")).to_owned(),
        ConnectError::NotAllowed(_) => with_url(key!("connect.error.not_allowed")),
        ConnectError::TimedOut { .. } => ctx.t(key!("connect.error.timeout")).to_owned(),
        ConnectError::FileAccount(_) => ctx.t(key!("connect.error.file_account")).to_owned(),
        ConnectError::ScimAccount(_) => ctx.t(key!("connect.error.scim_account")).to_owned(),
        ConnectError::Personio(P::WrongCredentials) => {
            ctx.t(key!("connect.error.wrong")).to_owned()
        }
        ConnectError::Personio(P::AttributeNotReadable { attribute }) => {
            let label = lookup(ctx.lang(), &format!("attr.{attribute}")).unwrap_or(attribute);
            ctx.t(key!("connect.error.attribute"))
                .replace("{attr}", label)
        }
        ConnectError::Personio(P::Unavailable { status: None, .. }) => {
            with_url(key!("connect.error.unreachable"))
        }
        ConnectError::Personio(P::Unavailable { .. } | P::RateLimited { .. }) => {
            ctx.t(key!("connect.error.unavailable")).to_owned()
        }
        ConnectError::Personio(P::Config(_)) | ConnectError::Store(_) => {
            ctx.t(key!("connect.error.other")).to_owned()
        }
        // Redirects, other error answers, bodies that are not Personio's.
        ConnectError::Personio(_) => with_url(key!("connect.error.not_personio")),
    }
}

/// `POST /integration/sync`: ask the scheduler for a sync now.
pub(crate) async fn sync_now(State(state): State<WebState>, ctx: Ctx) -> WebResult {
    if !staffsync_engine::sources::of(&ctx.account).connects {
        ctx.flash("error", ctx.t(key!("connect.error.file_account")))
            .await;
        return Ok(Redirect::to("/integration").into_response());
    }
    state.app.store.request_sync(ctx.account.id, None).await?;
    ctx.flash("ok", ctx.t(key!("int.sync_requested"))).await;
    Ok(Redirect::to("/integration").into_response())
}

#[derive(Template)]
#[template(path = "preview.html")]
pub(crate) struct PreviewTemplate {
    page: Page,
    creates: Vec<PersonView>,
    updates: Vec<PersonView>,
    removals: Vec<PersonView>,
    skips: Vec<PersonView>,
    kept: Vec<PersonView>,
    unchanged: usize,
    held: Option<String>,
    past: bool,
    warnings: Vec<String>,
    error: Option<String>,
}

/// `POST /integration/preview`: a dry run, rendered at once.
pub(crate) async fn preview(State(state): State<WebState>, ctx: Ctx) -> WebResult {
    let store = &state.app.store;
    let options = SyncOptions {
        dry_run: true,
        unlimited_rate: !state.app.config.personio_rate_limit,
        ip_budget: state.app.ip_budget(),
        today: Some(state.app.today_in(&ctx.account.time_zone)),
        ..SyncOptions::default()
    };
    let mut template = PreviewTemplate {
        page: ctx.page("integration"),
        creates: Vec::new(),
        updates: Vec::new(),
        removals: Vec::new(),
        skips: Vec::new(),
        kept: Vec::new(),
        unchanged: 0,
        held: None,
        past: false,
        warnings: Vec::new(),
        error: None,
    };
    let holder = format!("{}:preview", state.app.config.instance_id);
    let outcome = dry_run::bounded(
        store,
        &ctx.account,
        options,
        &holder,
        state.app.config.lease,
        state.app.config.personio_answer_timeout,
    )
    .await;
    let report = match outcome {
        Ok(report) => report,
        Err(DryRunError::Busy) => {
            ctx.flash("error", ctx.t(key!("int.preview_busy"))).await;
            return Ok(Redirect::to("/integration").into_response());
        }
        Err(DryRunError::Lease(LeaseError::Store(e)) | DryRunError::Sync(SyncError::Store(e))) => {
            return Err(e.into());
        }
        Err(e) => {
            template.error = Some(dry_run_failure(&e, &ctx));
            return render(StatusCode::OK, &template);
        }
    };
    let directory = store.directory(ctx.account.id).await?;
    let lists = PlanLists::of(&report.plan, &directory, &ctx);
    template.creates = lists.creates;
    template.updates = lists.updates;
    template.removals = lists.removals;
    template.skips = lists.skips;
    template.kept = lists.kept;
    template.unchanged = lists.unchanged;
    template.held = lists.held;
    template.warnings = lists.warnings;
    render(StatusCode::OK, &template)
}

/// Why a preview (a dry run) failed, in the page's language: never the remote server's
/// text.
pub(crate) fn dry_run_failure(e: &DryRunError, ctx: &Ctx) -> String {
    match e.failure() {
        Some(failure) => super::failures::failure_text(ctx.lang(), &failure, ctx.source()),
        None => ctx.t(key!("int.preview_busy")).to_owned(),
    }
}

/// `POST /integration/held/{run}/accept`: the next sync may remove exactly the people
/// this held run showed (or fewer); anyone more is held again for a new review. A run
/// that a newer one superseded can no longer be accepted.
pub(crate) async fn accept_held(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(run): Path<i64>,
) -> WebResult {
    let store = &state.app.store;
    match store.run(ctx.account.id, RunId(run)).await? {
        Some(r) if r.status == RunStatus::Held && ctx.source().takes_scim => {
            super::history::record_decision(&state, &ctx, RunId(run)).await?;
            // What was pushed is in the store: the run is made now, not by the
            // scheduler (which runs connected accounts).
            let out = staffsync_engine::sources::scim::reconcile(
                &state.app,
                ctx.account.id,
                Some(RunId(run)),
            )
            .await;
            tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, run, outcome = ?out.as_ref().map(|_| ()), "admin accepted a held SCIM run");
            match out {
                Ok(staffsync_engine::realtime::Leased::Ran(_)) => {
                    ctx.flash("ok", ctx.t(key!("held.accepted"))).await
                }
                _ => ctx.flash("error", ctx.t(key!("int.preview_busy"))).await,
            }
            Ok(Redirect::to("/integration").into_response())
        }
        Some(r) if r.status == RunStatus::Held => {
            store.request_sync(ctx.account.id, Some(RunId(run))).await?;
            super::history::record_decision(&state, &ctx, RunId(run)).await?;
            tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, run, "admin accepted a held run");
            ctx.flash("ok", ctx.t(key!("held.accepted"))).await;
            Ok(Redirect::to("/integration").into_response())
        }
        Some(r) if r.status == RunStatus::Superseded => {
            ctx.flash("error", ctx.t(key!("held.superseded"))).await;
            Ok(Redirect::to("/integration").into_response())
        }
        _ => Ok(not_found(ctx.page("integration"))),
    }
}

/// `POST /integration/held/{run}/reject`: nobody is removed; the run is marked rejected,
/// the people it listed are kept (later runs neither remove nor hold them for the same
/// reason, see `Store::reject_and_keep`), and the incident of the held run is resolved:
/// the admin has answered it.
pub(crate) async fn reject_held(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(run): Path<i64>,
) -> WebResult {
    super::history::record_decision(&state, &ctx, RunId(run)).await?;
    let by = format!("admin:{}", ctx.admin.email);
    let kept = state
        .app
        .store
        .reject_and_keep(ctx.account.id, RunId(run), &by)
        .await?;
    let Some(kept) = kept else {
        return Ok(not_found(ctx.page("integration")));
    };
    staffsync_engine::alerts::apply(
        &state.app,
        ctx.account.id,
        vec![staffsync_engine::alerts::Action::Resolve(
            staffsync_store::IncidentKind::HeldRun,
        )],
    )
    .await;
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, run, kept, "admin rejected a held run; its people are kept");
    ctx.flash("ok", ctx.t(key!("held.rejected"))).await;
    Ok(Redirect::to("/integration#kept").into_response())
}

/// `POST /integration/kept/{id}/remove` ("Jetzt entfernen"): the next sync removes this
/// kept person, as reviewed by this click (and nobody beyond: anyone else it would
/// remove goes through the guard as always). A sync is queued.
pub(crate) async fn remove_kept(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult {
    let store = &state.app.store;
    let released = store
        .release_kept(ctx.account.id, &[PersonKey(id)].into())
        .await?;
    if released == 0 {
        return Ok(not_found(ctx.page("integration")));
    }
    // A connected source syncs now, a SCIM account runs what was pushed now; a file
    // account's next import removes them.
    let kind = staffsync_engine::sources::of(&ctx.account);
    let runs_now = kind.connects || kind.takes_scim;
    if kind.connects {
        let _ = store.request_sync(ctx.account.id, None).await;
    } else if kind.takes_scim {
        let out =
            staffsync_engine::sources::scim::reconcile(&state.app, ctx.account.id, None).await;
        tracing::info!(account = %ctx.account.slug, outcome = ?out.as_ref().map(|_| ()), "SCIM run after a kept person was released");
    }
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, person = id, "admin released a kept person for removal");
    let said = if runs_now {
        key!("kept.released")
    } else {
        key!("kept.released_next_file")
    };
    ctx.flash("ok", ctx.t(said)).await;
    Ok(Redirect::to("/integration#kept").into_response())
}

/// `POST /integration/disconnect`: forget the credential and the schedule; keep the
/// directory.
pub(crate) async fn disconnect(State(state): State<WebState>, ctx: Ctx) -> WebResult {
    connect::disconnect(
        &state.app.store,
        ctx.account.id,
        !state.app.config.personio_rate_limit,
        state.app.ip_budget().as_ref(),
    )
    .await?;
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, "disconnected from Personio");
    ctx.flash("ok", ctx.t(key!("int.disconnected"))).await;
    Ok(Redirect::to("/integration").into_response())
}

pub(crate) fn not_found(page: Page) -> axum::response::Response {
    message(
        StatusCode::NOT_FOUND,
        page,
        key!("notfound.title"),
        key!("notfound.text"),
    )
}

/// The stored Personio URL as the admin typed it: a bare origin is stored parsed, with
/// the `/` path the URL standard gives it, which the page has never shown.
fn shown_url(url: &url::Url) -> String {
    let text = url.as_str();
    match text.strip_suffix('/') {
        Some(origin) if url.path() == "/" && url.query().is_none() && url.fragment().is_none() => {
            origin.to_owned()
        }
        _ => text.to_owned(),
    }
}
