//! `/scim/v2/Groups`: list (filter, `startIndex`/`count` paging), POST, GET, PUT, PATCH,
//! DELETE of the token's account's groups, whose members are its users.
//!
//! A written group is checked (`displayName` a non-empty string, unique in the account
//! ignoring case: 409 `uniqueness`; `members` a list of `{"value": <user id>}`, every id
//! a user of the account: 400 `invalidValue` naming the ids that are not), `id` and
//! `meta` are the server's. PATCH is the shared [`patch`] on the group as a resource
//! (`displayName`, `externalId`, `members`), so members are added and removed in batches
//! the way Entra and Okta send them. Each write is stored, logged with the token's label,
//! and hands the members it touched (added, removed, or all of a renamed or deleted
//! group) to the engine (`sources::scim::written`) for the same run as a user write.
//! This module must never read or write another account's groups or users.

use super::listing::{Listing, answer_one};
use super::{
    ScimCaller, ScimError, base, created, external_id, json_body, patch, scim_json, shown,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use staffsync_engine::sources::scim::{CORE_GROUP, field, written};
use staffsync_engine::state::AppState;
use staffsync_store::{GroupWrite, ScimGroup, ScimGroupData, StoreError};
use std::collections::{BTreeSet, HashMap, HashSet};
use time::format_description::well_known::Rfc3339;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/Groups", axum::routing::get(list).post(create))
        .route("/scim/v2/Groups/.search", axum::routing::post(search))
        .route(
            "/scim/v2/Groups/{id}",
            axum::routing::get(read)
                .put(replace)
                .patch(change)
                .delete(delete),
        )
}

/// The group as a resource without what the server adds: what PATCH changes (its `id`
/// only to recognise it repeated, as Okta does; PATCH refuses to change it).
fn resource_of(group: &ScimGroup) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("id".into(), json!(group.id));
    r.insert("displayName".into(), json!(group.display_name));
    if let Some(external) = &group.external_id {
        r.insert("externalId".into(), json!(external));
    }
    r.insert(
        "members".into(),
        group
            .members
            .iter()
            .map(|m| json!({"value": m}))
            .collect::<Value>(),
    );
    r
}

/// The resource as answered: the group with the server's `id`, `schemas` and `meta`.
fn render(group: &ScimGroup, base: &str) -> Value {
    let mut r = resource_of(group);
    r.insert("schemas".into(), json!([CORE_GROUP]));
    r.insert("id".into(), json!(group.id));
    r.insert(
        "members".into(),
        group
            .members
            .iter()
            .map(|m| json!({"value": m, "type": "User", "$ref": format!("{base}/Users/{m}")}))
            .collect::<Value>(),
    );
    let at = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    r.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": at(group.created_at),
            "lastModified": at(group.updated_at),
            "location": format!("{base}/Groups/{}", group.id),
        }),
    );
    Value::Object(r)
}

/// Checks a written resource and makes what the store keeps of it (members once each,
/// in the order given; whether they are users is checked by [`known_members`]).
fn data_of(resource: &Value) -> Result<ScimGroupData, ScimError> {
    let Value::Object(r) = resource else {
        return Err(ScimError::bad(
            "invalidSyntax",
            "a Group must be a JSON object",
        ));
    };
    let display_name = match field(r, "displayName") {
        Some(Value::String(d)) if !d.trim().is_empty() => d.trim().to_owned(),
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "displayName must be a non-empty string",
            ));
        }
        None => return Err(ScimError::bad("invalidValue", "displayName is required")),
    };
    let external_id = external_id(r)?;
    let mut members: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    match field(r, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(entries)) => {
            for (n, entry) in entries.iter().enumerate() {
                let id = entry
                    .as_object()
                    .and_then(|o| field(o, "value"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        ScimError::bad(
                            "invalidValue",
                            format!("members[{n}] must be {{\"value\": <user id>}}, not {entry}"),
                        )
                    })?;
                if seen.insert(id) {
                    members.push(id.to_owned());
                }
            }
        }
        Some(other) => {
            return Err(ScimError::bad(
                "invalidValue",
                format!("members must be a list, not {other}"),
            ));
        }
    }
    Ok(ScimGroupData {
        external_id,
        display_name,
        members,
    })
}

/// 400 `invalidValue` naming the members that are no users of the account (at most ten).
async fn known_members(
    state: &AppState,
    caller: &ScimCaller,
    data: &ScimGroupData,
) -> Result<(), ScimError> {
    let unknown = state
        .store
        .unknown_scim_users(caller.account, &data.members)
        .await?;
    if unknown.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = unknown
        .iter()
        .take(10)
        .map(|id| format!("{:?}", shown(id)))
        .collect();
    let more = unknown.len().saturating_sub(named.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Err(ScimError::bad(
        "invalidValue",
        format!(
            "members: no user {}{more} in this account",
            named.join(", ")
        ),
    ))
}

fn conflict_or(e: StoreError, display_name: &str) -> ScimError {
    match e {
        StoreError::Conflict { .. } => ScimError::new(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!(
                "displayName {display_name:?} is already taken by another group of this account"
            ),
        ),
        other => ScimError::internal(other),
    }
}

fn no_group(id: &str) -> ScimError {
    ScimError::not_found(format!("no group {} in this account", shown(id)))
}

/// The users whose `idp_group` groups a write changed: those added or removed, and every
/// member when the group was renamed, created or deleted.
fn touched(before: Option<&ScimGroup>, after: Option<&ScimGroup>) -> BTreeSet<String> {
    let members = |g: Option<&ScimGroup>| -> BTreeSet<String> {
        g.map(|g| g.members.iter().cloned().collect())
            .unwrap_or_default()
    };
    let (old, new) = (members(before), members(after));
    match (before, after) {
        (Some(b), Some(a)) if b.display_name == a.display_name => {
            old.symmetric_difference(&new).cloned().collect()
        }
        _ => old.union(&new).cloned().collect(),
    }
}

fn after_write(
    state: &AppState,
    caller: &ScimCaller,
    action: &str,
    id: &str,
    users: BTreeSet<String>,
) {
    tracing::info!(account = %caller.account, by = %caller.label, action, group = %id, members = users.len(), "SCIM write");
    if !users.is_empty() {
        written(state, caller.account, users, &caller.label);
    }
}

async fn list(
    State(state): State<AppState>,
    caller: ScimCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ScimError> {
    listing(&state, &caller, Listing::of_query(&query)?).await
}

/// `POST /Groups/.search` (RFC 7644, 3.4.3).
async fn search(
    State(state): State<AppState>,
    caller: ScimCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    listing(&state, &caller, Listing::of_search(&headers, &body)?).await
}

async fn listing(
    state: &AppState,
    caller: &ScimCaller,
    asked: Listing,
) -> Result<Response, ScimError> {
    let filter = asked.filter()?;
    let base = base(state);
    // An account has few groups (tens to hundreds): every one is read and filtered.
    let groups = state.store.scim_groups(caller.account).await?;
    Ok(asked.answer(filter.as_ref(), groups.iter().map(|g| render(g, &base))))
}

async fn create(
    State(state): State<AppState>,
    caller: ScimCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let data = data_of(&json_body(&headers, &body)?)?;
    known_members(&state, &caller, &data).await?;
    let group = state
        .store
        .create_scim_group(caller.account, &data)
        .await
        .map_err(|e| conflict_or(e, &data.display_name))?;
    after_write(
        &state,
        &caller,
        "create",
        &group.id,
        touched(None, Some(&group)),
    );
    let rendered = render(&group, &base(&state));
    Ok(created(&rendered))
}

async fn read(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ScimError> {
    let group = state
        .store
        .scim_group(caller.account, &id)
        .await?
        .ok_or_else(|| no_group(&id))?;
    Ok(answer_one(render(&group, &base(&state)), &query))
}

/// Stores `data` as the group `before` and answers with it.
async fn store_replaced(
    state: &AppState,
    caller: &ScimCaller,
    before: &ScimGroup,
    data: ScimGroupData,
    action: &str,
) -> Result<Response, ScimError> {
    known_members(state, caller, &data).await?;
    let group = state
        .store
        .replace_scim_group(caller.account, &before.id, &data)
        .await
        .map_err(|e| conflict_or(e, &data.display_name))?
        .ok_or_else(|| no_group(&before.id))?;
    Ok(answer_written(state, caller, action, before, &group))
}

/// Hands what a write of `before` into `group` touched to the engine and answers with
/// the group.
fn answer_written(
    state: &AppState,
    caller: &ScimCaller,
    action: &str,
    before: &ScimGroup,
    group: &ScimGroup,
) -> Response {
    after_write(
        state,
        caller,
        action,
        &group.id,
        touched(Some(before), Some(group)),
    );
    scim_json(StatusCode::OK, &render(group, &base(state)))
}

async fn stored(state: &AppState, caller: &ScimCaller, id: &str) -> Result<ScimGroup, ScimError> {
    state
        .store
        .scim_group(caller.account, id)
        .await?
        .ok_or_else(|| no_group(id))
}

async fn replace(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let data = data_of(&json_body(&headers, &body)?)?;
    let before = stored(&state, &caller, &id).await?;
    store_replaced(&state, &caller, &before, data, "replace").await
}

async fn change(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let body = json_body(&headers, &body)?;
    // Applied to the group as stored, and written only if it is still so: a PATCH that
    // raced another write of the group is applied again to what that left (identity
    // providers send member batches of one group in parallel; writing a stale member
    // list would drop the other batch's members).
    for _ in 0..PATCH_ATTEMPTS {
        let before = stored(&state, &caller, &id).await?;
        let mut resource = resource_of(&before);
        patch::apply(&mut resource, &body).map_err(|e| ScimError::bad(e.scim_type, e.detail))?;
        let data = data_of(&Value::Object(resource))?;
        known_members(&state, &caller, &data).await?;
        let write = state
            .store
            .replace_scim_group_from(caller.account, &before, &data)
            .await
            .map_err(|e| conflict_or(e, &data.display_name))?;
        match write {
            GroupWrite::Written(group) => {
                return Ok(answer_written(&state, &caller, "patch", &before, &group));
            }
            GroupWrite::Missing => return Err(no_group(&id)),
            GroupWrite::Stale => continue,
        }
    }
    Err(ScimError::new(
        StatusCode::CONFLICT,
        None,
        format!(
            "group {} changed {PATCH_ATTEMPTS} times while this PATCH was applied; send it again",
            shown(&id)
        ),
    ))
}

/// How often a PATCH is applied again when other writes of the group keep coming first.
const PATCH_ATTEMPTS: usize = 20;

async fn delete(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let before = stored(&state, &caller, &id).await?;
    if !state.store.delete_scim_group(caller.account, &id).await? {
        return Err(no_group(&id));
    }
    after_write(&state, &caller, "delete", &id, touched(Some(&before), None));
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_groups_are_checked() {
        let data = data_of(&json!({
            "DisplayName": " Vertrieb ", "externalId": "E1", "id": "client-chosen",
            "members": [{"value": "u1"}, {"Value": "u2", "display": "Bo"}, {"value": "u1"}]
        }))
        .unwrap();
        assert_eq!(data.display_name, "Vertrieb");
        assert_eq!(data.external_id.as_deref(), Some("E1"));
        assert_eq!(data.members, ["u1", "u2"]);
        for (body, says) in [
            (json!({"members": []}), "displayName is required"),
            (json!({"displayName": " "}), "non-empty"),
            (
                json!({"displayName": "a", "externalId": 5}),
                "externalId must be",
            ),
            (
                json!({"displayName": "a", "members": "u1"}),
                "members must be a list",
            ),
            (
                json!({"displayName": "a", "members": ["u1"]}),
                "members[0] must be",
            ),
            (json!([1]), "JSON object"),
        ] {
            let e = data_of(&body).unwrap_err();
            assert!(e.detail.contains(says), "{}", e.detail);
        }
    }
}
