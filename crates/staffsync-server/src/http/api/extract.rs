//! Extractors that read requests and turn every failure into an [`ApiError`] naming the
//! offending input.
//!
//! axum's own `Json`, `Path` and `Query` reject with plain-text bodies; the API never uses
//! them directly. This module must never let bad input become a 500, and never echo more
//! than a short excerpt of what the client sent.

use crate::http::api::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// A JSON request body, deserialized with the failing field's path named in the error.
///
/// Syntax errors, empty bodies and objects that name a key twice are 400 (serde_json
/// would silently keep the last value, so `{"body":"a","body":"b"}` is refused with the
/// key's path as `field`); well-formed JSON of the wrong shape (missing or
/// unknown field, wrong type) is 422. A `Content-Type` other than JSON is 415; a missing one
/// is accepted.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
            let is_json = content_type.to_str().is_ok_and(|ct| {
                let essence = ct.split(';').next().unwrap_or_default().trim();
                essence.eq_ignore_ascii_case("application/json")
                    || (essence.starts_with("application/") && essence.ends_with("+json"))
            });
            if !is_json {
                return Err(ApiError::invalid_request(
                    "expected a JSON body (Content-Type: application/json)",
                )
                .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
            }
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::invalid_request("request body too large").with_status(status)
    } else {
        ApiError::invalid_request("could not read the request body")
    }
}

/// Deserializes `bytes` as JSON into `T`, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_request(
            "the request body is empty; expected a JSON object",
        ));
    }
    // Syntax first (400), then shape (422): a body with trailing garbage is malformed even
    // when its first value would not fit.
    let json: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_request(format!("malformed JSON: {e}")))?;
    reject_duplicate_keys(bytes)?;
    let value: T = serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        let message = without_position(&e.into_inner().to_string());
        ApiError::unprocessable(&message).with_field(field_of(&path, &message))
    })?;
    Ok(value)
}

/// The message a repeated key fails with; [`reject_duplicate_keys`] reads the key back.
const DUPLICATE_KEY: &str = "duplicate key `";

/// 400 naming the first key an object of `bytes` (well-formed JSON) names twice, as a
/// path (`filter.all[0].kind`).
fn reject_duplicate_keys(bytes: &[u8]) -> Result<(), ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let Err(e) = serde_path_to_error::deserialize::<_, NoDuplicateKeys>(&mut de) else {
        return Ok(());
    };
    // The path is the object's; the message names the key.
    let path = e.path().to_string();
    let message = without_position(&e.into_inner().to_string());
    let key = message
        .strip_prefix(DUPLICATE_KEY)
        .and_then(|rest| rest.strip_suffix('`'))
        .unwrap_or_default();
    let field = match (path.as_str(), key) {
        (_, "") => String::new(),
        ("." | "", key) => key.to_owned(),
        (parent, key) => format!("{parent}.{key}"),
    };
    Err(ApiError::invalid_request(format!("{message} in a JSON object")).with_field(field))
}

/// Walks any JSON value and fails on the first object that names a key twice.
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(de::Error::custom(format!(
                    "{DUPLICATE_KEY}{}`",
                    excerpt(&key)
                )));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(self)
    }
}

/// The failing field: serde's path, plus the field a "missing field `x`" message names
/// (the path then points at its parent; for unknown fields it already ends in the name).
fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match named {
        Some(name) if parent.is_empty() => excerpt(name),
        Some(name) => format!("{parent}.{}", excerpt(name)),
        None => parent.to_owned(),
    }
}

/// serde_json appends " at line L column C"; data errors name the field instead.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => message[..i].to_owned(),
        _ => message.to_owned(),
    }
}

/// The raw text of a request's single path parameter (parsed by [`parse_id`]).
#[derive(Debug)]
pub struct RawPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RawPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| RawPath(p.0))
            .map_err(|e| {
                ApiError::invalid_request(format!("bad path parameter: {}", e.body_text()))
            })
    }
}

/// Parses a path or query id: a positive 64-bit integer. 400 naming `field` otherwise.
pub fn parse_id(raw: &str, field: &str) -> Result<i64, ApiError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ApiError::invalid_request(format!(
            "expected a positive integer, got {:?}",
            excerpt(raw)
        ))
        .with_field(field)),
    }
}

/// The query string as name/value pairs, in order, percent-decoded.
#[derive(Debug, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map(|q| QueryPairs(q.0))
            .map_err(|_| ApiError::invalid_request("malformed query string"))
    }
}

impl QueryPairs {
    /// Refuses parameters not in `allowed` and parameters given twice.
    pub fn check(&self, allowed: &[&str]) -> Result<(), ApiError> {
        let mut seen: Vec<&str> = Vec::new();
        for (name, _) in &self.0 {
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::invalid_request(format!(
                    "unknown query parameter (allowed: {})",
                    allowed.join(", ")
                ))
                .with_field(excerpt(name)));
            }
            if seen.contains(&name.as_str()) {
                return Err(ApiError::invalid_request("given more than once").with_field(name));
            }
            seen.push(name);
        }
        Ok(())
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// At most 64 characters of client input, for error messages.
pub fn excerpt(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_owned()
    } else {
        let mut e: String = s.chars().take(64).collect();
        e.push('…');
        e
    }
}
