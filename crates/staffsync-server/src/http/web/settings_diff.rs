//! What differs between two settings documents, field by field, in words: "Ausschließen:
//! — → Beschäftigungsart ist Extern", "Löschschutz: 20 %, ab 5 Personen → 10 %, ab 3
//! Personen". The history shows it for each version, and restoring an older version shows
//! it before anything is saved.
//!
//! Only words, never the JSON document; it compares and says, and never decides what a
//! document means (the settings page and `engine::settings` do).

use super::i18n::{Key, Lang, t};
use super::names::{Names, attribute_name};
use staffsync_core::{Rule, Settings};

/// One field that differs: its name, before and after, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldDiff {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// The fields of `after` that differ from `before`, in the settings form's order.
pub(crate) fn diff(before: &Settings, after: &Settings, lang: Lang) -> Vec<FieldDiff> {
    // Rules are named as the form names them; no person is named in a rule.
    let names = Names::new(lang, Default::default(), Default::default());
    let none = t(lang, key!("common.none"));
    let list = |items: Vec<String>| {
        if items.is_empty() {
            none.to_owned()
        } else {
            items.join(", ")
        }
    };
    let rules = |rules: &[Rule]| {
        let or = format!(" {} ", t(lang, key!("rule.or")));
        let words: Vec<String> = rules.iter().map(|r| names.rule_words(r)).collect();
        if words.is_empty() {
            none.to_owned()
        } else {
            words.join(&or)
        }
    };
    let attributes = |keys: &[String]| list(keys.iter().map(|k| attribute_name(k, lang)).collect());
    let yes_no = |b: bool| t(lang, if b { key!("diff.yes") } else { key!("diff.no") }).to_owned();
    let guard = |s: &Settings| {
        let share = (s.deletion_guard.max_share * 100.0 * 100.0).round() / 100.0;
        t(lang, key!("diff.guard_value"))
            .replace("{share}", &share.to_string())
            .replace("{n}", &s.deletion_guard.min_people.to_string())
    };
    let age = |s: &Settings| {
        s.groups
            .age
            .as_ref()
            .map_or_else(|| none.to_owned(), |a| attribute_name(&a.attribute, lang))
    };
    let fields: [(Key, String, String); 10] = [
        (
            key!("set.include"),
            rules(&before.scope.include),
            rules(&after.scope.include),
        ),
        (
            key!("set.exclude"),
            rules(&before.scope.exclude),
            rules(&after.scope.exclude),
        ),
        (
            key!("diff.groups"),
            attributes(&before.groups.attributes),
            attributes(&after.groups.attributes),
        ),
        (
            key!("diff.reporting_lines"),
            yes_no(before.groups.reporting_lines),
            yes_no(after.groups.reporting_lines),
        ),
        (
            key!("diff.tenure"),
            yes_no(before.groups.tenure),
            yes_no(after.groups.tenure),
        ),
        (key!("diff.age"), age(before), age(after)),
        (
            key!("diff.keep"),
            attributes(&before.keep_attributes),
            attributes(&after.keep_attributes),
        ),
        (
            key!("diff.keep_on_leave"),
            yes_no(before.keep_on_leave),
            yes_no(after.keep_on_leave),
        ),
        (key!("set.guard"), guard(before), guard(after)),
        (
            key!("set.notify"),
            list(before.notify.clone()),
            list(after.notify.clone()),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(field, before, after)| FieldDiff {
            field: t(lang, field),
            before,
            after,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_differs_in_words() {
        let before = Settings::default();
        let mut after = before.clone();
        after.scope.exclude.push(Rule {
            attribute: "employment_type".into(),
            values: vec!["external".into()],
        });
        after.deletion_guard.max_share = 0.1;
        after.deletion_guard.min_people = 3;
        after.keep_on_leave = true;
        let de = diff(&before, &after, Lang::De);
        let said: Vec<(&str, &str, &str)> = de
            .iter()
            .map(|d| (d.field, d.before.as_str(), d.after.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                ("Ausschließen", "—", "Beschäftigungsart ist Extern"),
                ("Abwesende behalten", "Nein", "Ja"),
                ("Löschschutz", "20 %, ab 5 Personen", "10 %, ab 3 Personen"),
            ]
        );
        let en = diff(&before, &after, Lang::En);
        assert_eq!(en[0].after, "Employment type is External");
        assert_eq!(en[2].before, "20 %, from 5 people");
        assert!(diff(&after, &after, Lang::De).is_empty());
    }
}
