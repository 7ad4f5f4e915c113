//! `/integration/settings` (Menü → Integration → Einstellungen): the account's settings
//! document as a form — scope rules built from the attributes the credential can read and
//! the values the directory holds, group dimensions, reporting lines, tenure, leave
//! handling, the deletion guard, alert addresses.
//!
//! "Vorschau" renders what the form would change now (a dry run; nothing saved),
//! "Speichern" saves it as a new version and queues a full sync. A change that removes
//! more people than the deletion guard allows is held by that sync for the review on the
//! Integration page: this page never applies or accepts anything itself.

use super::{Ctx, Page, WebResult, WebState, render};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use staffsync_core::settings::STANDARD_GROUP_ATTRIBUTES;
use staffsync_core::{
    DeletionGuard, DirectoryEmployee, GroupSettings, Rule, Scope, Settings, SettingsError,
};
use staffsync_engine::dry_run::DryRunError;
use staffsync_engine::run::{SyncError, SyncOptions};
use staffsync_engine::settings::{self as engine_settings, CheckError, SettingsPreview};
use std::collections::{BTreeMap, BTreeSet};

/// Most distinct values listed per attribute under "Werte im Verzeichnis".
const MAX_VALUES_SHOWN: usize = 40;

/// One rule row of the form.
pub(crate) struct RuleRow {
    attribute: String,
    /// One value per line.
    values: String,
}

/// One group-dimension checkbox.
pub(crate) struct Dimension {
    key: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub(crate) struct SettingsTemplate {
    page: Page,
    /// Attribute names a rule may use: (value, label).
    attributes: Vec<(String, String)>,
    /// The values the directory holds, per attribute label.
    values: Vec<(String, String)>,
    include: Vec<RuleRow>,
    exclude: Vec<RuleRow>,
    dimensions: Vec<Dimension>,
    reporting_lines: bool,
    tenure: bool,
    keep_on_leave: bool,
    max_share_percent: String,
    min_people: String,
    notify: String,
    error: Option<String>,
    preview: Option<SettingsPreview>,
}

/// `GET /integration/settings`.
pub(crate) async fn page(State(state): State<WebState>, ctx: Ctx) -> WebResult {
    let settings = ctx.account.policy.settings.clone();
    let template = template(&state, &ctx, &settings).await?;
    render(StatusCode::OK, &template)
}

/// `POST /integration/settings`: save and queue a full sync.
pub(crate) async fn save(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult {
    let settings = from_form(&form);
    if let Some(refused) = refuse_guard_numbers(&state, &ctx, &form, &settings).await? {
        return refused;
    }
    if let Some(e) = problem(&state, &ctx, &settings).await? {
        let mut template = template(&state, &ctx, &settings).await?;
        template.error = Some(error_text(&ctx, &e));
        return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
    }
    let by = format!("admin:{}", ctx.admin.email);
    state
        .app
        .store
        .set_settings(ctx.account.id, &settings, &by)
        .await?;
    tracing::info!(account = %ctx.account.slug, admin = %ctx.admin.id, "settings saved from the web app");
    // Not connected: no schedule, nothing to sync yet. A file account follows with its
    // next import.
    if staffsync_engine::sources::of(&ctx.account).connects {
        let _ = state.app.store.request_sync(ctx.account.id, None).await;
    }
    ctx.flash("ok", ctx.t(key!("set.saved"))).await;
    Ok(Redirect::to("/integration/settings").into_response())
}

/// `POST /integration/settings/preview`: what the form would change now; saves nothing.
pub(crate) async fn preview(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult {
    let settings = from_form(&form);
    if let Some(refused) = refuse_guard_numbers(&state, &ctx, &form, &settings).await? {
        return refused;
    }
    let mut template = template(&state, &ctx, &settings).await?;
    if let Some(e) = problem(&state, &ctx, &settings).await? {
        template.error = Some(error_text(&ctx, &e));
        return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
    }
    let options = SyncOptions {
        unlimited_rate: !state.app.config.personio_rate_limit,
        ip_budget: state.app.ip_budget(),
        today: Some(state.app.today_in(&ctx.account.time_zone)),
        ..SyncOptions::default()
    };
    let holder = format!("{}:settings-preview", state.app.config.instance_id);
    let outcome = engine_settings::preview(
        &state.app.store,
        &ctx.account,
        settings,
        options,
        &holder,
        state.app.config.lease,
        state.app.config.personio_answer_timeout,
    )
    .await;
    match outcome {
        Ok(preview) => template.preview = Some(preview),
        Err(DryRunError::Busy) => template.error = Some(ctx.t(key!("int.preview_busy")).to_owned()),
        Err(DryRunError::TimedOut(_)) => {
            template.error = Some(ctx.t(key!("connect.error.timeout")).to_owned());
        }
        Err(DryRunError::Sync(SyncError::Store(e))) => return Err(e.into()),
        Err(e) => template.error = Some(e.to_string()),
    }
    render(StatusCode::OK, &template)
}

/// The form again with an error naming the deletion-guard field whose typed value is no
/// number in range (a negative "ab so vielen Personen" once fell back to the default
/// silently), or `None` when both are fine or left empty. The page keeps what was typed.
async fn refuse_guard_numbers(
    state: &WebState,
    ctx: &Ctx,
    form: &[(String, String)],
    settings: &Settings,
) -> Result<Option<WebResult>, staffsync_store::StoreError> {
    let typed = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (share, min) = (typed("max_share_percent"), typed("min_people"));
    let share_bad = share.as_ref().filter(|p| {
        !p.replace(',', ".")
            .parse::<f64>()
            .is_ok_and(|p| (0.0..=100.0).contains(&p))
    });
    let min_bad = min.as_ref().filter(|n| n.parse::<usize>().is_err());
    let error = match (share_bad, min_bad) {
        (Some(v), _) => ctx.t(key!("set.error.max_share")).replace("{value}", v),
        (None, Some(v)) => ctx.t(key!("set.error.min_people")).replace("{value}", v),
        (None, None) => return Ok(None),
    };
    let mut template = template(state, ctx, settings).await?;
    template.max_share_percent = share.unwrap_or(template.max_share_percent);
    template.min_people = min.unwrap_or(template.min_people);
    template.error = Some(error);
    Ok(Some(render(StatusCode::UNPROCESSABLE_ENTITY, &template)))
}

/// The form as a settings document. Rule rows pair up by position; a row without an
/// attribute is the empty row for a new rule and is left out.
fn from_form(form: &[(String, String)]) -> Settings {
    let all = |name: &str| -> Vec<&str> {
        form.iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let one = |name: &str| all(name).first().map(|v| v.trim().to_owned());
    let rules = |prefix: &str| -> Vec<Rule> {
        let attributes = all(&format!("{prefix}_attribute"));
        let values = all(&format!("{prefix}_values"));
        attributes
            .iter()
            .zip(values.iter().chain(std::iter::repeat(&"")))
            .filter(|(a, _)| !a.trim().is_empty())
            .map(|(a, v)| Rule {
                attribute: a.trim().to_owned(),
                values: lines(v),
            })
            .collect()
    };
    let mut attributes: Vec<String> = all("group_attribute")
        .into_iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    attributes.extend(lines(&one("group_attribute_extra").unwrap_or_default()));
    let mut seen = BTreeSet::new();
    attributes.retain(|a| seen.insert(a.to_lowercase()));
    let defaults = DeletionGuard::default();
    Settings {
        scope: Scope {
            include: rules("include"),
            exclude: rules("exclude"),
        },
        groups: GroupSettings {
            attributes,
            reporting_lines: one("reporting_lines").is_some(),
            tenure: one("tenure").is_some(),
        },
        keep_on_leave: one("keep_on_leave").is_some(),
        deletion_guard: DeletionGuard {
            // A value that is no number becomes one that fails validation, so the admin
            // sees the field named instead of a silent default.
            max_share: one("max_share_percent")
                .map(|p| {
                    p.replace(',', ".")
                        .parse::<f64>()
                        .map_or(-1.0, |p| p / 100.0)
                })
                .unwrap_or(defaults.max_share),
            min_people: one("min_people")
                .and_then(|n| n.parse().ok())
                .unwrap_or(defaults.min_people),
        },
        notify: lines(&one("notify").unwrap_or_default()),
    }
}

/// Non-empty trimmed lines.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What the admin must correct in the document, if anything (checked as the API checks
/// it).
async fn problem(
    state: &WebState,
    ctx: &Ctx,
    settings: &Settings,
) -> Result<Option<SettingsError>, staffsync_store::StoreError> {
    match engine_settings::check(&state.app.store, ctx.account.id, settings).await {
        Ok(()) => Ok(None),
        Err(CheckError::Invalid(e)) => Ok(Some(e)),
        Err(CheckError::Store(e)) => Err(e),
    }
}

/// "Ausschließen, Regel 1: …" — the part of the form, then what is wrong.
fn error_text(ctx: &Ctx, e: &SettingsError) -> String {
    let section = [
        ("scope.include", key!("set.include")),
        ("scope.exclude", key!("set.exclude")),
        ("groups", key!("set.groups")),
        ("deletion_guard", key!("set.guard")),
        ("notify", key!("set.notify")),
    ]
    .iter()
    .find(|(prefix, _)| e.field.starts_with(prefix))
    .map(|(_, key)| ctx.t(*key));
    match section {
        Some(section) => format!("{section}: {}", e.message),
        None => e.message.clone(),
    }
}

/// The page for `settings` (the saved ones, or what the admin typed).
async fn template(
    state: &WebState,
    ctx: &Ctx,
    settings: &Settings,
) -> Result<SettingsTemplate, staffsync_store::StoreError> {
    let store = &state.app.store;
    let readable = store
        .connection(ctx.account.id)
        .await?
        .map(|c| c.readable_attributes)
        .unwrap_or_default();
    let directory = store.directory(ctx.account.id).await?;
    let values = directory_values(&directory);
    // Rule attributes: what the credential reads (standard keys named in words), then
    // the custom attributes the directory holds by label.
    let mut attributes: Vec<(String, String)> = readable
        .iter()
        .filter(|k| !matches!(k.as_str(), "first_name" | "last_name" | "email"))
        .map(|k| (k.clone(), attribute_label(ctx, k)))
        .collect();
    for label in values.keys() {
        if !attributes.iter().any(|(k, l)| k == label || l == label) {
            attributes.push((label.clone(), label.clone()));
        }
    }
    let mut dimensions: Vec<Dimension> = STANDARD_GROUP_ATTRIBUTES
        .iter()
        .map(|k| Dimension {
            key: (*k).to_owned(),
            label: attribute_label(ctx, k),
            checked: settings.groups.has_standard(k),
        })
        .collect();
    let custom: BTreeSet<String> = values
        .keys()
        .filter(|k| !STANDARD_GROUP_ATTRIBUTES.contains(&k.as_str()))
        .cloned()
        .chain(settings.groups.custom().map(str::to_owned))
        .collect();
    for label in custom {
        let checked = settings
            .groups
            .custom()
            .any(|c| c.eq_ignore_ascii_case(&label));
        dimensions.push(Dimension {
            key: label.clone(),
            label,
            checked,
        });
    }
    let rows = |rules: &[Rule]| -> Vec<RuleRow> {
        rules
            .iter()
            .map(|r| RuleRow {
                attribute: r.attribute.clone(),
                values: r.values.join("\n"),
            })
            .chain(std::iter::once(RuleRow {
                attribute: String::new(),
                values: String::new(),
            }))
            .collect()
    };
    Ok(SettingsTemplate {
        page: ctx.page("integration"),
        attributes,
        values: values
            .into_iter()
            .map(|(label, v)| {
                let shown: Vec<&str> = v
                    .iter()
                    .take(MAX_VALUES_SHOWN)
                    .map(String::as_str)
                    .collect();
                let more = v.len().saturating_sub(MAX_VALUES_SHOWN);
                let mut text = shown.join(" · ");
                if more > 0 {
                    text.push_str(&format!(" … (+{more})"));
                }
                (label, text)
            })
            .collect(),
        include: rows(&settings.scope.include),
        exclude: rows(&settings.scope.exclude),
        dimensions,
        reporting_lines: settings.groups.reporting_lines,
        tenure: settings.groups.tenure,
        keep_on_leave: settings.keep_on_leave,
        max_share_percent: format!("{}", (settings.deletion_guard.max_share * 100.0).round()),
        min_people: settings.deletion_guard.min_people.to_string(),
        notify: settings.notify.join("\n"),
        error: None,
        preview: None,
    })
}

/// A standard attribute in the page's words; anything else by its own name.
fn attribute_label(ctx: &Ctx, key: &str) -> String {
    match key {
        "department" | "office" | "team" | "position" | "subcompany" | "cost_centers"
        | "status" | "hire_date" | "termination_date" | "supervisor" => {
            super::i18n::lookup(ctx.lang(), &format!("attr.{key}"))
                .unwrap_or(key)
                .to_owned()
        }
        "employment_type" => ctx.t(key!("set.employment_type")).to_owned(),
        other => other.to_owned(),
    }
}

/// The distinct values per attribute in the directory (standard fields by key, the other
/// attributes by their name), sorted.
fn directory_values(directory: &[DirectoryEmployee]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |key: &str, value: Option<&str>| {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            out.entry(key.to_owned()).or_default().insert(v.to_owned());
        }
    };
    for e in directory {
        add("department", e.department.as_deref());
        add("office", e.office.as_deref());
        add("team", e.team.as_deref());
        add("position", e.position.as_deref());
        add("status", e.status.as_deref());
        for (k, v) in e.attributes.iter() {
            add(k, Some(v));
        }
    }
    out
}
