//! A Personio employee id: parsed once where Personio's answers and webhooks are read,
//! and turned into the directory's [`PersonKey`] there. Nothing outside the Personio
//! connector and the engine's Personio source knows this type.

use serde::{Deserialize, Serialize};
use staffsync_core::PersonKey;
use std::fmt;

/// An employee's id in Personio (a positive integer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonioId(pub i64);

/// A value that is not a Personio id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid Personio id: {0:?} (expected a positive integer)")]
pub struct InvalidPersonioId(pub String);

impl PersonioId {
    pub fn parse(s: &str) -> Result<Self, InvalidPersonioId> {
        match s.trim().parse::<i64>() {
            Ok(n) if n > 0 => Ok(PersonioId(n)),
            _ => Err(InvalidPersonioId(s.to_owned())),
        }
    }

    /// The key a Personio account's directory knows this person by. The store takes a
    /// Personio person's id as their key (so every key of a database written before
    /// keys had their own type is still the same person).
    pub fn key(self) -> PersonKey {
        PersonKey(self.0)
    }

    /// The Personio id of a Personio account's person, from their key (see
    /// [`PersonioId::key`]).
    pub fn of_key(key: PersonKey) -> Self {
        PersonioId(key.0)
    }
}

impl fmt::Display for PersonioId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_integers_are_personio_ids() {
        assert_eq!(PersonioId::parse(" 42 "), Ok(PersonioId(42)));
        assert!(PersonioId::parse("-1").is_err());
        assert!(PersonioId::parse("0").is_err());
        assert!(PersonioId::parse("x").is_err());
        assert_eq!(PersonioId(7).key(), PersonKey(7));
        assert_eq!(PersonioId::of_key(PersonKey(7)), PersonioId(7));
    }
}
