//! Newtypes that parse at the boundary: once one of these exists, it is valid.
//!
//! Never construct these from unchecked input except through their `parse` functions.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What was wrong with a value that failed to parse; the message names the value's kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not a valid e-mail address: {0:?}")]
    Email(String),
    #[error(
        "not a valid account slug: {0:?} (use 2–63 lowercase letters, digits and '-', starting with a letter)"
    )]
    Slug(String),
}

/// A person's key in the directory: what the directory, plans, runs, feedback and
/// snapshots know a person by, whatever source they come from. Opaque: issued by the
/// store (for a Personio account it is the person's Personio id, which the store takes
/// as their key; for a file or SCIM account a number the store hands out per source id,
/// see `import_keys`), never parsed from input and never shown. What the outside world
/// calls a person (a Personio id, an `ImportId`, a SCIM id) is their [`SourceRef`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonKey(pub i64);

impl fmt::Display for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Who a person is to their source: the id the outside world (the API, the feed, the
/// pages, outgoing webhooks) names them by. The directory knows them by [`PersonKey`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceRef {
    /// A Personio employee id, shown as `personio_id`.
    Personio(i64),
    /// An employee file's `ImportId`, shown as `import_id`.
    ImportId(String),
    /// The identity provider's SCIM id of a user, shown as `import_id` (the survey app
    /// reads SCIM people as it reads file people).
    Scim(String),
}

impl SourceRef {
    /// The public field that names a person by this id: `personio_id`, or `import_id`
    /// (files and SCIM). `supervisor_…`, `manager_…`, `previous_…` and `author_…` are
    /// built from it.
    pub fn field(&self) -> &'static str {
        match self {
            SourceRef::Personio(_) => "personio_id",
            SourceRef::ImportId(_) | SourceRef::Scim(_) => "import_id",
        }
    }

    /// The id as JSON: a Personio id is a number, the others are strings.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            SourceRef::Personio(n) => serde_json::Value::from(*n),
            SourceRef::ImportId(s) | SourceRef::Scim(s) => serde_json::Value::from(s.as_str()),
        }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceRef::Personio(n) => n.fmt(f),
            SourceRef::ImportId(s) | SourceRef::Scim(s) => f.write_str(s),
        }
    }
}

/// An e-mail address as Personio holds it (case kept), compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` with no whitespace, one `@`, a dot in the domain, and no
    /// empty labels. Deliberately simple: Personio already validated it; we only refuse
    /// what cannot be delivered to.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Email::check(s).map(Email::from_checked)
    }

    /// An address [`Email::check`] has accepted (and trimmed).
    pub(crate) fn from_checked(checked: &str) -> Self {
        Email(checked.to_owned())
    }

    /// What [`Email::parse`] accepts, without keeping it: the trimmed address.
    pub fn check(s: &str) -> Result<&str, ParseError> {
        let t = crate::text::trim(s);
        let err = || ParseError::Email(s.to_owned());
        if t.len() > 254 || crate::text::has_space_or_control(t) {
            return Err(err());
        }
        let (local, domain) = t.split_once('@').ok_or_else(err)?;
        if local.is_empty() || domain.contains('@') || !domain.contains('.') {
            return Err(err());
        }
        if domain.split('.').any(str::is_empty) {
            return Err(err());
        }
        Ok(t)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key two addresses are compared by.
    pub fn key(&self) -> String {
        Email::key_of(&self.0).into_owned()
    }

    /// The key of a (checked) address, borrowed when it is already its own key.
    pub fn key_of(address: &str) -> std::borrow::Cow<'_, str> {
        let changes = |c: char| {
            let mut lower = c.to_lowercase();
            lower.next() != Some(c) || lower.next().is_some()
        };
        let already_key = if address.is_ascii() {
            !address.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            !address.chars().any(changes)
        };
        if !already_key {
            std::borrow::Cow::Owned(address.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(address)
        }
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The short name of a customer account, used on the command line and in URLs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountSlug(String);

impl AccountSlug {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok = (2..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.ends_with('-');
        if ok {
            Ok(AccountSlug(s.to_owned()))
        } else {
            Err(ParseError::Slug(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The key is the lower-cased address, borrowed exactly when lower-casing changes
        /// nothing (titlecase letters such as "ǅ" included).
        #[test]
        fn key_of_is_lowercase(address in "[a-zA-Z0-9ǅǄÄäİß@.]{0,12}") {
            let key = Email::key_of(&address);
            prop_assert_eq!(&*key, address.to_lowercase());
            prop_assert_eq!(matches!(key, std::borrow::Cow::Borrowed(_)), address.to_lowercase() == address);
        }
    }

    #[test]
    fn emails() {
        assert!(Email::parse("ada@example.com").is_ok());
        assert!(Email::parse("Jürgen.Müller@beispiel.de").is_ok());
        for bad in [
            "", "ada", "ada@", "@x.de", "a b@x.de", "a@x", "a@@x.de", "a@x..de",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            Email::parse("Ada@X.de").map(|e| e.key()),
            Ok("ada@x.de".to_owned())
        );
    }

    #[test]
    fn slugs_and_ids() {
        assert!(AccountSlug::parse("acme").is_ok());
        assert!(AccountSlug::parse("Acme").is_err());
        assert!(AccountSlug::parse("a").is_err());
        assert!(AccountSlug::parse("acme-").is_err());
    }
}
