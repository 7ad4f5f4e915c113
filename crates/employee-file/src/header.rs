//! The header row: which column is which field (English names, German and common
//! aliases, matched leniently), which are attributes, and what makes a header unusable.
//!
//! Must never guess a column: a name matches one field or is an attribute, and two
//! columns meaning the same thing refuse the file instead of one silently winning.

use crate::refusal::{Column, DuplicateColumn, TableProblem};
use crate::{Columns, ReadError};
use std::sync::Arc;

/// The most characters a value or a column name may have (Honestly's limit).
pub const MAX_TEXT_CHARS: usize = 100;

/// The columns the file format defines; every other column is an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Field {
    ImportId,
    Email,
    FirstName,
    LastName,
    Language,
    ReportsToId,
    Department,
    Office,
    Team,
    Position,
    HireDate,
    TerminationDate,
    Status,
}

impl Field {
    pub const ALL: [Field; 13] = [
        Field::ImportId,
        Field::Email,
        Field::FirstName,
        Field::LastName,
        Field::Language,
        Field::ReportsToId,
        Field::Department,
        Field::Office,
        Field::Team,
        Field::Position,
        Field::HireDate,
        Field::TerminationDate,
        Field::Status,
    ];

    /// The name in Honestly's template (English).
    pub fn name(self) -> &'static str {
        self.names()[0]
    }

    /// The German template's name.
    pub fn german_name(self) -> &'static str {
        self.names()[1]
    }

    /// Every accepted spelling, the English and German template names first (docs/employee-file.md
    /// lists the same). Matching ignores case, spaces, `-` and `_`.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Field::ImportId => &[
                "ImportId",
                "Personalnummer",
                "Import-ID",
                "ID",
                "Personalnr",
                "Mitarbeiternummer",
                "Employee ID",
                "Employee number",
            ],
            Field::Email => &[
                "Email",
                "E-Mail",
                "Email-Adresse",
                "E-Mail-Adresse",
                "Email address",
            ],
            Field::FirstName => &["Firstname", "Vorname", "First name", "Given name"],
            Field::LastName => &[
                "Lastname",
                "Nachname",
                "Familienname",
                "Last name",
                "Surname",
            ],
            Field::Language => &["Language", "Sprache"],
            Field::ReportsToId => &[
                "ReportsToId",
                "Vorgesetzter-ID",
                "Vorgesetzter",
                "Führungskraft-ID",
                "Manager-ID",
                "ReportsTo",
                "Supervisor-ID",
            ],
            Field::Department => &["Department", "Abteilung"],
            Field::Office => &["Office", "Standort", "Büro", "Buero"],
            Field::Team => &["Team", "Team"],
            Field::Position => &["Position", "Position", "Stelle", "Jobtitel", "Job title"],
            Field::HireDate => &[
                "HireDate",
                "Eintrittsdatum",
                "Hire date",
                "Start date",
                "Eintritt",
            ],
            Field::TerminationDate => &[
                "TerminationDate",
                "Austrittsdatum",
                "Termination date",
                "End date",
                "Austritt",
            ],
            Field::Status => &["Status", "Status"],
        }
    }

    pub fn is_required(self) -> bool {
        matches!(
            self,
            Field::ImportId | Field::Email | Field::FirstName | Field::LastName
        )
    }

    pub(crate) fn is_date(self) -> bool {
        matches!(self, Field::HireDate | Field::TerminationDate)
    }

    /// The field a header cell names, if any.
    pub fn from_header(name: &str) -> Option<Field> {
        let key = normalize(name);
        Field::ALL
            .into_iter()
            .find(|f| f.names().iter().any(|n| normalize(n) == key))
    }

    /// "ImportId (also accepted: Personalnummer, Import-ID, …)".
    pub(crate) fn with_aliases(self) -> String {
        format!(
            "{} (also accepted: {})",
            self.name(),
            self.aliases().join(", ")
        )
    }

    /// "ImportId (auch akzeptiert: Personalnummer, Import-ID, …)".
    pub(crate) fn with_aliases_german(self) -> String {
        format!(
            "{} (auch akzeptiert: {})",
            self.name(),
            self.aliases().join(", ")
        )
    }

    fn aliases(self) -> Vec<&'static str> {
        let mut others: Vec<&str> = Vec::new();
        for n in &self.names()[1..] {
            if !others.contains(n) && *n != self.name() {
                others.push(n);
            }
        }
        others
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Lowercase without whitespace, `-` and `_`: "E-Mail Adresse" and "email_adresse" match.
pub(crate) fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a reader names a column in messages: a workbook by letter, a CSV by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnNaming {
    Letters,
    Numbers,
}

impl ColumnNaming {
    /// The column with the 0-based index `col` ("column C" / "column 3").
    pub(crate) fn column(self, col: usize) -> Column {
        Column {
            naming: self,
            index: col,
        }
    }
}

/// Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA.
pub(crate) fn letters(col: usize) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        // rem < 26, so the byte is an ASCII capital.
        #[allow(clippy::cast_possible_truncation)]
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// What a column of the file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Role {
    Field(Field),
    Attribute(Arc<str>),
    /// An empty header cell: the column must stay empty below.
    Unnamed,
}

/// The header row, understood.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) roles: Vec<Role>,
    /// Each column's name as written (trimmed), for messages.
    pub(crate) names: Vec<String>,
    pub(crate) naming: ColumnNaming,
    pub(crate) columns: Columns,
    field_cols: [Option<usize>; Field::ALL.len()],
}

impl Header {
    /// Understands the header cells (already text, trimmed).
    pub(crate) fn parse(names: Vec<String>, naming: ColumnNaming) -> Result<Header, ReadError> {
        // Trailing empty header cells are no columns; a named column after an empty one
        // leaves that one Unnamed (an error only if it has values below).
        let width = names
            .iter()
            .rposition(|n| !n.is_empty())
            .map_or(0, |i| i + 1);
        let mut names = names;
        names.truncate(width);
        if width == 0 {
            return Err(ReadError::NotATable(TableProblem::FirstRowEmpty));
        }
        let mut roles = Vec::with_capacity(width);
        let mut field_cols: [Option<usize>; Field::ALL.len()] = [None; Field::ALL.len()];
        let mut seen_attrs: Vec<(String, usize)> = Vec::new();
        let mut columns = Columns::default();
        let mut duplicates = Vec::new();
        for (col, name) in names.iter().enumerate() {
            if name.chars().count() > MAX_TEXT_CHARS {
                return Err(ReadError::ColumnNameTooLong {
                    column: naming.column(col),
                });
            }
            if name.is_empty() {
                roles.push(Role::Unnamed);
                continue;
            }
            if let Some(field) = Field::from_header(name) {
                let slot = &mut field_cols[field as usize];
                if let Some(first) = *slot {
                    duplicates.push(DuplicateColumn {
                        first: (names[first].clone(), naming.column(first)),
                        second: (name.clone(), naming.column(col)),
                        field: Some(field),
                    });
                } else {
                    *slot = Some(col);
                    set_present(&mut columns, field);
                }
                roles.push(Role::Field(field));
            } else {
                let key = normalize(name);
                if let Some((_, first)) = seen_attrs.iter().find(|(k, _)| *k == key) {
                    duplicates.push(DuplicateColumn {
                        first: (names[*first].clone(), naming.column(*first)),
                        second: (name.clone(), naming.column(col)),
                        field: None,
                    });
                } else {
                    seen_attrs.push((key, col));
                }
                let attr: Arc<str> = Arc::from(name.as_str());
                columns.attributes.push(attr.clone());
                roles.push(Role::Attribute(attr));
            }
        }
        let missing: Vec<Field> = Field::ALL
            .into_iter()
            .filter(|f| f.is_required() && field_cols[*f as usize].is_none())
            .collect();
        if !missing.is_empty() {
            return Err(ReadError::MissingColumns { missing });
        }
        if !duplicates.is_empty() {
            return Err(ReadError::DuplicateColumns(duplicates));
        }
        Ok(Header {
            roles,
            names,
            naming,
            columns,
            field_cols,
        })
    }

    /// The column of `field`, if the file has it.
    pub(crate) fn column_of(&self, field: Field) -> Option<usize> {
        self.field_cols[field as usize]
    }

    /// The name `field`'s column has in this file (its canonical name when absent).
    pub(crate) fn name_of(&self, field: Field) -> &str {
        self.column_of(field)
            .and_then(|c| self.names.get(c))
            .map_or(field.name(), String::as_str)
    }
}

fn set_present(columns: &mut Columns, field: Field) {
    let flag = match field {
        Field::ImportId | Field::Email | Field::FirstName | Field::LastName => return,
        Field::Language => &mut columns.language,
        Field::ReportsToId => &mut columns.reports_to,
        Field::Department => &mut columns.department,
        Field::Office => &mut columns.office,
        Field::Team => &mut columns.team,
        Field::Position => &mut columns.position,
        Field::HireDate => &mut columns.hire_date,
        Field::TerminationDate => &mut columns.termination_date,
        Field::Status => &mut columns.status,
    };
    *flag = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Result<Header, ReadError> {
        Header::parse(
            names.iter().map(|s| (*s).to_owned()).collect(),
            ColumnNaming::Letters,
        )
    }

    #[test]
    fn aliases_match_leniently() {
        for (name, field) in [
            ("importid", Field::ImportId),
            (" Personalnummer ", Field::ImportId),
            ("IMPORT_ID", Field::ImportId),
            ("E-Mail-Adresse", Field::Email),
            ("email adresse", Field::Email),
            ("First Name", Field::FirstName),
            ("Familienname", Field::LastName),
            ("Führungskraft-ID", Field::ReportsToId),
            ("führungskraft id", Field::ReportsToId),
            ("Büro", Field::Office),
            ("Start-Date", Field::HireDate),
            ("Austrittsdatum", Field::TerminationDate),
        ] {
            assert_eq!(Field::from_header(name), Some(field), "{name}");
        }
        assert_eq!(Field::from_header("Kostenstelle"), None);
        assert_eq!(Field::from_header("Manager"), None);
    }

    #[test]
    fn every_alias_belongs_to_one_field() {
        let mut seen = std::collections::HashMap::new();
        for f in Field::ALL {
            for n in f.names() {
                if let Some(other) = seen.insert(normalize(n), f) {
                    assert_eq!(other, f, "{n} means two fields");
                }
            }
        }
    }

    #[test]
    fn roles_and_columns() {
        let h = header(&[
            "Personalnummer",
            "E-Mail",
            "Vorname",
            "Nachname",
            "Kostenstelle",
            "Abteilung",
            "",
            "",
        ])
        .unwrap();
        assert_eq!(h.roles.len(), 6);
        assert_eq!(h.roles[4], Role::Attribute(Arc::from("Kostenstelle")));
        assert!(h.columns.department && !h.columns.office);
        assert_eq!(h.columns.attributes, vec![Arc::<str>::from("Kostenstelle")]);
        assert_eq!(h.name_of(Field::Email), "E-Mail");
        assert_eq!(h.name_of(Field::Office), "Office");
    }

    #[test]
    fn refusals_name_the_problem() {
        let err = header(&["Email", "Vorname"]).unwrap_err();
        assert_eq!(
            err,
            ReadError::MissingColumns {
                missing: vec![Field::ImportId, Field::LastName]
            }
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "the file has no column ImportId (also accepted: Personalnummer, Import-ID, ID"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("and no column Lastname (also accepted: Nachname"),
            "{msg}"
        );

        let err =
            header(&["ID", "Email", "E-Mail", "Vorname", "Nachname", "Ort", "ort"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file has duplicate columns: \"Email\" (column B) and \"E-Mail\" (column C) both mean Email; \
             \"Ort\" (column F) and \"ort\" (column G) are the same attribute"
        );

        let long = "x".repeat(101);
        let err = header(&["ID", "Email", "Vorname", "Nachname", &long]).unwrap_err();
        assert_eq!(
            err,
            ReadError::ColumnNameTooLong {
                column: ColumnNaming::Letters.column(4)
            }
        );

        assert!(matches!(header(&["", ""]), Err(ReadError::NotATable(_))));
    }

    #[test]
    fn column_letters() {
        assert_eq!(letters(0), "A");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(701), "ZZ");
        assert_eq!(letters(702), "AAA");
    }
}
