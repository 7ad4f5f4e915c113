//! `/history` (every run of the account: time, kind, result, counts, error) and
//! `/history/{run}` (the run's per-employee changes).
//!
//! Details of removed people are erased by the store; such rows show only the Personio
//! id. A skip's stored detail is only its reason: a skipped person's name is shown from
//! the directory when they are in it (a duplicate e-mail, a malformed record kept as it
//! was). People never imported (not started, inactive) have no name staffsync keeps, on
//! purpose: storing it per run would keep leavers' names that erasure removed.

use super::integration::not_found;
use super::names::Names;
use super::view::{self, ChangeView, PersonView, RunView};
use super::{Ctx, Page, WebResult, WebState, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use staffsync_core::{FieldChange, GroupKey, PersonioId, RemovalReason, SkipReason};
use staffsync_store::RunId;

#[derive(Template)]
#[template(path = "history.html")]
pub(crate) struct HistoryTemplate {
    page: Page,
    runs: Vec<RunView>,
    settings: Vec<SettingsChange>,
}

/// One saved version of the settings: when, by whom, which parts changed.
pub(crate) struct SettingsChange {
    version: i64,
    when: String,
    by: String,
    changed: String,
}

/// Most settings versions the history shows.
const SETTINGS_SHOWN: i64 = 50;

/// Each version (newest first) with the parts that differ from the one before it (the
/// defaults before the first).
fn settings_changes(
    versions: &[staffsync_store::SettingsVersion],
    tz: &staffsync_core::TimeZoneName,
    ctx: &Ctx,
) -> Vec<SettingsChange> {
    let default = staffsync_core::Settings::default();
    versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let before = versions
                .get(i + 1)
                .map_or(&default, |older| &older.settings);
            let now = &v.settings;
            let parts = [
                (now.scope != before.scope, key!("set.scope")),
                (now.groups != before.groups, key!("set.groups")),
                (
                    now.keep_on_leave != before.keep_on_leave,
                    key!("set.keep_on_leave"),
                ),
                (
                    now.deletion_guard != before.deletion_guard,
                    key!("set.guard"),
                ),
                (now.notify != before.notify, key!("set.notify")),
            ];
            SettingsChange {
                version: v.version,
                when: view::when(v.changed_at, tz, ctx.lang()),
                by: v.changed_by.clone(),
                changed: parts
                    .iter()
                    .filter(|(changed, _)| *changed)
                    .map(|(_, key)| ctx.t(*key))
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect()
}

/// `GET /history`.
pub(crate) async fn list(State(state): State<WebState>, ctx: Ctx) -> WebResult {
    let runs = state.app.store.runs(ctx.account.id).await?;
    let versions = state
        .app
        .store
        .settings_history(ctx.account.id, SETTINGS_SHOWN)
        .await?;
    let tz = ctx.account.time_zone.clone();
    render(
        StatusCode::OK,
        &HistoryTemplate {
            runs: runs
                .iter()
                .map(|r| RunView::of(r, &tz, ctx.lang(), ctx.source()))
                .collect(),
            settings: settings_changes(&versions, &tz, &ctx),
            page: ctx.page("history"),
        },
    )
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
    id_label: super::i18n::Key,
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
        id_label: key!("field.personio_id"),
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
    // A file account's people are known by their ImportId (an erased person's is gone).
    let import_ids = if staffsync_engine::sources::of(&ctx.account).names_people_by_import_id() {
        t.id_label = key!("field.import_id");
        Some(store.import_ids(ctx.account.id).await?)
    } else {
        None
    };
    // Managers and supervisors by their name now; the skipped by theirs when the
    // directory still holds them.
    let names = Names::new(
        lang,
        store.employee_names(ctx.account.id).await?,
        ctx.account.policy.settings.scope.clone(),
    );
    for change in store.run_changes(ctx.account.id, RunId(run)).await? {
        let shown_id = match &import_ids {
            Some(ids) => ids.get(&change.personio_id).cloned().unwrap_or_default(),
            None => change.personio_id.to_string(),
        };
        let mut p = PersonView {
            personio_id: change.personio_id.0,
            shown_id,
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
            "remove" => t.removals.push(p),
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
                    let before = match &import_ids {
                        Some(_) => ctx.t(key!("common.none")).to_owned(),
                        None => from.to_string(),
                    };
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
    for p in t.skips.iter_mut().chain(t.kept.iter_mut()) {
        if let Some(name) = names.person(PersonioId(p.personio_id)) {
            p.name = name.to_owned();
        }
    }
    render(StatusCode::OK, &t)
}
