//! How answers name people: the one place where a person's [`PersonKey`] becomes the id
//! their source gave them ([`SourceRef`]: a Personio id, a file's `ImportId`, a SCIM
//! user's id), for the API, the change feed, outgoing webhooks, snapshots, feedback, the
//! command line and the pages; and back, for what those take as input.
//!
//! The public field names (`personio_id`, `import_id`, and `supervisor_`, `manager_`,
//! `previous_`, `author_` before them) come from here and from [`SourceRef::field`].
//! This module never decides anything about a person and never shows a key.

use staffsync_core::{PersonKey, SourceRef};
use staffsync_store::{Account, AccountId, Store, StoreError};
use std::collections::HashMap;

/// The source ids of (some of) an account's people.
#[derive(Debug, Clone, Default)]
pub struct PersonRefs {
    kind: RefKind,
    /// File and SCIM accounts: the id the store keeps per key (`Store::import_ids`).
    kept: HashMap<PersonKey, String>,
}

/// How a kind of account names its people (each source says so in the registry,
/// [`crate::sources::SourceKind`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RefKind {
    /// A Personio account: the store took each person's Personio id as their key.
    #[default]
    Personio,
    /// A file account: the `ImportId` of the employee file.
    ImportId,
    /// A SCIM account: the identity provider's user id.
    Scim,
}

impl RefKind {
    fn of(account: &Account) -> RefKind {
        crate::sources::of(account).refs
    }
}

impl PersonRefs {
    /// The ids of every person of `account`.
    pub async fn of(store: &Store, account: &Account) -> Result<Self, StoreError> {
        Self::read(store, account, None).await
    }

    /// [`PersonRefs::of`] for the account with id `account` (a Personio account's when
    /// there is none: it names nobody by a kept id).
    pub async fn of_id(store: &Store, account: AccountId) -> Result<Self, StoreError> {
        match store.account_by_id(account).await? {
            Some(a) => Self::of(store, &a).await,
            None => Ok(PersonRefs::default()),
        }
    }

    /// The ids of just `keys` (a page of the change feed), without reading the account's
    /// whole mapping.
    pub async fn of_keys(
        store: &Store,
        account: AccountId,
        keys: &[PersonKey],
    ) -> Result<Self, StoreError> {
        match store.account_by_id(account).await? {
            Some(a) => Self::read(store, &a, Some(keys)).await,
            None => Ok(PersonRefs::default()),
        }
    }

    /// The ids of `keys` (all of the account's with `None`); a Personio account's need
    /// no reading.
    async fn read(
        store: &Store,
        account: &Account,
        keys: Option<&[PersonKey]>,
    ) -> Result<Self, StoreError> {
        let kind = RefKind::of(account);
        let kept = match (kind, keys) {
            (RefKind::Personio, _) => HashMap::new(),
            (_, None) => store.import_ids(account.id).await?,
            (_, Some(keys)) => store.import_ids_of(account.id, keys).await?,
        };
        Ok(PersonRefs { kind, kept })
    }

    /// Whether people are named by `import_id` (files and SCIM), not by `personio_id`.
    pub fn by_import_id(&self) -> bool {
        self.kind != RefKind::Personio
    }

    /// The field that names this account's people: `personio_id` or `import_id`.
    pub fn field(&self) -> &'static str {
        match self.kind {
            RefKind::Personio => "personio_id",
            RefKind::ImportId | RefKind::Scim => "import_id",
        }
    }

    /// Who `key` is to their source; `None` for a key without a kept id (an erased
    /// person's, or a file person's whose `ImportId` was forgotten with them).
    pub fn source_ref(&self, key: PersonKey) -> Option<SourceRef> {
        match self.kind {
            RefKind::Personio => Some(SourceRef::Personio(key.0)),
            RefKind::ImportId => self.kept.get(&key).cloned().map(SourceRef::ImportId),
            RefKind::Scim => self.kept.get(&key).cloned().map(SourceRef::Scim),
        }
    }

    /// The Personio id of `key`, for a Personio account (`None` otherwise).
    pub fn personio_id(&self, key: PersonKey) -> Option<i64> {
        (self.kind == RefKind::Personio).then_some(key.0)
    }

    /// The kept id (`ImportId`, SCIM id) of `key`, for a file or SCIM account (`None`
    /// for a Personio account, or a key without one).
    pub fn import_id(&self, key: PersonKey) -> Option<&str> {
        match self.kind {
            RefKind::Personio => None,
            RefKind::ImportId | RefKind::Scim => self.kept.get(&key).map(String::as_str),
        }
    }

    /// `key`'s id as JSON (a number for Personio, a string otherwise), `null` for none.
    pub fn json(&self, key: Option<PersonKey>) -> serde_json::Value {
        key.and_then(|k| self.source_ref(k))
            .map_or(serde_json::Value::Null, |r| r.to_json())
    }

    /// The person a kept id names (a file or SCIM account's), if any.
    pub fn key_of_import_id(&self, id: &str) -> Option<PersonKey> {
        self.kept
            .iter()
            .find(|(_, kept)| kept.as_str() == id)
            .map(|(key, _)| *key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(kind: RefKind) -> PersonRefs {
        PersonRefs {
            kind,
            kept: HashMap::from([(PersonKey(3), "E-3".to_owned())]),
        }
    }

    #[test]
    fn each_kind_of_account_names_people_its_way() {
        let personio = refs(RefKind::Personio);
        assert_eq!(personio.field(), "personio_id");
        assert_eq!(
            personio.source_ref(PersonKey(3)),
            Some(SourceRef::Personio(3))
        );
        assert_eq!(personio.json(Some(PersonKey(9))), serde_json::json!(9));
        assert_eq!(personio.import_id(PersonKey(3)), None);

        let file = refs(RefKind::ImportId);
        assert_eq!(file.field(), "import_id");
        assert_eq!(
            file.source_ref(PersonKey(3)),
            Some(SourceRef::ImportId("E-3".to_owned()))
        );
        assert_eq!(file.json(Some(PersonKey(3))), serde_json::json!("E-3"));
        // A key without a kept id (erased) is named by nothing, never by the key.
        assert_eq!(file.json(Some(PersonKey(9))), serde_json::Value::Null);
        assert_eq!(file.personio_id(PersonKey(3)), None);
        assert_eq!(file.key_of_import_id("E-3"), Some(PersonKey(3)));

        let scim = refs(RefKind::Scim);
        assert_eq!(
            scim.source_ref(PersonKey(3)),
            Some(SourceRef::Scim("E-3".to_owned()))
        );
        assert_eq!(scim.field(), "import_id");
    }
}
