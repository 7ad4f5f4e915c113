//! Survey audience snapshots: `POST /audiences/snapshots` freezes who a filter (the one of
//! `/audiences/preview`) selects now, with the groups they are in and how many of them are
//! in each, so a survey is evaluated, and the anonymity threshold checked, on the audience
//! it was launched to; `GET` lists and shows them (members paged), `DELETE` drops one.
//!
//! A snapshot never changes when people move, leave or groups are renamed: it keeps each
//! group's id, kind and name as of launch (a reporting line: its manager's name then).
//! When a member is erased their entry keeps its group ids and loses its id (`null`), and
//! a reporting line named after them loses its name (`null`). Members are shown by the
//! account's source id (`personio_id`, or `import_id` for employee files). The anonymity
//! flag compares each group's count in the snapshot with the server's threshold.
//!
//! These handlers must never show another account's snapshot (its ids answer 404), and
//! never change the directory.

use crate::http::api::audience::{AudienceFilter, Filter};
use crate::http::api::error::{ApiError, ErrorBody};
use crate::http::api::extract::{ApiJson, QueryPairs, RawPath, parse_id};
use crate::http::api::paging::{Page, page_request, paginate};
use crate::http::api::tokens::ApiAccount;
use crate::http::api::views::{GroupKeyView, GroupKindView, ShowIds as _, rfc3339};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use staffsync_core::{GroupKey, PersonKey};
use staffsync_engine::PersonRefs;
use staffsync_engine::state::AppState;
use staffsync_store::{Snapshot, SnapshotGroup, SnapshotMember};
use utoipa::ToSchema;

/// Longest label accepted, in characters.
pub const MAX_LABEL: usize = 200;

/// Body of `POST /audiences/snapshots`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRequest {
    /// The audience, as for `POST /audiences/preview`.
    #[schema(value_type = AudienceFilter)]
    pub filter: serde_json::Value,
    /// What the snapshot is for, e.g. the survey's name (1 to 200 characters, trimmed).
    #[schema(example = "Pulse Q1")]
    pub label: String,
}

/// A snapshot as listed: without groups and members.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotSummary {
    pub id: i64,
    pub label: String,
    /// RFC 3339: when the audience was frozen.
    #[schema(example = "2026-06-15T09:30:00Z")]
    pub created_at: String,
    /// Members.
    pub count: i64,
}

impl From<&Snapshot> for SnapshotSummary {
    fn from(s: &Snapshot) -> Self {
        SnapshotSummary {
            id: s.id,
            label: s.label.clone(),
            created_at: rfc3339(s.created_at),
            count: s.count,
        }
    }
}

/// A group as it was when the snapshot was taken, with how many of its members were in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotGroupView {
    /// The group's id at launch (kept by a rename; kept here after the group is removed).
    pub id: i64,
    pub kind: GroupKindView,
    /// The name at launch (a reporting line: its manager's name then); `null` for a
    /// reporting line whose manager was erased since.
    pub name: Option<String>,
    /// Tenure bands: the band's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Tenure bands: the English name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// Reporting lines: the manager's Personio id (until the manager is erased).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_personio_id: Option<i64>,
    /// Reporting lines of a file account: the manager's `ImportId` (until erased).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_import_id: Option<String>,
    /// Members of the snapshot in this group.
    pub member_count: i64,
    /// Fewer of the snapshot's members than the anonymity threshold: survey results
    /// cannot be shown for it.
    pub below_anonymity_threshold: bool,
}

impl SnapshotGroupView {
    fn new(g: &SnapshotGroup, ids: &PersonRefs, threshold: usize) -> Self {
        let key = g.name.as_ref().map(|name| {
            let mut view = GroupKeyView::from(&GroupKey::new(g.kind, name.clone()));
            if let Some(manager) = &g.manager_name {
                view.name.clone_from(manager);
            }
            ids.group(&mut view);
            view
        });
        let (name, key, name_en, manager_personio_id, manager_import_id) = match key {
            Some(v) => (
                Some(v.name),
                v.key,
                v.name_en,
                v.manager_personio_id,
                v.manager_import_id,
            ),
            None => (None, None, None, None, None),
        };
        SnapshotGroupView {
            id: g.id,
            kind: g.kind.into(),
            name,
            key,
            name_en,
            manager_personio_id,
            manager_import_id,
            member_count: g.member_count,
            below_anonymity_threshold: usize::try_from(g.member_count)
                .map_or(true, |n| n < threshold),
        }
    }
}

/// A snapshot with its groups (the answer to `POST`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotView {
    #[serde(flatten)]
    pub snapshot: SnapshotSummary,
    /// Every group a member was in at launch, by kind, then name.
    pub groups: Vec<SnapshotGroupView>,
}

impl SnapshotView {
    fn new(s: &Snapshot, groups: &[SnapshotGroup], ids: &PersonRefs, threshold: usize) -> Self {
        SnapshotView {
            snapshot: SnapshotSummary::from(s),
            groups: groups
                .iter()
                .map(|g| SnapshotGroupView::new(g, ids, threshold))
                .collect(),
        }
    }
}

/// One member: their source id and the groups they were in at launch.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotMemberView {
    /// Personio accounts: the member's Personio id; `null` once they were erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>)]
    pub personio_id: Option<Option<i64>>,
    /// File accounts: the member's `ImportId`; `null` once they were erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub import_id: Option<Option<String>>,
    /// Ids of the groups (of `groups`) they were in at launch.
    pub group_ids: Vec<i64>,
}

impl SnapshotMemberView {
    fn new(m: &SnapshotMember, ids: &PersonRefs) -> Self {
        let (personio_id, import_id) = if ids.by_import_id() {
            (
                None,
                Some(m.person.and_then(|k| ids.import_id(k)).map(str::to_owned)),
            )
        } else {
            (Some(m.person.and_then(|k| ids.personio_id(k))), None)
        };
        SnapshotMemberView {
            personio_id,
            import_id,
            group_ids: m.group_ids.clone(),
        }
    }
}

/// A snapshot with its groups and members.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotDetail {
    #[serde(flatten)]
    pub snapshot: SnapshotView,
    /// In a fixed order: by Personio id (file accounts: the order people were first
    /// imported in). On a page: this page's.
    pub members: Vec<SnapshotMemberView>,
    /// With `limit` or `cursor`: the cursor of the next page of members (`null` on the
    /// last page). Absent without paging.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<Option<String>>,
}

/// The account's snapshots.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotList {
    /// Newest first.
    pub snapshots: Vec<SnapshotSummary>,
    /// With `limit` or `cursor`: the cursor of the next page (`null` on the last page).
    /// Absent without paging.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub next_cursor: Option<Option<String>>,
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("no snapshot {id} in this account"))
}

/// `POST /audiences/snapshots`: freeze an audience.
#[utoipa::path(
    post,
    path = "/audiences/snapshots",
    tag = "directory",
    request_body = SnapshotRequest,
    responses(
        (status = 201, description = "The snapshot, with the groups its members are in", body = SnapshotView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "A `group_id` is not a group of this account", body = ErrorBody),
        (status = 422, description = "The filter or label does not fit (the field is named)", body = ErrorBody),
    )
)]
pub async fn create_snapshot(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    ApiJson(request): ApiJson<SnapshotRequest>,
) -> Result<(StatusCode, Json<SnapshotView>), ApiError> {
    let ids = PersonRefs::of_id(&state.store, account).await?;
    let filter = Filter::parse(&request.filter, "filter")?.resolve(&ids)?;
    let label = request.label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL {
        return Err(
            ApiError::unprocessable(format!("must be 1 to {MAX_LABEL} characters"))
                .with_field("label"),
        );
    }
    let (snapshot, groups) = state
        .store
        .create_snapshot(account, label, |directory, groups| {
            let chosen = filter.select(directory, groups)?;
            Ok::<Vec<PersonKey>, ApiError>(chosen.iter().map(|e| e.key).collect())
        })
        .await?;
    let view = SnapshotView::new(&snapshot, &groups, &ids, state.config.anonymity_threshold);
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /audiences/snapshots`: the account's snapshots.
#[utoipa::path(
    get,
    path = "/audiences/snapshots",
    tag = "directory",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1,000; without `limit` and `cursor` the whole list"),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "Snapshots, newest first (without groups and members)", body = SnapshotList),
        (status = 400, description = "Bad query parameter or cursor", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 422, description = "`limit` out of range", body = ErrorBody),
    )
)]
pub async fn list_snapshots(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    query: QueryPairs,
) -> Result<Json<SnapshotList>, ApiError> {
    query.check(&["limit", "cursor"])?;
    let page = page_request::<i64>(&query, "snapshots")?;
    let all = state.store.snapshots(account).await?;
    let Page {
        items: snapshots,
        next_cursor,
    } = paginate(all, page, "snapshots", |s| s.id, true);
    Ok(Json(SnapshotList {
        snapshots: snapshots.iter().map(SnapshotSummary::from).collect(),
        next_cursor,
    }))
}

/// `GET /audiences/snapshots/{id}`: a snapshot with its groups and members.
#[utoipa::path(
    get,
    path = "/audiences/snapshots/{id}",
    tag = "directory",
    params(
        ("id" = i64, Path, description = "The snapshot's id"),
        ("limit" = Option<u32>, Query, description = "Members per page, 1 to 1,000; without `limit` and `cursor` all members"),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "The snapshot; its members (paged) by Personio id (file accounts: in the order first imported)", body = SnapshotDetail),
        (status = 400, description = "Not a positive integer, or a bad cursor", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such snapshot in this account", body = ErrorBody),
        (status = 422, description = "`limit` out of range", body = ErrorBody),
    )
)]
pub async fn get_snapshot(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    RawPath(raw): RawPath,
    query: QueryPairs,
) -> Result<Json<SnapshotDetail>, ApiError> {
    query.check(&["limit", "cursor"])?;
    let id = parse_id(&raw, "id")?;
    // A cursor belongs to one snapshot's members.
    let list = format!("snapshot {id} members");
    let page = page_request::<i64>(&query, &list)?;
    let (snapshot, groups) = state
        .store
        .snapshot(account, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    // One more than the page, so `paginate` knows whether another follows.
    let (after, limit) = match &page {
        Some(p) => (p.after, Some(p.limit + 1)),
        None => (None, None),
    };
    let members = state
        .store
        .snapshot_members(account, id, after, limit)
        .await?;
    let Page {
        items: members,
        next_cursor,
    } = paginate(members, page, &list, |m| m.position, false);
    let ids = PersonRefs::of_id(&state.store, account).await?;
    Ok(Json(SnapshotDetail {
        snapshot: SnapshotView::new(&snapshot, &groups, &ids, state.config.anonymity_threshold),
        members: members
            .iter()
            .map(|m| SnapshotMemberView::new(m, &ids))
            .collect(),
        next_cursor,
    }))
}

/// `DELETE /audiences/snapshots/{id}`: drop a snapshot.
#[utoipa::path(
    delete,
    path = "/audiences/snapshots/{id}",
    tag = "directory",
    params(("id" = i64, Path, description = "The snapshot's id")),
    responses(
        (status = 204, description = "Deleted, with its groups and members"),
        (status = 400, description = "Not a positive integer", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such snapshot in this account", body = ErrorBody),
    )
)]
pub async fn delete_snapshot(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    RawPath(raw): RawPath,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&raw, "id")?;
    if state.store.delete_snapshot(account, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(id))
    }
}
