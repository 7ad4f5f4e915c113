//! View models and formatting shared by the pages: times in the account's zone, run
//! summaries, and plain-language reasons for skips and removals.
//!
//! Everything here produces plain text; templates escape it.

use super::i18n::{self, Lang, t};
use super::names::{Names, attribute_name, value_name};
use staffsync_core::{Field, RemovalReason, SkipReason, TimeZoneName, Warning};
use staffsync_engine::sources::SourceKind;
use staffsync_store::RunSummary;
use time::OffsetDateTime;
use time::macros::format_description;

/// `dd.mm.yyyy, HH:MM` (German) or `yyyy-mm-dd HH:MM` (English) in time zone `tz`.
pub fn when(at: OffsetDateTime, tz: &TimeZoneName, lang: Lang) -> String {
    let local = tz.local(at);
    let formatted = match lang {
        Lang::De => local.format(format_description!(
            "[day].[month].[year], [hour]:[minute] Uhr"
        )),
        Lang::En => local.format(format_description!("[year]-[month]-[day] [hour]:[minute]")),
    };
    formatted.unwrap_or_else(|_| at.to_string())
}

/// A calendar date as the language writes it.
pub fn date(d: time::Date, lang: Lang) -> String {
    let formatted = match lang {
        Lang::De => d.format(format_description!("[day].[month].[year]")),
        Lang::En => d.format(format_description!("[year]-[month]-[day]")),
    };
    formatted.unwrap_or_else(|_| d.to_string())
}

/// A run as listed.
#[derive(Debug, Clone)]
pub struct RunView {
    pub id: i64,
    pub when: String,
    pub kind: &'static str,
    /// The status code (a CSS class): `applied`, `held`, ….
    pub status: String,
    pub status_label: &'static str,
    pub created: i64,
    pub updated: i64,
    pub removed: i64,
    pub skipped: i64,
    pub unchanged: i64,
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// Whose changes it applied, when not staffsync's own (`scim:Entra ID`).
    pub started_by: Option<String>,
}

impl RunView {
    /// `run` as the pages list it; its failure and warnings in `lang`, the source named
    /// as `source` calls itself.
    pub fn of(run: &RunSummary, tz: &TimeZoneName, lang: Lang, source: &SourceKind) -> RunView {
        let status = run.status.as_str().to_owned();
        RunView {
            id: run.id.0,
            when: when(run.started_at, tz, lang),
            kind: i18n::run_kind_text_for(lang, run.kind, source.takes_files),
            status_label: i18n::run_status_text(lang, run.status),
            status,
            created: run.created,
            updated: run.updated,
            removed: run.removed,
            skipped: run.skipped,
            unchanged: run.unchanged,
            error: super::failures::run_failure(lang, run, source),
            warnings: run
                .warnings
                .iter()
                .map(|w| stored_warning(w, lang, source))
                .collect(),
            started_by: run.started_by.clone(),
        }
    }
}

/// A warning as the store records it (`attribute_not_readable (attribute: hire_date)`),
/// in `lang`; one this release does not know stays as stored.
fn stored_warning(stored: &str, lang: Lang, source: &SourceKind) -> String {
    let (tag, fields) = match stored.split_once(" (") {
        Some((tag, rest)) => (tag, rest.strip_suffix(')').unwrap_or(rest)),
        None => (stored, ""),
    };
    let mut object = serde_json::Map::new();
    object.insert("warning".into(), tag.into());
    for field in fields.split(", ").filter(|f| !f.is_empty()) {
        if let Some((k, v)) = field.split_once(": ") {
            let value = serde_json::from_str(v).unwrap_or_else(|_| v.into());
            object.insert(k.to_owned(), value);
        }
    }
    match serde_json::from_value::<Warning>(object.into()) {
        Ok(w) => warning_text(&w, lang, source),
        Err(_) => stored.to_owned(),
    }
}

/// A planner's warning in `lang`, the source named as `source` calls itself.
pub fn warning_text(w: &Warning, lang: Lang, source: &SourceKind) -> String {
    let say = |key: super::i18n::Key| super::i18n::with_source(lang, t(lang, key), Some(source));
    match w {
        Warning::AttributeNotReadable { attribute } => format!(
            "{} {}",
            t(lang, key!("warn.attribute")),
            field_label(attribute, lang)
        ),
        Warning::IncompleteListing => say(key!("warn.incomplete")),
        Warning::SupervisorCycle { ids } => {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            format!("{} {}", say(key!("warn.cycle")), ids.join(", "))
        }
    }
}

/// Why someone is not (or no longer) imported, in plain words, the source named as
/// `source` calls itself.
pub fn skip_reason(reason: &SkipReason, names: &Names, source: &SourceKind) -> String {
    let lang = names.lang();
    let tr = |k: super::i18n::Key| t(lang, k);
    match reason {
        SkipReason::NotStarted { hire_date } => {
            format!("{} {}", tr(key!("why.not_started")), date(*hire_date, lang))
        }
        SkipReason::Terminated { termination_date } => {
            format!(
                "{} {}",
                tr(key!("why.terminated")),
                date(*termination_date, lang)
            )
        }
        SkipReason::Status { status } => {
            // The status in the page's words ("Inaktiv"), not Personio's key.
            let status = super::names::value_name("status", status, lang);
            let quoted = match lang {
                Lang::De => format!("„{status}“"),
                Lang::En => format!("“{status}”"),
            };
            format!("{} {quoted}", tr(key!("why.status")))
        }
        SkipReason::MissingField { field } => {
            format!(
                "{} {}",
                tr(key!("why.missing_field")),
                field_label(field, lang)
            )
        }
        SkipReason::InvalidEmail => tr(key!("why.invalid_email")).to_owned(),
        SkipReason::DuplicateEmail { other } => {
            // The other person by name (a file account's key means nothing to anyone).
            let who = names
                .person(*other)
                .map_or_else(|| other.to_string(), str::to_owned);
            format!("{} {who}", tr(key!("why.duplicate_email")))
        }
        SkipReason::Malformed { detail } => format!(
            "{} {}",
            super::i18n::with_source(lang, tr(key!("why.malformed")), Some(source)),
            malformed_detail(detail, lang)
        ),
        SkipReason::Excluded { rule } => {
            format!("{} {}", tr(key!("why.excluded")), names.rule(rule))
        }
    }
}

/// A malformed record's stored detail in `lang`. An employee file's row is stored as
/// "row 7, column Email: <English words>": its place is said in `lang`, its English words
/// only on English pages (the import's preview says them in German, from their value).
/// Other details (a Personio record's field path) are shown as stored.
fn malformed_detail(detail: &str, lang: Lang) -> String {
    let place = detail
        .strip_prefix("row ")
        .and_then(|rest| rest.split_once(", column "))
        .and_then(|(row, rest)| Some((row, rest.split_once(": ")?)));
    match (place, lang) {
        (Some((row, (column, _))), Lang::De) => format!(
            "{} {row}, {} {column}",
            t(lang, key!("imp.row")),
            t(lang, key!("imp.column"))
        ),
        _ => detail.to_owned(),
    }
}

/// Why someone is removed, in plain words: one the source no longer lists in the
/// source's own words ("Nicht mehr in der Mitarbeiterdatei").
pub fn removal_reason(reason: &RemovalReason, names: &Names, source: &SourceKind) -> String {
    let lang = names.lang();
    match reason {
        RemovalReason::NotListed => source.not_listed(lang).to_owned(),
        RemovalReason::NoLongerEligible { because } => format!(
            "{} {}",
            t(lang, key!("why.no_longer_eligible")),
            skip_reason(because, names, source)
        ),
        RemovalReason::Excluded { rule } => {
            format!("{} {}", t(lang, key!("why.excluded")), names.rule(rule))
        }
    }
}

/// The label of a directory field (`department` → "Abteilung"); an attribute by its name
/// (`attributes.employment_type` → "Beschäftigungsart", a custom one by its label);
/// unknown fields keep their key.
pub fn field_label(field: &str, lang: Lang) -> String {
    match (
        i18n::lookup(lang, &format!("field.{field}")),
        field.strip_prefix("attributes."),
    ) {
        (Some(label), _) => label.to_owned(),
        (None, Some(attribute)) => attribute_name(attribute, lang),
        (None, None) => field.to_owned(),
    }
}

/// One field change, before → after.
#[derive(Debug, Clone)]
pub struct ChangeView {
    pub field: String,
    pub before: String,
    pub after: String,
}

impl ChangeView {
    /// `c` in words: groups and the supervisor by name (see [`Names`]), coded values
    /// (status, employment type) in words.
    pub fn of(c: &staffsync_core::FieldChange, names: &Names) -> ChangeView {
        let lang = names.lang();
        let none = t(lang, key!("common.none"));
        if c.field == Field::Groups {
            // Only the groups that change: left / joined.
            let split = |v: &Option<String>| -> Vec<String> {
                v.as_deref()
                    .map(|s| s.split("; ").map(str::to_owned).collect())
                    .unwrap_or_default()
            };
            let (before, after) = (split(&c.before), split(&c.after));
            let show = |items: Vec<&String>| {
                let text = items
                    .iter()
                    .map(|g| names.stored_group(g))
                    .collect::<Vec<_>>()
                    .join(", ");
                if text.is_empty() {
                    none.to_owned()
                } else {
                    text
                }
            };
            return ChangeView {
                field: field_label(&c.field.name(), lang),
                before: show(before.iter().filter(|g| !after.contains(g)).collect()),
                after: show(after.iter().filter(|g| !before.contains(g)).collect()),
            };
        }
        let value = |v: &Option<String>| match v.as_deref() {
            None => none.to_owned(),
            Some(v) => match &c.field {
                Field::Supervisor => names.supervisor(v),
                Field::Status => value_name("status", v, lang),
                Field::Attribute(attribute) => value_name(attribute, v, lang),
                _ => v.to_owned(),
            },
        };
        ChangeView {
            field: field_label(&c.field.name(), lang),
            before: value(&c.before),
            after: value(&c.after),
        }
    }
}

/// A person in a list of changes. `name` is empty when unknown (erased).
#[derive(Debug, Clone, Default)]
pub struct PersonView {
    pub personio_id: i64,
    /// The id the admin knows them by: the Personio id, or a file account's ImportId.
    pub shown_id: String,
    pub name: String,
    pub email: String,
    pub department: String,
    /// Groups, reasons or field changes, depending on the list.
    pub note: String,
    pub changes: Vec<ChangeView>,
}

/// `Vorname Nachname` of a directory employee.
pub fn full_name(e: &staffsync_core::DirectoryEmployee) -> String {
    format!("{} {}", e.first_name, e.last_name)
}

/// The plural label of a group kind.
pub fn kind_label(kind: staffsync_core::GroupKind, lang: Lang) -> &'static str {
    i18n::group_kind_plural(lang, kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn times_show_in_the_account_zone() {
        let at = datetime!(2026-01-15 23:30 UTC);
        let zone = |n: &str| TimeZoneName::parse(n).unwrap();
        let berlin = zone("Europe/Berlin");
        assert_eq!(when(at, &berlin, Lang::De), "16.01.2026, 00:30 Uhr");
        assert_eq!(when(at, &berlin, Lang::En), "2026-01-16 00:30");
        assert_eq!(when(at, &zone("UTC"), Lang::En), "2026-01-15 23:30");
    }

    #[test]
    fn reasons_are_plain_words() {
        let r = SkipReason::NotStarted {
            hire_date: date!(2026 - 07 - 01),
        };
        let names = |lang| Names::new(lang, Default::default(), Default::default());
        let personio = staffsync_engine::sources::kind(staffsync_store::AccountSource::Personio);
        let file = staffsync_engine::sources::kind(staffsync_store::AccountSource::File);
        assert_eq!(
            skip_reason(&r, &names(Lang::De), personio),
            "Hat noch nicht angefangen, Eintrittsdatum 01.07.2026"
        );
        assert_eq!(
            removal_reason(&RemovalReason::NotListed, &names(Lang::En), personio),
            "No longer listed by Personio"
        );
        assert_eq!(
            removal_reason(&RemovalReason::NotListed, &names(Lang::De), file),
            "Nicht mehr in der Mitarbeiterdatei"
        );
        let excluded = SkipReason::Excluded {
            rule: "exclude employment_type = external".into(),
        };
        assert_eq!(
            skip_reason(&excluded, &names(Lang::De), personio),
            "Durch eine Regel der Einstellungen ausgeschlossen: Beschäftigungsart ist Extern"
        );
        assert_eq!(field_label("department", Lang::De), "Abteilung");
        assert_eq!(field_label("attributes.dynamic_1", Lang::De), "dynamic_1");
        assert_eq!(
            field_label("attributes.employment_type", Lang::En),
            "Employment type"
        );
        assert_eq!(
            field_label("supervisor_personio_id", Lang::De),
            "Vorgesetzte:r"
        );
    }
}
