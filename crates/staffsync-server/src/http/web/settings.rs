//! `/integration/settings` (Menü → Integration → Einstellungen): the account's settings
//! document as a form — scope rules built from the attributes the credential can read and
//! the values the directory holds, group dimensions, reporting lines, tenure, age groups
//! (from a date attribute that is never stored), the other attributes to keep (ticked
//! from those the source sends; nothing else is kept), leave handling, the deletion
//! guard, alert addresses.
//!
//! "Vorschau" renders what the form would change now (a dry run; nothing saved),
//! "Speichern" saves it as a new version and queues a full sync. A change that removes
//! more people than the deletion guard allows is held by that sync for the review on the
//! Integration page: this page never applies or accepts anything itself.
//!
//! Attributes are offered and shown by name ("Beschäftigungsart", its key in small
//! print), rules in words ("Beschäftigungsart ist Extern"). The document stays keyed by
//! attribute keys: a name typed for an attribute is turned into its key before the
//! document is checked ([`AttributeChoices`]), and refused, naming the field, when it fits
//! several attributes.

use super::names::{AttributeChoices, Names, age_band_name, attribute_name, band_name};
use super::{Ctx, Page, WebResult, WebState, render};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use staffsync_core::settings::STANDARD_GROUP_ATTRIBUTES;
use staffsync_core::{
    AgeBand, AgeGroups, DeletionGuard, DirectoryEmployee, GroupSettings, Rule, Scope, Settings,
    TenureBand,
};
use staffsync_engine::dry_run::DryRunError;
use staffsync_engine::run::{SyncError, SyncOptions};
use staffsync_engine::settings::{self as engine_settings, CheckError, SettingsPreview};
use staffsync_engine::sources::file::STANDARD_COLUMNS;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Most distinct values listed per attribute under "Werte im Verzeichnis".
const MAX_VALUES_SHOWN: usize = 40;

/// One rule row of the form.
pub(crate) struct RuleRow {
    /// The attribute as the form shows it: by name when that name means it.
    attribute: String,
    /// One value per line.
    values: String,
    /// The rule in words ("Beschäftigungsart ist Extern"); empty for the row of a new rule.
    words: String,
    /// What is wrong with this rule, beside it.
    error: Option<String>,
}

/// One attribute a rule may use, as offered: its name, and its key when that differs.
pub(crate) struct AttributeOption {
    name: String,
    key: String,
}

/// The values the directory holds for one attribute.
pub(crate) struct KnownValues {
    attribute: AttributeOption,
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
    /// Attributes a rule may use, by name.
    attributes: Vec<AttributeOption>,
    /// The values the directory holds, per attribute.
    values: Vec<KnownValues>,
    include: Vec<RuleRow>,
    exclude: Vec<RuleRow>,
    dimensions: Vec<Dimension>,
    reporting_lines: bool,
    tenure: bool,
    /// The tenure bands as every page names them, shortest first.
    tenure_bands: String,
    /// The age groups' date attribute as the form shows it; empty: no age groups.
    age_attribute: String,
    /// The age bands as every page names them, youngest first.
    age_bands: String,
    /// The attributes the source sends that only the list of kept ones keeps.
    keep: Vec<Dimension>,
    keep_on_leave: bool,
    max_share_percent: String,
    min_people: String,
    notify: String,
    error: Option<String>,
    preview: Option<SettingsPreview>,
    /// Whether "Vorschau" can plan the account's people now: a source that is asked
    /// (Personio) can; a file account's people are previewed with their next file.
    can_preview: bool,
    /// The form holds an older version to restore: which, and what it changes.
    restore: Option<Restore>,
}

/// An older settings version in the form, not saved yet: saving it goes through the
/// same checks and makes a new version by the admin who saves.
pub(crate) struct Restore {
    title: String,
    text: String,
    changes: Vec<super::settings_diff::FieldDiff>,
}

/// `?restore=N`: version `N` of the settings history, restored into the form.
#[derive(serde::Deserialize, Default)]
pub(crate) struct RestoreQuery {
    #[serde(default)]
    restore: Option<i64>,
}

/// `GET /integration/settings` (`?restore=N`: the form filled with version `N`, saying
/// what it changes against now; nothing is saved until "Speichern").
pub(crate) async fn page(
    State(state): State<WebState>,
    ctx: Ctx,
    Query(query): Query<RestoreQuery>,
) -> WebResult {
    let current = &ctx.account.policy.settings;
    let known = Known::load(&state, &ctx).await?;
    let Some(wanted) = query.restore else {
        return render(StatusCode::OK, &template(&ctx, current, &known));
    };
    let versions = state
        .app
        .store
        .settings_history(ctx.account.id, super::history::SETTINGS_SHOWN)
        .await?;
    let Some(version) = versions.into_iter().find(|v| v.version == wanted) else {
        return Ok(super::integration::not_found(ctx.page("integration")));
    };
    let mut t = template(&ctx, &version.settings, &known);
    let number = version.version.to_string();
    t.restore = Some(Restore {
        title: ctx
            .t(key!("set.restore_title"))
            .replace("{version}", &number),
        text: ctx
            .t(key!("set.restore_text"))
            .replace("{version}", &number)
            .replace(
                "{when}",
                &super::view::when(version.changed_at, &ctx.account.time_zone, ctx.lang()),
            )
            .replace("{who}", &super::history::who(&version.changed_by, &ctx)),
        changes: super::settings_diff::diff(current, &version.settings, ctx.lang()),
    });
    render(StatusCode::OK, &t)
}

/// `POST /integration/settings`: save and queue a full sync.
pub(crate) async fn save(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult {
    let known = Known::load(&state, &ctx).await?;
    let mut settings = from_form(&form);
    if let Some(refused) = refuse_guard_numbers(&ctx, &form, &settings, &known) {
        return refused;
    }
    if let Some(e) = problem(&state, &ctx, &mut settings, &known).await? {
        let mut template = template(&ctx, &settings, &known);
        template.fail(&ctx, e);
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
    // next import, and the message says so (no sync starts).
    if ctx.source().connects {
        let _ = state.app.store.request_sync(ctx.account.id, None).await;
        ctx.flash("ok", ctx.t(key!("set.saved"))).await;
    } else {
        ctx.flash("ok", ctx.t(key!("set.saved_file"))).await;
    }
    Ok(Redirect::to("/integration/settings").into_response())
}

/// `POST /integration/settings/preview`: what the form would change now; saves nothing.
pub(crate) async fn preview(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult {
    let known = Known::load(&state, &ctx).await?;
    let mut settings = from_form(&form);
    if let Some(refused) = refuse_guard_numbers(&ctx, &form, &settings, &known) {
        return refused;
    }
    let problem = problem(&state, &ctx, &mut settings, &known).await?;
    let mut template = template(&ctx, &settings, &known);
    if let Some(e) = problem {
        template.fail(&ctx, e);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
    }
    // The preview's rules in words, read against the rules previewed.
    let names = Names::new(ctx.lang(), HashMap::new(), settings.scope.clone());
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
        Ok(mut preview) => {
            for person in &mut preview.people.excluded {
                person.rule = person.rule.as_deref().map(|r| names.rule(r));
            }
            template.preview = Some(preview);
        }
        Err(DryRunError::Sync(SyncError::Store(e))) => return Err(e.into()),
        Err(e) => template.error = Some(super::integration::dry_run_failure(&e, &ctx)),
    }
    render(StatusCode::OK, &template)
}

/// The form again with an error naming the deletion-guard field whose typed value is no
/// number in range (a negative "ab so vielen Personen" once fell back to the default
/// silently), or `None` when both are fine or left empty. The page keeps what was typed.
fn refuse_guard_numbers(
    ctx: &Ctx,
    form: &[(String, String)],
    settings: &Settings,
    known: &Known,
) -> Option<WebResult> {
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
        (None, None) => return None,
    };
    let mut template = template(ctx, settings, known);
    template.max_share_percent = share.unwrap_or(template.max_share_percent);
    template.min_people = min.unwrap_or(template.min_people);
    template.error = Some(error);
    Some(render(StatusCode::UNPROCESSABLE_ENTITY, &template))
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
            age: one("age_attribute")
                .filter(|a| !a.is_empty())
                .map(|attribute| AgeGroups { attribute }),
        },
        keep_attributes: {
            let mut seen = BTreeSet::new();
            all("keep_attribute")
                .into_iter()
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty() && seen.insert(a.to_lowercase()))
                .collect()
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

/// What the attribute choices of the form are made of, read once per request.
struct Known {
    choices: AttributeChoices,
    /// The keys the source sends: the credential's readable attributes, or the last
    /// employee file's columns.
    source: Vec<String>,
    /// The distinct values per attribute the directory holds.
    values: BTreeMap<String, BTreeSet<String>>,
    /// Personio's labels of the readable attributes, by key (empty for a file account).
    labels: BTreeMap<String, String>,
    /// Whether the source is an employee file (its columns are the attributes).
    from_file: bool,
}

impl Known {
    async fn load(state: &WebState, ctx: &Ctx) -> Result<Known, staffsync_store::StoreError> {
        let store = &state.app.store;
        let from_file = staffsync_engine::sources::of(&ctx.account).attributes
            == staffsync_engine::sources::AttributesFrom::FileColumns;
        let (source, labels) = if from_file {
            (store.file_columns(ctx.account.id).await?, BTreeMap::new())
        } else {
            store
                .connection(ctx.account.id)
                .await?
                .map(|c| (c.readable_attributes, c.attribute_labels))
                .unwrap_or_default()
        };
        let values = directory_values(&store.directory(ctx.account.id).await?);
        let keys = source.iter().chain(values.keys()).cloned();
        let choices = if from_file {
            AttributeChoices::new(keys, STANDARD_COLUMNS)
        } else {
            AttributeChoices::new(keys, AttributeChoices::personio_standard())
        };
        Ok(Known {
            choices,
            source,
            values,
            labels,
            from_file,
        })
    }
}

/// Something the admin must correct: the document's path it is about
/// (`scope.exclude[0].attribute`), and what is wrong in the page's language.
struct FormError {
    field: String,
    message: String,
}

/// What the admin must correct in the form, if anything: first the attribute names (each
/// turned into its key in `settings`; one that fits several attributes is refused), then
/// the document as the API checks it, an attribute the source does not send said in the
/// page's language.
async fn problem(
    state: &WebState,
    ctx: &Ctx,
    settings: &mut Settings,
    known: &Known,
) -> Result<Option<FormError>, staffsync_store::StoreError> {
    if let Some(e) = resolve_names(ctx, settings, &known.choices) {
        return Ok(Some(e));
    }
    match engine_settings::check(&state.app.store, ctx.account.id, settings).await {
        Ok(()) => Ok(None),
        Err(CheckError::Invalid(e)) => {
            // Values are checked before attributes: an attribute refused after valid
            // values is one the source does not send.
            let message = match attribute_at(settings, &e.field) {
                Some(name) if settings.validate().is_ok() => unreadable(ctx, name, known),
                _ => super::failures::settings_problem(ctx.lang(), &e.problem),
            };
            Ok(Some(FormError {
                field: e.field,
                message,
            }))
        }
        Err(CheckError::Store(e)) => Err(e),
    }
}

/// Turns each attribute name of the rules and the group dimensions into its key; the
/// first one that fits several attributes is refused.
fn resolve_names(
    ctx: &Ctx,
    settings: &mut Settings,
    choices: &AttributeChoices,
) -> Option<FormError> {
    let scope = &mut settings.scope;
    let lists = [
        ("scope.include", &mut scope.include),
        ("scope.exclude", &mut scope.exclude),
    ];
    for (list, rules) in lists {
        for (i, rule) in rules.iter_mut().enumerate() {
            match choices.resolve(&rule.attribute) {
                Ok(key) => rule.attribute = key,
                Err(keys) => {
                    let field = format!("{list}[{i}].attribute");
                    return Some(ambiguous(ctx, field, &rule.attribute, &keys));
                }
            }
        }
    }
    for (i, attribute) in settings.groups.attributes.iter_mut().enumerate() {
        match choices.resolve(attribute) {
            Ok(key) => *attribute = key,
            Err(keys) => {
                let field = format!("groups.attributes[{i}]");
                return Some(ambiguous(ctx, field, attribute, &keys));
            }
        }
    }
    let mut seen = BTreeSet::new();
    settings
        .groups
        .attributes
        .retain(|a| seen.insert(a.clone()));
    if let Some(age) = settings.groups.age.as_mut() {
        match choices.resolve(&age.attribute) {
            Ok(key) => age.attribute = key,
            Err(keys) => {
                let typed = age.attribute.clone();
                return Some(ambiguous(ctx, "groups.age.attribute".into(), &typed, &keys));
            }
        }
    }
    None
}

/// "„arbeitsort“ passt zu mehreren Attributen: Arbeitsort (Office) (office), Arbeitsort. …"
fn ambiguous(ctx: &Ctx, field: String, typed: &str, keys: &[String]) -> FormError {
    let choices: Vec<String> = keys.iter().map(|k| named(ctx, k)).collect();
    FormError {
        field,
        message: ctx
            .t(key!("set.error.ambiguous"))
            .replace("{choices}", &choices.join(", "))
            .replace("{name}", typed.trim()),
    }
}

/// An attribute the source does not send, in the page's language.
fn unreadable(ctx: &Ctx, name: &str, known: &Known) -> String {
    if staffsync_engine::sources::of(&ctx.account).attributes
        == staffsync_engine::sources::AttributesFrom::FileColumns
    {
        ctx.t(key!("set.error.no_column"))
            .replace("{columns}", &known.source.join(", "))
            .replace("{name}", name)
    } else {
        ctx.t(key!("set.error.unreadable"))
            .replace("{name}", &named(ctx, name))
    }
}

/// "Beschäftigungsart (employment_type)"; a name that is its own key once.
fn named(ctx: &Ctx, key: &str) -> String {
    let name = attribute_name(key, ctx.lang());
    if name == key.trim() {
        name
    } else {
        format!("{name} ({})", key.trim())
    }
}

/// The attribute the document's path `field` names (`scope.exclude[0].attribute`,
/// `groups.attributes[2]`).
fn attribute_at<'a>(settings: &'a Settings, field: &str) -> Option<&'a str> {
    if let Some((list, i)) = rule_index(field) {
        let rules = match list {
            "include" => &settings.scope.include,
            _ => &settings.scope.exclude,
        };
        return field
            .ends_with("].attribute")
            .then(|| rules.get(i).map(|r| r.attribute.as_str()))
            .flatten();
    }
    let (i, rest) = field.strip_prefix("groups.attributes[")?.split_once(']')?;
    rest.is_empty()
        .then(|| settings.groups.attributes.get(i.parse::<usize>().ok()?))
        .flatten()
        .map(String::as_str)
}

/// The rule list (`include`, `exclude`) and index a path is about.
fn rule_index(field: &str) -> Option<(&'static str, usize)> {
    let (list, rest) = match field.strip_prefix("scope.include[") {
        Some(rest) => ("include", rest),
        None => ("exclude", field.strip_prefix("scope.exclude[")?),
    };
    let (i, _) = rest.split_once(']')?;
    Some((list, i.parse().ok()?))
}

/// "Ausschließen, Regel 1: …" — the part of the form, then what is wrong.
fn error_text(ctx: &Ctx, e: &FormError) -> String {
    let section = [
        ("scope.include", key!("set.include")),
        ("scope.exclude", key!("set.exclude")),
        ("groups", key!("set.groups")),
        ("keep_attributes", key!("set.keep")),
        ("deletion_guard", key!("set.guard")),
        ("notify", key!("set.notify")),
    ]
    .iter()
    .find(|(prefix, _)| e.field.starts_with(prefix))
    .map(|(_, key)| ctx.t(*key));
    let rule = rule_index(&e.field).map(|(_, i)| {
        ctx.t(key!("set.rule_n"))
            .replace("{n}", &(i + 1).to_string())
    });
    match (section, rule) {
        (Some(section), Some(rule)) => format!("{section}, {rule}: {}", e.message),
        (Some(section), None) => format!("{section}: {}", e.message),
        (None, _) => e.message.clone(),
    }
}

impl SettingsTemplate {
    /// The page with `e` said at the top and beside its rule.
    fn fail(&mut self, ctx: &Ctx, e: FormError) {
        let text = error_text(ctx, &e);
        let row = match rule_index(&e.field) {
            Some(("include", i)) => self.include.get_mut(i),
            Some((_, i)) => self.exclude.get_mut(i),
            None => None,
        };
        if let Some(row) = row {
            row.error = Some(e.message);
        }
        self.error = Some(text);
    }
}

/// The page for `settings` (the saved ones, or what the admin typed).
fn template(ctx: &Ctx, settings: &Settings, known: &Known) -> SettingsTemplate {
    let lang = ctx.lang();
    let choices = &known.choices;
    let option = |key: &str| {
        let name = choices.shown(key, lang);
        AttributeOption {
            key: if name == key {
                String::new()
            } else {
                key.to_owned()
            },
            name,
        }
    };
    // Rule attributes: what the source sends (a Personio custom attribute is offered by
    // the label the directory holds it by, not by its `dynamic_…` key), and what the
    // directory holds.
    let mut offered: BTreeSet<&str> = known
        .source
        .iter()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "first_name" | "last_name" | "email"))
        .filter(|k| !k.starts_with("dynamic_"))
        .collect();
    offered.extend(known.values.keys().map(String::as_str));
    let mut attributes: Vec<AttributeOption> = offered.into_iter().map(option).collect();
    attributes.sort_by_cached_key(|a| a.name.to_lowercase());
    let mut dimensions: Vec<Dimension> = STANDARD_GROUP_ATTRIBUTES
        .iter()
        .map(|k| Dimension {
            key: (*k).to_owned(),
            label: attribute_name(k, lang),
            checked: settings.groups.has_standard(k),
        })
        .collect();
    let custom: BTreeSet<String> = known
        .values
        .keys()
        .filter(|k| !STANDARD_GROUP_ATTRIBUTES.contains(&k.as_str()))
        .cloned()
        .chain(settings.groups.custom().map(str::to_owned))
        .collect();
    let mut custom: Vec<Dimension> = custom
        .into_iter()
        .map(|key| Dimension {
            label: attribute_name(&key, lang),
            checked: settings
                .groups
                .custom()
                .any(|c| c.eq_ignore_ascii_case(&key)),
            key,
        })
        .collect();
    custom.sort_by_cached_key(|d| d.label.to_lowercase());
    dimensions.extend(custom);
    let names = Names::new(lang, HashMap::new(), Scope::default());
    let rows = |rules: &[Rule]| -> Vec<RuleRow> {
        rules
            .iter()
            .map(|r| RuleRow {
                attribute: choices.shown(&r.attribute, lang),
                values: r.values.join("\n"),
                words: names.rule_words(r),
                error: None,
            })
            .chain(std::iter::once(RuleRow {
                attribute: String::new(),
                values: String::new(),
                words: String::new(),
                error: None,
            }))
            .collect()
    };
    let mut values: Vec<KnownValues> = known
        .values
        .iter()
        .map(|(key, v)| {
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
            KnownValues {
                attribute: option(key),
                values: text,
            }
        })
        .collect();
    values.sort_by_cached_key(|v| v.attribute.name.to_lowercase());
    let bands: Vec<&str> = TenureBand::ALL
        .iter()
        .map(|b| band_name(*b, lang))
        .collect();
    let age_bands: Vec<&str> = AgeBand::ALL
        .iter()
        .map(|b| age_band_name(*b, lang))
        .collect();
    let age_attribute = settings
        .groups
        .age
        .as_ref()
        .map(|a| shown_with_label(choices, &known.labels, &a.attribute, lang))
        .unwrap_or_default();
    SettingsTemplate {
        page: ctx.page("integration"),
        attributes,
        values,
        include: rows(&settings.scope.include),
        exclude: rows(&settings.scope.exclude),
        dimensions,
        reporting_lines: settings.groups.reporting_lines,
        tenure: settings.groups.tenure,
        tenure_bands: bands.join(", "),
        age_attribute,
        age_bands: age_bands.join(", "),
        keep: keep_choices(settings, known, lang),
        keep_on_leave: settings.keep_on_leave,
        max_share_percent: format!("{}", (settings.deletion_guard.max_share * 100.0).round()),
        min_people: settings.deletion_guard.min_people.to_string(),
        notify: settings.notify.join("\n"),
        error: None,
        preview: None,
        can_preview: !staffsync_engine::sources::of(&ctx.account).takes_files,
        restore: None,
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

/// The name the form shows for attribute `key`: Personio's label of a custom attribute
/// when it has one, else as [`AttributeChoices::shown`] names it.
fn shown_with_label(
    choices: &AttributeChoices,
    labels: &BTreeMap<String, String>,
    key: &str,
    lang: super::i18n::Lang,
) -> String {
    labels
        .get(key.trim())
        .cloned()
        .unwrap_or_else(|| choices.shown(key, lang))
}

/// One checkbox per attribute the source sends that only the list of kept attributes
/// keeps (the age groups' date attribute is never kept, and not offered), and one per
/// entry the list has that the source does not list (so it can be unticked).
fn keep_choices(settings: &Settings, known: &Known, lang: super::i18n::Lang) -> Vec<Dimension> {
    let age = settings.groups.age.as_ref().map(|a| a.attribute.trim());
    let named = |key: &str, entry: &str| {
        let entry = entry.trim();
        entry == key
            || known.labels.get(key).is_some_and(|l| {
                l.eq_ignore_ascii_case(entry) || l.to_lowercase() == entry.to_lowercase()
            })
    };
    let own = |key: &str| {
        if known.from_file {
            STANDARD_COLUMNS.contains(&key)
                || ["gender", "preferred_name", "employment_type", "subcompany"]
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(key))
        } else {
            // Read into fields of their own, or never imported: nothing to keep.
            personio::v1::parse::KNOWN_KEYS.contains(&key)
                || staffsync_core::planner::normalize::NOT_IMPORTED.contains(&key)
        }
    };
    let mut out: Vec<Dimension> = known
        .source
        .iter()
        .filter(|k| !own(k) && !age.is_some_and(|a| named(k, a)))
        .map(|key| Dimension {
            label: shown_with_label(&known.choices, &known.labels, key, lang),
            checked: settings.keep_attributes.iter().any(|e| named(key, e)),
            key: key.clone(),
        })
        .collect();
    for entry in &settings.keep_attributes {
        if !out.iter().any(|d| named(&d.key, entry)) {
            out.push(Dimension {
                key: entry.clone(),
                label: attribute_name(entry, lang),
                checked: true,
            });
        }
    }
    out.sort_by_cached_key(|d| d.label.to_lowercase());
    out
}
