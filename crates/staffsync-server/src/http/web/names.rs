//! How the pages name people, groups, attributes and scope rules: a reporting line by its
//! manager's current name ("Team von Julia Jäger"), a tenure band in words ("1 bis 2
//! Jahre", the words the API gives too), an attribute by its German or English name
//! (`employment_type` → "Beschäftigungsart"), a code value in words (`external` →
//! "Extern"), a rule in words ("Beschäftigungsart ist Extern"); and, for the settings
//! form, which attribute a typed name means ([`AttributeChoices`]).
//!
//! Presentation only: the API, stored settings, group keys and run details keep their
//! keys and ids. A manager or supervisor the directory no longer holds is named neutrally
//! ("Team einer entfernten Person"), never by an id.

use super::i18n::{self, Key, Lang, t};
use staffsync_core::planner::rule_text;
use staffsync_core::{
    AgeBand, DirectoryEmployee, GroupKey, GroupKind, PersonKey, Rule, Scope, TenureBand,
};
use std::collections::{BTreeSet, HashMap};

/// Personio's standard attributes and an employee file's `language`, with their names.
const ATTRIBUTES: &[(&str, Key)] = &[
    ("contract_end_date", key!("attr.contract_end_date")),
    ("cost_centers", key!("attr.cost_centers")),
    ("created_at", key!("attr.created_at")),
    ("department", key!("attr.department")),
    ("email", key!("attr.email")),
    ("employment_type", key!("attr.employment_type")),
    ("first_name", key!("attr.first_name")),
    ("gender", key!("attr.gender")),
    ("hire_date", key!("attr.hire_date")),
    ("holiday_calendar", key!("attr.holiday_calendar")),
    ("language", key!("attr.language")),
    ("last_modified_at", key!("attr.last_modified_at")),
    ("last_name", key!("attr.last_name")),
    ("last_working_day", key!("attr.last_working_day")),
    ("office", key!("attr.office")),
    ("position", key!("attr.position")),
    ("preferred_name", key!("attr.preferred_name")),
    ("status", key!("attr.status")),
    ("subcompany", key!("attr.subcompany")),
    ("supervisor", key!("attr.supervisor")),
    ("team", key!("attr.team")),
    ("termination_date", key!("attr.termination_date")),
    ("termination_reason", key!("attr.termination_reason")),
    ("termination_type", key!("attr.termination_type")),
    ("weekly_working_hours", key!("attr.weekly_working_hours")),
];

fn standard(key: &str) -> Option<Key> {
    ATTRIBUTES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, text)| *text)
}

/// The name of the attribute `key`: a standard one in words, any other (a custom
/// attribute's label, a `dynamic_…` key, a file's column) as it is.
pub fn attribute_name(key: &str, lang: Lang) -> String {
    let key = key.trim();
    standard(key).map_or_else(|| key.to_owned(), |text| t(lang, text).to_owned())
}

/// A value in words where Personio sends a code (employment type, status, gender):
/// `external` → "Extern"; any other value as it is.
pub fn value_name(attribute: &str, value: &str, lang: Lang) -> String {
    let value = value.trim();
    let key = format!("value.{}.{}", attribute.trim(), value.to_lowercase());
    i18n::lookup(lang, &key).map_or_else(|| value.to_owned(), str::to_owned)
}

/// A tenure band in words: the names the API gives too (`name`, `name_en`).
pub fn band_name(band: TenureBand, lang: Lang) -> &'static str {
    match lang {
        Lang::De => band.name_de(),
        Lang::En => band.name_en(),
    }
}

/// An age band in words: the names the API gives too (`name`, `name_en`).
pub fn age_band_name(band: AgeBand, lang: Lang) -> &'static str {
    match lang {
        Lang::De => band.name_de(),
        Lang::En => band.name_en(),
    }
}

/// `template` with each `{placeholder}` replaced once, left to right, so that a name
/// holding a placeholder's text is never replaced again.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let found = args
            .iter()
            .find(|(name, _)| rest[start..].starts_with(&format!("{{{name}}}")));
        match found {
            Some((name, value)) => {
                out.push_str(&rest[..start]);
                out.push_str(value);
                rest = &rest[start + name.len() + 2..];
            }
            None => {
                out.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `Vorname Nachname` of everyone in `directory`, by their key.
pub fn people_of(directory: &[DirectoryEmployee]) -> HashMap<PersonKey, String> {
    directory
        .iter()
        .map(|e| (e.key, format!("{} {}", e.first_name, e.last_name)))
        .collect()
}

/// What a page needs to name groups, supervisors and rules: its language, the people of
/// the directory (managers by their current name) and the account's scope rules (a rule
/// is matched by its exact text before the planner's wording is read back).
#[derive(Debug, Clone)]
pub struct Names {
    lang: Lang,
    people: HashMap<PersonKey, String>,
    scope: Scope,
}

impl Names {
    pub fn new(lang: Lang, people: HashMap<PersonKey, String>, scope: Scope) -> Names {
        Names {
            lang,
            people,
            scope,
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Adds people (a plan's new hires: a preview names their teams too).
    pub fn add_people(&mut self, people: impl IntoIterator<Item = (PersonKey, String)>) {
        self.people.extend(people);
    }

    /// The current name of the person with key `id`.
    pub fn person(&self, id: PersonKey) -> Option<&str> {
        self.people.get(&id).map(String::as_str)
    }

    /// [`Names::person`] of a key as groups and changes store it (`"738402"`).
    fn person_text(&self, key: &str) -> Option<&str> {
        self.person(PersonKey(key.trim().parse().ok()?))
    }

    /// A group's name within its kind: a reporting line by its manager ("Team von Julia
    /// Jäger", "Alle unter Julia Jäger"), a tenure band in words, any other by its name.
    pub fn group_name(&self, kind: GroupKind, name: &str) -> String {
        let (named, removed) = match kind {
            GroupKind::Tenure => {
                return TenureBand::parse(name)
                    .map_or_else(|| name.to_owned(), |b| band_name(b, self.lang).to_owned());
            }
            GroupKind::Age => {
                return AgeBand::parse(name).map_or_else(
                    || name.to_owned(),
                    |b| age_band_name(b, self.lang).to_owned(),
                );
            }
            GroupKind::ReportsDirect => (
                key!("group.reports_direct"),
                key!("group.reports_direct.removed"),
            ),
            GroupKind::ReportsAll => (key!("group.reports_all"), key!("group.reports_all.removed")),
            _ => return name.to_owned(),
        };
        match self.person_text(name) {
            Some(manager) => fill(t(self.lang, named), &[("name", manager)]),
            None => t(self.lang, removed).to_owned(),
        }
    }

    /// A group as named outside a list of its kind: `Abteilung: Sales`,
    /// `Betriebszugehörigkeit: 1 bis 2 Jahre`; a reporting line and a custom attribute's
    /// group (`Standort: Berlin`) say what they are by their name alone.
    pub fn group_label(&self, kind: GroupKind, name: &str) -> String {
        let shown = self.group_name(kind, name);
        if kind.is_reporting_line() || kind == GroupKind::Custom {
            shown
        } else {
            format!("{}: {shown}", i18n::group_kind_text(self.lang, kind))
        }
    }

    /// Groups as `Abteilung: Sales, Team von Julia Jäger`.
    pub fn groups_text<'a>(&self, groups: impl IntoIterator<Item = &'a GroupKey>) -> String {
        groups
            .into_iter()
            .map(|g| self.group_label(g.kind, &g.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A group as a run's change stores it (`reports_direct: 738402`), labelled; text of
    /// an unknown kind as it is.
    pub fn stored_group(&self, text: &str) -> String {
        text.split_once(": ")
            .and_then(|(kind, name)| Some((GroupKind::parse(kind)?, name)))
            .map_or_else(
                || text.to_owned(),
                |(kind, name)| self.group_label(kind, name),
            )
    }

    /// A supervisor by their key: their current name, or "eine entfernte Person".
    pub fn supervisor(&self, key: &str) -> String {
        self.person_text(key)
            .unwrap_or_else(|| t(self.lang, key!("person.removed")))
            .to_owned()
    }

    /// A scope rule in words, from the planner's wording of it (`exclude employment_type =
    /// external` → "Beschäftigungsart ist Extern"; `include department = Sales or …` →
    /// "Nicht eingeschlossen (Abteilung ist Sales oder …)"). The account's own rules are
    /// matched by their exact text first (a value may hold ", "); other text is read back
    /// by the wording's shape, and shown as it is when it has none.
    pub fn rule(&self, text: &str) -> String {
        if let Some(rule) = self
            .scope
            .exclude
            .iter()
            .find(|r| rule_text("exclude", r) == text)
        {
            return self.condition(&rule.attribute, &trimmed(&rule.values));
        }
        let include: Vec<String> = self
            .scope
            .include
            .iter()
            .map(|r| rule_text("include", r))
            .collect();
        let parts: Vec<&str> = include
            .iter()
            .filter_map(|r| r.strip_prefix("include "))
            .collect();
        if !parts.is_empty() && format!("include {}", parts.join(" or ")) == text {
            let words: Vec<String> = self
                .scope
                .include
                .iter()
                .map(|r| self.condition(&r.attribute, &trimmed(&r.values)))
                .collect();
            return self.not_included(&words);
        }
        if let Some((attribute, values)) = text.strip_prefix("exclude ").and_then(read_condition) {
            return self.condition(attribute, &values);
        }
        let conditions: Option<Vec<String>> = text.strip_prefix("include ").and_then(|rest| {
            rest.split(" or ")
                .map(|c| read_condition(c).map(|(a, v)| self.condition(a, &v)))
                .collect()
        });
        conditions.map_or_else(|| text.to_owned(), |c| self.not_included(&c))
    }

    /// "Beschäftigungsart ist Extern oder Intern".
    fn condition(&self, attribute: &str, values: &[&str]) -> String {
        let or = format!(" {} ", t(self.lang, key!("rule.or")));
        let values: Vec<String> = values
            .iter()
            .map(|v| value_name(attribute, v, self.lang))
            .collect();
        fill(
            t(self.lang, key!("rule.is")),
            &[
                ("attribute", &attribute_name(attribute, self.lang)),
                ("values", &values.join(&or)),
            ],
        )
    }

    fn not_included(&self, conditions: &[String]) -> String {
        let or = format!(" {} ", t(self.lang, key!("rule.or")));
        fill(
            t(self.lang, key!("rule.include")),
            &[("rules", &conditions.join(&or))],
        )
    }

    /// Rule `rule` of the account in words (a rule row of the settings form).
    pub fn rule_words(&self, rule: &Rule) -> String {
        self.condition(&rule.attribute, &trimmed(&rule.values))
    }
}

fn trimmed(values: &[String]) -> Vec<&str> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect()
}

/// `employment_type = external, internal` → (`employment_type`, [`external`, `internal`]).
fn read_condition(text: &str) -> Option<(&str, Vec<&str>)> {
    let (attribute, values) = text.split_once(" = ")?;
    Some((
        attribute,
        values
            .split(", ")
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect(),
    ))
}

/// Which attribute a name typed in the settings form means. The choices are the keys the
/// source sends (the credential's readable attributes or a file's columns), the keys the
/// directory holds (custom attributes by label), and the source's standard attributes
/// (named in German and English, as listed and as directory fields).
///
/// A key typed exactly means itself (the document means what the API would take it to
/// mean, and a saved document shows and saves again unchanged); otherwise a name that fits
/// exactly one choice, ignoring case, means that choice's key; a name that fits several is
/// ambiguous; a name that fits none is left as typed, for the readability check to refuse.
#[derive(Debug, Clone)]
pub struct AttributeChoices {
    keys: BTreeSet<String>,
}

impl AttributeChoices {
    /// `keys` as above; `standard` the source's standard attribute keys.
    pub fn new<'a>(
        keys: impl IntoIterator<Item = String>,
        standard: impl IntoIterator<Item = &'a str>,
    ) -> AttributeChoices {
        let mut keys: BTreeSet<String> = keys.into_iter().collect();
        keys.extend(standard.into_iter().map(str::to_owned));
        AttributeChoices { keys }
    }

    /// Personio's standard attributes.
    pub fn personio_standard() -> impl Iterator<Item = &'static str> {
        ATTRIBUTES
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| *k != "language")
    }

    /// Every name the key `key` goes by.
    fn names(key: &str) -> Vec<&str> {
        let Some(text) = standard(key) else {
            return vec![key];
        };
        let field = i18n::Key::lookup(&format!("field.{key}"));
        [Lang::De, Lang::En]
            .into_iter()
            .flat_map(|lang| std::iter::once(t(lang, text)).chain(field.map(|f| t(lang, f))))
            .collect()
    }

    /// The key `typed` means, or the keys it could mean when it fits several.
    pub fn resolve(&self, typed: &str) -> Result<String, Vec<String>> {
        let typed = typed.trim();
        if self.keys.contains(typed) {
            return Ok(typed.to_owned());
        }
        let folded = typed.to_lowercase();
        let fits: Vec<&String> = self
            .keys
            .iter()
            .filter(|k| {
                Self::names(k)
                    .iter()
                    .any(|n| n.trim().to_lowercase() == folded)
            })
            .collect();
        match fits.as_slice() {
            [] => Ok(typed.to_owned()),
            [one] => Ok((*one).clone()),
            many => Err(many.iter().map(|k| (*k).clone()).collect()),
        }
    }

    /// How the form shows the key `key`: by its name when typing that name means `key`
    /// again, else by the key.
    pub fn shown(&self, key: &str, lang: Lang) -> String {
        let name = attribute_name(key, lang);
        if self.resolve(&name).is_ok_and(|k| k == key.trim()) {
            name
        } else {
            key.trim().to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(lang: Lang) -> Names {
        let people = HashMap::from([(PersonKey(7), "Julia Jäger".to_owned())]);
        Names::new(lang, people, Scope::default())
    }

    /// Issue 23: an identity provider's group says where it comes from, by its name.
    #[test]
    fn idp_groups_are_named_by_their_display_name() {
        assert_eq!(
            names(Lang::De).group_label(GroupKind::IdpGroup, "Vertrieb Nord"),
            "Gruppe aus Entra/Okta: Vertrieb Nord"
        );
        assert_eq!(
            names(Lang::En).stored_group("idp_group: Vertrieb Nord"),
            "Group from Entra/Okta: Vertrieb Nord"
        );
    }

    #[test]
    fn reporting_lines_are_named_after_their_manager_or_neutrally() {
        let de = names(Lang::De);
        assert_eq!(
            de.group_label(GroupKind::ReportsDirect, "7"),
            "Team von Julia Jäger"
        );
        assert_eq!(
            de.group_label(GroupKind::ReportsAll, "7"),
            "Alle unter Julia Jäger"
        );
        assert_eq!(
            de.group_label(GroupKind::ReportsDirect, "8"),
            "Team einer entfernten Person"
        );
        let en = names(Lang::En);
        assert_eq!(
            en.group_label(GroupKind::ReportsAll, "8"),
            "Everyone under a removed person"
        );
        assert_eq!(en.stored_group("reports_direct: 7"), "Team of Julia Jäger");
        assert_eq!(
            de.stored_group("tenure: 10y_plus"),
            "Betriebszugehörigkeit: 10 Jahre und länger"
        );
        assert_eq!(
            de.stored_group("custom: Standort: Berlin"),
            "Standort: Berlin"
        );
        assert_eq!(de.supervisor("7"), "Julia Jäger");
        assert_eq!(de.supervisor("8"), "eine entfernte Person");
    }

    #[test]
    fn a_name_holding_a_placeholder_is_not_filled_again() {
        let people = HashMap::from([(PersonKey(1), "{name} Doe".to_owned())]);
        let n = Names::new(Lang::De, people, Scope::default());
        assert_eq!(
            n.group_name(GroupKind::ReportsDirect, "1"),
            "Team von {name} Doe"
        );
    }

    #[test]
    fn rules_read_as_words() {
        let rule = |a: &str, v: &[&str]| Rule {
            attribute: a.to_owned(),
            values: v.iter().map(|s| (*s).to_owned()).collect(),
        };
        let de = names(Lang::De);
        assert_eq!(
            de.rule("exclude employment_type = external"),
            "Beschäftigungsart ist Extern"
        );
        assert_eq!(
            names(Lang::En).rule("exclude office = Berlin, Hamburg"),
            "Office is Berlin or Hamburg"
        );
        assert_eq!(
            de.rule("include department = Sales or Standort = Köln"),
            "Nicht eingeschlossen (Abteilung ist Sales oder Standort ist Köln)"
        );
        assert_eq!(de.rule("something else"), "something else");
        // The account's own rule is matched exactly: a value may hold ", ".
        let scope = Scope {
            include: vec![],
            exclude: vec![rule("department", &["Sales, EMEA"])],
        };
        let own = Names::new(Lang::De, HashMap::new(), scope);
        assert_eq!(
            own.rule("exclude department = Sales, EMEA"),
            "Abteilung ist Sales, EMEA"
        );
    }

    #[test]
    fn typed_names_mean_one_attribute_or_are_ambiguous() {
        let choices = AttributeChoices::new(
            ["Arbeitsort".to_owned(), "Standort".to_owned()],
            AttributeChoices::personio_standard(),
        );
        let ok = |typed: &str| choices.resolve(typed).unwrap();
        assert_eq!(ok("Beschäftigungsart"), "employment_type");
        assert_eq!(ok(" employment type "), "employment_type");
        assert_eq!(ok("employment_type"), "employment_type");
        assert_eq!(ok("standort"), "Standort");
        // A key typed exactly means itself, even when it is also a standard name.
        assert_eq!(ok("Arbeitsort"), "Arbeitsort");
        assert_eq!(ok("Vertragsart"), "Vertragsart");
        let mut both = choices.resolve("arbeitsort").unwrap_err();
        both.sort();
        assert_eq!(both, ["Arbeitsort", "office"]);
        assert_eq!(
            choices.shown("employment_type", Lang::De),
            "Beschäftigungsart"
        );
        assert_eq!(
            choices.shown("employment_type", Lang::En),
            "Employment type"
        );
        assert_eq!(choices.shown("Standort", Lang::De), "Standort");
        assert_eq!(choices.shown("dynamic_1", Lang::De), "dynamic_1");
    }
}
