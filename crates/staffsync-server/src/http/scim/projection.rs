//! `attributes` and `excludedAttributes` (RFC 7644, 3.4.2.5, and 3.9): which attributes of
//! a resource an answer carries. Names are compared ignoring case, may carry their
//! schema's URN (`urn:ietf:params:scim:schemas:core:2.0:User:userName`,
//! `urn:ietf:params:scim:schemas:core:2.0:Group:displayName`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`) and may name
//! a sub-attribute (`name.givenName`). `id` and `schemas` are always returned.
//!
//! This module only shapes an answer; it must never change what is stored.

use serde_json::{Map, Value};
use staffsync_engine::sources::scim::{CORE_GROUP, CORE_USER, ENTERPRISE_USER};

/// Attributes returned whatever was asked (RFC 7643, 7: `returned: always`).
const ALWAYS: [&str; 2] = ["id", "schemas"];

/// One requested attribute: where it lives and which of its sub-attributes.
#[derive(Debug, PartialEq)]
struct Path {
    /// The top-level key (`name`, or the enterprise extension's URN).
    top: String,
    /// A sub-attribute of it (`givenName`, or an extension's `department`).
    sub: Option<String>,
}

fn parse(list: &str) -> Vec<Path> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            let lower = name.to_ascii_lowercase();
            let enterprise = ENTERPRISE_USER.to_ascii_lowercase();
            let core = CORE_USER.to_ascii_lowercase();
            if lower == enterprise {
                return Path {
                    top: ENTERPRISE_USER.to_owned(),
                    sub: None,
                };
            }
            if let Some(rest) = lower.strip_prefix(&format!("{enterprise}:")) {
                return Path {
                    top: ENTERPRISE_USER.to_owned(),
                    sub: Some(rest.to_owned()),
                };
            }
            let group = CORE_GROUP.to_ascii_lowercase();
            let plain = lower
                .strip_prefix(&format!("{core}:"))
                .or_else(|| lower.strip_prefix(&format!("{group}:")))
                .unwrap_or(&lower)
                .to_owned();
            match plain.split_once('.') {
                Some((top, sub)) => Path {
                    top: top.to_owned(),
                    sub: Some(sub.to_owned()),
                },
                None => Path {
                    top: plain,
                    sub: None,
                },
            }
        })
        .collect()
}

/// `resource` as an answer that was asked for `attributes` (only those) or
/// `excludedAttributes` (all but those); `attributes` wins when both are given, as the
/// RFC lets a server choose.
pub(super) fn project(resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let Value::Object(object) = resource else {
        return resource;
    };
    let out = match (attributes, excluded) {
        (Some(list), _) => only(object, &parse(list)),
        (None, Some(list)) => without(object, &parse(list)),
        (None, None) => object,
    };
    Value::Object(out)
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn only(object: Map<String, Value>, wanted: &[Path]) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in object {
        if ALWAYS.iter().any(|a| same(a, &key)) {
            out.insert(key, value);
            continue;
        }
        let asked: Vec<&Path> = wanted.iter().filter(|p| same(&p.top, &key)).collect();
        if asked.is_empty() {
            continue;
        }
        if asked.iter().any(|p| p.sub.is_none()) {
            out.insert(key, value);
            continue;
        }
        let keep = |k: &str| {
            asked
                .iter()
                .any(|p| p.sub.as_deref().is_some_and(|s| same(s, k)))
        };
        out.insert(key, subs_where(value, &keep));
    }
    out
}

fn without(object: Map<String, Value>, unwanted: &[Path]) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in object {
        let named: Vec<&Path> = unwanted.iter().filter(|p| same(&p.top, &key)).collect();
        if ALWAYS.iter().any(|a| same(a, &key)) || named.is_empty() {
            out.insert(key, value);
            continue;
        }
        if named.iter().any(|p| p.sub.is_none()) {
            continue;
        }
        let drop = |k: &str| {
            named
                .iter()
                .any(|p| p.sub.as_deref().is_some_and(|s| same(s, k)))
        };
        out.insert(key, subs_where(value, &|k: &str| !drop(k)));
    }
    out
}

/// `value` (a complex attribute, or a list of them) with the sub-attributes `keep` says.
fn subs_where(value: Value, keep: &dyn Fn(&str) -> bool) -> Value {
    let shaped = |inner: Map<String, Value>| -> Value {
        Value::Object(inner.into_iter().filter(|(k, _)| keep(k)).collect())
    };
    match value {
        Value::Object(inner) => shaped(inner),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| match item {
                    Value::Object(inner) => shaped(inner),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [CORE_USER, ENTERPRISE_USER],
            "id": "u1",
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Muster"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
            "active": true,
            ENTERPRISE_USER: {"department": "Vertrieb", "costCenter": "4711"},
            "meta": {"resourceType": "User"}
        })
    }

    #[test]
    fn attributes_keep_only_those_named_and_always_id_and_schemas() {
        let out = project(user(), Some("userName, name.givenName,emails.value"), None);
        assert_eq!(
            out,
            json!({
                "schemas": [CORE_USER, ENTERPRISE_USER],
                "id": "u1",
                "userName": "ada@example.com",
                "name": {"givenName": "Ada"},
                "emails": [{"value": "ada@example.com"}]
            })
        );
        let out = project(
            user(),
            Some(&format!(
                "{CORE_USER}:USERNAME,{ENTERPRISE_USER}:department"
            )),
            None,
        );
        assert_eq!(out["userName"], "ada@example.com");
        assert_eq!(out[ENTERPRISE_USER], json!({"department": "Vertrieb"}));
        assert!(out.get("name").is_none() && out.get("meta").is_none());
    }

    #[test]
    fn excluded_attributes_drop_those_named_but_never_id_or_schemas() {
        let out = project(user(), None, Some("name,emails.type,id,schemas"));
        assert!(out.get("name").is_none());
        assert_eq!(
            out["emails"],
            json!([{"value": "ada@example.com", "primary": true}])
        );
        assert_eq!(out["id"], "u1");
        assert!(out.get("schemas").is_some() && out.get("meta").is_some());
        let out = project(user(), None, Some(ENTERPRISE_USER));
        assert!(out.get(ENTERPRISE_USER).is_none());
        assert_eq!(project(user(), None, None), user());
    }
}
