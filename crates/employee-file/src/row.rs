//! Checking one data row against the header: each value trimmed and bounded, required
//! values present, e-mail, language, dates and status understood.
//!
//! Must never decide what needs the whole file (duplicate ImportIds, ReportsToId naming
//! nobody): `table` does that after every row is read. Must never drop a problem silently:
//! every unusable value is a [`RowError`] naming row, column and value.

use crate::header::{Field, Header, MAX_TEXT_CHARS, Role};
use crate::value::{Problem, Value};
use crate::{FileRow, ImportId, ReadError, RowError, RowProblem};
use staffsync_core::{Email, EmploymentStatus};
use std::sync::Arc;
use time::Date;

/// One row, checked.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The row's ImportId when usable, also for a bad row (it protects the person).
    pub(crate) import_id: Option<ImportId>,
    pub(crate) outcome: Result<FileRow, Vec<RowError>>,
}

/// Checks the cells of spreadsheet row `row` (non-blank). A value under a column with no
/// name refuses the whole file: we cannot tell what it means.
pub(crate) fn check(
    header: &Header,
    row: usize,
    mut cells: Vec<Value>,
) -> Result<Checked, ReadError> {
    if let Some(col) = cells
        .iter()
        .enumerate()
        .skip(header.roles.len())
        .find(|(_, v)| !v.is_blank())
        .map(|(c, _)| c)
    {
        return Err(ReadError::UnnamedColumn {
            column: header.naming.column(col),
        });
    }
    let mut texts: [Option<String>; Field::ALL.len()] = Default::default();
    let mut dates: [Option<Date>; 2] = [None; 2];
    let mut attributes: Vec<(Arc<str>, String)> = Vec::new();
    let mut errors: Vec<(usize, RowProblem)> = Vec::new();

    for (col, role) in header.roles.iter().enumerate() {
        let value = cells.get_mut(col).map(std::mem::take).unwrap_or_default();
        match role {
            Role::Unnamed => {
                if !value.is_blank() {
                    return Err(ReadError::UnnamedColumn {
                        column: header.naming.column(col),
                    });
                }
            }
            Role::Field(field) if field.is_date() => match value.into_date() {
                Ok(d) => dates[usize::from(*field == Field::TerminationDate)] = d,
                Err(p) => errors.push((col, problem_of(p))),
            },
            Role::Field(field) => match bounded_text(value) {
                Ok(t) if !t.is_empty() => texts[*field as usize] = Some(t),
                Ok(_) => {}
                Err(m) => errors.push((col, m)),
            },
            Role::Attribute(name) => match bounded_text(value) {
                Ok(t) if !t.is_empty() => attributes.push((name.clone(), t)),
                Ok(_) => {}
                Err(m) => errors.push((col, m)),
            },
        }
    }

    let mut take = |f: Field| texts[f as usize].take();
    let import_text = take(Field::ImportId);
    let import_id = import_text.as_deref().and_then(ImportId::parse);
    let email_text = take(Field::Email);
    let first_name = take(Field::FirstName);
    let last_name = take(Field::LastName);
    let language_text = take(Field::Language);
    let reports_text = take(Field::ReportsToId);
    let status_text = take(Field::Status);

    let col = |f: Field| header.column_of(f).unwrap_or(usize::MAX);
    for (field, value) in [
        (Field::ImportId, &import_text),
        (Field::Email, &email_text),
        (Field::FirstName, &first_name),
        (Field::LastName, &last_name),
    ] {
        // A value that was there but unusable (too long, a #N/A) is reported already.
        if value.is_none() && !errors.iter().any(|(c, _)| *c == col(field)) {
            let column = header.name_of(field).to_owned();
            errors.push((col(field), RowProblem::Empty { column }));
        }
    }
    let email = email_text.and_then(|e| match Email::parse(&e) {
        Ok(email) => Some(email),
        Err(_) => {
            errors.push((col(Field::Email), RowProblem::NotAnEmail(e.clone())));
            None
        }
    });
    let language = language_text.and_then(|l| {
        if l.len() == 2 && l.bytes().all(|b| b.is_ascii_alphabetic()) {
            Some(l.to_ascii_lowercase())
        } else {
            errors.push((col(Field::Language), RowProblem::NotALanguage(l.clone())));
            None
        }
    });
    // Within bounds already, so it parses; equal to the own id is a loop of one.
    let reports_to = reports_text.and_then(|r| {
        if import_text.as_deref() == Some(r.as_str()) {
            errors.push((
                col(Field::ReportsToId),
                RowProblem::OwnManager {
                    column: header.name_of(Field::ReportsToId).to_owned(),
                    value: r.clone(),
                },
            ));
        }
        ImportId::parse(&r)
    });
    let status = status_text.map(|s| status(&s));

    let outcome = match (import_id.clone(), email, first_name, last_name) {
        (Some(import_id), Some(email), Some(first_name), Some(last_name)) if errors.is_empty() => {
            // Kept for the whole import: without the slack of growing (up to half of a
            // row's attributes, a third of the rows' memory in a file of many columns).
            attributes.shrink_to_fit();
            Ok(FileRow {
                row,
                import_id,
                email,
                first_name,
                last_name,
                language,
                reports_to,
                department: take(Field::Department),
                office: take(Field::Office),
                team: take(Field::Team),
                position: take(Field::Position),
                hire_date: dates[0],
                termination_date: dates[1],
                status,
                attributes,
            })
        }
        _ => {
            errors.sort_by_key(|(c, _)| *c);
            let id = import_id.as_ref().map(|i| i.as_str().to_owned());
            Err(errors
                .into_iter()
                .map(|(c, problem)| {
                    let column = header.names.get(c).cloned().unwrap_or_default();
                    RowError::new(row, column, id.clone(), problem)
                })
                .collect())
        }
    };
    Ok(Checked { import_id, outcome })
}

/// Trimmed text of at most [`MAX_TEXT_CHARS`] characters, or what is wrong with it.
fn bounded_text(value: Value) -> Result<String, RowProblem> {
    let text = value.into_text().map_err(problem_of)?;
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        let start: String = text.chars().take(30).collect();
        return Err(RowProblem::TooLong { start, chars });
    }
    Ok(text)
}

fn problem_of(p: Problem) -> RowProblem {
    match p {
        Problem::CellError(e) => RowProblem::CellError(e),
        Problem::NotADate(v) => RowProblem::NotADate(v),
    }
}

/// Honestly's statuses in English and German; anything else is kept as written.
pub(crate) fn status(s: &str) -> EmploymentStatus {
    match s.trim().to_lowercase().as_str() {
        "active" | "aktiv" => EmploymentStatus::Active,
        "inactive" | "inaktiv" => EmploymentStatus::Inactive,
        "leave" | "on leave" | "abwesend" | "elternzeit" => EmploymentStatus::Leave,
        "onboarding" => EmploymentStatus::Onboarding,
        _ => EmploymentStatus::Other(s.trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::ColumnNaming;

    fn header(names: &[&str]) -> Header {
        Header::parse(
            names.iter().map(|s| (*s).to_owned()).collect(),
            ColumnNaming::Letters,
        )
        .unwrap()
    }

    fn cells(values: &[&str]) -> Vec<Value> {
        values
            .iter()
            .map(|s| Value::Text((*s).to_owned()))
            .collect()
    }

    #[test]
    fn a_good_row() {
        let h = header(&[
            "ImportId",
            "Email",
            "Firstname",
            "Lastname",
            "Sprache",
            "Status",
            "Eintrittsdatum",
            "Ort",
        ]);
        let c = check(
            &h,
            2,
            cells(&[
                " 1001 ",
                "a@example.com",
                "Anna",
                "Schmidt",
                "DE",
                "Aktiv",
                "1.3.2026",
                "",
            ]),
        )
        .unwrap();
        let row = c.outcome.unwrap();
        assert_eq!(row.import_id.as_str(), "1001");
        assert_eq!(row.language.as_deref(), Some("de"));
        assert_eq!(row.status, Some(EmploymentStatus::Active));
        assert_eq!(row.hire_date, Some(time::macros::date!(2026 - 03 - 01)));
        assert!(row.attributes.is_empty());
    }

    #[test]
    fn every_problem_of_a_row_is_named() {
        let h = header(&[
            "ImportId",
            "E-Mail",
            "Vorname",
            "Nachname",
            "Sprache",
            "Austrittsdatum",
        ]);
        let c = check(
            &h,
            7,
            cells(&[
                "1001",
                "not-an-address",
                "",
                "Schmidt",
                "Deutsch",
                "31.02.2026",
            ]),
        )
        .unwrap();
        assert_eq!(c.import_id.unwrap().as_str(), "1001");
        let errors = c.outcome.unwrap_err();
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.column.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("E-Mail", "\"not-an-address\" is not a valid e-mail address"),
                ("Vorname", "Vorname is empty"),
                (
                    "Sprache",
                    "\"Deutsch\" is not a two-letter language code (ISO 639-1, e.g. de or en)"
                ),
                (
                    "Austrittsdatum",
                    "\"31.02.2026\" is not a date (write it as 2026-03-01 or 01.03.2026)"
                ),
            ]
        );
        assert!(
            errors
                .iter()
                .all(|e| e.row == 7 && e.import_id.as_deref() == Some("1001"))
        );
    }

    #[test]
    fn too_long_and_cell_errors() {
        let h = header(&["ImportId", "Email", "Firstname", "Lastname", "Team"]);
        let mut c = cells(&["1", "a@example.com", "A", "B", ""]);
        c[4] = Value::Error("#N/A".into());
        c[0] = Value::Text("9".repeat(101));
        let errors = check(&h, 3, c).unwrap().outcome.unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(
            errors[0].message.contains("is 101 characters long"),
            "{}",
            errors[0].message
        );
        assert_eq!(errors[0].import_id, None);
        assert_eq!(
            errors[1].message,
            "the cell shows the error #N/A instead of a value"
        );
    }

    #[test]
    fn values_beyond_the_header_refuse_the_file() {
        let h = header(&["ImportId", "Email", "Firstname", "Lastname", "", "Team"]);
        let err = check(&h, 2, cells(&["1", "a@example.com", "A", "B", "x"])).unwrap_err();
        assert_eq!(
            err,
            ReadError::UnnamedColumn {
                column: ColumnNaming::Letters.column(4)
            }
        );
        let err = check(&h, 2, cells(&["1", "a@example.com", "A", "B", "", "", "y"])).unwrap_err();
        assert_eq!(
            err,
            ReadError::UnnamedColumn {
                column: ColumnNaming::Letters.column(6)
            }
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(status("INAKTIV"), EmploymentStatus::Inactive);
        assert_eq!(status("Elternzeit"), EmploymentStatus::Leave);
        assert_eq!(status("onboarding"), EmploymentStatus::Onboarding);
        assert_eq!(
            status(" Sabbatical "),
            EmploymentStatus::Other("Sabbatical".into())
        );
    }
}
