//! `POST /imports`: an employee file as the request body, imported into the token's
//! account now, or previewed with `?dry_run=true`.
//!
//! The `Content-Type` says the format (XLSX, ODS or CSV; anything else is 415 naming the
//! accepted types). A body above `ServerConfig::max_upload_bytes` is 413 (the route's own
//! body limit; the rest of the API keeps axum's default); a file the reader refuses
//! (empty, corrupt, password-protected, a zip bomb, required columns missing) is 422
//! naming the problem. A Personio account, another run holding the account's lease,
//! another file of the account being read, or the server's reading slots staying taken
//! ([`imports::read`]) is 409. In none of these cases is anything read into the directory: the file is read
//! and checked before a run starts, and the run itself goes through the deletion guard.
//!
//! The run is [`imports::import_now`]'s: it continues when the client goes away, and this
//! handler never applies anything itself.

use crate::http::api::error::{ApiError, ErrorBody};
use crate::http::api::extract::{QueryPairs, excerpt};
use crate::http::api::tokens::ApiAccount;
use crate::http::api::views::ImportAnswer;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use employee_file::{Format, Limits};
use staffsync_engine::imports::{self, ImportError};
use staffsync_engine::lease::LeaseError;
use staffsync_engine::run::{SyncError, SyncOptions};
use staffsync_engine::state::AppState;
use std::time::Duration;

/// The content types `POST /imports` takes, as its 415 names them.
pub const ACCEPTED_TYPES: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (XLSX), \
     application/vnd.oasis.opendocument.spreadsheet (ODS), text/csv (CSV)";

/// How long an import may take before the client is answered 408 (it still finishes).
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(600);

/// `POST /imports`: import an employee file (or preview it).
#[utoipa::path(
    post,
    path = "/imports",
    tag = "imports",
    params(
        ("dry_run" = Option<bool>, Query, description = "`true`: plan and record a dry run, change nothing (the preview)"),
        ("sheet" = Option<String>, Query, description = "The workbook's sheet to read (default: the first)"),
    ),
    request_body(
        description = "The employee file (required columns ImportId, Email, Firstname, Lastname; see docs/employee-file.md)",
        content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
            (Vec<u8> = "text/csv"),
        ),
    ),
    responses(
        (status = 200, description = "The run: `applied`, `dry_run` or `held` (the deletion guard stopped it; nothing changed), its numbers, the rows left out and the people concerned", body = ImportAnswer),
        (status = 400, description = "Bad query parameter, or the body could not be read", body = ErrorBody),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 409, description = "The account syncs from Personio, another run of it is going on or another file of it is being read, or the server's slots for reading files stayed taken", body = ErrorBody),
        (status = 408, description = "The client stopped sending the body for longer than the server waits (20 s)", body = ErrorBody),
        (status = 413, description = "The file is larger than the server takes (default 20 MB)", body = ErrorBody),
        (status = 415, description = "Not an XLSX, ODS or CSV `Content-Type`", body = ErrorBody),
        (status = 422, description = "The file was refused (empty, corrupt, password-protected, required columns missing, …): the message says why; nothing changed", body = ErrorBody),
    )
)]
pub async fn create_import(
    State(state): State<AppState>,
    ApiAccount(account): ApiAccount,
    query: QueryPairs,
    request: Request,
) -> Result<Json<ImportAnswer>, ApiError> {
    query.check(&["dry_run", "sheet"])?;
    let dry_run = match query.get("dry_run").map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::invalid_request(format!(
                "expected true or false, got {:?}",
                excerpt(other)
            ))
            .with_field("dry_run"));
        }
    };
    let sheet = query.get("sheet").map(str::to_owned);
    let acct = state
        .store
        .account_by_id(account)
        .await?
        .ok_or_else(|| ApiError::not_found("account not found"))?;
    if !staffsync_engine::sources::of(&acct).takes_files {
        return Err(ApiError::conflict(
            SyncError::PersonioAccount(acct.slug.to_string()).to_string(),
        ));
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let format = Format::from_content_type(&content_type).ok_or_else(|| {
        ApiError::invalid_request(format!(
            "unsupported Content-Type {:?}; send the file as one of: {ACCEPTED_TYPES}",
            excerpt(&content_type)
        ))
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
    })?;
    let max = state.config.max_upload_bytes;
    // The route's body limit (`DefaultBodyLimit`) stops reading past `max`.
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::invalid_request(format!(
                    "the file is larger than the {max} bytes this server takes"
                ))
                .with_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else if crate::http::stalled(&rejection) {
                ApiError::invalid_request(
                    "the client stopped sending the file; send it again in one go",
                )
                .with_status(StatusCode::REQUEST_TIMEOUT)
            } else {
                ApiError::invalid_request("the request body could not be read")
            }
        })?;
    let limits = Limits {
        max_bytes: max,
        ..Limits::default()
    };
    let file = imports::read(&state, account, bytes, format, sheet, limits)
        .await
        .map_err(|e| match e {
            ImportError::Refused(_) => ApiError::unprocessable(e.to_string()),
            ImportError::Stopped(e) => ApiError::internal(e),
            other => ApiError::conflict(other.to_string()),
        })?;

    // Who is there before the run: removed people are erased by the time it answers.
    let ids = state.store.import_ids(account).await?;
    let names = state.store.employee_names(account).await?;
    let options = SyncOptions {
        dry_run,
        today: Some(state.today_in(&acct.time_zone)),
        ..SyncOptions::default()
    };
    let holder = format!("{}:import", state.config.instance_id);
    let report = imports::import_now(&state, &acct, file, &options, &holder)
        .await
        .map_err(|e| match e {
            ImportError::Lease(LeaseError::Store(e)) | ImportError::Sync(SyncError::Store(e)) => {
                ApiError::from(e)
            }
            ImportError::Stopped(e) => ApiError::internal(e),
            other => ApiError::conflict(other.to_string()),
        })?;
    Ok(Json(ImportAnswer::new(&report, &ids, &names)))
}
