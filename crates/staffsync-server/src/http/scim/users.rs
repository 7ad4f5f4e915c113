//! `/scim/v2/Users`: list (filter, `startIndex`/`count` paging), POST, GET, PUT, PATCH,
//! DELETE of the token's account's users.
//!
//! A written resource is checked (`userName` present, `active` a boolean or Entra's
//! `"True"`/`"False"`), `id` and `meta` are the server's; a deactivated user keeps only
//! what the identity provider needs to find it again
//! (`sources::scim::kept_when_inactive`). Each write is stored, logged with the token's
//! label, and handed to the engine (`sources::scim::written`) for its run. This module
//! must never read or write another account's users.

use super::filter::{self, Lookup, as_bool};
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
use staffsync_engine::sources::scim::{
    CORE_USER, ENTERPRISE_USER, field, kept_when_inactive, written,
};
use staffsync_engine::state::AppState;
use staffsync_store::{ScimUser, ScimUserData, StoreError};
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/scim/v2/Users", axum::routing::get(list).post(create))
        .route("/scim/v2/Users/.search", axum::routing::post(search))
        // The server-wide search: Users are the only resources searched.
        .route("/scim/v2/.search", axum::routing::post(search))
        .route(
            "/scim/v2/Users/{id}",
            axum::routing::get(read)
                .put(replace)
                .patch(change)
                .delete(delete),
        )
}

/// The resource as answered: what was stored, with the server's `id`, `schemas` and
/// `meta`.
fn render(user: &ScimUser, base: &str) -> Value {
    let mut r = user.resource.as_object().cloned().unwrap_or_default();
    r.insert("id".into(), json!(user.id));
    r.insert("userName".into(), json!(user.user_name));
    r.insert("active".into(), json!(user.active));
    if let Some(external) = &user.external_id {
        r.insert("externalId".into(), json!(external));
    }
    if !r.contains_key("schemas") {
        let mut schemas = vec![json!(CORE_USER)];
        if field(&r, ENTERPRISE_USER).is_some() {
            schemas.push(json!(ENTERPRISE_USER));
        }
        r.insert("schemas".into(), Value::Array(schemas));
    }
    let at = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    r.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": at(user.created_at),
            "lastModified": at(user.updated_at),
            "location": format!("{base}/Users/{}", user.id),
        }),
    );
    Value::Object(r)
}

/// Checks a written resource and makes what the store keeps of it.
fn data_of(resource: Value) -> Result<ScimUserData, ScimError> {
    let Value::Object(mut r) = resource else {
        return Err(ScimError::bad(
            "invalidSyntax",
            "a User must be a JSON object",
        ));
    };
    // The server's: a client's `id` or `meta` is ignored (RFC 7644 §3.3).
    r.retain(|k, _| !k.eq_ignore_ascii_case("id") && !k.eq_ignore_ascii_case("meta"));
    let user_name = match field(&r, "userName") {
        Some(Value::String(u)) if !u.trim().is_empty() => u.trim().to_owned(),
        Some(_) => {
            return Err(ScimError::bad(
                "invalidValue",
                "userName must be a non-empty string",
            ));
        }
        None => return Err(ScimError::bad("invalidValue", "userName is required")),
    };
    let external_id = external_id(&r)?;
    let active = match field(&r, "active") {
        None | Some(Value::Null) => true,
        Some(v) => as_bool(v).ok_or_else(|| {
            ScimError::bad(
                "invalidValue",
                format!("active must be true or false, not {v}"),
            )
        })?,
    };
    // One spelling of the attributes the store keeps in columns too.
    r.retain(|k, _| {
        !k.eq_ignore_ascii_case("userName")
            && !k.eq_ignore_ascii_case("externalId")
            && !k.eq_ignore_ascii_case("active")
    });
    r.insert("userName".into(), json!(user_name));
    if let Some(e) = &external_id {
        r.insert("externalId".into(), json!(e));
    }
    r.insert("active".into(), json!(active));
    let resource = if active { r } else { kept_when_inactive(&r) };
    Ok(ScimUserData {
        external_id,
        user_name,
        active,
        resource: Value::Object(resource),
    })
}

fn conflict_or(e: StoreError, user_name: &str) -> ScimError {
    match e {
        StoreError::Conflict { .. } => ScimError::new(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!("userName {user_name:?} is already taken by another user of this account"),
        ),
        other => ScimError::internal(other),
    }
}

fn no_user(id: &str) -> ScimError {
    ScimError::not_found(format!("no user {} in this account", shown(id)))
}

fn after_write(state: &AppState, caller: &ScimCaller, action: &str, id: &str) {
    tracing::info!(account = %caller.account, by = %caller.label, action, user = %id, "SCIM write");
    written(state, caller.account, [id.to_owned()], &caller.label);
}

async fn list(
    State(state): State<AppState>,
    caller: ScimCaller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ScimError> {
    listing(&state, &caller, Listing::of_query(&query)?).await
}

/// `POST /Users/.search` (RFC 7644, 3.4.3): a list asked for in the body, so that a
/// filter never appears in a URL (and its logs).
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
    let store = &state.store;
    let account = caller.account;
    // A probe for one user is looked up; any other filter reads every user. The filter
    // is still applied to what the lookup found (it decides case and exactness).
    let users = match filter.as_ref().and_then(filter::Filter::lookup) {
        Some(Lookup::Id(id)) => store.scim_user(account, id).await?.into_iter().collect(),
        Some(Lookup::UserName(name)) => store
            .scim_user_by_user_name(account, name)
            .await?
            .into_iter()
            .collect(),
        Some(Lookup::ExternalId(e)) => store.scim_users_by_external_id(account, e).await?,
        None => store.scim_users(account).await?,
    };
    Ok(asked.answer(filter.as_ref(), users.iter().map(|u| render(u, &base))))
}

async fn create(
    State(state): State<AppState>,
    caller: ScimCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let data = data_of(json_body(&headers, &body)?)?;
    let user = state
        .store
        .create_scim_user(caller.account, &data)
        .await
        .map_err(|e| conflict_or(e, &data.user_name))?;
    after_write(&state, &caller, "create", &user.id);
    let rendered = render(&user, &base(&state));
    Ok(created(&rendered))
}

async fn read(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ScimError> {
    let user = state
        .store
        .scim_user(caller.account, &id)
        .await?
        .ok_or_else(|| no_user(&id))?;
    Ok(answer_one(render(&user, &base(&state)), &query))
}

async fn store_replaced(
    state: &AppState,
    caller: &ScimCaller,
    id: &str,
    data: ScimUserData,
    action: &str,
) -> Result<Response, ScimError> {
    let user = state
        .store
        .replace_scim_user(caller.account, id, &data)
        .await
        .map_err(|e| conflict_or(e, &data.user_name))?
        .ok_or_else(|| no_user(id))?;
    after_write(state, caller, action, &user.id);
    Ok(scim_json(StatusCode::OK, &render(&user, &base(state))))
}

async fn replace(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let data = data_of(json_body(&headers, &body)?)?;
    store_replaced(&state, &caller, &id, data, "replace").await
}

async fn change(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ScimError> {
    let body = json_body(&headers, &body)?;
    let user = state
        .store
        .scim_user(caller.account, &id)
        .await?
        .ok_or_else(|| no_user(&id))?;
    let mut resource: Map<String, Value> = user.resource.as_object().cloned().unwrap_or_default();
    patch::apply(&mut resource, &body).map_err(|e| ScimError::bad(e.scim_type, e.detail))?;
    let data = data_of(Value::Object(resource))?;
    store_replaced(&state, &caller, &id, data, "patch").await
}

async fn delete(
    State(state): State<AppState>,
    caller: ScimCaller,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    if !state.store.delete_scim_user(caller.account, &id).await? {
        return Err(no_user(&id));
    }
    after_write(&state, &caller, "delete", &id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deactivated_user_keeps_only_what_finds_it_again() {
        let data = data_of(json!({
            "userName": "ada@acme.de", "externalId": "E1", "active": "False",
            "id": "client-chosen", "name": {"givenName": "Ada"},
            ENTERPRISE_USER: {"department": "Vertrieb"}
        }))
        .unwrap();
        assert!(!data.active);
        assert_eq!(
            data.resource,
            json!({"externalId": "E1", "userName": "ada@acme.de", "active": false})
        );
        let data = data_of(json!({"UserName": "bob", "Active": "True", "id": "x"})).unwrap();
        assert!(data.active);
        assert_eq!(data.resource, json!({"userName": "bob", "active": true}));
    }

    #[test]
    fn written_users_are_checked() {
        for (body, says) in [
            (json!({"name": {}}), "userName is required"),
            (json!({"userName": ""}), "non-empty"),
            (
                json!({"userName": "a", "active": "maybe"}),
                "active must be",
            ),
            (
                json!({"userName": "a", "externalId": 5}),
                "externalId must be",
            ),
            (json!([1]), "JSON object"),
        ] {
            let e = data_of(body).unwrap_err();
            assert!(e.detail.contains(says), "{}", e.detail);
        }
    }
}
