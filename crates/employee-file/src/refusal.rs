//! Why a whole file was refused, as values, in the admin's words: English (the API, the
//! command line, the inbox's notes, logs; the `Display` of [`ReadError`]) and German (the
//! web app's default language, [`ReadError::german`]). Like [`RowProblem`](crate::RowProblem),
//! one variant per kind of refusal, so both languages say the same and a new kind cannot
//! lack its German words.
//!
//! Must never carry a sentence made elsewhere: what a variant holds is data (a column, a
//! sheet's name, a number), and each language makes its own sentence from it. The one
//! exception is a library's own description of a damaged file
//! ([`ReadError::Corrupt`]'s `detail`), which the English keeps for support and the German
//! leaves out.

use crate::Format;
use crate::header::{ColumnNaming, Field, MAX_TEXT_CHARS, letters};

/// A column of the file, as a spreadsheet user finds it: by letter in a workbook
/// ("column C"), by position in a CSV file ("column 3").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub(crate) naming: ColumnNaming,
    /// 0-based.
    pub(crate) index: usize,
}

impl Column {
    fn label(self) -> String {
        match self.naming {
            ColumnNaming::Numbers => (self.index + 1).to_string(),
            ColumnNaming::Letters => letters(self.index),
        }
    }

    /// "column C".
    pub fn english(self) -> String {
        format!("column {}", self.label())
    }

    /// "Spalte C".
    pub fn german(self) -> String {
        format!("Spalte {}", self.label())
    }
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english())
    }
}

/// Two header cells that mean the same column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateColumn {
    pub first: (String, Column),
    pub second: (String, Column),
    /// The field both name; `None` when both name the same attribute.
    pub field: Option<Field>,
}

impl DuplicateColumn {
    fn english(&self) -> String {
        let both = format!(
            "\"{}\" ({}) and \"{}\" ({})",
            self.first.0, self.first.1, self.second.0, self.second.1
        );
        match self.field {
            Some(field) => format!("{both} both mean {field}"),
            None => format!("{both} are the same attribute"),
        }
    }

    fn german(&self) -> String {
        let both = format!(
            "„{}“ ({}) und „{}“ ({})",
            self.first.0,
            self.first.1.german(),
            self.second.0,
            self.second.1.german()
        );
        match self.field {
            Some(field) => format!("{both} bedeuten beide {field}"),
            None => format!("{both} sind dasselbe Attribut"),
        }
    }
}

/// Why a sheet (or CSV file) is not a table whose first row names the columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableProblem {
    /// The workbook has no sheets at all.
    NoSheets,
    /// The chosen sheet has no values.
    SheetEmpty { sheet: String },
    /// The first row has no names.
    FirstRowEmpty,
    /// Row 1 is empty and the first values are further down.
    HeaderNotInRowOne { first_row: usize },
    /// A header cell shows a spreadsheet error (`#N/A`).
    HeaderCellError { column: Column },
    /// An ODS sheet of millions of cells.
    FarTooManyCells,
}

/// A file of a kind that cannot be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsupported {
    /// A CSV file saved as UTF-16 (Excel's "Unicode text").
    Utf16Csv,
    /// A CSV file handed to the workbook reader.
    CsvNotAWorkbook,
}

/// Why a whole file was refused. Nothing is planned from it, so nobody is removed. The
/// messages are meant for the admin who uploaded the file: `Display` in English,
/// [`ReadError::german`] in German.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the file could not be read: {}", unsupported_english(*.0))]
    Unsupported(Unsupported),
    #[error("the file is empty")]
    Empty,
    #[error("the file is {size} bytes, more than the {max} bytes allowed")]
    TooLarge { size: u64, max: u64 },
    #[error(
        "the file is password-protected or an old Excel file (.xls), which cannot be read: \
         save it as .xlsx without a password"
    )]
    PasswordProtected,
    #[error("the file is not a readable {format} file ({detail})")]
    Corrupt { format: Format, detail: String },
    #[error(
        "the workbook unpacks to more than {max} bytes or is packed unusually tightly \
         (a zip bomb, not a normal spreadsheet), so it was not opened"
    )]
    ZipBomb { max: u64 },
    #[error("the workbook has no sheet named \"{name}\"; its sheets are: {}", quoted_list(.sheets, "\"", "\""))]
    SheetNotFound { name: String, sheets: Vec<String> },
    /// The sheet (or CSV) is not a table whose first row names the columns.
    #[error("{}", table_english(.0))]
    NotATable(TableProblem),
    /// Required columns absent; canonical names (ImportId, Email, Firstname, Lastname).
    #[error("the file has no column {}", fields_list(.missing, Field::with_aliases, " and no column "))]
    MissingColumns { missing: Vec<Field> },
    #[error("the file has duplicate columns: {}", .0.iter().map(DuplicateColumn::english).collect::<Vec<_>>().join("; "))]
    DuplicateColumns(Vec<DuplicateColumn>),
    #[error("the name of {column} in the header row is longer than {MAX_TEXT_CHARS} characters")]
    ColumnNameTooLong { column: Column },
    #[error("{column} has values but no name in the header row (row 1): name it or delete it")]
    UnnamedColumn { column: Column },
    #[error("the file has more than {max} rows of people")]
    TooManyRows { max: usize },
    #[error(
        "the file has more than {max} cells with values (all its sheets and an XLSX's \
         shared texts together, repeated rows and cells counted), far more than a list of \
         people: keep only the list of people in the file"
    )]
    TooManyCells { max: u64 },
    #[error(
        "the file has more than {max} bytes of text (all its sheets and an XLSX's shared \
         texts together), far more than a list of people: keep only the list of people in \
         the file"
    )]
    TooMuchText { max: u64 },
}

impl ReadError {
    /// Auf Deutsch, for the web app.
    pub fn german(&self) -> String {
        match self {
            ReadError::Unsupported(Unsupported::Utf16Csv) => {
                "Die CSV-Datei ist als UTF-16 gespeichert (Excels „Unicode-Text“); speichern Sie sie stattdessen als „CSV UTF-8“".into()
            }
            ReadError::Unsupported(Unsupported::CsvNotAWorkbook) => {
                "Eine CSV-Datei ist keine Arbeitsmappe".into()
            }
            ReadError::Empty => "Die Datei ist leer".into(),
            ReadError::TooLarge { size, max } => {
                format!("Die Datei ist {size} Bytes groß, erlaubt sind höchstens {max} Bytes")
            }
            ReadError::PasswordProtected => "Die Datei ist mit einem Passwort geschützt oder eine alte Excel-Datei (.xls), die nicht gelesen werden kann: Speichern Sie sie als .xlsx ohne Passwort".into(),
            // The library's detail is English and technical: left out here.
            ReadError::Corrupt { format, .. } => format!(
                "Die Datei ist keine lesbare {format}-Datei: Öffnen Sie sie in Ihrem Tabellenprogramm und speichern Sie sie erneut"
            ),
            ReadError::ZipBomb { max } => format!(
                "Die Arbeitsmappe entpackt sich zu mehr als {max} Bytes oder ist ungewöhnlich dicht gepackt (eine Zip-Bombe, keine normale Tabelle) und wurde daher nicht geöffnet"
            ),
            ReadError::SheetNotFound { name, sheets } => format!(
                "Die Arbeitsmappe hat kein Blatt namens „{name}“; ihre Blätter sind: {}",
                quoted_list(sheets, "„", "“")
            ),
            ReadError::NotATable(problem) => table_german(problem),
            ReadError::MissingColumns { missing: fields } => format!(
                "Der Datei fehlt die Spalte {}",
                fields_list(fields, Field::with_aliases_german, " und die Spalte ")
            ),
            ReadError::DuplicateColumns(duplicates) => format!(
                "Die Datei hat doppelte Spalten: {}",
                duplicates
                    .iter()
                    .map(DuplicateColumn::german)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            ReadError::ColumnNameTooLong { column } => format!(
                "Der Name von {} in der Kopfzeile ist länger als {MAX_TEXT_CHARS} Zeichen",
                column.german()
            ),
            ReadError::UnnamedColumn { column } => format!(
                "{} hat Werte, aber keinen Namen in der Kopfzeile (Zeile 1): Geben Sie ihr einen Namen oder löschen Sie sie",
                column.german()
            ),
            ReadError::TooManyRows { max } => {
                format!("Die Datei hat mehr als {max} Zeilen mit Personen")
            }
            ReadError::TooManyCells { max } => format!(
                "Die Datei hat mehr als {max} Zellen mit Werten (alle Blätter zusammen), weit mehr als eine Liste von Personen: Lassen Sie nur die Liste der Personen in der Datei"
            ),
            ReadError::TooMuchText { max } => format!(
                "Die Datei hat mehr als {max} Bytes Text (alle Blätter zusammen), weit mehr als eine Liste von Personen: Lassen Sie nur die Liste der Personen in der Datei"
            ),
        }
    }
}

fn unsupported_english(u: Unsupported) -> &'static str {
    match u {
        Unsupported::Utf16Csv => {
            "the CSV file is saved as UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" instead"
        }
        Unsupported::CsvNotAWorkbook => "a CSV file is not a workbook",
    }
}

fn table_english(p: &TableProblem) -> String {
    match p {
        TableProblem::NoSheets => "the workbook has no sheets".into(),
        TableProblem::SheetEmpty { sheet } => format!("the sheet \"{sheet}\" is empty"),
        TableProblem::FirstRowEmpty => {
            "the first row is empty: it must name the columns (ImportId, Email, Firstname, Lastname, …)".into()
        }
        TableProblem::HeaderNotInRowOne { first_row } => format!(
            "row 1 is empty: the first row must name the columns (ImportId, Email, \
             Firstname, Lastname, …), but the first values are in row {first_row}"
        ),
        TableProblem::HeaderCellError { column } => {
            format!("the header row shows a spreadsheet error in {column}")
        }
        TableProblem::FarTooManyCells => {
            "the sheet is far larger than a list of people (millions of cells)".into()
        }
    }
}

fn table_german(p: &TableProblem) -> String {
    match p {
        TableProblem::NoSheets => "Die Arbeitsmappe hat keine Blätter".into(),
        TableProblem::SheetEmpty { sheet } => format!("Das Blatt „{sheet}“ ist leer"),
        TableProblem::FirstRowEmpty => {
            "Die erste Zeile ist leer: Sie muss die Spalten benennen (ImportId, Email, Firstname, Lastname, …)".into()
        }
        TableProblem::HeaderNotInRowOne { first_row } => format!(
            "Zeile 1 ist leer: Die erste Zeile muss die Spalten benennen (ImportId, Email, Firstname, Lastname, …), die ersten Werte stehen aber in Zeile {first_row}"
        ),
        TableProblem::HeaderCellError { column } => format!(
            "Die Kopfzeile zeigt in {} einen Tabellenfehler",
            column.german()
        ),
        TableProblem::FarTooManyCells => {
            "Das Blatt ist weit größer als eine Liste von Personen (Millionen von Zellen)".into()
        }
    }
}

fn fields_list(fields: &[Field], name: fn(Field) -> String, and: &str) -> String {
    let parts: Vec<String> = fields.iter().map(|f| name(*f)).collect();
    parts.join(and)
}

fn quoted_list(items: &[String], open: &str, close: &str) -> String {
    items
        .iter()
        .map(|s| format!("{open}{s}{close}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(index: usize) -> Column {
        Column {
            naming: ColumnNaming::Letters,
            index,
        }
    }

    /// Every kind of refusal has German words of its own: no English word of the
    /// English sentence is left in it.
    #[test]
    fn every_refusal_is_said_in_german_too() {
        let all = [
            ReadError::Unsupported(Unsupported::Utf16Csv),
            ReadError::Unsupported(Unsupported::CsvNotAWorkbook),
            ReadError::Empty,
            ReadError::TooLarge { size: 9, max: 5 },
            ReadError::PasswordProtected,
            ReadError::Corrupt {
                format: Format::Xlsx,
                detail: "invalid zip header".into(),
            },
            ReadError::ZipBomb { max: 10 },
            ReadError::SheetNotFound {
                name: "Personal".into(),
                sheets: vec!["Tabelle1".into()],
            },
            ReadError::NotATable(TableProblem::NoSheets),
            ReadError::NotATable(TableProblem::SheetEmpty {
                sheet: "Leer".into(),
            }),
            ReadError::NotATable(TableProblem::FirstRowEmpty),
            ReadError::NotATable(TableProblem::HeaderNotInRowOne { first_row: 3 }),
            ReadError::NotATable(TableProblem::HeaderCellError { column: column(2) }),
            ReadError::NotATable(TableProblem::FarTooManyCells),
            ReadError::MissingColumns {
                missing: vec![Field::Email, Field::LastName],
            },
            ReadError::DuplicateColumns(vec![DuplicateColumn {
                first: ("E-Mail".into(), column(1)),
                second: ("Email".into(), column(5)),
                field: Some(Field::Email),
            }]),
            ReadError::ColumnNameTooLong { column: column(0) },
            ReadError::UnnamedColumn { column: column(27) },
            ReadError::TooManyRows { max: 3 },
            ReadError::TooManyCells { max: 3 },
            ReadError::TooMuchText { max: 3 },
        ];
        for e in all {
            let (en, de) = (e.to_string(), e.german());
            assert_ne!(en, de);
            for word in [
                " the ",
                " file ",
                " column ",
                " is ",
                " has ",
                "also accepted",
            ] {
                assert!(!de.contains(word), "{word:?} in {de:?}");
            }
            assert!(!de.contains("invalid zip header"), "{de}");
        }
        let dup = ReadError::DuplicateColumns(vec![DuplicateColumn {
            first: ("E-Mail".into(), column(1)),
            second: ("Email".into(), column(5)),
            field: Some(Field::Email),
        }]);
        assert_eq!(
            dup.to_string(),
            "the file has duplicate columns: \"E-Mail\" (column B) and \"Email\" (column F) both mean Email"
        );
        assert_eq!(
            dup.german(),
            "Die Datei hat doppelte Spalten: „E-Mail“ (Spalte B) und „Email“ (Spalte F) bedeuten beide Email"
        );
        assert_eq!(
            ReadError::UnnamedColumn { column: column(27) }.german(),
            "Spalte AB hat Werte, aber keinen Namen in der Kopfzeile (Zeile 1): Geben Sie ihr einen Namen oder löschen Sie sie"
        );
    }
}
