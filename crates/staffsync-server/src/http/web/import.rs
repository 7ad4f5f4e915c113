//! Menü → Integration for accounts that take employee files: "Mitarbeiter importieren".
//! The admin downloads the template (XLSX or CSV, German or English headers), uploads a
//! file, sees what it would change (new, changed, removed people and the rows left out,
//! with why), and applies it; a file that would remove more people than the deletion
//! guard allows is held, and applied only after the admin confirmed exactly those
//! removals. Every import is a run in the history.
//!
//! The uploaded file is kept in memory between the preview and "Übernehmen" (one per
//! account, for [`UPLOAD_TTL`]), so what is applied is what was previewed. This module
//! must never apply a file the admin did not preview, and never answer bad input with a
//! 500: a file that cannot be read is shown with the reason, and nothing changes.

use super::integration::PlanLists;
use super::view::PersonView;
use super::{Ctx, Page, WebResult, WebState, render};
use askama::Template;
use axum::extract::{Form, Multipart, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use employee_file::{Format, Lang as FileLang, Limits, TemplateFormat};
use serde::Deserialize;
use staffsync_engine::imports::{self, ImportError};
use staffsync_engine::run::{SyncOptions, SyncReport, SyncResult};
use staffsync_store::{AccountId, RunId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an uploaded file waits for "Übernehmen".
pub(crate) const UPLOAD_TTL: Duration = Duration::from_secs(30 * 60);

/// The last uploaded file of each account, waiting to be applied.
#[derive(Debug, Default)]
pub(crate) struct Uploads(Mutex<HashMap<AccountId, Upload>>);

#[derive(Debug, Clone)]
struct Upload {
    token: String,
    name: String,
    sheet: Option<String>,
    format: Format,
    /// Cheap to clone (shared): the preview and the apply read the same bytes.
    bytes: axum::body::Bytes,
    at: Instant,
}

impl Uploads {
    fn keep(&self, account: AccountId, upload: Upload) {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|_, u| u.at.elapsed() < UPLOAD_TTL);
        all.insert(account, upload);
    }

    /// The account's upload with `token`, if it is still kept.
    fn get(&self, account: AccountId, token: &str) -> Option<Upload> {
        let all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.get(&account)
            .filter(|u| u.at.elapsed() < UPLOAD_TTL)
            .filter(|u| crate::http::auth::csrf_matches(&u.token, token))
            .cloned()
    }

    fn forget(&self, account: AccountId) {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.remove(&account);
    }
}

#[derive(Template)]
#[template(path = "import.html")]
pub(crate) struct ImportTemplate {
    page: Page,
    max_mb: u64,
    error: Option<String>,
    preview: Option<ImportPreview>,
    creates: Vec<PersonView>,
    updates: Vec<PersonView>,
    removals: Vec<PersonView>,
    skips: Vec<PersonView>,
    kept: Vec<PersonView>,
    past: bool,
    /// The people the admin kept by rejecting a held import ("behalten").
    kept_people: Vec<super::integration::KeptView>,
}

/// What a previewed (or held) file would do.
pub(crate) struct ImportPreview {
    file_name: String,
    token: String,
    rows: usize,
    row_errors: Vec<RowErrorView>,
    unchanged: usize,
    warnings: Vec<String>,
    /// The guard's verdict ("would remove 12 of 40 people").
    held: Option<String>,
    /// The held run whose removals "Übernehmen" confirms (after an apply was held).
    held_run: Option<i64>,
    nothing: bool,
}

pub(crate) struct RowErrorView {
    row: usize,
    column: String,
    import_id: String,
    message: String,
}

impl ImportTemplate {
    fn new(ctx: &Ctx, state: &WebState) -> Self {
        ImportTemplate {
            page: ctx.page("integration"),
            max_mb: state.app.config.max_upload_bytes / (1024 * 1024),
            error: None,
            preview: None,
            creates: Vec::new(),
            updates: Vec::new(),
            removals: Vec::new(),
            skips: Vec::new(),
            kept: Vec::new(),
            past: false,
            kept_people: Vec::new(),
        }
    }

    fn failed(mut self, status: StatusCode, error: String) -> WebResult {
        self.error = Some(error);
        render(status, &self)
    }
}

/// `GET /integration` of a file account.
pub(crate) async fn page(state: &WebState, ctx: &Ctx) -> WebResult {
    let mut template = ImportTemplate::new(ctx, state);
    let store = &state.app.store;
    let kept = store.kept_people(ctx.account.id).await?;
    // The directory is read only when someone is kept (to name them).
    if !kept.is_empty() {
        let directory = store.directory(ctx.account.id).await?;
        let named = super::integration::Named::of(&directory, ctx);
        template.kept_people = super::integration::kept_views(kept, &named, ctx);
    }
    render(StatusCode::OK, &template)
}

/// `POST /integration/import` (multipart: `csrf`, `file`, optional `sheet`): reads the
/// file and shows what it would change, changing nothing.
pub(crate) async fn upload(
    State(state): State<WebState>,
    ctx: Ctx,
    multipart: Multipart,
) -> WebResult {
    let template = ImportTemplate::new(&ctx, &state);
    let (name, sheet, bytes) = match parts(multipart).await {
        Ok(Some(parts)) => parts,
        Ok(None) => {
            let text = ctx.t(key!("imp.no_file")).to_owned();
            return template.failed(StatusCode::UNPROCESSABLE_ENTITY, text);
        }
        Err(e) => {
            let text = format!("{} {e}", ctx.t(key!("imp.unreadable")));
            return template.failed(StatusCode::BAD_REQUEST, text);
        }
    };
    let max = state.app.config.max_upload_bytes;
    if bytes.len() as u64 > max {
        let text = ctx
            .t(key!("imp.too_large"))
            .replace("{mb}", &(max / (1024 * 1024)).max(1).to_string());
        return template.failed(StatusCode::PAYLOAD_TOO_LARGE, text);
    }
    // The bytes decide when they disagree with the name (`read` sniffs them too).
    let format = Format::from_file_name(&name).unwrap_or_else(|| Format::sniff(&bytes));
    let upload = Upload {
        token: crate::http::auth::new_csrf_token(),
        name,
        sheet,
        format,
        bytes: axum::body::Bytes::from(bytes),
        at: Instant::now(),
    };
    let options = SyncOptions {
        dry_run: true,
        today: Some(state.app.today_in(&ctx.account.time_zone)),
        ..SyncOptions::default()
    };
    let report = match run(&state, &ctx, &upload, &options).await {
        Ok(report) => report,
        Err((status, text)) => return template.failed(status, text),
    };
    state.uploads.keep(ctx.account.id, upload.clone());
    show(template, &state, &ctx, &upload, &report, None).await
}

#[derive(Deserialize)]
pub(crate) struct ApplyForm {
    token: String,
    /// The held run whose removals the admin confirms.
    #[serde(default)]
    accept_run: Option<i64>,
}

/// `POST /integration/import/apply`: applies the previewed file (or, with `accept_run`,
/// applies it with exactly the removals of that held run confirmed).
pub(crate) async fn apply(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<ApplyForm>,
) -> WebResult {
    let Some(upload) = state.uploads.get(ctx.account.id, &form.token) else {
        ctx.flash("error", ctx.t(key!("imp.expired"))).await;
        return Ok(Redirect::to("/integration").into_response());
    };
    let options = SyncOptions {
        accept_held: form.accept_run.map(RunId),
        today: Some(state.app.today_in(&ctx.account.time_zone)),
        ..SyncOptions::default()
    };
    let template = ImportTemplate::new(&ctx, &state);
    let report = match run(&state, &ctx, &upload, &options).await {
        Ok(report) => report,
        Err((status, text)) => return template.failed(status, text),
    };
    match report.result {
        SyncResult::Held => {
            let held = Some(report.run_id.0);
            show(template, &state, &ctx, &upload, &report, held).await
        }
        SyncResult::Applied | SyncResult::DryRun => {
            state.uploads.forget(ctx.account.id);
            let plan = &report.plan;
            let text = ctx
                .t(key!("imp.applied"))
                .replace("{created}", &plan.creates.len().to_string())
                .replace("{updated}", &plan.updates.len().to_string())
                .replace("{removed}", &plan.removals.len().to_string());
            ctx.flash("ok", text).await;
            Ok(Redirect::to(&format!("/history/{}", report.run_id.0)).into_response())
        }
    }
}

/// Reads `upload` and imports it with `options` (a dry run or for real); else the status
/// and the text the page shows instead.
async fn run(
    state: &WebState,
    ctx: &Ctx,
    upload: &Upload,
    options: &SyncOptions,
) -> Result<SyncReport, (StatusCode, String)> {
    let limits = Limits {
        max_bytes: state.app.config.max_upload_bytes,
        ..Limits::default()
    };
    let bytes = upload.bytes.clone();
    let (account, sheet) = (ctx.account.id, upload.sheet.clone());
    let holder = format!("{}:web-import", state.app.config.instance_id);
    let read = imports::read(&state.app, account, bytes, upload.format, sheet, limits).await;
    let run = match read {
        Ok(file) => imports::import_now(&state.app, &ctx.account, file, options, &holder).await,
        Err(e) => Err(e),
    };
    run.map_err(|e| match e {
        ImportError::Refused(e) => {
            // Said in the page's language (the file's problem is a value, not prose).
            let why = match ctx.lang() {
                staffsync_engine::lang::Lang::De => e.german(),
                staffsync_engine::lang::Lang::En => e.to_string(),
            };
            let text = format!("{} {why}", ctx.t(key!("imp.refused")));
            (StatusCode::UNPROCESSABLE_ENTITY, text)
        }
        ImportError::Busy => (StatusCode::CONFLICT, ctx.t(key!("imp.busy")).to_owned()),
        ImportError::ServerBusy => (
            StatusCode::SERVICE_UNAVAILABLE,
            ctx.t(key!("imp.server_busy")).to_owned(),
        ),
        e => {
            // The page says why in its language; the log keeps the detail.
            tracing::warn!(account = %ctx.account.slug, error = %e, "web import failed");
            let failure = match &e {
                ImportError::Sync(e) => e.failure(),
                _ => staffsync_core::RunFailure::Internal,
            };
            let why = super::failures::failure_text(ctx.lang(), &failure, ctx.source());
            let text = format!("{} {why}", ctx.t(key!("run.failed_text")));
            (StatusCode::OK, text)
        }
    })
}

/// Renders what `report` (of `upload`) did or would do.
async fn show(
    mut template: ImportTemplate,
    state: &WebState,
    ctx: &Ctx,
    upload: &Upload,
    report: &SyncReport,
    held_run: Option<i64>,
) -> WebResult {
    let directory = state.app.store.directory(ctx.account.id).await?;
    let mut lists = PlanLists::of(&report.plan, &directory, ctx);
    // Rows with errors have their own table: not listed again as skipped. (The lists are
    // in the plan's order.)
    lists.skips = std::mem::take(&mut lists.skips)
        .into_iter()
        .zip(&report.plan.skips)
        .filter(|(_, s)| !matches!(s.reason, staffsync_core::SkipReason::Malformed { .. }))
        .map(|(p, _)| p)
        .collect();
    // A column the file lacks, in the words of a file (not of a Personio credential).
    lists.warnings = std::mem::take(&mut lists.warnings)
        .into_iter()
        .zip(&report.plan.warnings)
        .map(|(text, w)| match w {
            staffsync_core::Warning::AttributeNotReadable { attribute } => format!(
                "{} {}",
                ctx.t(key!("imp.warn_column")),
                super::view::field_label(attribute, ctx.lang())
            ),
            _ => text,
        })
        .collect();
    // People are known by their ImportId here: the file's, or the directory's.
    let mut ids = state.app.store.import_ids(ctx.account.id).await?;
    if let Some(import) = &report.import {
        ids.extend(import.import_ids.iter().map(|(k, v)| (*k, v.clone())));
    }
    for p in lists
        .creates
        .iter_mut()
        .chain(lists.updates.iter_mut())
        .chain(lists.removals.iter_mut())
        .chain(lists.skips.iter_mut())
    {
        if let Some(id) = ids.get(&staffsync_core::PersonKey(p.personio_id)) {
            p.shown_id.clone_from(id);
        }
    }
    let row_errors: Vec<RowErrorView> = report
        .import
        .iter()
        .flat_map(|i| i.row_errors.iter())
        .map(|e| RowErrorView {
            row: e.row,
            column: e.column.clone(),
            import_id: e.import_id.clone().unwrap_or_default(),
            message: match ctx.lang() {
                super::i18n::Lang::De => e.problem.german(),
                super::i18n::Lang::En => e.message.clone(),
            },
        })
        .collect();
    // Rows applied without a manager their ReportsToId named: said first, with the row.
    let row_warnings = report
        .import
        .iter()
        .flat_map(|i| i.row_warnings.iter())
        .map(|w| {
            let message = match ctx.lang() {
                super::i18n::Lang::De => w.problem.german(),
                super::i18n::Lang::En => w.message.clone(),
            };
            format!(
                "{} {}, {} {}: {message}",
                ctx.t(key!("imp.row")),
                w.row,
                ctx.t(key!("imp.column")),
                w.column
            )
        });
    let warnings: Vec<String> = row_warnings.chain(lists.warnings).collect();
    let plan = &report.plan;
    template.preview = Some(ImportPreview {
        file_name: upload.name.clone(),
        token: upload.token.clone(),
        rows: report.fetched,
        nothing: plan.creates.is_empty() && plan.updates.is_empty() && plan.removals.is_empty(),
        row_errors,
        unchanged: lists.unchanged,
        warnings,
        held: lists.held,
        held_run,
    });
    template.creates = lists.creates;
    template.updates = lists.updates;
    template.removals = lists.removals;
    template.skips = lists.skips;
    template.kept = lists.kept;
    render(StatusCode::OK, &template)
}

/// The uploaded file's name and bytes and the sheet asked for; `None` without a file.
async fn parts(
    mut multipart: Multipart,
) -> Result<Option<(String, Option<String>, Vec<u8>)>, String> {
    let mut file = None;
    let mut sheet = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(|e| e.body_text())?;
                if !bytes.is_empty() {
                    file = Some((name, bytes.to_vec()));
                }
            }
            Some("sheet") => {
                let text = field.text().await.map_err(|e| e.body_text())?;
                let text = text.trim();
                if !text.is_empty() {
                    sheet = Some(text.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(file.map(|(name, bytes)| (name, sheet, bytes)))
}

/// The template's own language is `file_lang`, never `lang`: `?lang=` switches the whole
/// session's language (and sets its cookie), so a German admin fetching the English
/// template would have found the app in English afterwards.
#[derive(Deserialize)]
pub(crate) struct TemplateQuery {
    format: String,
    /// `lang` still names it in links made before `file_lang` (old bookmarks keep
    /// working, and only they switch the session).
    #[serde(alias = "lang")]
    file_lang: String,
}

/// `GET /integration/import/template?format=xlsx|csv&file_lang=de|en`: the employee
/// file template, with one example row.
pub(crate) async fn template(ctx: Ctx, Query(q): Query<TemplateQuery>) -> WebResult {
    let (format, ext, mime) = match q.format.as_str() {
        "xlsx" => (
            TemplateFormat::Xlsx,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "csv" => (TemplateFormat::Csv, "csv", "text/csv; charset=utf-8"),
        _ => return Ok(super::integration::not_found(ctx.page("integration"))),
    };
    let (lang, name) = match q.file_lang.as_str() {
        "de" => (FileLang::De, "mitarbeiter-vorlage"),
        "en" => (FileLang::En, "employees-template"),
        _ => return Ok(super::integration::not_found(ctx.page("integration"))),
    };
    let bytes = employee_file::template(format, lang);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
