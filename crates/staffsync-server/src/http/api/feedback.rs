//! Feedback endpoints: the survey app stores feedback by an employee of the directory and
//! reads it back with the author's group snapshot.
//!
//! The author must be in the caller's account's directory (404 otherwise, also for another
//! account's people). Once an author is removed from the directory their feedback stays,
//! with `author: null` and the groups they belonged to. These handlers must never attach
//! feedback to another account's employee, and never show who wrote feedback after the
//! author was erased.

use crate::http::api::directory::manager_names;
use crate::http::api::error::{ApiError, ErrorBody};
use crate::http::api::extract::{ApiJson, QueryPairs};
use crate::http::api::paging::{Page, page_request, paginate};
use crate::http::api::tokens::ApiAccount;
use crate::http::api::views::{FeedbackList, FeedbackView, ShowIds as _};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use staffsync_core::{Email, PersonKey};
use staffsync_engine::PersonRefs;
use staffsync_engine::state::AppState;
use staffsync_store::StoreError;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Longest feedback body accepted, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;

/// Body of `POST /feedback`: the author by Personio id (a file account: by `ImportId`)
/// **or** by e-mail, and the text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    /// The author's Personio id (give this or `author_email`).
    pub author_personio_id: Option<i64>,
    /// A file account's author by `ImportId` (instead of `author_personio_id`).
    pub author_import_id: Option<String>,
    /// The author's e-mail, matched case-insensitively (give this or `author_personio_id`).
    pub author_email: Option<String>,
    /// The feedback, 1 to 10,000 characters.
    pub body: String,
}

/// `POST /feedback`: stores feedback by an employee of the directory.
#[utoipa::path(
    post,
    path = "/feedback",
    tag = "feedback",
    request_body = NewFeedback,
    responses(
        (status = 201, description = "Stored", body = FeedbackView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "The author is not in this account's directory", body = ErrorBody),
        (status = 422, description = "Missing or conflicting author, empty or too long body (the field is named)", body = ErrorBody),
    )
)]
pub async fn create_feedback(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    ApiJson(request): ApiJson<NewFeedback>,
) -> Result<(StatusCode, Json<FeedbackView>), ApiError> {
    let body = request.body.trim();
    if body.is_empty() {
        return Err(ApiError::unprocessable("must not be empty").with_field("body"));
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(ApiError::unprocessable(format!(
            "at most {MAX_BODY_CHARS} characters (got {chars})"
        ))
        .with_field("body"));
    }
    let ids = PersonRefs::of_id(&state.store, account).await?;
    let file = ids.by_import_id();
    let by_key = match (
        request.author_personio_id,
        request.author_import_id.as_deref(),
    ) {
        (Some(_), _) if file => {
            return Err(ApiError::unprocessable(
                "this account takes employee files: give author_import_id (or author_email)",
            )
            .with_field("author_personio_id"));
        }
        (_, Some(_)) if !file => {
            return Err(ApiError::unprocessable(
                "this account syncs from Personio: give author_personio_id (or author_email)",
            )
            .with_field("author_import_id"));
        }
        (Some(id), None) => {
            if id <= 0 {
                return Err(ApiError::unprocessable("expected a positive integer")
                    .with_field("author_personio_id"));
            }
            Some((PersonKey(id), "author_personio_id", id.to_string()))
        }
        (None, Some(import_id)) => {
            let key = state.store.import_key(account, import_id.trim()).await?;
            let Some(key) = key else {
                return Err(ApiError::not_found(format!(
                    "no employee {import_id} in this account"
                ))
                .with_field("author_import_id"));
            };
            Some((key, "author_import_id", import_id.to_owned()))
        }
        // Both ids: the guards above answered whichever the account does not take.
        (None, None) | (Some(_), Some(_)) => None,
    };
    let stored = match (by_key, request.author_email.as_deref()) {
        (Some((key, field, shown)), None) => state
            .store
            .add_feedback(account, key, body)
            .await
            .map_err(|e| author_error(e, field, &shown))?,
        (None, Some(email)) => {
            let email = Email::parse(email).map_err(|_| {
                ApiError::unprocessable("not a valid e-mail address").with_field("author_email")
            })?;
            state
                .store
                .add_feedback_by_email(account, email.as_str(), body)
                .await
                .map_err(|e| author_error(e, "author_email", email.as_str()))?
        }
        (Some(_), Some(_)) => {
            let id_field = if file {
                "author_import_id"
            } else {
                "author_personio_id"
            };
            return Err(ApiError::unprocessable(format!(
                "give {id_field} or author_email, not both"
            ))
            .with_field("author_email"));
        }
        (None, None) => {
            let id_field = if file {
                "author_import_id"
            } else {
                "author_personio_id"
            };
            return Err(
                ApiError::unprocessable("missing field (or give author_email)")
                    .with_field(id_field),
            );
        }
    };
    let author = match stored.author {
        Some(id) => state.store.employee(account, id).await?,
        None => None,
    };
    let mut view = FeedbackView::new(&stored, author.as_ref());
    ids.feedback(&mut view);
    let kinds: Vec<_> = stored.groups.iter().map(|g| g.kind).collect();
    let names = manager_names(&state, account, kinds.into_iter()).await?;
    names.name_groups(&mut view.groups);
    Ok((StatusCode::CREATED, Json(view)))
}

fn author_error(e: StoreError, field: &str, value: &str) -> ApiError {
    match e {
        StoreError::NotFound { .. } => {
            ApiError::not_found(format!("no employee {value} in this account")).with_field(field)
        }
        other => other.into(),
    }
}

/// `GET /feedback`: the account's feedback, newest first.
#[utoipa::path(
    get,
    path = "/feedback",
    tag = "feedback",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1,000; without `limit` and `cursor` the whole list"),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "Feedback, newest first", body = FeedbackList),
        (status = 400, description = "Bad cursor, or `limit` not an integer", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 422, description = "`limit` out of range", body = ErrorBody),
    )
)]
pub async fn list_feedback(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    query: QueryPairs,
) -> Result<Json<FeedbackList>, ApiError> {
    let page = page_request::<i64>(&query, "feedback")?;
    let Page { items, next_cursor } = paginate(
        state.store.feedback(account).await?,
        page,
        "feedback",
        |f| f.id,
        true,
    );
    let directory = if items.iter().any(|f| f.author.is_some()) {
        state.store.directory(account).await?
    } else {
        Vec::new()
    };
    let by_id: HashMap<PersonKey, _> = directory.iter().map(|e| (e.key, e)).collect();
    // Reporting lines in the snapshots are named after their managers as they are now
    // (as `GET /groups` names them); a manager no longer in the directory leaves the id.
    let ids = PersonRefs::of_id(&state.store, account).await?;
    let kinds: Vec<_> = items
        .iter()
        .flat_map(|f| f.groups.iter().map(|g| g.kind))
        .collect();
    let names = manager_names(&state, account, kinds.into_iter()).await?;
    let feedback = items
        .iter()
        .map(|f| {
            let mut view = FeedbackView::new(f, f.author.and_then(|a| by_id.get(&a).copied()));
            names.name_groups(&mut view.groups);
            ids.feedback(&mut view);
            view
        })
        .collect();
    Ok(Json(FeedbackList {
        feedback,
        next_cursor,
    }))
}
