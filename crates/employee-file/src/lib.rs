//! Honestly's employee file ("Mitarbeiter-Upload"): XLSX, ODS or CSV bytes in, checked rows
//! out.
//!
//! The file is the whole company: one row a person, identified by its `ImportId`. This
//! crate reads and checks; it knows nothing of accounts, keys or the directory. It must
//! never panic on hostile input (a zip bomb, a password-protected workbook, a CSV in an
//! unexpected encoding): every problem is a [`ReadError`] (the whole file is refused) or a
//! [`RowError`] (that row is left out and named, the rest is read).

use staffsync_core::{Email, EmploymentStatus};
use std::sync::Arc;
use time::Date;

mod budget;
mod csv_table;
mod dates;
mod format;
mod guard;
mod header;
mod ods_size;
mod problem;
mod refusal;
mod row;
mod table;
mod template;
mod value;
mod workbook;
mod xlsx_size;
mod xml_runs;

pub use header::{Field, MAX_TEXT_CHARS};
pub use template::{Lang, TemplateFormat, template};

/// The three formats an upload may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Ods,
    Csv,
}

/// Bounds that keep a hostile file from exhausting the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The file itself (the HTTP layer answers 413 above this before reading).
    pub max_bytes: u64,
    /// The sum of the uncompressed sizes of a workbook's zip entries (zip-bomb guard).
    pub max_uncompressed_bytes: u64,
    /// Data rows (the header not counted).
    pub max_rows: usize,
    /// Cells with a value held at once, across the whole workbook: every sheet of an ODS
    /// (calamine unfolds them all, repeated rows and cells counted), an XLSX's shared
    /// strings (one each), and the cells of the rows read (every format).
    pub max_cells: u64,
    /// Bytes of text held at once, counted as `max_cells` counts cells.
    pub max_text_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_uncompressed_bytes: 400 * 1024 * 1024,
            max_rows: 200_000,
            // Measured (docs/benchmarks.md, "Hostile files"): reading up to these totals
            // stays under 300 MB; 100,000 people × 12 columns use half (CSV) to almost
            // all (ODS: calamine's copy and the rows both count).
            max_cells: 2_500_000,
            max_text_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A person's `ImportId`: trimmed, non-empty, at most 100 characters; never changes once
/// assigned (Honestly's rule), so it is the person's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ImportId(String);

impl ImportId {
    /// The id of `s` trimmed, when it is non-empty and at most 100 characters.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        (!t.is_empty() && t.chars().count() <= MAX_TEXT_CHARS).then(|| ImportId(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ImportId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which of the optional columns the file has: a column that is absent says nothing
/// (an absent HireDate column is "unknown", not "no hire date").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    pub language: bool,
    pub reports_to: bool,
    pub department: bool,
    pub office: bool,
    pub team: bool,
    pub position: bool,
    pub hire_date: bool,
    pub termination_date: bool,
    pub status: bool,
    /// The other columns, as named in the header (trimmed), in the file's order: the
    /// attributes that can become group dimensions.
    pub attributes: Vec<Arc<str>>,
}

/// One good row.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    /// The spreadsheet's row number (the header is row 1).
    pub row: usize,
    pub import_id: ImportId,
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    /// ISO 639-1, lowercase.
    pub language: Option<String>,
    /// Another row's ImportId (checked: it names a row of this file).
    pub reports_to: Option<ImportId>,
    pub department: Option<String>,
    pub office: Option<String>,
    pub team: Option<String>,
    pub position: Option<String>,
    pub hire_date: Option<Date>,
    pub termination_date: Option<Date>,
    pub status: Option<EmploymentStatus>,
    /// Non-empty values of the attribute columns: (column name as in [`Columns::attributes`], value).
    pub attributes: Vec<(Arc<str>, String)>,
}

pub use problem::RowProblem;
pub use refusal::{Column, DuplicateColumn, ReadError, TableProblem, Unsupported};

/// A row left out, and why, in the admin's words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// The spreadsheet's row number (the header is row 1).
    pub row: usize,
    /// The column as named in the file's header.
    pub column: String,
    /// The row's ImportId when it has a usable one: that person is protected from removal.
    pub import_id: Option<String>,
    /// What is wrong, in English ([`RowProblem::english`]).
    pub message: String,
    /// The same, as a value (for other languages: [`RowProblem::german`]).
    #[serde(skip)]
    pub problem: RowProblem,
}

impl RowError {
    pub fn new(row: usize, column: String, import_id: Option<String>, problem: RowProblem) -> Self {
        RowError {
            row,
            column,
            import_id,
            message: problem.english(),
            problem,
        }
    }
}

/// A file read: its columns, its good rows and its bad ones.
#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeFile {
    pub columns: Columns,
    /// In the file's row order.
    pub rows: Vec<FileRow>,
    /// One entry per problem, ordered by row (a row may have several, one per column);
    /// a row named here is not in `rows`.
    pub errors: Vec<RowError>,
    /// Rows read with a value left out, ordered by row: a `ReportsToId` that names nobody
    /// in the file (a manager who left, a typo). The row is in `rows`, without a manager.
    pub warnings: Vec<RowError>,
}

/// Reads `bytes` as `format` (`sheet`: a workbook's sheet by name; default the first).
///
/// The content decides over the declared format where they disagree (a workbook uploaded
/// as `text/csv`, an ODS named `.xlsx`): admins rename files, the bytes do not lie.
pub fn read(
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<EmployeeFile, ReadError> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(ReadError::TooLarge {
            size,
            max: limits.max_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if guard::is_cfb(bytes) {
        return Err(ReadError::PasswordProtected);
    }
    // One budget for the whole read: what calamine holds of the workbook and the rows built.
    let mut budget = budget::Budget::new(limits);
    match (format, Format::sniff(bytes)) {
        (_, sniffed @ (Format::Xlsx | Format::Ods)) => {
            guard::check_zip(bytes, sniffed, limits)?;
            // calamine parses hostile XML; should it ever panic on a file, that file is
            // refused like any damaged one instead of taking the import down with it.
            std::panic::catch_unwind(move || {
                match sniffed {
                    Format::Ods => ods_size::check(bytes, &mut budget)?,
                    _ => xlsx_size::check(bytes, &mut budget)?,
                }
                workbook::read(bytes, sniffed, sheet, limits, budget)
            })
            .unwrap_or_else(|_| {
                Err(ReadError::Corrupt {
                    format: sniffed,
                    detail: "the spreadsheet reader failed on it".into(),
                })
            })
        }
        (Format::Csv, Format::Csv) => csv_table::read(bytes, limits, budget),
        (declared @ (Format::Xlsx | Format::Ods), Format::Csv) => Err(ReadError::Corrupt {
            format: declared,
            detail: "it is not a zip archive, as every workbook is".into(),
        }),
    }
}
