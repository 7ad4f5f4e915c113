//! What a SCIM list asks for (`filter`, `startIndex`, `count`, `attributes`,
//! `excludedAttributes`), from a query (`GET /Users`, `GET /Groups`) or a SearchRequest
//! body (`POST /Users/.search`), and the page a list answers with. Shared by every
//! resource type, so Users and Groups page, filter and project alike.
//!
//! This module only reads the request and shapes the answer; what is listed is the
//! caller's (it must never read the store).

use super::filter::{self, Filter};
use super::{ScimError, json_body, list_response, projection};
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;
use std::collections::HashMap;

/// A query parameter by name, ignoring case.
fn param<'q>(query: &'q HashMap<String, String>, name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn number(query: &HashMap<String, String>, name: &str) -> Result<Option<usize>, ScimError> {
    param(query, name)
        .map(|v| {
            // SCIM says: below 1 is 1 (startIndex), below 0 is 0 (count).
            v.trim()
                .parse::<i64>()
                .map(|n| usize::try_from(n.max(0)).unwrap_or(0))
                .map_err(|_| {
                    ScimError::bad(
                        "invalidValue",
                        format!("{name} must be an integer, not {v:?}"),
                    )
                })
        })
        .transpose()
}

/// One resource as a `GET` of it answers: projected by the query's `attributes` or
/// `excludedAttributes`.
pub(super) fn answer_one(rendered: Value, query: &HashMap<String, String>) -> Response {
    let shown = projection::project(
        rendered,
        param(query, "attributes"),
        param(query, "excludedAttributes"),
    );
    super::scim_json(axum::http::StatusCode::OK, &shown)
}

/// What a list asks for.
pub(super) struct Listing {
    filter: Option<String>,
    start_index: Option<usize>,
    count: Option<usize>,
    attributes: Option<String>,
    excluded: Option<String>,
}

impl Listing {
    /// From a `GET` list's query.
    pub(super) fn of_query(query: &HashMap<String, String>) -> Result<Listing, ScimError> {
        Ok(Listing {
            filter: param(query, "filter").map(str::to_owned),
            start_index: number(query, "startIndex")?,
            count: number(query, "count")?,
            attributes: param(query, "attributes").map(str::to_owned),
            excluded: param(query, "excludedAttributes").map(str::to_owned),
        })
    }

    /// From a SearchRequest body (RFC 7644, 3.4.3).
    pub(super) fn of_search(headers: &HeaderMap, body: &Bytes) -> Result<Listing, ScimError> {
        let body = json_body(headers, body)?;
        let text = |name: &str| -> Result<Option<String>, ScimError> {
            match body.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Array(items)) => Ok(Some(
                    items
                        .iter()
                        .map(|i| i.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            ScimError::bad("invalidValue", format!("{name} must list strings"))
                        })?
                        .join(","),
                )),
                Some(other) => Err(ScimError::bad(
                    "invalidValue",
                    format!("{name} must be a string or a list of strings, not {other}"),
                )),
            }
        };
        let whole = |name: &str| -> Result<Option<usize>, ScimError> {
            match body.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(|n| Some(usize::try_from(n).unwrap_or(usize::MAX)))
                    .ok_or_else(|| {
                        ScimError::bad(
                            "invalidValue",
                            format!("{name} must be an integer, not {v}"),
                        )
                    }),
            }
        };
        Ok(Listing {
            filter: text("filter")?,
            start_index: whole("startIndex")?,
            count: whole("count")?,
            attributes: text("attributes")?,
            excluded: text("excludedAttributes")?,
        })
    }

    /// The filter asked for, parsed (400 `invalidFilter` saying what is wrong).
    pub(super) fn filter(&self) -> Result<Option<Filter>, ScimError> {
        self.filter
            .as_deref()
            .map(filter::parse)
            .transpose()
            .map_err(|e| ScimError::bad("invalidFilter", e))
    }

    /// The answer: of the `rendered` resources, those `filter` matches, paged from
    /// `startIndex` by `count` (at most [`super::MAX_RESULTS`]) and projected.
    pub(super) fn answer(
        &self,
        filter: Option<&Filter>,
        rendered: impl Iterator<Item = Value>,
    ) -> Response {
        let start_index = self.start_index.unwrap_or(1).max(1);
        let count = self
            .count
            .unwrap_or(super::MAX_RESULTS)
            .min(super::MAX_RESULTS);
        let matching: Vec<Value> = rendered
            .filter(|r| filter.is_none_or(|f| r.as_object().is_some_and(|o| f.matches(o))))
            .collect();
        let total = matching.len();
        let page = matching
            .into_iter()
            .skip(start_index - 1)
            .take(count)
            .map(|r| projection::project(r, self.attributes.as_deref(), self.excluded.as_deref()))
            .collect();
        list_response(total, start_index, page)
    }
}
