//! The directory fields a plan changes, as a type: the planner names a change by
//! [`Field`], and the store, the feed and the pages match on it instead of on strings.
//! Serialized by its name (`email`, `supervisor_personio_id`, `attributes.<key>`,
//! `groups`), exactly as plans, histories and the feed have always written it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// One field of a directory record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Email,
    FirstName,
    LastName,
    Department,
    Office,
    Team,
    Position,
    Status,
    HireDate,
    TerminationDate,
    /// The supervisor link (`supervisor_personio_id`).
    Supervisor,
    /// An imported attribute, by its key.
    Attribute(String),
    /// The person's groups (memberships say which).
    Groups,
    /// A name this release does not know (a plan stored by a later one): kept as read.
    Unknown(String),
}

/// The fields with a fixed name (attributes are `attributes.<key>`).
const NAMED: [(Field, &str); 12] = [
    (Field::Email, "email"),
    (Field::FirstName, "first_name"),
    (Field::LastName, "last_name"),
    (Field::Department, "department"),
    (Field::Office, "office"),
    (Field::Team, "team"),
    (Field::Position, "position"),
    (Field::Status, "status"),
    (Field::HireDate, "hire_date"),
    (Field::TerminationDate, "termination_date"),
    (Field::Supervisor, "supervisor_personio_id"),
    (Field::Groups, "groups"),
];

impl Field {
    /// The field's name as plans write it.
    pub fn name(&self) -> Cow<'_, str> {
        match self {
            Field::Attribute(key) => Cow::Owned(format!("attributes.{key}")),
            Field::Unknown(name) => Cow::Borrowed(name),
            known => Cow::Borrowed(
                NAMED
                    .iter()
                    .find(|(f, _)| f == known)
                    .map_or("", |(_, n)| n),
            ),
        }
    }

    /// The field a name names (see [`Field::name`]); never fails: an unknown name is kept.
    pub fn parse(name: &str) -> Field {
        if let Some(key) = name.strip_prefix("attributes.") {
            return Field::Attribute(key.to_owned());
        }
        NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map_or_else(|| Field::Unknown(name.to_owned()), |(f, _)| f.clone())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl From<&str> for Field {
    fn from(name: &str) -> Self {
        Field::parse(name)
    }
}

impl PartialEq<&str> for Field {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Field::parse(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_as_plans_always_wrote_them() {
        for name in [
            "email",
            "first_name",
            "last_name",
            "department",
            "office",
            "team",
            "position",
            "status",
            "hire_date",
            "termination_date",
            "supervisor_personio_id",
            "attributes.Kostenstelle",
            "groups",
            "something_new",
        ] {
            let field = Field::parse(name);
            assert_eq!(field.name(), name);
            let json = serde_json::to_string(&field).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Field>(&json).unwrap(), field);
        }
        assert_eq!(Field::parse("supervisor_personio_id"), Field::Supervisor);
        assert_eq!(
            Field::parse("attributes.x"),
            Field::Attribute("x".to_owned())
        );
        assert_eq!(Field::parse(""), Field::Unknown(String::new()));
    }
}
