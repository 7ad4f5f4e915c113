//! `GET /changes`: the account's change feed, in the order the changes were applied.
//!
//! A client reads from the start (no `after`) or after the `next_cursor` of its last
//! page, and keeps that cursor. Cursors are opaque and stable; one of another account is
//! 400, one older than the retention (`staffsync serve --change-retention`) is 410 — the
//! client missed changes and must read the directory again. Read-only: this handler must
//! never change anything, and never read another account's feed.

use crate::http::api::error::{ApiError, ErrorBody};
use crate::http::api::extract::QueryPairs;
use crate::http::api::paging::{DEFAULT_LIMIT, parse_limit};
use crate::http::api::tokens::ApiAccount;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use staffsync_engine::feed::{CursorError, change_json, cursor, parse_cursor};
use staffsync_engine::state::AppState;
use utoipa::ToSchema;

/// One page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    /// Changes in the order they were applied: each `{"cursor", "at", "run_id", "type",
    /// …}`. Types: `employee.created` (`personio_id`, `fields`: every field but the
    /// groups), `employee.updated` (`personio_id`, `fields`: only the changed ones;
    /// `attributes` only the changed keys, `null` for a key that went),
    /// `employee.removed` (`personio_id` only), `group.created`, `group.renamed` (with
    /// `previous_name`; `group`: `{"id", "kind", "name"}`), `group.removed` (`group`:
    /// `{"id", "kind"}`), `membership.added`, `membership.removed` (`group_id`,
    /// `personio_id`). An erased person's earlier `employee.*` changes have `fields: null`;
    /// a removed group's earlier changes keep only its id (a group's name may name a
    /// person).
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<serde_json::Value>,
    /// Where to continue (`after=`): the last change's cursor, or the one given when there
    /// was nothing new.
    pub next_cursor: String,
    /// More changes follow right away.
    pub has_more: bool,
}

/// `GET /changes`: the account's changes after a cursor.
#[utoipa::path(
    get,
    path = "/changes",
    tag = "changes",
    params(
        ("after" = Option<String>, Query, description = "A `next_cursor` (or any change's `cursor`) from an earlier page; without it, from the oldest change kept"),
        ("limit" = Option<u32>, Query, description = "Changes per page, 1 to 1,000 (default 100)"),
    ),
    responses(
        (status = 200, description = "Changes in applied order", body = ChangePage),
        (status = 400, description = "Not a cursor, or another account's cursor; `limit` not an integer", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 410, description = "The cursor is older than the retention: changes after it were deleted", body = ErrorBody),
        (status = 422, description = "`limit` out of range", body = ErrorBody),
    )
)]
pub async fn list_changes(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    query: QueryPairs,
) -> Result<Json<ChangePage>, ApiError> {
    query.check(&["after", "limit"])?;
    let limit = parse_limit(&query)?.unwrap_or(DEFAULT_LIMIT);
    let bounds = state.store.feed_bounds(account).await?;
    let after = match query.get("after") {
        None => bounds.pruned_through,
        Some(raw) => {
            let seq = parse_cursor(account, raw).map_err(|e| {
                let message = match e {
                    CursorError::Malformed => "not a cursor of the change feed",
                    CursorError::Foreign => "this cursor belongs to another account",
                };
                ApiError::invalid_request(message).with_field("after")
            })?;
            if seq < bounds.pruned_through {
                return Err(ApiError::gone(format!(
                    "changes after this cursor are older than the retention of {} days and \
                     were deleted; read the directory again (GET /employees, /groups) and \
                     continue from a fresh cursor (GET /changes without after)",
                    state.config.change_retention.as_secs() / 86_400
                ))
                .with_field("after"));
            }
            seq
        }
    };
    let changes = state.store.changes(account, after, limit).await?;
    let refs = staffsync_engine::feed::refs_of(&state.store, account, &changes).await?;
    let last = changes.last().map_or(after, |c| c.seq);
    Ok(Json(ChangePage {
        has_more: changes.len() == limit && last < bounds.latest,
        changes: changes
            .iter()
            .map(|c| change_json(account, c, &refs))
            .collect(),
        next_cursor: cursor(account, last),
    }))
}
