//! Sync endpoints: queue a sync, list runs, show one run with its per-employee changes.
//!
//! `POST /sync` only asks the scheduler to run the account's sync now
//! (`Store::request_sync`); it never runs a sync in the request and never accepts
//! deletions held by the deletion guard (that stays an admin decision in the web app or
//! CLI). Runs of other accounts are answered like runs that do not exist (404).

use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::{RawPath, parse_id};
use crate::api::tokens::ApiAccount;
use crate::api::views::{RunChangeView, RunDetail, RunList, RunView, SyncQueued};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use staffsync_store::{RunId, StoreError};
use time::OffsetDateTime;

/// `POST /sync`: queue a sync of the account now.
#[utoipa::path(
    post,
    path = "/sync",
    tag = "sync",
    responses(
        (status = 202, description = "Queued; the scheduler runs it shortly", body = SyncQueued),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 409, description = "The account is not connected to Personio", body = ErrorBody),
    )
)]
pub async fn request_sync(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
) -> Result<(StatusCode, Json<SyncQueued>), ApiError> {
    match state.store.request_sync(account, false).await {
        Ok(()) => {}
        Err(StoreError::NotFound { .. }) => {
            // No schedule: not connected, or connected before schedules existed.
            if state.store.connection(account).await?.is_none() {
                return Err(ApiError::conflict(
                    "the account is not connected to Personio; connect it first",
                ));
            }
            state
                .store
                .ensure_schedule(account, OffsetDateTime::now_utc())
                .await?;
            state.store.request_sync(account, false).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok((StatusCode::ACCEPTED, Json(SyncQueued { queued: true })))
}

/// `GET /sync-runs`: the account's sync runs, newest first.
#[utoipa::path(
    get,
    path = "/sync-runs",
    tag = "sync",
    responses(
        (status = 200, description = "Runs, newest first", body = RunList),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
pub async fn list_runs(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
) -> Result<Json<RunList>, ApiError> {
    let runs = state
        .store
        .runs(account)
        .await?
        .iter()
        .map(RunView::from)
        .collect();
    Ok(Json(RunList { runs }))
}

/// `GET /sync-runs/{id}`: one run with its per-employee changes.
#[utoipa::path(
    get,
    path = "/sync-runs/{id}",
    tag = "sync",
    params(("id" = i64, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run and its changes", body = RunDetail),
        (status = 400, description = "Not a positive integer", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such run in this account", body = ErrorBody),
    )
)]
pub async fn get_run(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    RawPath(raw): RawPath,
) -> Result<Json<RunDetail>, ApiError> {
    let id = RunId(parse_id(&raw, "id")?);
    let run = state
        .store
        .run(account, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no sync run {id} in this account")))?;
    let changes = state
        .store
        .run_changes(account, id)
        .await?
        .iter()
        .map(RunChangeView::from)
        .collect();
    Ok(Json(RunDetail {
        run: RunView::from(&run),
        changes,
    }))
}
