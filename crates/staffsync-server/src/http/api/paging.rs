//! Paging of the API's lists: `limit` (1 to [`MAX_LIMIT`]) and an opaque `cursor` from the
//! previous page's `next_cursor`.
//!
//! Without `limit` and `cursor` a list answers exactly as it always did (everything, no
//! `next_cursor`), so existing clients are unaffected. A cursor holds the sort key of the
//! last item shown (keyset paging): a page continues after that item even when items were
//! added or removed meanwhile, and a cursor is only valid for the list that made it. This
//! module must never let a bad `limit` or `cursor` become a 500.

use crate::http::api::error::ApiError;
use crate::http::api::extract::{QueryPairs, excerpt};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The largest `limit` any list (and `GET /changes`) accepts.
pub const MAX_LIMIT: usize = 1000;
/// The page size of `GET /changes`, and of a list given a `cursor` but no `limit`.
pub const DEFAULT_LIMIT: usize = 100;

/// `limit` from the query: `None` when absent; 400 when not an integer, 422 when out of
/// 1..=[`MAX_LIMIT`], naming `limit`.
pub fn parse_limit(query: &QueryPairs) -> Result<Option<usize>, ApiError> {
    let Some(raw) = query.get("limit") else {
        return Ok(None);
    };
    let n: i64 = raw.trim().parse().map_err(|_| {
        ApiError::invalid_request(format!("expected an integer, got {:?}", excerpt(raw)))
            .with_field("limit")
    })?;
    match usize::try_from(n) {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(Some(n)),
        _ => Err(
            ApiError::unprocessable(format!("must be between 1 and {MAX_LIMIT} (got {n})"))
                .with_field("limit"),
        ),
    }
}

/// A request for one page: how many, and after which sort key.
#[derive(Debug)]
pub struct PageRequest<K> {
    pub limit: usize,
    pub after: Option<K>,
}

#[derive(Serialize, serde::Deserialize)]
struct CursorBody<K> {
    /// The list the cursor belongs to.
    l: String,
    /// The sort key of the last item shown.
    k: K,
}

/// The page asked for in `query` (`limit`, `cursor`) of the list `list`; `None` when
/// neither is given (the whole list, as before paging existed).
pub fn page_request<K: DeserializeOwned>(
    query: &QueryPairs,
    list: &str,
) -> Result<Option<PageRequest<K>>, ApiError> {
    let limit = parse_limit(query)?;
    let after = query
        .get("cursor")
        .map(|raw| {
            let bad = || {
                ApiError::invalid_request(format!(
                    "not a cursor of this list (use the next_cursor of a previous page of {list}), got {:?}",
                    excerpt(raw)
                ))
                .with_field("cursor")
            };
            let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
            let body: CursorBody<K> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
            if body.l != list {
                return Err(bad());
            }
            Ok(body.k)
        })
        .transpose()?;
    if limit.is_none() && after.is_none() {
        return Ok(None);
    }
    Ok(Some(PageRequest {
        limit: limit.unwrap_or(DEFAULT_LIMIT),
        after,
    }))
}

/// One page of a paged list: what every list answer is made from (its items under the
/// list's own field name, and `next_cursor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `None` without paging (the field is left out), `Some(None)` on the last page.
    pub next_cursor: Option<Option<String>>,
}

/// One page of `items` (already sorted by `key`, ascending or `descending`) with the value
/// of `next_cursor` (see [`Page`]).
pub fn paginate<T, K: Serialize + Ord>(
    items: Vec<T>,
    request: Option<PageRequest<K>>,
    list: &str,
    key: impl Fn(&T) -> K,
    descending: bool,
) -> Page<T> {
    let Some(request) = request else {
        return Page {
            items,
            next_cursor: None,
        };
    };
    let mut rest = items.into_iter().filter(|item| match &request.after {
        None => true,
        Some(after) if descending => key(item) < *after,
        Some(after) => key(item) > *after,
    });
    let page: Vec<T> = rest.by_ref().take(request.limit).collect();
    let more = rest.next().is_some();
    let next = match page.last() {
        Some(last) if more => serde_json::to_vec(&CursorBody {
            l: list.to_owned(),
            k: key(last),
        })
        .ok()
        .map(|bytes| URL_SAFE_NO_PAD.encode(bytes)),
        _ => None,
    };
    Page {
        items: page,
        next_cursor: Some(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> QueryPairs {
        QueryPairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn pages_follow_each_other_and_cursors_belong_to_their_list() {
        let items: Vec<i64> = (1..=7).collect();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q = vec![("limit", "3".to_owned())];
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let q = QueryPairs(q.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
            let request = page_request::<i64>(&q, "numbers").unwrap();
            let Page {
                items: page,
                next_cursor: next,
            } = paginate(items.clone(), request, "numbers", |i| *i, false);
            seen.extend(page);
            match next.unwrap() {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, items);
        let c = cursor_of("numbers", 3);
        assert!(page_request::<i64>(&query(&[("cursor", &c)]), "other").is_err());
        assert!(page_request::<i64>(&query(&[("cursor", "zz")]), "numbers").is_err());
        assert!(
            page_request::<i64>(&query(&[]), "numbers")
                .unwrap()
                .is_none()
        );
        assert!(parse_limit(&query(&[("limit", "1001")])).is_err());
        assert!(parse_limit(&query(&[("limit", "0")])).is_err());
        assert!(parse_limit(&query(&[("limit", "x")])).is_err());
    }

    fn cursor_of(list: &str, k: i64) -> String {
        URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&CursorBody {
                l: list.to_owned(),
                k,
            })
            .unwrap(),
        )
    }
}
