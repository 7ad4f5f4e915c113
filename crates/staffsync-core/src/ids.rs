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
    #[error("not a valid Personio id: {0:?} (expected a positive integer)")]
    PersonioId(String),
}

/// An employee's id in Personio: the identity of a person in staffsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonioId(pub i64);

impl PersonioId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s.trim().parse::<i64>() {
            Ok(n) if n > 0 => Ok(PersonioId(n)),
            _ => Err(ParseError::PersonioId(s.to_owned())),
        }
    }
}

impl fmt::Display for PersonioId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
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
        assert_eq!(PersonioId::parse("42"), Ok(PersonioId(42)));
        assert!(PersonioId::parse("-1").is_err());
        assert!(PersonioId::parse("x").is_err());
    }
}
