//! Directory endpoints: employees, groups, group members and audience previews.
//!
//! Read-only. Every query is scoped by the caller's [`ApiAccount`]: ids from another account
//! are answered exactly like ids that do not exist (404). These handlers must never change
//! anything, and never read a directory other than the caller's.

use crate::http::api::audience::{AudienceFilter, Filter};
use crate::http::api::error::{ApiError, ErrorBody};
use crate::http::api::extract::{ApiJson, QueryPairs, RawPath, excerpt, parse_id};
use crate::http::api::paging::{Page, page_request, paginate};
use crate::http::api::tokens::ApiAccount;
use crate::http::api::views::{EmployeeList, EmployeeView, GroupList, GroupMembers, ManagerNames};
use crate::http::api::views::{GroupView, ShowIds as _};
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use staffsync_core::{DirectoryEmployee, GroupKey, GroupKind, PersonKey};
use staffsync_engine::PersonRefs;
use staffsync_engine::state::AppState;
use staffsync_store::{AccountId, GroupSummary};
use utoipa::ToSchema;

/// `GET /employees`: the directory, optionally narrowed.
#[utoipa::path(
    get,
    path = "/employees",
    tag = "directory",
    params(
        ("q" = Option<String>, Query, description = "Case-insensitive text in the name or e-mail"),
        ("group_id" = Option<i64>, Query, description = "Only members of this group"),
        ("kind" = Option<String>, Query, description = "With `name`: only members of the group of this kind (department, office, team, position, subcompany, cost_center, custom, tenure, age, idp_group, reports_direct, reports_all)"),
        ("name" = Option<String>, Query, description = "With `kind`: the group's name"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1,000; without `limit` and `cursor` the whole list"),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "Employees sorted by Personio id", body = EmployeeList),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "`group_id` is not a group of this account", body = ErrorBody),
        (status = 422, description = "Unknown kind, or kind without name", body = ErrorBody),
    )
)]
pub async fn list_employees(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    query: QueryPairs,
) -> Result<Json<EmployeeList>, ApiError> {
    query.check(&["q", "group_id", "kind", "name", "limit", "cursor"])?;
    let page = page_request::<i64>(&query, "employees")?;
    let group = match (query.get("group_id"), query.get("kind"), query.get("name")) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(
                ApiError::unprocessable("give either group_id or kind and name, not both")
                    .with_field("group_id"),
            );
        }
        (Some(raw), None, None) => {
            let id = parse_id(raw, "group_id")?;
            let group = state.store.group(account, id).await?.ok_or_else(|| {
                ApiError::not_found(format!("no group {id} in this account")).with_field("group_id")
            })?;
            Some(GroupKey::new(group.kind, group.name))
        }
        (None, Some(kind), Some(name)) => Some(GroupKey::new(
            parse_kind(kind, "kind")?,
            name.trim().to_owned(),
        )),
        (None, Some(_), None) => {
            return Err(ApiError::unprocessable("kind needs name").with_field("name"));
        }
        (None, None, Some(_)) => {
            return Err(ApiError::unprocessable("name needs kind").with_field("kind"));
        }
        (None, None, None) => None,
    };
    let needle = query
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    let directory = state.store.directory(account).await?;
    let names = ManagerNames::of(&directory);
    let ids = PersonRefs::of_id(&state.store, account).await?;
    let selected: Vec<&DirectoryEmployee> = directory
        .iter()
        .filter(|e| group.as_ref().is_none_or(|g| e.groups.contains(g)))
        .filter(|e| needle.as_deref().is_none_or(|n| text_matches(e, n)))
        .collect();
    let Page {
        items: selected,
        next_cursor: next,
    } = paginate(selected, page, "employees", |e| e.key.0, false);
    let employees = selected
        .into_iter()
        .map(|e| named(e, &names, &ids))
        .collect();
    Ok(Json(EmployeeList::page(employees, next)))
}

fn text_matches(e: &DirectoryEmployee, needle: &str) -> bool {
    let name = format!("{} {}", e.first_name, e.last_name).to_lowercase();
    name.contains(needle) || e.email.to_lowercase().contains(needle)
}

fn parse_kind(raw: &str, field: &str) -> Result<GroupKind, ApiError> {
    GroupKind::parse(raw.trim()).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "unknown group kind {:?} (expected one of: {})",
            excerpt(raw),
            GroupKind::ALL.map(GroupKind::as_str).join(", ")
        ))
        .with_field(field)
    })
}

/// `GET /employees/{personio_id}`: one employee (of a file account: `/employees/{import_id}`).
#[utoipa::path(
    get,
    path = "/employees/{personio_id}",
    tag = "directory",
    params(("personio_id" = String, Path, description = "The employee's Personio id; for an account that takes employee files, the employee's `ImportId`")),
    responses(
        (status = 200, description = "The employee", body = EmployeeView),
        (status = 400, description = "Not a positive integer (Personio accounts)", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such employee in this account", body = ErrorBody),
    )
)]
pub async fn get_employee(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    RawPath(raw): RawPath,
) -> Result<Json<EmployeeView>, ApiError> {
    let ids = PersonRefs::of_id(&state.store, account).await?;
    let missing = || ApiError::not_found(format!("no employee {} in this account", excerpt(&raw)));
    let key = if ids.by_import_id() {
        state
            .store
            .import_key(account, raw.trim())
            .await?
            .ok_or_else(missing)?
    } else {
        // A Personio account's people are keyed by their Personio ids.
        PersonKey(parse_id(&raw, "personio_id")?)
    };
    let employee = state
        .store
        .employee(account, key)
        .await?
        .ok_or_else(missing)?;
    let kinds: Vec<GroupKind> = employee.groups.iter().map(|g| g.kind).collect();
    let names = manager_names(&state, account, kinds.into_iter()).await?;
    Ok(Json(named(&employee, &names, &ids)))
}

/// `employee`'s view, its reporting lines named after their managers, its people named
/// as the account names them.
fn named(employee: &DirectoryEmployee, names: &ManagerNames, ids: &PersonRefs) -> EmployeeView {
    let mut view = EmployeeView::from(employee);
    names.name_all(&mut view);
    ids.employee(&mut view);
    view
}

/// `group`'s view, as [`named`] for a person.
fn group_named(
    group: &GroupSummary,
    names: &ManagerNames,
    ids: &PersonRefs,
    threshold: usize,
) -> GroupView {
    let mut view = names.group_view(group, threshold);
    ids.group(&mut view.group);
    view
}

/// The managers' names, read only when one of `kinds` is a reporting line.
pub(crate) async fn manager_names(
    state: &AppState,
    account: AccountId,
    mut kinds: impl Iterator<Item = GroupKind>,
) -> Result<ManagerNames, ApiError> {
    if kinds.any(|k| matches!(k, GroupKind::ReportsDirect | GroupKind::ReportsAll)) {
        Ok(ManagerNames::new(
            state.store.employee_names(account).await?,
        ))
    } else {
        Ok(ManagerNames::default())
    }
}

/// `GET /groups`: the account's groups with member counts.
#[utoipa::path(
    get,
    path = "/groups",
    tag = "directory",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1,000; without `limit` and `cursor` the whole list"),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "Groups sorted by kind, then name", body = GroupList),
        (status = 400, description = "Bad query parameter or cursor", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 422, description = "`limit` out of range", body = ErrorBody),
    )
)]
pub async fn list_groups(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    query: QueryPairs,
) -> Result<Json<GroupList>, ApiError> {
    let page = page_request::<(GroupKind, String)>(&query, "groups")?;
    let threshold = state.config.anonymity_threshold;
    let summaries = state.store.groups(account).await?;
    let kinds: Vec<GroupKind> = summaries.iter().map(|g| g.kind).collect();
    let names = manager_names(&state, account, kinds.into_iter()).await?;
    let ids = PersonRefs::of_id(&state.store, account).await?;
    let Page {
        items: groups,
        next_cursor,
    } = paginate(
        summaries,
        page,
        "groups",
        |g| (g.kind, g.name.clone()),
        false,
    );
    let groups = groups
        .iter()
        .map(|g| group_named(g, &names, &ids, threshold))
        .collect();
    Ok(Json(GroupList {
        groups,
        next_cursor,
    }))
}

/// `GET /groups/{id}/members`: a group and its members.
#[utoipa::path(
    get,
    path = "/groups/{id}/members",
    tag = "directory",
    params(
        ("id" = i64, Path, description = "The group's id (from `GET /groups`)"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1,000; without `limit` and `cursor` the whole list"),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "The group and its members, sorted by Personio id", body = GroupMembers),
        (status = 400, description = "Not a positive integer, or a bad cursor", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such group in this account", body = ErrorBody),
        (status = 422, description = "`limit` out of range", body = ErrorBody),
    )
)]
pub async fn group_members(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    RawPath(raw): RawPath,
    query: QueryPairs,
) -> Result<Json<GroupMembers>, ApiError> {
    let page = page_request::<i64>(&query, "members")?;
    let id = parse_id(&raw, "id")?;
    let group = state
        .store
        .group(account, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no group {id} in this account")))?;
    let mut members = state.store.group_members(account, id).await?;
    members.sort_by_key(|e| e.key);
    let Page {
        items: members,
        next_cursor,
    } = paginate(members, page, "members", |e| e.key.0, false);
    let kinds: Vec<GroupKind> = members
        .iter()
        .flat_map(|e| e.groups.iter().map(|g| g.kind))
        .collect();
    let names = manager_names(&state, account, kinds.into_iter()).await?;
    let ids = PersonRefs::of_id(&state.store, account).await?;
    let employees: Vec<EmployeeView> = members.iter().map(|e| named(e, &names, &ids)).collect();
    Ok(Json(GroupMembers {
        group: group_named(&group, &names, &ids, state.config.anonymity_threshold),
        count: employees.len(),
        employees,
        next_cursor,
    }))
}

/// Body of `POST /audiences/preview`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AudiencePreviewRequest {
    /// `all` = AND, `any` = OR (non-empty, nesting up to 8 levels); a leaf is
    /// `{"kind", "name"}`, `{"group_id"}`, `{"kind": "reports_all" | "reports_direct",
    /// "manager_personio_id"}` (an account that takes employee files:
    /// `"manager_import_id"`) or `{"kind": "tenure", "key"}`.
    #[schema(value_type = AudienceFilter)]
    pub filter: serde_json::Value,
}

/// `POST /audiences/preview`: who a filter over groups selects.
#[utoipa::path(
    post,
    path = "/audiences/preview",
    tag = "directory",
    request_body = AudiencePreviewRequest,
    responses(
        (status = 200, description = "The matching employees, sorted by Personio id", body = EmployeeList),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "A `group_id` is not a group of this account", body = ErrorBody),
        (status = 422, description = "The filter does not fit (the field is named)", body = ErrorBody),
    )
)]
pub async fn preview_audience(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    ApiJson(request): ApiJson<AudiencePreviewRequest>,
) -> Result<Json<EmployeeList>, ApiError> {
    let ids = PersonRefs::of_id(&state.store, account).await?;
    let filter = Filter::parse(&request.filter, "filter")?.resolve(&ids)?;
    let groups = state.store.groups(account).await?;
    let directory = state.store.directory(account).await?;
    let names = ManagerNames::of(&directory);
    let employees = filter
        .select(&directory, &groups)?
        .into_iter()
        .map(|e| named(e, &names, &ids))
        .collect();
    Ok(Json(EmployeeList::new(employees)))
}
