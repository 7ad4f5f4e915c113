//! `/history` (the account's audit trail: every run with its time, kind, result, counts,
//! error and the decision on it; previews under their own filter, `?show=previews`;
//! settings versions with who and when) and `/history/{run}` (the run's per-employee
//! changes). It only reads: what a decision does belongs to the Integration page.
//!
//! Details of removed people are erased by the store; such rows show only the Personio
//! id, and a removal its reason and department. Everyone still in the directory is
//! shown by their current name (a held run's or a preview's people are all there). A skip's stored detail is only its reason: a skipped person's name is shown from
//! the directory when they are in it (a duplicate e-mail, a malformed record kept as it
//! was). People never imported (not started, inactive) have no name staffsync keeps, on
//! purpose: storing it per run would keep leavers' names that erasure removed.

use super::integration::not_found;
use super::names::Names;
use super::removals_csv::RemovalRow;
use super::settings_diff::{self, FieldDiff};
use super::view::{self, ChangeView, PersonView, RunView};
use super::{Ctx, Page, WebResult, WebState, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use staffsync_core::{FieldChange, GroupKey, PersonKey, RemovalReason, SkipReason};
use staffsync_engine::PersonRefs;
use staffsync_store::{RunId, RunKind, RunStatus, RunSummary};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "history.html")]
pub(crate) struct HistoryTemplate {
    page: Page,
    entries: Vec<Entry>,
    /// Showing the previews (`?show=previews`) instead of the runs.
    previews: bool,
    settings: Vec<SettingsChange>,
}

/// One entry of the history: a run, with the decision on it. A held run whose removals
/// an admin accepted is one entry, the run that applied them, naming who accepted and
/// linking to the list they reviewed (the held run's page).
pub(crate) struct Entry {
    run: RunView,
    /// "Entfernungen angenommen von anna@acme.de am …", "Abgelehnt von …".
    decision: Option<String>,
    /// The reviewed held run, when this entry applied its acceptance.
    reviewed: Option<i64>,
}

/// Records that the session's admin decided on held run `run` (before what the decision
/// does), for the history's "angenommen von …" / "abgelehnt von …".
pub(crate) async fn record_decision(
    state: &WebState,
    ctx: &Ctx,
    run: RunId,
) -> Result<(), staffsync_store::StoreError> {
    let by = format!("admin:{}", ctx.admin.email);
    state
        .app
        .store
        .record_decision(ctx.account.id, run, &by)
        .await?;
    Ok(())
}

/// Who did something, as a stored actor (`admin:<e-mail>`, `cli`, `api`) says it: an
/// admin by their e-mail, the command line and API tokens in words.
pub(crate) fn who(by: &str, ctx: &Ctx) -> String {
    match by.split_once(':') {
        _ if by == "cli" => ctx.t(key!("hist.who_cli")).to_owned(),
        _ if by == "api" => ctx.t(key!("hist.who_api")).to_owned(),
        Some(("admin", email)) => email.to_owned(),
        Some(("api", label)) => format!("{} „{label}“", ctx.t(key!("hist.who_api"))),
        _ => by.to_owned(),
    }
}

/// `runs` (newest first) as entries: previews only, or everything but previews. An
/// accepted held run is folded into the full run that applied it (the next applied full
/// run: any other would have superseded it, so it could not have been accepted).
fn entries(runs: &[RunSummary], previews: bool, ctx: &Ctx) -> Vec<Entry> {
    let tz = &ctx.account.time_zone;
    let say = |key, d: &staffsync_store::Decision| {
        ctx.t(key)
            .replace("{who}", &who(&d.by, ctx))
            .replace("{when}", &view::when(d.at, tz, ctx.lang()))
    };
    let mut folded: HashMap<RunId, &RunSummary> = HashMap::new();
    for (i, r) in runs.iter().enumerate() {
        if r.status != RunStatus::Accepted {
            continue;
        }
        let applying = runs[..i]
            .iter()
            .rev()
            .find(|n| n.kind == RunKind::Full && n.status == RunStatus::Applied);
        if let Some(applying) = applying {
            folded.insert(applying.id, r);
        }
    }
    let folded_held: Vec<RunId> = folded.values().map(|h| h.id).collect();
    runs.iter()
        .filter(|r| (r.kind == RunKind::DryRun) == previews)
        .filter(|r| !folded_held.contains(&r.id))
        .map(|r| {
            let held = folded.get(&r.id);
            let decision = match (held, r.status) {
                (Some(h), _) => h
                    .decision
                    .as_ref()
                    .map(|d| say(key!("hist.accepted_by"), d)),
                (None, RunStatus::Rejected) => r
                    .decision
                    .as_ref()
                    .map(|d| say(key!("hist.rejected_by"), d)),
                (None, _) => r
                    .decision
                    .as_ref()
                    .map(|d| say(key!("hist.accepted_by"), d)),
            };
            Entry {
                run: RunView::of(r, tz, ctx.lang(), ctx.source()),
                decision,
                reviewed: held.map(|h| h.id.0),
            }
        })
        .collect()
}

/// One saved version of the settings: when, by whom, what changed field by field.
pub(crate) struct SettingsChange {
    version: i64,
    when: String,
    by: String,
    changes: Vec<FieldDiff>,
    /// An older version, which the admin may restore (through the settings form).
    restorable: bool,
}

/// Most settings versions the history shows (and the settings page can restore).
pub(crate) const SETTINGS_SHOWN: i64 = 50;

/// Each version (newest first) with what differs from the one before it (the defaults
/// before the first).
fn settings_changes(
    versions: &[staffsync_store::SettingsVersion],
    tz: &staffsync_core::TimeZoneName,
    ctx: &Ctx,
) -> Vec<SettingsChange> {
    let default = staffsync_core::Settings::default();
    let current = &ctx.account.policy.settings;
    versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let before = versions
                .get(i + 1)
                .map_or(&default, |older| &older.settings);
            SettingsChange {
                version: v.version,
                when: view::when(v.changed_at, tz, ctx.lang()),
                by: who(&v.changed_by, ctx),
                changes: settings_diff::diff(before, &v.settings, ctx.lang()),
                restorable: v.settings != *current,
            }
        })
        .collect()
}

/// Which runs the history lists.
#[derive(Deserialize, Default)]
pub(crate) struct Show {
    /// `previews`: the previews (dry runs) only; otherwise everything else.
    #[serde(default)]
    show: Option<String>,
}

/// `GET /history` (`?show=previews`: the previews).
pub(crate) async fn list(
    State(state): State<WebState>,
    ctx: Ctx,
    Query(show): Query<Show>,
) -> WebResult {
    let runs = state.app.store.runs(ctx.account.id).await?;
    let versions = state
        .app
        .store
        .settings_history(ctx.account.id, SETTINGS_SHOWN)
        .await?;
    let previews = show.show.as_deref() == Some("previews");
    render(
        StatusCode::OK,
        &HistoryTemplate {
            entries: entries(&runs, previews, &ctx),
            previews,
            settings: settings_changes(&versions, &ctx.account.time_zone, &ctx),
            page: ctx.page("history"),
        },
    )
}

/// The id the admin knows `id` by ([`PersonRefs`]: a Personio id, a file's ImportId, a
/// SCIM id; empty for an erased file person, whose ImportId is gone with them).
fn shown_id(refs: &PersonRefs, id: PersonKey) -> String {
    refs.source_ref(id)
        .map(|r| r.to_string())
        .unwrap_or_default()
}

/// What a removal recorded, for the pages: the reason in words, the department and a
/// file account's ImportId (never a name: the row outlives the person's erasure); empty
/// for removals recorded before they kept these.
#[derive(Default)]
struct Recorded {
    reason: String,
    department: String,
    import_id: Option<String>,
}

fn removal_of(detail: Option<&serde_json::Value>, names: &Names, ctx: &Ctx) -> Recorded {
    let Some(d) = detail else {
        return Recorded::default();
    };
    let text = |field: &str| d.get(field).and_then(|v| v.as_str()).map(str::to_owned);
    Recorded {
        reason: serde_json::from_value::<RemovalReason>(d.clone())
            .map(|r| view::removal_reason(&r, names, ctx.source()))
            .unwrap_or_default(),
        department: text("department").unwrap_or_default(),
        import_id: text("import_id"),
    }
}

/// The id a removed person is shown by: as the account knows them now, else the
/// ImportId their removal recorded (a file account forgets it with the person).
fn removed_id(refs: &PersonRefs, id: PersonKey, r: &Recorded) -> String {
    match (shown_id(refs, id), &r.import_id) {
        (now, Some(recorded)) if now.is_empty() => recorded.clone(),
        (now, _) => now,
    }
}

/// Who run `run` removes (or, held, would remove): name and e-mail while the directory
/// holds them, the id the admin knows them by, department and reason. The download's
/// rows ([`super::removals_csv`]).
pub(crate) async fn removal_rows(
    state: &WebState,
    ctx: &Ctx,
    run: RunId,
) -> Result<Vec<RemovalRow>, staffsync_store::StoreError> {
    let store = &state.app.store;
    let directory = store.directory(ctx.account.id).await?;
    let names = Names::new(
        ctx.lang(),
        super::names::people_of(&directory),
        ctx.account.policy.settings.scope.clone(),
    );
    let by_id: HashMap<PersonKey, &staffsync_core::DirectoryEmployee> =
        directory.iter().map(|e| (e.key, e)).collect();
    let refs = PersonRefs::of(&state.app.store, &ctx.account).await?;
    Ok(store
        .run_changes(ctx.account.id, run)
        .await?
        .iter()
        .filter(|c| c.action == "remove")
        .map(|c| {
            let recorded = removal_of(c.detail.as_ref(), &names, ctx);
            let now = by_id.get(&c.key);
            RemovalRow {
                name: now.map(|e| view::full_name(e)).unwrap_or_default(),
                email: now.map(|e| e.email.clone()).unwrap_or_default(),
                shown_id: removed_id(&refs, c.key, &recorded),
                department: match now.and_then(|e| e.department.clone()) {
                    Some(d) if recorded.department.is_empty() => d,
                    _ => recorded.department,
                },
                reason: recorded.reason,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "run.html")]
pub(crate) struct RunTemplate {
    page: Page,
    run: RunView,
    creates: Vec<PersonView>,
    updates: Vec<PersonView>,
    removals: Vec<PersonView>,
    skips: Vec<PersonView>,
    /// Kept people this run did not remove ("behalten").
    kept: Vec<PersonView>,
    past: bool,
    /// While this run runs: what it is doing (the page then updates itself).
    live: Option<String>,
}

/// The stored detail of a create or an update.
#[derive(Deserialize, Default)]
struct Detail {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    groups: Vec<GroupKey>,
    #[serde(default)]
    changes: Vec<FieldChange>,
    /// The person's key before a re-key (a rehire, regenerated ImportIds): the same
    /// person under a new source id.
    #[serde(default)]
    rekeyed_from: Option<i64>,
}

/// `GET /history/{run}`.
pub(crate) async fn detail(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(run): Path<i64>,
) -> WebResult {
    let store = &state.app.store;
    let lang = ctx.lang();
    let Some(summary) = store.run(ctx.account.id, RunId(run)).await? else {
        return Ok(not_found(ctx.page("history")));
    };
    let mut t = RunTemplate {
        run: RunView::of(&summary, &ctx.account.time_zone, lang, ctx.source()),
        page: ctx.page("history"),
        creates: Vec::new(),
        updates: Vec::new(),
        removals: Vec::new(),
        skips: Vec::new(),
        kept: Vec::new(),
        past: true,
        live: None,
    };
    if summary.status == staffsync_store::RunStatus::Running {
        let live = super::status::Live::load(&state, &ctx.account, lang).await?;
        // Only the run the status reports as in progress: the script reloads the page
        // as soon as the status names another (or none), so a run left `running` by a
        // worker that died must not ask for that.
        if live.current.as_ref().is_some_and(|r| r.id == summary.id) {
            t.live = live.message;
        }
    }
    let refs = PersonRefs::of(&state.app.store, &ctx.account).await?;
    // Managers and supervisors by their name now; the skipped by theirs when the
    // directory still holds them.
    let names = Names::new(
        lang,
        store.employee_names(ctx.account.id).await?,
        ctx.account.policy.settings.scope.clone(),
    );
    for change in store.run_changes(ctx.account.id, RunId(run)).await? {
        let mut p = PersonView {
            personio_id: change.key.0,
            shown_id: shown_id(&refs, change.key),
            ..PersonView::default()
        };
        match change.action.as_str() {
            "skip" => {
                if let Some(reason) = change
                    .detail
                    .and_then(|d| serde_json::from_value::<SkipReason>(d).ok())
                {
                    p.note = view::skip_reason(&reason, &names, ctx.source());
                }
                t.skips.push(p);
            }
            "remove" => {
                let recorded = removal_of(change.detail.as_ref(), &names, &ctx);
                p.shown_id = removed_id(&refs, change.key, &recorded);
                (p.note, p.department) = (recorded.reason, recorded.department);
                t.removals.push(p);
            }
            "keep" => {
                if let Some(reason) = change
                    .detail
                    .and_then(|d| serde_json::from_value::<RemovalReason>(d).ok())
                {
                    p.note = view::removal_reason(&reason, &names, ctx.source());
                }
                t.kept.push(p);
            }
            action => {
                let d: Detail = change
                    .detail
                    .and_then(|d| serde_json::from_value(d).ok())
                    .unwrap_or_default();
                p.name = d.name;
                p.email = d.email;
                p.note = names.groups_text(&d.groups);
                p.changes = d
                    .changes
                    .iter()
                    .map(|c| ChangeView::of(c, &names))
                    .collect();
                if let Some(from) = d.rekeyed_from {
                    // The same person under a new id: the old one, where it can still be
                    // shown (a file's old ImportId is forgotten with its key).
                    let before = refs.personio_id(PersonKey(from)).map_or_else(
                        || ctx.t(key!("common.none")).to_owned(),
                        |id| id.to_string(),
                    );
                    p.changes.insert(
                        0,
                        ChangeView {
                            field: ctx.t(key!("hist.rekeyed")).to_owned(),
                            before,
                            after: p.shown_id.clone(),
                        },
                    );
                }
                if action == "create" {
                    t.creates.push(p);
                } else {
                    t.updates.push(p);
                }
            }
        }
    }
    // Whoever is still in the directory is named by their name now: the skipped, the
    // people a held run or a preview would remove, and rows whose stored details an
    // earlier release cleared. Only the erased stay "(gelöscht)".
    for p in t
        .skips
        .iter_mut()
        .chain(t.removals.iter_mut())
        .chain(t.updates.iter_mut())
        .chain(t.creates.iter_mut())
        .chain(t.kept.iter_mut())
        .filter(|p| p.name.is_empty())
    {
        if let Some(name) = names.person(PersonKey(p.personio_id)) {
            p.name = name.to_owned();
        }
    }
    render(StatusCode::OK, &t)
}
