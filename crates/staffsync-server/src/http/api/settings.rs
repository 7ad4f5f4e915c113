//! Settings endpoints: the account's settings document (who is in, which groups, leave
//! handling, the deletion guard, alert addresses).
//!
//! `GET /settings` answers the document; `PUT /settings` replaces it (a 422 naming the
//! field for anything invalid, and then nothing changes) and queues a full sync so the
//! directory follows; `POST /settings/preview` answers what a document would change now
//! (a dry run: nothing changes). Removals a saved document causes go through the deletion
//! guard like any other: the API never accepts a held run, and never loosens the guard
//! (a higher `deletion_guard.max_share` or `min_people` is 403: a person does that in
//! the web app or with `staffsync settings`), so a token alone can never remove more
//! people than the guard allows.

use crate::http::api::error::{ApiError, ErrorBody};
use crate::http::api::extract::ApiJson;
use crate::http::api::tokens::ApiAccount;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use staffsync_core::{Settings, SettingsError};
use staffsync_engine::dry_run::DryRunError;
use staffsync_engine::lang::Lang;
use staffsync_engine::run::{SyncError, SyncOptions};
use staffsync_engine::settings::{self as engine_settings, CheckError, SettingsPreview};
use staffsync_engine::state::AppState;
use staffsync_store::{Account, AccountId, StoreError};

/// `GET /settings`: the account's settings document.
#[utoipa::path(
    get,
    path = "/settings",
    tag = "settings",
    responses(
        (status = 200, description = "The settings document: `{scope: {include, exclude}, groups: {attributes, reporting_lines, tenure}, keep_on_leave, deletion_guard: {max_share, min_people}, notify}`", body = Object),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
pub async fn get_settings(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
) -> Result<Json<Settings>, ApiError> {
    let account = state
        .store
        .account_by_id(account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?;
    Ok(Json(account.policy.settings))
}

/// `PUT /settings`: replaces the document, records it as a new version and queues a full
/// sync.
#[utoipa::path(
    put,
    path = "/settings",
    tag = "settings",
    request_body(content = Object, description = "The whole settings document; missing fields take their defaults"),
    responses(
        (status = 200, description = "Saved: the document as stored", body = Object),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "The document loosens the deletion guard (a higher `deletion_guard.max_share` or `min_people` than now; `field` names it): only a person may, in the web app (Integration → Einstellungen) or with `staffsync settings <slug> --set`; nothing changed", body = ErrorBody),
        (status = 422, description = "Invalid: `field` names it (`scope.exclude[2].attribute`); nothing changed", body = ErrorBody),
    )
)]
pub async fn put_settings(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<Settings>, ApiError> {
    let settings = checked(&state, account, &body).await?;
    let stored = state
        .store
        .account_by_id(account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?;
    let current = stored.policy.settings.deletion_guard;
    if let Some(field) = settings.deletion_guard.loosens(&current) {
        return Err(ApiError::forbidden(format!(
            "{field}: an API token cannot loosen the deletion guard (now max_share {}, \
             min_people {}); an admin can, in the web app under Integration → Einstellungen, \
             or an operator with `staffsync settings <slug> --set FILE`",
            current.max_share, current.min_people
        ))
        .with_field(field));
    }
    state
        .store
        .set_settings(account, &settings, "api")
        .await
        .map_err(not_found_as_404)?;
    queue_sync(&state, &stored).await?;
    Ok(Json(settings))
}

/// `POST /settings/preview`: what a document would change now, without changing anything.
#[utoipa::path(
    post,
    path = "/settings/preview",
    tag = "settings",
    request_body(content = Object, description = "A settings document, as for PUT"),
    responses(
        (status = 200, description = "Counts (`creates`, `updates`, `removals`, `excluded`, `groups_added`, `groups_removed`), whether the deletion guard would hold the run, and the people (`id`, `name`; `rule` for excluded) under `people.creates`, `people.removals`, `people.excluded`", body = Object),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 409, description = "Not connected, another sync of the account is running, or the account takes employee files (preview a file with `POST /imports?dry_run=true`)", body = ErrorBody),
        (status = 422, description = "Invalid document: `field` names it", body = ErrorBody),
        (status = 502, description = "Personio refused or failed the request", body = ErrorBody),
        (status = 504, description = "Personio did not answer in time", body = ErrorBody),
    )
)]
pub async fn preview_settings(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<SettingsPreview>, ApiError> {
    let settings = checked(&state, account, &body).await?;
    let account = state
        .store
        .account_by_id(account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?;
    let options = SyncOptions {
        unlimited_rate: !state.config.personio_rate_limit,
        ip_budget: state.ip_budget(),
        today: Some(state.today_in(&account.time_zone)),
        ..SyncOptions::default()
    };
    let holder = format!("{}:settings-preview", state.config.instance_id);
    let preview = engine_settings::preview(
        &state.store,
        &account,
        settings,
        options,
        &holder,
        state.config.lease,
        state.config.personio_answer_timeout,
    )
    .await;
    match preview {
        Ok(preview) => Ok(Json(preview)),
        Err(DryRunError::Busy) => Err(ApiError::conflict(DryRunError::Busy.to_string())),
        Err(DryRunError::Lease(e)) => Err(ApiError::conflict(e.to_string())),
        Err(e @ DryRunError::TimedOut(_)) => {
            Err(ApiError::invalid_request(e.to_string()).with_status(StatusCode::GATEWAY_TIMEOUT))
        }
        Err(DryRunError::Sync(SyncError::Store(e))) => Err(e.into()),
        Err(DryRunError::Sync(e @ (SyncError::NotConnected(_) | SyncError::FileAccount(_)))) => {
            Err(ApiError::conflict(e.to_string()))
        }
        // The failure's English words: never the remote server's text.
        Err(DryRunError::Sync(e)) => {
            let message = e
                .failure()
                .message(staffsync_engine::sources::of(&account).name(Lang::En));
            Err(ApiError::invalid_request(message).with_status(StatusCode::BAD_GATEWAY))
        }
    }
}

/// The body as a valid document whose attributes the credential can read, else a 422
/// naming the field.
async fn checked(
    state: &AppState,
    account: AccountId,
    body: &serde_json::Value,
) -> Result<Settings, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let settings = Settings::parse(&bytes).map_err(unprocessable)?;
    match engine_settings::check(&state.store, account, &settings).await {
        Ok(()) => Ok(settings),
        Err(CheckError::Invalid(e)) => Err(unprocessable(e)),
        Err(CheckError::Store(e)) => Err(e.into()),
    }
}

fn unprocessable(e: SettingsError) -> ApiError {
    let error = ApiError::unprocessable(e.message);
    if e.field.is_empty() {
        error
    } else {
        error.with_field(e.field)
    }
}

fn not_found_as_404(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound { .. } => ApiError::not_found("account not found"),
        e => e.into(),
    }
}

/// Queues a full sync so the directory follows the saved document (when connected; a
/// file account follows with its next import).
async fn queue_sync(state: &AppState, account: &Account) -> Result<(), ApiError> {
    if !staffsync_engine::sources::of(account).connects {
        return Ok(());
    }
    match state.store.request_sync(account.id, None).await {
        Ok(()) | Err(StoreError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
