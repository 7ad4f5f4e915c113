//! The REST API for the survey app, nested under `/api/v1` by [`crate::http::app`].
//!
//! Every endpoint except `GET /openapi.json` needs `Authorization: Bearer <token>` (see
//! [`tokens`]); the token decides the account and every query is scoped by it. Errors
//! follow the policy in [`error`]. The OpenAPI document is generated from the handlers
//! (`#[utoipa::path]`), so routes and documentation cannot drift apart.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/employees` | the directory (`q`, `group_id`, `kind` + `name`) |
//! | GET | `/employees/{personio_id}` | one employee |
//! | GET | `/groups` | groups with member counts and the anonymity flag |
//! | GET | `/groups/{id}/members` | a group's members |
//! | POST | `/audiences/preview` | who an AND/OR filter over groups selects |
//! | POST, GET | `/audiences/snapshots` | freeze a filter's audience with its groups / list snapshots |
//! | GET, DELETE | `/audiences/snapshots/{id}` | a snapshot with its groups and (paged) members / drop it |
//! | POST | `/feedback` | store feedback by an employee |
//! | GET | `/feedback` | feedback with author (or `null`) and group snapshot |
//! | POST | `/sync` | queue a sync now |
//! | POST | `/imports` | import an employee file (the body; `?dry_run=true` previews) |
//! | GET | `/sync-runs` | sync history |
//! | GET | `/sync-runs/{id}` | one run with its per-employee changes |
//! | GET | `/changes` | the change feed (`after`, `limit`) |
//! | POST, GET | `/webhook-endpoints` | register (secret shown once) / list outgoing-webhook endpoints |
//! | DELETE | `/webhook-endpoints/{id}` | delete an endpoint |
//! | GET | `/webhook-endpoints/{id}/deliveries` | an endpoint's delivery log |
//!
//! Lists (`/employees`, `/groups`, `/groups/{id}/members`, `/feedback`, `/sync-runs`,
//! `/audiences/snapshots` and a snapshot's members) page
//! with `limit` (≤ 1,000) and `cursor` ([`paging`]); without them they answer in full.
//!
//! This module must never serve data without an account from a token, and never change
//! the directory (syncs are only queued).

pub mod audience;
pub mod changes;
pub mod directory;
pub mod error;
pub mod extract;
pub mod feedback;
pub mod imports;
pub mod paging;
pub mod settings;
pub mod snapshots;
pub mod sync;
pub mod tokens;
pub mod views;
pub mod webhook_endpoints;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use staffsync_engine::state::AppState;
use std::sync::Arc;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where [`routes`] is mounted; the OpenAPI document's paths include it.
pub const PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "staffsync API",
        description = "The employee directory synced from Personio, for the survey app. \
                       Authenticate with `Authorization: Bearer <token>` \
                       (create one with `staffsync token create <account>`).",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "directory", description = "Employees, groups and audiences"),
        (name = "feedback", description = "Feedback by employees"),
        (name = "sync", description = "Sync runs"),
        (name = "changes", description = "The change feed: what each applied run changed, in order"),
        (name = "webhooks", description = "Outgoing webhooks: the change feed POSTed to your endpoints, signed the Standard Webhooks way"),
        (name = "settings", description = "The account's settings: who is in, which groups, the deletion guard"),
        (name = "imports", description = "Employee files (XLSX, ODS, CSV) for accounts that take them instead of Personio"),
    ),
    components(schemas(error::ErrorCode))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ss_<43 url-safe base64 characters>")
                    .build(),
            ),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(directory::list_employees))
        .routes(routes!(directory::get_employee))
        .routes(routes!(directory::list_groups))
        .routes(routes!(directory::group_members))
        .routes(routes!(directory::preview_audience))
        .routes(routes!(
            snapshots::create_snapshot,
            snapshots::list_snapshots
        ))
        .routes(routes!(snapshots::get_snapshot, snapshots::delete_snapshot))
        .routes(routes!(feedback::create_feedback, feedback::list_feedback))
        .routes(routes!(sync::request_sync))
        .routes(routes!(sync::list_runs))
        .routes(routes!(sync::get_run))
        .routes(routes!(changes::list_changes))
        .routes(routes!(
            webhook_endpoints::create_endpoint,
            webhook_endpoints::list_endpoints
        ))
        .routes(routes!(webhook_endpoints::delete_endpoint))
        .routes(routes!(webhook_endpoints::list_deliveries))
        .routes(routes!(settings::get_settings, settings::put_settings))
        .routes(routes!(settings::preview_settings))
}

/// The import route: its own body limit (the file) and time limit (a large file takes
/// longer than other requests); see [`imports`].
fn import_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(imports::create_import))
}

/// The OpenAPI document of the API, with paths as served (under `/api/v1`).
pub fn openapi() -> OpenApiDoc {
    let (_, doc) = api_router().merge(import_router()).split_for_parts();
    with_prefix(doc)
}

fn with_prefix(mut doc: OpenApiDoc) -> OpenApiDoc {
    let paths = std::mem::take(&mut doc.paths.paths);
    doc.paths.paths = paths
        .into_iter()
        .map(|(path, item)| (format!("{PREFIX}{path}"), item))
        .collect();
    doc
}

/// The API's routes (relative to `/api/v1`), with JSON errors for unknown paths and methods.
pub fn routes(state: AppState) -> Router {
    let (router, doc) = api_router().split_for_parts();
    let (imports, import_doc) = import_router().split_for_parts();
    let mut doc = doc;
    doc.merge(import_doc);
    let doc = Arc::new(with_prefix(doc));
    // Layers apply to the routes added before them: every route keeps axum's default body
    // limit and the request timeout, except the import's.
    let max_upload = usize::try_from(state.config.max_upload_bytes).unwrap_or(usize::MAX);
    let imports = imports
        .layer(DefaultBodyLimit::max(max_upload))
        // A client that stops sending the file is answered 408 and let go.
        .layer(RequestBodyTimeoutLayer::new(
            state.config.upload_idle_timeout,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            imports::IMPORT_TIMEOUT,
        ));
    router
        .layer(crate::http::timeout())
        .merge(imports)
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(error::unknown_path)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    /// In process (no socket: a server may close a connection on a body it refuses
    /// before the client has sent it all): the import route takes up to its own limit,
    /// every other route keeps axum's 2 MB, whether the import's limit is lower or higher.
    #[tokio::test]
    async fn only_the_import_route_has_the_upload_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = staffsync_store::Store::open(&staffsync_store::StoreConfig {
            data_dir: dir.path().to_owned(),
            database_url: None,
            secret_key: None,
        })
        .await
        .unwrap();
        let account = store
            .create_account_with_source(
                &staffsync_core::AccountSlug::parse("acme").unwrap(),
                "Acme",
                &Default::default(),
                staffsync_store::AccountSource::File,
            )
            .await
            .unwrap();
        let token = tokens::generate_token();
        store
            .create_api_token(account.id, &tokens::hash_token(&token), "test")
            .await
            .unwrap();
        for max_upload_bytes in [16 * 1024, 8 << 20] {
            let config = staffsync_engine::ServerConfig {
                run_scheduler: false,
                max_upload_bytes,
                ..staffsync_engine::ServerConfig::default()
            };
            let app = routes(AppState::new(store.clone(), config));
            let post = |path: &str, content_type: &str, body: Vec<u8>| {
                Request::post(path)
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", content_type)
                    .body(Body::from(body))
                    .unwrap()
            };
            let status = |req: Request<Body>| {
                let app = app.clone();
                async move { app.oneshot(req).await.unwrap().status().as_u16() }
            };
            let filter = |n: usize| {
                format!(
                    r#"{{"filter": {{"kind": "department", "name": "{}"}}}}"#,
                    "x".repeat(n)
                )
                .into_bytes()
            };
            let json = "application/json";
            let above_import = usize::try_from(max_upload_bytes).unwrap() + 1;
            assert_eq!(
                status(post("/audiences/preview", json, filter(100_000))).await,
                200,
                "100 KB on another route with an import limit of {max_upload_bytes}"
            );
            assert_eq!(
                status(post("/audiences/preview", json, filter(3 << 20))).await,
                413,
                "3 MB on another route with an import limit of {max_upload_bytes}"
            );
            assert_eq!(
                status(post("/imports", "text/csv", vec![b'x'; above_import])).await,
                413
            );
            if max_upload_bytes > 3 << 20 {
                // More than the other routes take, within the import's limit: read (and
                // refused as a file without the required columns, not as too large).
                assert_eq!(
                    status(post("/imports", "text/csv", vec![b'x'; 3 << 20])).await,
                    422
                );
            }
        }
    }
}
