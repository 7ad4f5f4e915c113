//! Scope rules: who may be in the directory at all, by the admin's
//! [`Scope`](crate::settings::Scope) (`include` / `exclude` lists of [`Rule`]s).
//!
//! A person is in scope when `include` is empty or one of its rules matches, and no rule
//! of `exclude` matches. A rule matches when the person's value of its attribute equals
//! one of its values, both trimmed and compared ignoring case. The attribute is:
//!
//! * a standard key: `employment_type`, `status`, `position`, `gender`, `preferred_name`,
//!   `first_name`, `last_name`, `email`; `department`, `office`, `team`, `subcompany` (the
//!   unit's name); `cost_centers` (any cost center's name);
//! * otherwise an [`ExtraAttribute`](crate::ExtraAttribute), by its key (exactly, such as
//!   `dynamic_33400`) or its label (trimmed, ignoring case, such as "Standort"); for a
//!   `tags` or `list` attribute any element of the list (Personio's lists arrive joined
//!   with ", ") matches too.
//!
//! A person without a value for the attribute matches no rule on it. Someone out of scope
//! is skipped with [`SkipReason::Excluded`](crate::SkipReason::Excluded) naming the rule
//! in words ([`rule_text`]); the planner removes them if they are in the directory.
//!
//! The rules are compiled once per plan ([`ScopeRules::new`]) and then checked per
//! record: this module must never look at more than the one record it is given.

use crate::employee::SourceEmployee;
use crate::settings::{Rule, Scope};

/// Which value of a record a rule looks at.
#[derive(Debug, Clone, PartialEq)]
enum Attribute {
    EmploymentType,
    Status,
    Position,
    Gender,
    PreferredName,
    FirstName,
    LastName,
    Email,
    Department,
    Office,
    Team,
    Subcompany,
    CostCenters,
    /// An extra attribute, by key or label (trimmed).
    Extra(String),
}

impl Attribute {
    fn of(name: &str) -> Self {
        match name {
            "employment_type" => Attribute::EmploymentType,
            "status" => Attribute::Status,
            "position" => Attribute::Position,
            "gender" => Attribute::Gender,
            "preferred_name" => Attribute::PreferredName,
            "first_name" => Attribute::FirstName,
            "last_name" => Attribute::LastName,
            "email" => Attribute::Email,
            "department" => Attribute::Department,
            "office" => Attribute::Office,
            "team" => Attribute::Team,
            "subcompany" => Attribute::Subcompany,
            "cost_centers" => Attribute::CostCenters,
            other => Attribute::Extra(other.to_owned()),
        }
    }
}

/// One rule, ready to check.
#[derive(Debug, Clone, PartialEq)]
struct Compiled {
    attribute: Attribute,
    /// Trimmed and lower-cased, empty ones dropped.
    values: Vec<String>,
}

impl Compiled {
    fn new(rule: &Rule) -> Self {
        Compiled {
            attribute: Attribute::of(crate::text::trim(&rule.attribute)),
            values: rule
                .values
                .iter()
                .map(|v| fold(v))
                .filter(|v| !v.is_empty())
                .collect(),
        }
    }

    fn matches(&self, e: &SourceEmployee) -> bool {
        let is = |value: Option<&str>| value.is_some_and(|v| self.has(v));
        let unit = |u: &Option<crate::OrgUnit>| is(u.as_ref().map(|u| u.name.as_str()));
        match &self.attribute {
            Attribute::EmploymentType => is(e.employment_type.as_deref()),
            Attribute::Status => is(e.status.as_ref().map(|s| s.as_str())),
            Attribute::Position => is(e.position.as_deref()),
            Attribute::Gender => is(e.gender.as_deref()),
            Attribute::PreferredName => is(e.preferred_name.as_deref()),
            Attribute::FirstName => is(e.first_name.as_deref()),
            Attribute::LastName => is(e.last_name.as_deref()),
            Attribute::Email => is(e.email.as_deref()),
            Attribute::Department => unit(&e.department),
            Attribute::Office => unit(&e.office),
            Attribute::Team => unit(&e.team),
            Attribute::Subcompany => unit(&e.subcompany),
            Attribute::CostCenters => e.cost_centers.iter().any(|c| self.has(&c.name)),
            Attribute::Extra(name) => e
                .attributes
                .iter()
                .filter(|a| super::groups::names(a, name))
                .any(|a| {
                    let Some(value) = a.value.as_deref() else {
                        return false;
                    };
                    self.has(value)
                        || (matches!(&*a.kind, "tags" | "list")
                            && value.split(',').any(|part| self.has(part)))
                }),
        }
    }

    /// Whether `value` (as sent) is one of the rule's values.
    fn has(&self, value: &str) -> bool {
        let value = crate::text::trim(value);
        !value.is_empty()
            && self
                .values
                .iter()
                .any(|v| super::groups::eq_ignore_case(v, value))
    }
}

/// Trimmed and lower-cased.
fn fold(s: &str) -> String {
    crate::text::trim(s).to_lowercase()
}

/// An account's scope rules, compiled (see the module docs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeRules {
    include: Vec<Compiled>,
    exclude: Vec<Compiled>,
    /// The words for "no include rule matched".
    include_text: String,
    exclude_texts: Vec<String>,
}

impl ScopeRules {
    pub fn new(scope: &Scope) -> Self {
        let include_text = match scope.include.as_slice() {
            [] => String::new(),
            rules => {
                let parts: Vec<String> = rules.iter().map(condition_text).collect();
                format!("include {}", parts.join(" or "))
            }
        };
        ScopeRules {
            include: scope.include.iter().map(Compiled::new).collect(),
            exclude: scope.exclude.iter().map(Compiled::new).collect(),
            include_text,
            exclude_texts: scope
                .exclude
                .iter()
                .map(|r| rule_text("exclude", r))
                .collect(),
        }
    }

    /// Whether no rule restricts anyone.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// `None` when `employee` is in scope; else the rule that keeps them out, in words:
    /// the first exclude rule that matches, or the include rules none of which matched.
    pub fn out_of_scope(&self, employee: &SourceEmployee) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        if !self.include.is_empty() && !self.include.iter().any(|r| r.matches(employee)) {
            return Some(self.include_text.clone());
        }
        self.exclude
            .iter()
            .position(|r| r.matches(employee))
            .map(|i| self.exclude_texts[i].clone())
    }
}

/// A rule in words: `exclude employment_type = external`, or with several values
/// `exclude office = Berlin, Hamburg` (any of them). `list` is `include` or `exclude`.
pub fn rule_text(list: &str, rule: &Rule) -> String {
    format!("{list} {}", condition_text(rule))
}

fn condition_text(rule: &Rule) -> String {
    let values: Vec<&str> = rule
        .values
        .iter()
        .map(|v| crate::text::trim(v))
        .filter(|v| !v.is_empty())
        .collect();
    format!(
        "{} = {}",
        crate::text::trim(&rule.attribute),
        values.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PersonKey;
    use crate::{CostCenter, EmploymentStatus, ExtraAttribute, OrgUnit};

    fn rule(attribute: &str, values: &[&str]) -> Rule {
        Rule {
            attribute: attribute.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn person() -> SourceEmployee {
        let mut e = SourceEmployee::new(PersonKey(1));
        e.employment_type = Some(" External ".into());
        e.status = Some(EmploymentStatus::Active);
        e.office = Some(OrgUnit {
            id: Some(1),
            name: "München".into(),
        });
        e.cost_centers = vec![
            CostCenter {
                id: None,
                name: "CC 1".into(),
                percentage: None,
            },
            CostCenter {
                id: None,
                name: "CC 2".into(),
                percentage: None,
            },
        ];
        e.attributes = vec![
            ExtraAttribute {
                key: "dynamic_1".into(),
                label: " Standort ".into(),
                kind: "standard".into(),
                universal_id: None,
                value: Some("Hamburg, Nord".into()),
            },
            ExtraAttribute {
                key: "dynamic_2".into(),
                label: "Skills".into(),
                kind: "tags".into(),
                universal_id: None,
                value: Some("Rust, Go".into()),
            },
        ];
        e
    }

    fn out(include: &[Rule], exclude: &[Rule]) -> Option<String> {
        ScopeRules::new(&Scope {
            include: include.to_vec(),
            exclude: exclude.to_vec(),
        })
        .out_of_scope(&person())
    }

    #[test]
    fn values_compare_trimmed_ignoring_case_by_key_label_and_element() {
        let excluded = |r: Rule| out(&[], std::slice::from_ref(&r));
        assert_eq!(
            excluded(rule("employment_type", &["external"])).as_deref(),
            Some("exclude employment_type = external")
        );
        assert!(excluded(rule("employment_type", &["internal"])).is_none());
        assert!(excluded(rule("status", &["ACTIVE"])).is_some());
        assert!(excluded(rule("office", &[" münchen"])).is_some());
        assert!(excluded(rule("cost_centers", &["cc 2"])).is_some());
        assert!(excluded(rule("dynamic_1", &["hamburg, nord"])).is_some());
        assert!(excluded(rule("standort", &["Hamburg, Nord"])).is_some());
        // A plain text is one value; a tags list matches by any element.
        assert!(excluded(rule("Standort", &["Hamburg"])).is_none());
        assert!(excluded(rule("skills", &["go"])).is_some());
        // No value: no match.
        assert!(excluded(rule("team", &["x"])).is_none());
        assert!(excluded(rule("dynamic_9", &["x"])).is_none());
    }

    #[test]
    fn include_rules_any_of_and_exclude_wins() {
        assert!(out(&[], &[]).is_none());
        let berlin = rule("office", &["Berlin"]);
        let munich = rule("office", &["Berlin", "München"]);
        let ext = rule("employment_type", &["external"]);
        assert_eq!(
            out(&[berlin.clone(), rule("team", &["A"])], &[]).as_deref(),
            Some("include office = Berlin or team = A")
        );
        assert!(out(&[berlin.clone(), munich.clone()], &[]).is_none());
        assert_eq!(
            out(&[munich], &[berlin, ext]).as_deref(),
            Some("exclude employment_type = external")
        );
    }
}
