//! The change feed as consumers see it, shared by `GET /api/v1/changes` and the outgoing
//! webhooks so both show a change in exactly the same JSON: opaque cursors and the JSON
//! of one change.
//!
//! A cursor is the account id and the feed position, base64url-encoded: opaque to
//! clients, stable (positions are never reused), and telling whose it is, so another
//! account's cursor is refused instead of silently read as a position of this one. It is
//! not secret and grants nothing: reading still needs the account's token. This module
//! must never render anything but these values, and never read the store.

use crate::PersonRefs;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use staffsync_core::PersonKey;
use staffsync_store::{AccountId, ChangeType, FeedChange};

/// The cursor for position `seq` of `account`'s feed.
pub fn cursor(account: AccountId, seq: i64) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&account.0.to_be_bytes());
    bytes[8..].copy_from_slice(&seq.to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Why a cursor cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorError {
    /// Not a cursor this service made.
    Malformed,
    /// A cursor of another account.
    Foreign,
}

/// The position a cursor of `account` names.
pub fn parse_cursor(account: AccountId, raw: &str) -> Result<i64, CursorError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim())
        .map_err(|_| CursorError::Malformed)?;
    let bytes: [u8; 16] = bytes.try_into().map_err(|_| CursorError::Malformed)?;
    let mut owner = [0u8; 8];
    owner.copy_from_slice(&bytes[..8]);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&bytes[8..]);
    let seq = i64::from_be_bytes(seq);
    if seq < 0 {
        return Err(CursorError::Malformed);
    }
    if i64::from_be_bytes(owner) != account.0 {
        return Err(CursorError::Foreign);
    }
    Ok(seq)
}

/// The source ids of the people `changes` name ([`PersonRefs`]): a page of changes reads
/// the ids of its own people only.
pub async fn refs_of(
    store: &staffsync_store::Store,
    account: AccountId,
    changes: &[FeedChange],
) -> Result<PersonRefs, staffsync_store::StoreError> {
    let mut keys: Vec<PersonKey> = changes.iter().filter_map(|c| c.key).collect();
    // A created or updated person's fields may name a supervisor.
    keys.extend(changes.iter().filter_map(|c| {
        let sup = c.data.as_ref()?.get("supervisor_personio_id")?.as_i64()?;
        Some(PersonKey(sup))
    }));
    keys.sort_unstable();
    keys.dedup();
    PersonRefs::of_keys(store, account, &keys).await
}

/// One change as JSON: `{"cursor", "at", "run_id", "type", …}` with, by type,
/// `personio_id` and `fields` (employee created: every field; updated: only the changed
/// ones; `null` once the person was erased), `previous_personio_id` (employee re-keyed:
/// the key they had; `null` once erased), `group` (`{"id", "kind", "name"}`, plus
/// `previous_name` when renamed; `{"id", "kind"}` when removed, and `{"id"}` in the
/// earlier changes of a group removed since), or `group_id` and `personio_id`
/// (memberships). A file or SCIM account's changes (see [`refs_of`]) name people by
/// `import_id` instead (`null` once the person was erased: their ImportId is gone with
/// them).
pub fn change_json(account: AccountId, c: &FeedChange, refs: &PersonRefs) -> Value {
    let mut out = Map::new();
    out.insert("cursor".into(), Value::String(cursor(account, c.seq)));
    out.insert(
        "at".into(),
        Value::String(
            c.at.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        ),
    );
    out.insert("run_id".into(), json!(c.run_id.0));
    out.insert("type".into(), Value::String(c.change.as_str().to_owned()));
    let (person_key, person) = (refs.field(), refs.json(c.key));
    match c.change {
        ChangeType::EmployeeCreated | ChangeType::EmployeeUpdated => {
            out.insert(person_key.into(), person);
            let mut fields = c.data.clone().unwrap_or(Value::Null);
            // Stored under the key's field name: said as the account names people.
            if refs.by_import_id()
                && let Value::Object(f) = &mut fields
                && let Some(sup) = f.remove("supervisor_personio_id")
            {
                let id = refs.json(sup.as_i64().map(PersonKey));
                f.insert(format!("supervisor_{}", refs.field()), id);
            }
            out.insert("fields".into(), fields);
        }
        ChangeType::EmployeeRemoved => {
            out.insert(person_key.into(), person);
        }
        ChangeType::EmployeeRekeyed => {
            out.insert(person_key.into(), person);
            let previous = format!("previous_{person_key}");
            let value = c
                .data
                .as_ref()
                .map_or(Value::Null, |d| d[previous.as_str()].clone());
            out.insert(previous, value);
        }
        ChangeType::GroupCreated | ChangeType::GroupRenamed | ChangeType::GroupRemoved => {
            let mut group = Map::new();
            group.insert("id".into(), json!(c.group_id));
            if let Some(Value::Object(data)) = &c.data {
                for (k, v) in data {
                    if k != "previous_name" {
                        group.insert(k.clone(), v.clone());
                    }
                }
                if let Some(previous) = data.get("previous_name") {
                    out.insert("previous_name".into(), previous.clone());
                }
            }
            out.insert("group".into(), Value::Object(group));
        }
        ChangeType::MembershipAdded | ChangeType::MembershipRemoved => {
            out.insert("group_id".into(), json!(c.group_id));
            out.insert(person_key.into(), person);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_roundtrip_and_know_their_account() {
        let c = cursor(AccountId(7), 12_345);
        assert_eq!(parse_cursor(AccountId(7), &c), Ok(12_345));
        assert_eq!(parse_cursor(AccountId(8), &c), Err(CursorError::Foreign));
        assert_eq!(
            parse_cursor(AccountId(7), "nope"),
            Err(CursorError::Malformed)
        );
        assert_eq!(parse_cursor(AccountId(7), ""), Err(CursorError::Malformed));
    }
}
