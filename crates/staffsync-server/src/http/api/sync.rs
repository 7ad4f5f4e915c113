//! Sync endpoints: queue a sync, list runs, show one run with its per-employee changes.
//!
//! `POST /sync` only asks the scheduler to run the account's sync now
//! (`Store::request_sync`); it never runs a sync in the request and never accepts
//! deletions held by the deletion guard (that stays an admin decision in the web app or
//! CLI). At most one sync per account is queued: asking while one is queued or running
//! answers 202 with that one, and asking within [`ServerConfig::sync_request_cooldown`]
//! of the last full sync answers 429 (each full sync authenticates with Personio, which
//! allows few of those). Runs of other accounts are answered like runs that do not exist
//! (404).
//!
//! [`ServerConfig::sync_request_cooldown`]: staffsync_engine::ServerConfig::sync_request_cooldown

use crate::http::api::error::{ApiError, ErrorBody};
use crate::http::api::extract::{QueryPairs, RawPath, parse_id};
use crate::http::api::paging::{Page, page_request, paginate};
use crate::http::api::tokens::ApiAccount;
use crate::http::api::views::{RunChangeView, RunDetail, RunList, RunView, SyncQueued};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use staffsync_engine::state::AppState;
use staffsync_store::{RunId, StoreError};
use time::OffsetDateTime;

/// `POST /sync`: queue a sync of the account now.
#[utoipa::path(
    post,
    path = "/sync",
    tag = "sync",
    responses(
        (status = 202, description = "Queued (or already queued or running: then `already_queued` and, while running, `run_id`); the scheduler runs it shortly", body = SyncQueued),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 409, description = "The account is not connected to Personio, takes employee files (`POST /imports`), or takes SCIM pushes", body = ErrorBody),
        (status = 429, description = "The last full sync was less than a minute ago; `Retry-After` says when to ask again", body = ErrorBody),
    )
)]
pub async fn request_sync(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
) -> Result<(StatusCode, Json<SyncQueued>), ApiError> {
    if let Some(acct) = state.store.account_by_id(account).await?
        && !staffsync_engine::sources::of(&acct).connects
    {
        let why = if staffsync_engine::sources::of(&acct).takes_scim {
            "takes its people from an identity provider over SCIM: each push is applied as it comes"
        } else {
            "takes employee files: send one to POST /api/v1/imports"
        };
        return Err(ApiError::conflict(format!("account {} {why}", acct.slug)));
    }
    if let Some(schedule) = state.store.schedule(account).await? {
        let now = OffsetDateTime::now_utc();
        let running = schedule.leased_at(now);
        if running || schedule.requested_at.is_some() {
            let run_id = if running {
                state
                    .store
                    .runs(account)
                    .await?
                    .into_iter()
                    .find(|r| r.status == staffsync_store::RunStatus::Running)
                    .map(|r| r.id.0)
            } else {
                None
            };
            return Ok((
                StatusCode::ACCEPTED,
                Json(SyncQueued {
                    queued: true,
                    already_queued: true,
                    run_id,
                }),
            ));
        }
        let cooldown = time::Duration::try_from(state.config.sync_request_cooldown)
            .unwrap_or(time::Duration::ZERO);
        if let Some(last) = schedule.last_run_at
            && now < last + cooldown
        {
            let wait = (last + cooldown - now).whole_seconds().max(1);
            return Err(ApiError::too_many_requests(
                format!(
                    "the last full sync of this account finished {} s ago; ask again in {wait} s",
                    (now - last).whole_seconds().max(0)
                ),
                u64::try_from(wait).unwrap_or(1),
            ));
        }
    }
    match state.store.request_sync(account, None).await {
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
            state.store.request_sync(account, None).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncQueued {
            queued: true,
            already_queued: false,
            run_id: None,
        }),
    ))
}

/// `GET /sync-runs`: the account's sync runs, newest first.
#[utoipa::path(
    get,
    path = "/sync-runs",
    tag = "sync",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1,000; without `limit` and `cursor` the whole list"),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "Runs, newest first", body = RunList),
        (status = 400, description = "Bad query parameter or cursor", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 422, description = "`limit` out of range", body = ErrorBody),
    )
)]
pub async fn list_runs(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    query: QueryPairs,
) -> Result<Json<RunList>, ApiError> {
    let page = page_request::<i64>(&query, "sync-runs")?;
    let Page {
        items: runs,
        next_cursor,
    } = paginate(
        state.store.runs(account).await?,
        page,
        "sync-runs",
        |r| r.id.0,
        true,
    );
    let runs = runs.iter().map(RunView::from).collect();
    Ok(Json(RunList { runs, next_cursor }))
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
    let ids = staffsync_engine::PersonRefs::of_id(&state.store, account).await?;
    let changes = state
        .store
        .run_changes(account, id)
        .await?
        .iter()
        .map(|c| RunChangeView {
            import_id: ids.import_id(c.key).map(str::to_owned),
            ..RunChangeView::from(c)
        })
        .collect();
    Ok(Json(RunDetail {
        run: RunView::from(&run),
        changes,
    }))
}
