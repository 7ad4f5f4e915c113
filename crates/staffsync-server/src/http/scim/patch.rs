//! SCIM PATCH (RFC 7644 §3.5.2) applied to a stored resource, the way Microsoft Entra
//! ID and Okta send it: operations in any case (`"Replace"`), `active` with a path or
//! inside a value without one (`{"op":"Replace","value":{"active":false}}`), value
//! filters in paths (`emails[type eq "work"].value`, creating the entry when none
//! matches, as Entra expects), and extension attributes by their full path
//! (`urn:…:enterprise:2.0:User:department`) or inside the extension's object; a remove
//! with a list value removes only the entries listed (`{"op":"Remove","path":"members",
//! "value":[{"value":id}]}`, as Entra removes group members).
//!
//! This module changes only the resource it is given; what a change means (a person
//! leaving, say) is decided elsewhere. It must never touch `id` or `meta` (read-only:
//! refused with `mutability`).

use super::filter::{self, AttrPath, CompareOp, Filter};
use serde_json::{Map, Value};

/// Why a PATCH was refused: its `scimType` and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    pub scim_type: &'static str,
    pub detail: String,
}

fn refuse(scim_type: &'static str, detail: impl Into<String>) -> PatchError {
    PatchError {
        scim_type,
        detail: detail.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// A PATCH path: an attribute, or the entries of a multi-valued one that match a filter
/// (and their sub-attribute).
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Attr(AttrPath),
    Entries {
        path: AttrPath,
        filter: Filter,
        sub: Option<String>,
    },
}

fn parse_target(text: &str) -> Result<Target, PatchError> {
    let invalid = |e: String| refuse("invalidPath", format!("path {text:?}: {e}"));
    let Some(open) = text.find('[') else {
        return AttrPath::parse(text.trim())
            .map(Target::Attr)
            .map_err(invalid);
    };
    // The matching `]`: the last one (a filter's strings may hold brackets).
    let close = text
        .rfind(']')
        .filter(|c| *c > open)
        .ok_or_else(|| invalid("a [ is not closed".into()))?;
    let path = AttrPath::parse(text[..open].trim()).map_err(invalid)?;
    let filter = filter::parse(&text[open + 1..close]).map_err(invalid)?;
    let sub = match text[close + 1..].trim() {
        "" => None,
        rest => Some(
            rest.strip_prefix('.')
                .filter(|s| !s.is_empty())
                .ok_or_else(|| invalid(format!("{rest:?} after ]")))?
                .to_owned(),
        ),
    };
    Ok(Target::Entries { path, filter, sub })
}

/// The key of `name` in `object` ignoring case, if present (SCIM names are
/// case-insensitive: a change keeps the name as first written).
fn key_of(object: &Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
}

fn set(object: &mut Map<String, Value>, name: &str, value: Value) {
    let key = key_of(object, name).unwrap_or_else(|| name.to_owned());
    object.insert(key, value);
}

fn remove(object: &mut Map<String, Value>, name: &str) {
    if let Some(key) = key_of(object, name) {
        object.remove(&key);
    }
}

/// The object `name` of `object`, made when missing (or when not an object).
fn object_at<'m>(object: &'m mut Map<String, Value>, name: &str) -> &'m mut Map<String, Value> {
    let key = key_of(object, name).unwrap_or_else(|| name.to_owned());
    let slot = object
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(o) => o,
        _ => unreachable!("made an object above"),
    }
}

fn read_only(path: &AttrPath) -> Result<(), PatchError> {
    if path.schema.is_none()
        && (path.attr.eq_ignore_ascii_case("id") || path.attr.eq_ignore_ascii_case("meta"))
    {
        return Err(refuse("mutability", format!("{} is read-only", path.attr)));
    }
    Ok(())
}

fn container<'m>(
    resource: &'m mut Map<String, Value>,
    path: &AttrPath,
) -> &'m mut Map<String, Value> {
    match &path.schema {
        None => resource,
        Some(schema) => object_at(resource, schema),
    }
}

fn apply_attr(
    resource: &mut Map<String, Value>,
    path: &AttrPath,
    op: Op,
    value: Option<Value>,
) -> Result<(), PatchError> {
    read_only(path)?;
    let within = container(resource, path);
    match (op, &path.sub, value) {
        // Entra's and Okta's way of removing some members: the entries listed go, the
        // others stay (matched by `value` where both have one, else as a whole).
        (Op::Remove, None, Some(Value::Array(gone))) => {
            if let Some(Value::Array(entries)) =
                key_of(within, &path.attr).and_then(|k| within.get_mut(&k))
            {
                entries.retain(|e| !gone.iter().any(|g| same_entry(e, g)));
            }
        }
        (Op::Remove, None, _) => remove(within, &path.attr),
        (Op::Remove, Some(sub), _) => {
            if let Some(Value::Object(o)) =
                key_of(within, &path.attr).and_then(|k| within.get_mut(&k))
            {
                remove(o, sub);
            }
        }
        (_, _, None) => {
            return Err(refuse(
                "invalidValue",
                format!("{} needs a value", path.attr),
            ));
        }
        (Op::Add, None, Some(Value::Array(more))) => {
            let existing = key_of(within, &path.attr).and_then(|k| within.get_mut(&k));
            match existing {
                Some(Value::Array(entries)) => entries.extend(more),
                _ => set(within, &path.attr, Value::Array(more)),
            }
        }
        (Op::Add, None, Some(Value::Object(fields))) => {
            // Adding to a complex attribute merges its sub-attributes.
            let target = object_at(within, &path.attr);
            for (k, v) in fields {
                set(target, &k, v);
            }
        }
        (_, None, Some(value)) => set(within, &path.attr, value),
        (_, Some(sub), Some(value)) => set(object_at(within, &path.attr), sub, value),
    }
    Ok(())
}

/// Whether the multi-valued attribute's entry `entry` is the one `named` names: by their
/// `value` when both have one (`{"value": id}` names a member whatever else it carries),
/// else when they are equal.
fn same_entry(entry: &Value, named: &Value) -> bool {
    let value = |v: &Value| {
        v.as_object()
            .and_then(|o| key_of(o, "value").and_then(|k| o.get(&k).cloned()))
    };
    match (value(entry), value(named)) {
        (Some(a), Some(b)) => a == b,
        _ => entry == named,
    }
}

/// The `attr eq "value"` terms of a filter joined by `and`: what a new entry gets when
/// none matches (`emails[type eq "work"]` → `{"type": "work"}`).
fn implied(filter: &Filter, into: &mut Map<String, Value>) {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.schema.is_none() && path.sub.is_none() => {
            into.insert(path.attr.clone(), value.clone());
        }
        Filter::And(a, b) => {
            implied(a, into);
            implied(b, into);
        }
        _ => {}
    }
}

fn apply_entries(
    resource: &mut Map<String, Value>,
    path: &AttrPath,
    filter: &Filter,
    sub: Option<&str>,
    op: Op,
    value: Option<Value>,
) -> Result<(), PatchError> {
    read_only(path)?;
    let within = container(resource, path);
    let key = key_of(within, &path.attr).unwrap_or_else(|| path.attr.clone());
    let entries = match within.get_mut(&key) {
        Some(Value::Array(entries)) => entries,
        _ if op == Op::Remove => return Ok(()),
        _ => {
            within.insert(key.clone(), Value::Array(Vec::new()));
            match within.get_mut(&key) {
                Some(Value::Array(entries)) => entries,
                _ => unreachable!("inserted an array above"),
            }
        }
    };
    let hits = |e: &Value| e.as_object().is_some_and(|o| filter.matches(o));
    if op == Op::Remove {
        match sub {
            None => entries.retain(|e| !hits(e)),
            Some(sub) => {
                for entry in entries.iter_mut().filter(|e| hits(e)) {
                    if let Value::Object(o) = entry {
                        remove(o, sub);
                    }
                }
            }
        }
        return Ok(());
    }
    let value =
        value.ok_or_else(|| refuse("invalidValue", format!("{} needs a value", path.attr)))?;
    if !entries.iter().any(hits) {
        let mut entry = Map::new();
        implied(filter, &mut entry);
        entries.push(Value::Object(entry));
    }
    for entry in entries.iter_mut().filter(|e| hits(e)) {
        let Value::Object(o) = entry else { continue };
        match (sub, &value) {
            (Some(sub), v) => set(o, sub, v.clone()),
            (None, Value::Object(fields)) => {
                for (k, v) in fields {
                    set(o, k, v.clone());
                }
            }
            (None, other) => {
                return Err(refuse(
                    "invalidValue",
                    format!("{}[…] takes an object, not {other}", path.attr),
                ));
            }
        }
    }
    Ok(())
}

/// Applies a PatchOp request body to `resource`. Nothing is changed when it fails.
pub fn apply(resource: &mut Map<String, Value>, body: &Value) -> Result<(), PatchError> {
    let body = body
        .as_object()
        .ok_or_else(|| refuse("invalidSyntax", "the body is not a JSON object"))?;
    let operations = key_of(body, "Operations")
        .and_then(|k| body.get(&k))
        .and_then(Value::as_array)
        .ok_or_else(|| refuse("invalidSyntax", "Operations: expected a list of operations"))?;
    let mut changed = resource.clone();
    for (n, operation) in operations.iter().enumerate() {
        let operation = operation
            .as_object()
            .ok_or_else(|| refuse("invalidSyntax", format!("Operations[{n}] is not an object")))?;
        let get = |name: &str| key_of(operation, name).and_then(|k| operation.get(&k));
        let op = match get("op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(op) if op == "add" => Op::Add,
            Some(op) if op == "replace" => Op::Replace,
            Some(op) if op == "remove" => Op::Remove,
            other => {
                return Err(refuse(
                    "invalidSyntax",
                    format!("Operations[{n}].op: {other:?} is not add, replace or remove"),
                ));
            }
        };
        let value = get("value").cloned();
        match get("path").and_then(Value::as_str) {
            Some(path) => match parse_target(path)? {
                Target::Attr(path) => apply_attr(&mut changed, &path, op, value)?,
                Target::Entries { path, filter, sub } => {
                    apply_entries(&mut changed, &path, &filter, sub.as_deref(), op, value)?
                }
            },
            None if op == Op::Remove => {
                return Err(refuse(
                    "noTarget",
                    format!("Operations[{n}]: remove needs a path"),
                ));
            }
            None => {
                let Some(Value::Object(fields)) = value else {
                    return Err(refuse(
                        "invalidValue",
                        format!("Operations[{n}]: without a path the value must be an object"),
                    ));
                };
                for (name, v) in fields {
                    // Okta repeats the resource's own id in a path-less value (renaming
                    // a group): no change, so not a change of a read-only attribute.
                    if name.eq_ignore_ascii_case("id")
                        && key_of(&changed, "id").and_then(|k| changed.get(&k)) == Some(&v)
                    {
                        continue;
                    }
                    if let (true, Value::Object(inner)) = (is_extension(&name), &v) {
                        let ext = object_at(&mut changed, &name);
                        for (k, x) in inner {
                            set(ext, k, x.clone());
                        }
                        continue;
                    }
                    let path = AttrPath::parse(&name).map_err(|e| refuse("invalidPath", e))?;
                    apply_attr(&mut changed, &path, op, Some(v))?;
                }
            }
        }
    }
    *resource = changed;
    Ok(())
}

/// Whether a key of a path-less value is an extension schema's object
/// (`urn:…:enterprise:2.0:User`), not an attribute of one (`urn:…:User:department`).
fn is_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("urn:") && (lower.ends_with(":user") || lower.ends_with(":group"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn patched(resource: Value, ops: Value) -> Result<Value, PatchError> {
        let mut r = resource.as_object().unwrap().clone();
        apply(
            &mut r,
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}),
        )?;
        Ok(Value::Object(r))
    }

    #[test]
    fn entra_patches() {
        let user = json!({"userName": "ada@acme.de", "active": true, "emails": [{"type": "work", "value": "old@acme.de"}]});
        let out = patched(
            user.clone(),
            json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@acme.de"},
                {"op": "Add", "path": format!("{ENTERPRISE}:department"), "value": "Vertrieb"},
                {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "boss-id"},
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "name.givenName", "value": "Ada"}
            ]),
        )
        .unwrap();
        assert_eq!(
            out["emails"],
            json!([{"type": "work", "value": "new@acme.de"}])
        );
        assert_eq!(out[ENTERPRISE]["department"], "Vertrieb");
        assert_eq!(out[ENTERPRISE]["manager"], "boss-id");
        assert_eq!(out["active"], "False", "normalized by the caller");
        assert_eq!(out["name"]["givenName"], "Ada");
        // A value filter that matches nothing creates the entry it describes.
        let out = patched(
            json!({"userName": "x"}),
            json!([{"op": "add", "path": "addresses[type eq \"work\"].locality", "value": "Berlin"}]),
        )
        .unwrap();
        assert_eq!(
            out["addresses"],
            json!([{"type": "work", "locality": "Berlin"}])
        );
    }

    #[test]
    fn okta_and_pathless_patches() {
        let out = patched(
            json!({"userName": "ada", "active": true}),
            json!([{"op": "replace", "value": {"active": false, "name": {"familyName": "L"}, ENTERPRISE: {"division": "Nord"}}}]),
        )
        .unwrap();
        assert_eq!(out["active"], false);
        assert_eq!(out["name"]["familyName"], "L");
        assert_eq!(out[ENTERPRISE]["division"], "Nord");
        let out = patched(
            json!({"userName": "ada", ENTERPRISE: {"division": "Nord", "department": "X"}}),
            json!([
                {"op": "Remove", "path": format!("{ENTERPRISE}:division")},
                {"op": "remove", "path": "emails[type eq \"home\"]"}
            ]),
        )
        .unwrap();
        assert_eq!(out[ENTERPRISE], json!({"department": "X"}));
        // The whole extension at once (scim2-tester does this): gone, and nothing else
        // made up in its place.
        let out = patched(
            json!({"userName": "ada", ENTERPRISE: {"division": "Nord"}}),
            json!([{"op": "remove", "path": ENTERPRISE}]),
        )
        .unwrap();
        assert_eq!(out, json!({"userName": "ada"}));
    }

    #[test]
    fn refusals_name_their_kind() {
        let user = json!({"userName": "ada"});
        let kind = |ops: Value| patched(user.clone(), ops).unwrap_err().scim_type;
        assert_eq!(
            kind(json!([{"op": "replace", "path": "id", "value": "x"}])),
            "mutability"
        );
        assert_eq!(kind(json!([{"op": "move", "path": "id"}])), "invalidSyntax");
        assert_eq!(kind(json!([{"op": "remove"}])), "noTarget");
        assert_eq!(
            kind(json!([{"op": "add", "path": "emails[type eq]", "value": 1}])),
            "invalidPath"
        );
        assert_eq!(kind(json!([{"op": "add", "value": "x"}])), "invalidValue");
    }
}
