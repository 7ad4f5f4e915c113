//! Audience filters: which employees a survey would reach, as a boolean expression over
//! groups.
//!
//! ```json
//! {"all": [ {"kind": "department", "name": "Sales"},
//!           {"any": [{"kind": "office", "name": "Berlin"}, {"group_id": 7}]} ]}
//! ```
//!
//! `all` is AND, `any` is OR, both non-empty and nestable up to [`MAX_DEPTH`] levels; a leaf
//! is a group by `kind` + `name`, by `group_id`, a reporting line by `kind`
//! (`reports_direct`, `reports_all`) + `manager_personio_id` (an account that takes
//! employee files: `manager_import_id`, resolved by [`Filter::resolve`]), or a tenure or
//! age band by `{"kind": "tenure", "key": "1_2y"}` / `{"kind": "age", "key": "25_34"}`. Parsing names the failing JSON path
//! (`filter.all[1].any[0].kind`). Evaluation runs over one account's directory only; a
//! `group_id` that is not in that account is refused (404), a `kind` + `name` that names
//! no current group matches nobody (groups exist only while they have members).
//! This module must never see more than one account's data.

use crate::http::api::error::ApiError;
use crate::http::api::extract::excerpt;
use crate::http::api::views::GroupKindView;
use serde_json::Value;
use staffsync_core::AgeBand;
use staffsync_core::tenure::TenureBand;
use staffsync_core::{DirectoryEmployee, GroupKey, GroupKind};
use staffsync_engine::PersonRefs;
use staffsync_store::GroupSummary;
use utoipa::ToSchema;

/// Deepest nesting of `all` / `any` accepted.
pub const MAX_DEPTH: usize = 8;
/// Most leaves accepted in one filter.
pub const MAX_LEAVES: usize = 500;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Group {
        key: GroupKey,
        path: String,
    },
    GroupId {
        id: i64,
        path: String,
    },
    /// A reporting line by its manager's `ImportId` (file accounts), until
    /// [`Filter::resolve`] turns it into a group.
    Manager {
        kind: GroupKind,
        import_id: String,
        path: String,
    },
    /// Matches nobody (a manager nobody in the account has as `ImportId`).
    Nobody,
}

/// The JSON form of a filter (documentation; parsing is done by [`Filter::parse`]).
#[derive(Debug, ToSchema)]
#[serde(untagged)]
pub enum AudienceFilter {
    /// Every sub-filter matches (AND).
    All {
        #[schema(no_recursion)]
        all: Vec<AudienceFilter>,
    },
    /// At least one sub-filter matches (OR).
    Any {
        #[schema(no_recursion)]
        any: Vec<AudienceFilter>,
    },
    /// Members of the group with this kind and name.
    Group { kind: GroupKindView, name: String },
    /// Everyone reporting to this manager (`reports_all`) or directly (`reports_direct`).
    ReportingLine {
        kind: GroupKindView,
        manager_personio_id: i64,
    },
    /// The same for an account that takes employee files: the manager by `ImportId`.
    ReportingLineByImportId {
        kind: GroupKindView,
        manager_import_id: String,
    },
    /// Everyone in this tenure or age band (`kind` is `tenure`, `key` such as `1_2y`; or
    /// `kind` is `age`, `key` such as `25_34`).
    Tenure { kind: GroupKindView, key: String },
    /// Members of the group with this id.
    GroupId { group_id: i64 },
}

impl Filter {
    /// Parses the JSON at `path` (e.g. `filter`). 422 naming the path when it does not fit.
    pub fn parse(value: &Value, path: &str) -> Result<Filter, ApiError> {
        let mut leaves = 0;
        parse_node(value, path, 1, &mut leaves)
    }

    /// True when `employee` matches. `groups_by_id` resolves `group_id` leaves.
    fn matches(&self, employee: &DirectoryEmployee, resolved: &Resolved) -> bool {
        match self {
            Filter::All(parts) => parts.iter().all(|f| f.matches(employee, resolved)),
            Filter::Any(parts) => parts.iter().any(|f| f.matches(employee, resolved)),
            Filter::Group { key, .. } => employee.groups.contains(key),
            Filter::GroupId { id, .. } => resolved
                .by_id
                .iter()
                .find(|(gid, _)| gid == id)
                .is_some_and(|(_, key)| employee.groups.contains(key)),
            // Unresolved, a manager by ImportId names no group.
            Filter::Manager { .. } | Filter::Nobody => false,
        }
    }

    /// The filter for an account whose people `ids` names: a file account's reporting
    /// lines by `manager_import_id` become its groups (a manager it does not know matches
    /// nobody); naming managers the other way (`manager_personio_id` for a file account,
    /// `manager_import_id` for a Personio account) is a 422 naming the field.
    pub fn resolve(self, ids: &PersonRefs) -> Result<Filter, ApiError> {
        Ok(match self {
            Filter::All(parts) => Filter::All(resolve_all(parts, ids)?),
            Filter::Any(parts) => Filter::Any(resolve_all(parts, ids)?),
            Filter::Manager {
                kind,
                import_id,
                path,
            } => {
                if !ids.by_import_id() {
                    return Err(unprocessable(
                        &format!("{path}.manager_import_id"),
                        "this account's people come from Personio: name the manager by manager_personio_id",
                    ));
                }
                match ids.key_of_import_id(&import_id) {
                    Some(key) => Filter::Group {
                        key: GroupKey::new(kind, key.0.to_string()),
                        path,
                    },
                    None => Filter::Nobody,
                }
            }
            Filter::Group { key, path } if key.kind.is_reporting_line() && ids.by_import_id() => {
                return Err(unprocessable(
                    &path,
                    "this account's people come from employee files: name the manager by manager_import_id",
                ));
            }
            leaf => leaf,
        })
    }

    fn group_ids<'a>(&'a self, out: &mut Vec<(i64, &'a str)>) {
        match self {
            Filter::All(parts) | Filter::Any(parts) => {
                parts.iter().for_each(|f| f.group_ids(out));
            }
            Filter::GroupId { id, path } => out.push((*id, path)),
            Filter::Group { .. } | Filter::Manager { .. } | Filter::Nobody => {}
        }
    }

    /// The employees of `directory` (one account's) that match, in directory order.
    /// 404 when a `group_id` leaf is not one of `groups` (the same account's groups).
    pub fn select<'d>(
        &self,
        directory: &'d [DirectoryEmployee],
        groups: &[GroupSummary],
    ) -> Result<Vec<&'d DirectoryEmployee>, ApiError> {
        let mut wanted = Vec::new();
        self.group_ids(&mut wanted);
        let mut resolved = Resolved { by_id: Vec::new() };
        for (id, path) in wanted {
            let group = groups.iter().find(|g| g.id == id).ok_or_else(|| {
                ApiError::not_found(format!("no group {id} in this account"))
                    .with_field(format!("{path}.group_id"))
            })?;
            resolved
                .by_id
                .push((id, GroupKey::new(group.kind, group.name.clone())));
        }
        Ok(directory
            .iter()
            .filter(|e| self.matches(e, &resolved))
            .collect())
    }
}

struct Resolved {
    by_id: Vec<(i64, GroupKey)>,
}

fn resolve_all(parts: Vec<Filter>, ids: &PersonRefs) -> Result<Vec<Filter>, ApiError> {
    parts.into_iter().map(|f| f.resolve(ids)).collect()
}

fn unprocessable(path: &str, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(message).with_field(path)
}

fn parse_node(
    value: &Value,
    path: &str,
    depth: usize,
    leaves: &mut usize,
) -> Result<Filter, ApiError> {
    if depth > MAX_DEPTH {
        return Err(unprocessable(
            path,
            format!("filters may nest at most {MAX_DEPTH} levels deep"),
        ));
    }
    let Value::Object(map) = value else {
        return Err(unprocessable(
            path,
            "expected an object: {\"all\": [...]}, {\"any\": [...]}, {\"kind\", \"name\"} or {\"group_id\"}",
        ));
    };
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let shape = |allowed: &[&str]| -> Result<(), ApiError> {
        match keys.iter().find(|k| !allowed.contains(k)) {
            Some(k) => Err(unprocessable(
                &format!("{path}.{}", excerpt(k)),
                format!("unknown field; expected only {}", allowed.join(" and ")),
            )),
            None => Ok(()),
        }
    };
    if let Some(list) = map.get("all") {
        shape(&["all"])?;
        return parse_list(list, &format!("{path}.all"), depth, leaves).map(Filter::All);
    }
    if let Some(list) = map.get("any") {
        shape(&["any"])?;
        return parse_list(list, &format!("{path}.any"), depth, leaves).map(Filter::Any);
    }
    *leaves += 1;
    if *leaves > MAX_LEAVES {
        return Err(unprocessable(
            path,
            format!("a filter may name at most {MAX_LEAVES} groups"),
        ));
    }
    if let Some(id) = map.get("group_id") {
        shape(&["group_id"])?;
        let id_path = format!("{path}.group_id");
        return match id.as_i64() {
            Some(id) if id > 0 => Ok(Filter::GroupId {
                id,
                path: path.to_owned(),
            }),
            _ => Err(unprocessable(&id_path, "expected a positive integer")),
        };
    }
    if map.contains_key("kind") || map.contains_key("name") {
        let kind = match map.get("kind") {
            Some(Value::String(s)) => GroupKind::parse(s).ok_or_else(|| {
                unprocessable(
                    &format!("{path}.kind"),
                    format!(
                        "unknown group kind {:?} (expected one of: {})",
                        excerpt(s),
                        GroupKind::ALL.map(GroupKind::as_str).join(", ")
                    ),
                )
            })?,
            Some(_) => return Err(unprocessable(&format!("{path}.kind"), "expected a string")),
            None => return Err(unprocessable(&format!("{path}.kind"), "missing field")),
        };
        // Reporting lines are named by their manager, tenure bands by their key; a group of
        // any kind may also be named by its name as `GET /groups` shows the identity.
        let name = match kind {
            GroupKind::ReportsDirect | GroupKind::ReportsAll
                if map.contains_key("manager_import_id") =>
            {
                shape(&["kind", "manager_import_id"])?;
                return match map.get("manager_import_id") {
                    Some(Value::String(s)) if !s.trim().is_empty() => Ok(Filter::Manager {
                        kind,
                        import_id: s.trim().to_owned(),
                        path: path.to_owned(),
                    }),
                    _ => Err(unprocessable(
                        &format!("{path}.manager_import_id"),
                        "expected a non-empty string (the manager's ImportId)",
                    )),
                };
            }
            GroupKind::ReportsDirect | GroupKind::ReportsAll
                if map.contains_key("manager_personio_id") =>
            {
                shape(&["kind", "manager_personio_id"])?;
                match map.get("manager_personio_id").and_then(Value::as_i64) {
                    Some(id) if id > 0 => id.to_string(),
                    _ => {
                        return Err(unprocessable(
                            &format!("{path}.manager_personio_id"),
                            "expected a positive integer (the manager's Personio id)",
                        ));
                    }
                }
            }
            GroupKind::ReportsDirect | GroupKind::ReportsAll => {
                return Err(unprocessable(
                    &format!("{path}.manager_personio_id"),
                    "missing field (reporting lines are named by the manager's Personio id, \
                     or manager_import_id for employee files)",
                ));
            }
            band_kind @ (GroupKind::Tenure | GroupKind::Age) => {
                shape(&["kind", "key"])?;
                let (what, keys): (&str, Vec<&str>) = match band_kind {
                    GroupKind::Tenure => {
                        ("tenure band", TenureBand::ALL.map(TenureBand::key).to_vec())
                    }
                    _ => ("age band", AgeBand::ALL.map(AgeBand::key).to_vec()),
                };
                match map.get("key") {
                    Some(Value::String(s)) => match keys.iter().find(|k| **k == s.trim()) {
                        Some(key) => (*key).to_owned(),
                        None => {
                            return Err(unprocessable(
                                &format!("{path}.key"),
                                format!(
                                    "unknown {what} {:?} (expected one of: {})",
                                    excerpt(s),
                                    keys.join(", ")
                                ),
                            ));
                        }
                    },
                    Some(_) => {
                        return Err(unprocessable(&format!("{path}.key"), "expected a string"));
                    }
                    None => return Err(unprocessable(&format!("{path}.key"), "missing field")),
                }
            }
            _ => {
                shape(&["kind", "name"])?;
                match map.get("name") {
                    Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
                    Some(Value::String(_)) => {
                        return Err(unprocessable(&format!("{path}.name"), "must not be empty"));
                    }
                    Some(_) => {
                        return Err(unprocessable(&format!("{path}.name"), "expected a string"));
                    }
                    None => return Err(unprocessable(&format!("{path}.name"), "missing field")),
                }
            }
        };
        return Ok(Filter::Group {
            key: GroupKey::new(kind, name),
            path: path.to_owned(),
        });
    }
    Err(unprocessable(
        path,
        "expected one of the fields all, any, kind + name, group_id",
    ))
}

fn parse_list(
    value: &Value,
    path: &str,
    depth: usize,
    leaves: &mut usize,
) -> Result<Vec<Filter>, ApiError> {
    let Value::Array(items) = value else {
        return Err(unprocessable(path, "expected an array of filters"));
    };
    if items.is_empty() {
        return Err(unprocessable(path, "must not be empty"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_node(item, &format!("{path}[{i}]"), depth + 1, leaves))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(v: Value) -> String {
        let err = Filter::parse(&v, "filter").expect_err("refused");
        format!("{err:?}")
    }

    #[test]
    fn parses_nested_filters() {
        let f = Filter::parse(
            &json!({"all": [{"kind": "department", "name": "Sales"},
                            {"any": [{"kind": "office", "name": "Berlin"}, {"group_id": 3}]}]}),
            "filter",
        )
        .expect("parses");
        let Filter::All(parts) = f else {
            panic!("not all")
        };
        assert_eq!(parts.len(), 2);
        assert!(matches!(&parts[1], Filter::Any(p) if p.len() == 2));
    }

    #[test]
    fn names_the_failing_path() {
        assert!(
            field_of(json!({"all": [{"kind": "planet", "name": "x"}]}))
                .contains("filter.all[0].kind")
        );
        assert!(field_of(json!({"any": []})).contains("filter.any"));
        assert!(field_of(json!({"all": [{"group_id": "7"}]})).contains("filter.all[0].group_id"));
        assert!(field_of(json!({"kind": "office", "name": "B", "x": 1})).contains("filter.x"));
        assert!(field_of(json!([1])).contains("\"filter\""));
        let mut deep = json!({"kind": "office", "name": "B"});
        for _ in 0..MAX_DEPTH {
            deep = json!({"all": [deep]});
        }
        assert!(field_of(deep).contains("nest at most"));
    }
}
