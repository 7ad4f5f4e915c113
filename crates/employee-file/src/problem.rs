//! What is wrong with a row, in the admin's words: English (the API, the command line,
//! logs) and German (the web app's default language). One variant per kind of problem,
//! so both languages say the same and a new kind cannot lack its German words.

/// Why a row was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// A required value is missing (`column` as named in the header).
    Empty {
        column: String,
    },
    NotAnEmail(String),
    NotALanguage(String),
    /// ReportsToId names the row's own ImportId.
    OwnManager {
        column: String,
        value: String,
    },
    /// A value over the 100-character limit (its first 30 characters).
    TooLong {
        start: String,
        chars: usize,
    },
    /// The cell shows a spreadsheet error (`#N/A`).
    CellError(String),
    NotADate(String),
    /// The ImportId appears in several rows (all of them).
    DuplicateImportId {
        id: String,
        rows: Vec<usize>,
    },
    /// ReportsToId names no row of the file (a warning: the row is read without a manager).
    UnknownManager {
        column: String,
        value: String,
    },
}

impl RowProblem {
    /// In English.
    pub fn english(&self) -> String {
        match self {
            RowProblem::Empty { column } => format!("{column} is empty"),
            RowProblem::NotAnEmail(e) => format!("\"{e}\" is not a valid e-mail address"),
            RowProblem::NotALanguage(l) => {
                format!("\"{l}\" is not a two-letter language code (ISO 639-1, e.g. de or en)")
            }
            RowProblem::OwnManager { column, value } => {
                format!("{column} \"{value}\" is the person's own ImportId")
            }
            RowProblem::TooLong { start, chars } => format!(
                "\"{start}…\" is {chars} characters long; at most {} are allowed",
                crate::MAX_TEXT_CHARS
            ),
            RowProblem::CellError(e) => format!("the cell shows the error {e} instead of a value"),
            RowProblem::NotADate(v) => {
                format!("\"{v}\" is not a date (write it as 2026-03-01 or 01.03.2026)")
            }
            RowProblem::DuplicateImportId { id, rows } => format!(
                "ImportId \"{id}\" appears in rows {}: each person needs their own ImportId",
                list(rows, "and")
            ),
            RowProblem::UnknownManager { column, value } => {
                format!(
                    "{column} \"{value}\" names nobody in this file; the row is imported without a manager"
                )
            }
        }
    }

    /// Auf Deutsch.
    pub fn german(&self) -> String {
        match self {
            RowProblem::Empty { column } => format!("{column} ist leer"),
            RowProblem::NotAnEmail(e) => format!("„{e}“ ist keine gültige E-Mail-Adresse"),
            RowProblem::NotALanguage(l) => format!(
                "„{l}“ ist kein Sprachcode aus zwei Buchstaben (ISO 639-1, z. B. de oder en)"
            ),
            RowProblem::OwnManager { column, value } => {
                format!("{column} „{value}“ ist die eigene ImportId der Person")
            }
            RowProblem::TooLong { start, chars } => format!(
                "„{start}…“ ist {chars} Zeichen lang; erlaubt sind höchstens {}",
                crate::MAX_TEXT_CHARS
            ),
            RowProblem::CellError(e) => {
                format!("Die Zelle zeigt den Fehler {e} statt eines Werts")
            }
            RowProblem::NotADate(v) => {
                format!("„{v}“ ist kein Datum (schreiben Sie 01.03.2026 oder 2026-03-01)")
            }
            RowProblem::DuplicateImportId { id, rows } => format!(
                "ImportId „{id}“ steht in den Zeilen {}: Jede Person braucht ihre eigene ImportId",
                list(rows, "und")
            ),
            RowProblem::UnknownManager { column, value } => {
                format!(
                    "{column} „{value}“ nennt niemanden in dieser Datei; die Zeile wird ohne Vorgesetzte:n übernommen"
                )
            }
        }
    }
}

/// `2, 5 and 9` (with `and` in the reader's language).
fn list(rows: &[usize], and: &str) -> String {
    match rows {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(usize::to_string).collect();
            format!("{} {and} {last}", init.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_listed_in_each_language() {
        let p = RowProblem::DuplicateImportId {
            id: "E-1".into(),
            rows: vec![2, 5, 9],
        };
        assert_eq!(
            p.english(),
            "ImportId \"E-1\" appears in rows 2, 5 and 9: each person needs their own ImportId"
        );
        assert_eq!(
            p.german(),
            "ImportId „E-1“ steht in den Zeilen 2, 5 und 9: Jede Person braucht ihre eigene ImportId"
        );
        assert_eq!(list(&[3], "and"), "3");
        assert_eq!(list(&[2, 5], "and"), "2 and 5");
        assert_eq!(list(&[], "und"), "");
    }
}
