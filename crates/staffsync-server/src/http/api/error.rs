//! The REST API's error type and its JSON shape.
//!
//! # Error policy
//!
//! Every error the API returns is JSON of one shape:
//!
//! ```json
//! {"error": {"code": "invalid_request", "message": "limit: expected an integer", "field": "limit"}}
//! ```
//!
//! | code | status | when |
//! |---|---|---|
//! | `invalid_request` | 400 (413, 415, 405 where HTTP says so) | the request cannot be read: malformed JSON, an empty body, a JSON object naming a key twice, a path id that is not a positive integer, an unknown query parameter, a body too large, a wrong `Content-Type`, a method the path does not have |
//! | `unprocessable` | 422 | well-formed JSON that does not fit: a missing field, a wrong type, an unknown field, an unknown group kind, an empty feedback body |
//! | `unauthorized` | 401 | no `Authorization: Bearer …` header, or a token that is unknown or revoked |
//! | `forbidden` | 403 | something only a person may do (in the web app or on the command line), never a token: loosening the deletion guard in `PUT /settings` |
//! | `not_found` | 404 | an id (in the path, the query or the body) that is not in the caller's account; ids of *other* accounts get exactly the same answer, so nothing leaks |
//! | `conflict` | 409 | the request contradicts the account's state (e.g. `POST /sync` without a Personio connection) |
//! | `gone` | 410 | a change-feed cursor older than the retention: the changes after it were deleted |
//! | `too_many_requests` | 429 | `POST /sync` within a minute of the account's last full sync (`Retry-After` says when) |
//! | `timeout` | 408 | the request took longer than [`crate::http::REQUEST_TIMEOUT`] and was stopped |
//! | `internal` | 500 | anything else: the full error is logged (`tracing::error!`), the client sees only `internal error` |
//!
//! `field` names the offending input (a JSON path such as `filter.all[1].kind`, a query
//! parameter or a path parameter) whenever there is one; the message names it too.
//!
//! Rules this module keeps:
//! - bad input is never a 500: extractors in [`crate::http::api::extract`] turn every rejection into
//!   400/422 with the field named;
//! - an internal error never reaches the client: no database message, no secret, no path;
//! - another account's resource is indistinguishable from a missing one (404, never 403);
//!   403 means only "a person must do this", for the caller's own account.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use staffsync_store::StoreError;
use utoipa::ToSchema;

/// The machine-readable kind of an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    Forbidden,
    Unauthorized,
    InvalidRequest,
    Unprocessable,
    Conflict,
    Gone,
    TooManyRequests,
    Timeout,
    Internal,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A human-readable explanation that names the offending input.
    pub message: String,
    /// The offending input (JSON path, query or path parameter), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error a handler or extractor returns; rendered as [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    field: Option<String>,
    /// Seconds for a `Retry-After` header (429).
    retry_after: Option<u64>,
    /// What went wrong inside (500): logged once, when the response is made; never sent.
    internal: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
            internal: None,
        }
    }

    /// 404: the thing does not exist in the caller's account.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 403: only a person may do this (web app or command line), never an API token.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    /// 401: no valid API token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    /// 400: the request cannot be read.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    /// 422: the request was read but does not fit.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Unprocessable,
            message,
        )
    }

    /// 409: the request contradicts the account's state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }

    /// 410: what the request refers to was deleted for good (an expired feed cursor).
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, ErrorCode::Gone, message)
    }

    /// 429: asked again too soon; `Retry-After` says in how many seconds.
    pub fn too_many_requests(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyRequests,
            message,
        );
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// 500: the client sees only "internal error"; `error` is logged in full when the
    /// response is made (once, there, and not by whoever built this error).
    pub fn internal(error: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error",
        );
        e.internal = Some(error.to_string());
        e
    }

    /// The same error with a different status (e.g. 413, 415, 405 for `invalid_request`).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Names the offending input; the message is prefixed with it.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        if !field.is_empty() {
            self.message = format!("{field}: {}", self.message);
            self.field = Some(field);
        }
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(detail) = &self.internal {
            tracing::error!(error = %detail, "API request failed");
        }
        let unauthorized = self.code == ErrorCode::Unauthorized;
        let retry_after = self.retry_after;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"staffsync\""),
            );
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Store errors a handler did not handle itself. `NotFound` and `Conflict` keep their
/// meaning (with a generic message: the store's may name internal row ids); everything
/// else is internal.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::not_found("not found"),
            StoreError::Conflict { what } => ApiError::conflict(what),
            other => ApiError::internal(other),
        }
    }
}

impl ApiError {
    /// The error for an answer that came without a body of its own (an axum rejection or
    /// fallback, the request timeout): see [`crate::http`].
    pub fn for_status(status: StatusCode) -> ApiError {
        match status {
            StatusCode::NOT_FOUND => {
                ApiError::not_found("no such API endpoint (see /api/v1/openapi.json)")
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                ApiError::invalid_request("method not allowed on this path").with_status(status)
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::invalid_request("request body too large").with_status(status)
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::invalid_request("unsupported Content-Type").with_status(status)
            }
            StatusCode::UNAUTHORIZED => ApiError::unauthorized("missing or invalid API token"),
            StatusCode::REQUEST_TIMEOUT => ApiError::new(
                status,
                ErrorCode::Timeout,
                format!(
                    "the request took longer than {} s and was stopped",
                    crate::http::REQUEST_TIMEOUT.as_secs()
                ),
            ),
            s if s.is_server_error() => ApiError::new(s, ErrorCode::Internal, "internal error"),
            s => ApiError::invalid_request("the request could not be read").with_status(s),
        }
    }
}

/// JSON 404 for paths under `/api/v1` that do not exist.
pub async fn unknown_path() -> ApiError {
    ApiError::not_found("no such API endpoint (see /api/v1/openapi.json)")
}

/// JSON 405 for a method a path does not have.
pub async fn method_not_allowed() -> ApiError {
    ApiError::invalid_request("method not allowed on this path")
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
}
