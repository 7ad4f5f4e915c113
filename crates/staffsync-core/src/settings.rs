//! The account's settings document: the choices an HR admin makes about their directory.
//!
//! Who is in (scope rules), which attributes become groups, reporting lines, tenure and
//! age groups, which other attributes are kept, whether people on leave stay, the
//! deletion guard, and who hears about trouble.
//! The REST API (`GET/PUT /api/v1/settings`), the CLI (`staffsync settings`) and the web
//! app's Einstellungen page all show and take exactly this document; the store keeps it
//! (and every earlier version) as JSON.
//!
//! [`Settings::parse`] is the only way in from outside: it refuses unknown fields and
//! invalid values with the path of the field (`scope.exclude[2].attribute`), so nothing
//! downstream re-checks a value. This module must never depend on what a credential can
//! read: that check needs Personio's answer and is the caller's (see
//! [`Settings::attributes_named`]).

use serde::{Deserialize, Serialize};

/// The standard group dimensions, by their Personio attribute keys: today's defaults.
pub const STANDARD_GROUP_ATTRIBUTES: [&str; 6] = [
    "department",
    "office",
    "team",
    "position",
    "subcompany",
    "cost_centers",
];

/// Longest attribute name or value accepted (as in Honestly).
pub const MAX_TEXT: usize = 100;
/// Most rules per list, values per rule, group attributes and notify addresses.
pub const MAX_ITEMS: usize = 200;

/// The whole document (see the module docs). Missing fields take their defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub scope: Scope,
    pub groups: GroupSettings,
    /// Custom attributes (by key or label) kept in the directory although no group or
    /// scope rule names them. Attributes nobody names are dropped when read: nothing is
    /// kept unasked. (Accounts older than this field got the attributes they held.)
    pub keep_attributes: Vec<String>,
    /// Keep people with status `leave` in the directory (default: they are out).
    pub keep_on_leave: bool,
    pub deletion_guard: DeletionGuard,
    /// Addresses that receive alerts besides the account's admins.
    pub notify: Vec<String>,
}

/// Who is in: a person is in scope when `include` is empty or one of its rules matches,
/// and no rule of `exclude` matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scope {
    pub include: Vec<Rule>,
    pub exclude: Vec<Rule>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// Matches a person whose `attribute` has one of `values` (trimmed, ignoring case; an
/// object attribute by its name, a list by any element). `attribute` is a Personio key
/// (`employment_type`, `dynamic_123`, …) or a custom attribute's label ("Standort").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub attribute: String,
    pub values: Vec<String>,
}

/// Which groups the directory has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupSettings {
    /// Attributes that become group dimensions: standard keys
    /// ([`STANDARD_GROUP_ATTRIBUTES`]) and custom attributes by key or label.
    pub attributes: Vec<String>,
    /// `reports_direct` and `reports_all` groups for every manager.
    pub reporting_lines: bool,
    /// `tenure` groups (bands by months since the hire date).
    pub tenure: bool,
    /// `age` groups (bands by age, see [`crate::age`]); `None`: none (and left out of the
    /// document as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<AgeGroups>,
}

/// Age groups: the date attribute (a birth date) they are computed from. The attribute's
/// value is never stored: not as an attribute, a group, a rule or anywhere else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeGroups {
    /// A date attribute, by key (`dynamic_99001`) or label ("Geburtsdatum").
    pub attribute: String,
}

impl Default for GroupSettings {
    fn default() -> Self {
        GroupSettings {
            attributes: STANDARD_GROUP_ATTRIBUTES.map(str::to_owned).to_vec(),
            reporting_lines: false,
            tenure: false,
            age: None,
        }
    }
}

impl GroupSettings {
    /// The default dimensions plus `custom` attributes (by key or label).
    pub fn with_custom<S: Into<String>>(custom: impl IntoIterator<Item = S>) -> Self {
        let mut groups = GroupSettings::default();
        groups.attributes.extend(custom.into_iter().map(Into::into));
        groups
    }

    /// Which of [`STANDARD_GROUP_ATTRIBUTES`] are group dimensions, in that order.
    pub fn standard(&self) -> [bool; 6] {
        STANDARD_GROUP_ATTRIBUTES.map(|key| self.has_standard(key))
    }

    /// Whether `key` (a standard attribute key) is a group dimension.
    pub fn has_standard(&self, key: &str) -> bool {
        self.attributes.iter().any(|a| a.trim() == key)
    }

    /// The entries that are not standard keys: custom attributes, by key or label.
    pub fn custom(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .map(|a| crate::text::trim(a))
            .filter(|a| !a.is_empty() && !STANDARD_GROUP_ATTRIBUTES.contains(a))
    }
}

/// When a run would remove too many people, it is held for a human to confirm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionGuard {
    /// Hold when removals exceed this share of the directory (0.2 = 20%)…
    pub max_share: f64,
    /// …and are at least this many people.
    pub min_people: usize,
}

impl Default for DeletionGuard {
    fn default() -> Self {
        DeletionGuard {
            max_share: 0.2,
            min_people: 5,
        }
    }
}

impl DeletionGuard {
    /// The field of `self` that lets more removals through than `before` did (a higher
    /// `max_share` or a higher `min_people`), if any. Loosening the guard is a person's
    /// decision: only the web app and the command line may do it, never an API token.
    pub fn loosens(&self, before: &DeletionGuard) -> Option<&'static str> {
        if self.max_share > before.max_share {
            Some("deletion_guard.max_share")
        } else if self.min_people > before.min_people {
            Some("deletion_guard.min_people")
        } else {
            None
        }
    }
}

/// Why a document was refused: the field's path, what is wrong with it as a value (the
/// web app says it in the page's language), and in English words (the API, the CLI).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingsError {
    /// `scope.exclude[2].attribute`; empty for the document as a whole.
    pub field: String,
    pub message: String,
    pub problem: SettingsProblem,
}

/// What is wrong with a field of a settings document, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsProblem {
    /// Not a document of the right shape (not an object, an unknown or mistyped field,
    /// trailing characters): only the API and the CLI can send those, in serde's words.
    Shape,
    /// An empty text.
    Empty,
    /// A text longer than `max` characters.
    TooLong { max: usize },
    /// A list longer than `max` entries.
    TooMany { max: usize },
    /// A rule without values.
    NoValues,
    /// An attribute listed twice.
    ListedTwice,
    /// The deletion guard's share is not more than 0 and at most 1 (100 %).
    ShareOutOfRange,
    /// An alert address that is no e-mail address.
    NotAnAddress { address: String },
    /// An attribute the source does not send (the credential cannot read it).
    Unreadable { name: String },
    /// An attribute the last employee file has no column for.
    NoColumn { name: String, columns: Vec<String> },
    /// The age groups' date attribute named anywhere else (kept, grouped by, in a rule):
    /// the birth date is never stored.
    AgeDateElsewhere,
}

impl SettingsError {
    /// `problem` of `field`, with its English `message`.
    pub fn new(
        field: impl Into<String>,
        problem: SettingsProblem,
        message: impl Into<String>,
    ) -> Self {
        SettingsError {
            field: field.into(),
            message: message.into(),
            problem,
        }
    }
}

impl Settings {
    /// Reads a document from outside (API body, CLI file, web form as JSON): unknown
    /// fields, wrong types and invalid values are refused with the field's path.
    pub fn parse(json: &[u8]) -> Result<Settings, SettingsError> {
        // serde reads a struct from an array too ("[]" would be the defaults).
        if json.trim_ascii_start().first() != Some(&b'{') {
            return Err(SettingsError::new(
                "",
                SettingsProblem::Shape,
                "the settings must be a JSON object",
            ));
        }
        let mut de = serde_json::Deserializer::from_slice(json);
        let settings: Settings = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." { String::new() } else { field };
            SettingsError::new(
                field,
                SettingsProblem::Shape,
                plain_serde_message(&e.into_inner().to_string()),
            )
        })?;
        de.end().map_err(|_| {
            SettingsError::new(
                "",
                SettingsProblem::Shape,
                "trailing characters after the document",
            )
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Reads the document as stored. Stores written before settings existed hold the old
    /// policy (`custom_group_attributes`, `deletion_guard.max_fraction`): that is read as
    /// the same choices in today's shape.
    pub fn from_stored(json: &str) -> Result<Settings, serde_json::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Current(Settings),
            Legacy(LegacyPolicy),
        }
        #[derive(Deserialize)]
        struct LegacyPolicy {
            #[serde(default)]
            keep_on_leave: bool,
            #[serde(default)]
            custom_group_attributes: Vec<String>,
            /// Added by the upgrade that introduced kept attributes (migration 0013).
            #[serde(default)]
            keep_attributes: Vec<String>,
            #[serde(default)]
            deletion_guard: Option<LegacyGuard>,
        }
        #[derive(Deserialize)]
        struct LegacyGuard {
            max_fraction: f64,
            min_people: usize,
        }
        Ok(match serde_json::from_str(json)? {
            Stored::Current(settings) => settings,
            Stored::Legacy(old) => Settings {
                groups: GroupSettings::with_custom(old.custom_group_attributes),
                keep_attributes: old.keep_attributes,
                keep_on_leave: old.keep_on_leave,
                deletion_guard: old
                    .deletion_guard
                    .map(|g| DeletionGuard {
                        max_share: g.max_fraction,
                        min_people: g.min_people,
                    })
                    .unwrap_or_default(),
                ..Settings::default()
            },
        })
    }

    /// Checks the values serde cannot: the first problem, with its field's path.
    pub fn validate(&self) -> Result<(), SettingsError> {
        for (list, rules) in [
            ("scope.include", &self.scope.include),
            ("scope.exclude", &self.scope.exclude),
        ] {
            count(list, rules.len())?;
            for (i, rule) in rules.iter().enumerate() {
                let at = format!("{list}[{i}]");
                text(&format!("{at}.attribute"), &rule.attribute)?;
                if rule.values.is_empty() {
                    return Err(SettingsError::new(
                        format!("{at}.values"),
                        SettingsProblem::NoValues,
                        "a rule needs at least one value",
                    ));
                }
                count(&format!("{at}.values"), rule.values.len())?;
                for (j, value) in rule.values.iter().enumerate() {
                    text(&format!("{at}.values[{j}]"), value)?;
                }
            }
        }
        for list in [
            ("groups.attributes", &self.groups.attributes),
            ("keep_attributes", &self.keep_attributes),
        ] {
            distinct_names(list.0, list.1)?;
        }
        if let Some(age) = &self.groups.age {
            text("groups.age.attribute", &age.attribute)?;
            let date = crate::text::trim(&age.attribute).to_lowercase();
            // The birth date is never stored: not as a kept attribute, a custom group's
            // name or a rule's value.
            if let Some((field, _)) = self
                .attributes_named()
                .into_iter()
                .find(|(f, n)| f != "groups.age.attribute" && n.to_lowercase() == date)
            {
                return Err(SettingsError::new(
                    field,
                    SettingsProblem::AgeDateElsewhere,
                    "is the date attribute of the age groups, which is never stored: \
                     it cannot also be kept, grouped by or used in a rule",
                ));
            }
        }
        let share = self.deletion_guard.max_share;
        if !(share > 0.0 && share <= 1.0) {
            return Err(SettingsError::new(
                "deletion_guard.max_share",
                SettingsProblem::ShareOutOfRange,
                "must be more than 0 and at most 1 (0.2 = 20%)",
            ));
        }
        count("notify", self.notify.len())?;
        // Alerts are mailed to these: the mailer's rules, not Personio's (`Email`).
        for (i, address) in self.notify.iter().enumerate() {
            if let Err(e) = crate::MailAddress::parse(address) {
                return Err(SettingsError::new(
                    format!("notify[{i}]"),
                    SettingsProblem::NotAnAddress {
                        address: address.clone(),
                    },
                    format!("{address:?} is not an e-mail address ({})", e.problem),
                ));
            }
        }
        Ok(())
    }

    /// Every attribute the document names (rules, group dimensions, the age groups' date
    /// attribute, kept attributes), trimmed, once each, with the path of its first
    /// mention: what the caller checks against the attributes the credential can read.
    pub fn attributes_named(&self) -> Vec<(String, &str)> {
        let rules = [
            ("scope.include", &self.scope.include),
            ("scope.exclude", &self.scope.exclude),
        ]
        .into_iter()
        .flat_map(|(list, rules)| {
            rules
                .iter()
                .enumerate()
                .map(move |(i, rule)| (format!("{list}[{i}].attribute"), rule.attribute.as_str()))
        });
        let groups = self.groups.attributes.iter().enumerate();
        let groups = groups.map(|(i, a)| (format!("groups.attributes[{i}]"), a.as_str()));
        let age = self
            .groups
            .age
            .iter()
            .map(|a| ("groups.age.attribute".to_owned(), a.attribute.as_str()));
        let kept = self.keep_attributes.iter().enumerate();
        let kept = kept.map(|(i, a)| (format!("keep_attributes[{i}]"), a.as_str()));
        let mut out: Vec<(String, &str)> = Vec::new();
        for (field, name) in rules.chain(groups).chain(age).chain(kept) {
            let name = crate::text::trim(name);
            if !out.iter().any(|(_, n)| *n == name) {
                out.push((field, name));
            }
        }
        out
    }
}

/// Each entry of the list at `field` is a name (see [`text`]), and none twice (ignoring
/// case).
fn distinct_names(field: &str, names: &[String]) -> Result<(), SettingsError> {
    count(field, names.len())?;
    let mut seen: Vec<String> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let at = format!("{field}[{i}]");
        text(&at, name)?;
        let folded = crate::text::trim(name).to_lowercase();
        if seen.contains(&folded) {
            return Err(SettingsError::new(
                at,
                SettingsProblem::ListedTwice,
                "listed twice",
            ));
        }
        seen.push(folded);
    }
    Ok(())
}

fn text(field: &str, value: &str) -> Result<(), SettingsError> {
    let trimmed = crate::text::trim(value);
    if trimmed.is_empty() {
        return Err(SettingsError::new(
            field,
            SettingsProblem::Empty,
            "must not be empty",
        ));
    }
    if trimmed.chars().count() > MAX_TEXT {
        return Err(SettingsError::new(
            field,
            SettingsProblem::TooLong { max: MAX_TEXT },
            format!("longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

fn count(field: &str, n: usize) -> Result<(), SettingsError> {
    if n > MAX_ITEMS {
        return Err(SettingsError::new(
            field,
            SettingsProblem::TooMany { max: MAX_ITEMS },
            format!("more than {MAX_ITEMS} entries"),
        ));
    }
    Ok(())
}

/// serde_json's message without its " at line 1 column 42" tail: the path says where.
fn plain_serde_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> SettingsError {
        Settings::parse(json.as_bytes()).unwrap_err()
    }

    #[test]
    fn an_empty_document_is_the_defaults() {
        let s = Settings::parse(b"{}").unwrap();
        assert_eq!(s, Settings::default());
        assert!(s.groups.has_standard("cost_centers"));
        assert_eq!(s.deletion_guard.max_share, 0.2);
    }

    #[test]
    fn only_a_higher_share_or_minimum_loosens_the_guard() {
        let before = DeletionGuard::default();
        let with = |max_share, min_people| DeletionGuard {
            max_share,
            min_people,
        };
        assert_eq!(before.loosens(&before), None);
        assert_eq!(with(0.1, 2).loosens(&before), None, "tighter");
        assert_eq!(
            with(1.0, 5).loosens(&before),
            Some("deletion_guard.max_share")
        );
        assert_eq!(
            with(0.2, 1_000_000).loosens(&before),
            Some("deletion_guard.min_people")
        );
        assert_eq!(
            with(0.1, 6).loosens(&before),
            Some("deletion_guard.min_people")
        );
    }

    #[test]
    fn errors_name_the_field_path() {
        let e = err(r#"{"scope":{"exclude":[
            {"attribute":"status","values":["x"]},
            {"attribute":"team","values":["y"]},
            {"attribute":"  ","values":["z"]}]}}"#);
        assert_eq!(e.field, "scope.exclude[2].attribute");
        let e = err(r#"{"scope":{"exclude":[{"attribute":1,"values":[]}]}}"#);
        assert_eq!(e.field, "scope.exclude[0].attribute");
        assert!(e.message.contains("expected a string"), "{e}");
        let e = err(r#"{"scope":{"include":[{"attribute":"team","values":[]}]}}"#);
        assert_eq!(e.field, "scope.include[0].values");
        let e = err(r#"{"deletion_guard":{"max_share":1.5,"min_people":5}}"#);
        assert_eq!(e.field, "deletion_guard.max_share");
        let e = err(r#"{"deletion_guard":{"max_share":0.5,"min_people":-1}}"#);
        assert_eq!(e.field, "deletion_guard.min_people");
        let e = err(r#"{"groups":{"tenure":"yes"}}"#);
        assert_eq!(e.field, "groups.tenure");
        let e = err(r#"{"groups":{"attributes":["team","Team"]}}"#);
        assert_eq!(e.field, "groups.attributes[1]");
        let e = err(r#"{"keep_attributes":["Standort"," standort "]}"#);
        assert_eq!(e.field, "keep_attributes[1]");
        let e = err(r#"{"groups":{"age":{"attribute":" "}}}"#);
        assert_eq!(e.field, "groups.age.attribute");
        let e = err(r#"{"groups":{"age":{}}}"#);
        assert_eq!(e.field, "groups.age");
        let e = err(r#"{"notify":["hr@acme.de","nobody"]}"#);
        assert_eq!(e.field, "notify[1]");
        // What the mailer could not send to is refused here, not dropped at the alert.
        for bad in ["x<y@acme.de", "hr..alerts@acme.de", "hr@acme.de>"] {
            let e = err(&format!(r#"{{"notify":["hr@acme.de","{bad}"]}}"#));
            assert_eq!(e.field, "notify[1]", "{bad}");
        }
        let e = err(r#"{"scope":{"exlude":[]}}"#);
        assert_eq!(e.field, "scope.exlude");
        assert!(e.message.contains("unknown field"), "{e}");
        let e = err("[]");
        assert_eq!(e.field, "");
        let e = err("{} x");
        assert_eq!(e.field, "");
    }

    #[test]
    fn the_age_attribute_is_named_nowhere_else() {
        let with =
            |rest: &str| format!(r#"{{"groups":{{"age":{{"attribute":"Geburtsdatum"}}{rest}}}"#);
        let ok = Settings::parse(with("}").as_bytes()).unwrap();
        assert_eq!(ok.groups.age.unwrap().attribute, "Geburtsdatum");
        let e = err(&with(r#"},"keep_attributes":["Standort","geburtsdatum"]"#));
        assert_eq!(e.field, "keep_attributes[1]");
        assert!(e.message.contains("never stored"), "{e}");
        let e = err(&with(r#","attributes":["department","Geburtsdatum "]}"#));
        assert_eq!(e.field, "groups.attributes[1]");
        let e = err(&with(
            r#"},"scope":{"exclude":[{"attribute":"GEBURTSDATUM","values":["x"]}]}"#,
        ));
        assert_eq!(e.field, "scope.exclude[0].attribute");
    }

    #[test]
    fn the_old_stored_policy_reads_as_the_same_choices() {
        let old = r#"{"keep_on_leave":true,"custom_group_attributes":["Standort"],
                      "deletion_guard":{"max_fraction":0.3,"min_people":7}}"#;
        let s = Settings::from_stored(old).unwrap();
        assert!(s.keep_on_leave);
        assert_eq!(s.deletion_guard.max_share, 0.3);
        assert_eq!(s.deletion_guard.min_people, 7);
        assert_eq!(s.groups.custom().collect::<Vec<_>>(), ["Standort"]);
        assert!(s.groups.has_standard("department"));
        assert_eq!(Settings::from_stored("{}").unwrap(), Settings::default());
        // As the upgrade to kept attributes (migration 0013) leaves an old policy.
        let upgraded = r#"{"keep_on_leave":true,"custom_group_attributes":["Standort"],
                           "keep_attributes":["Sprachen"]}"#;
        let u = Settings::from_stored(upgraded).unwrap();
        assert_eq!(u.keep_attributes, ["Sprachen"]);
        assert!(u.keep_on_leave);
        let current = serde_json::to_string(&s).unwrap();
        assert_eq!(Settings::from_stored(&current).unwrap(), s);
    }

    #[test]
    fn attributes_named_lists_each_once_with_its_first_path() {
        let s = Settings::parse(
            br#"{"scope":{"include":[{"attribute":"Standort","values":["Berlin"]}],
                 "exclude":[{"attribute":" Standort ","values":["x"]},
                            {"attribute":"employment_type","values":["external"]}]},
                 "groups":{"attributes":["department","employment_type"],
                           "age":{"attribute":"dynamic_99001"}},
                 "keep_attributes":["Sprachen","Standort"]}"#,
        )
        .unwrap();
        assert_eq!(
            s.attributes_named(),
            [
                ("scope.include[0].attribute".to_owned(), "Standort"),
                ("scope.exclude[1].attribute".to_owned(), "employment_type"),
                ("groups.attributes[0]".to_owned(), "department"),
                ("groups.age.attribute".to_owned(), "dynamic_99001"),
                ("keep_attributes[0]".to_owned(), "Sprachen"),
            ]
        );
    }
}
