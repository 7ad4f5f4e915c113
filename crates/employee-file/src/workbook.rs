//! XLSX and ODS through calamine: the first sheet or the one named, cells turned into
//! [`Value`]s row by row.
//!
//! Must never build a sheet-sized grid for XLSX: cells are streamed from the sheet's XML
//! (calamine's `Range` would allocate rows × columns between the outermost cells, which a
//! tiny hostile file can make enormous). Must never let calamine's wording reach the
//! admin unexplained: its errors become [`ReadError`]s in plain words.

use crate::budget::Budget;
use crate::refusal::{TableProblem, Unsupported};
use crate::table::{self, RowSource, SourceRow};
use crate::value::Value;
use crate::{EmployeeFile, Format, Limits, ReadError, dates};
use calamine::{Data, Ods, OdsError, Reader, Xlsx, XlsxError};
use std::collections::HashSet;
use std::io::Cursor;
use time::{Date, Month};

/// XLSX's own column limit; a cell beyond it is a damaged file.
const MAX_COLUMNS: u32 = 16_384;

pub(crate) fn read(
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
    limits: &Limits,
    budget: Budget,
) -> Result<EmployeeFile, ReadError> {
    match format {
        Format::Xlsx => read_xlsx(bytes, sheet, limits, budget),
        Format::Ods => read_ods(bytes, sheet, limits, budget),
        Format::Csv => Err(ReadError::Unsupported(Unsupported::CsvNotAWorkbook)),
    }
}

/// The sheet to read: the one named (exactly, else case-insensitively), or the first.
fn pick_sheet(names: Vec<String>, wanted: Option<&str>) -> Result<String, ReadError> {
    let Some(wanted) = wanted else {
        return names
            .into_iter()
            .next()
            .ok_or(ReadError::NotATable(TableProblem::NoSheets));
    };
    let wanted_trimmed = wanted.trim();
    if let Some(i) = names.iter().position(|n| n == wanted).or_else(|| {
        names
            .iter()
            .position(|n| n.trim().to_lowercase() == wanted_trimmed.to_lowercase())
    }) {
        return Ok(names.into_iter().nth(i).unwrap_or_default());
    }
    Err(ReadError::SheetNotFound {
        name: wanted.to_owned(),
        sheets: names,
    })
}

fn read_xlsx(
    bytes: &[u8],
    sheet: Option<&str>,
    limits: &Limits,
    budget: Budget,
) -> Result<EmployeeFile, ReadError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let name = pick_sheet(book.sheet_names(), sheet)?;
    let cells = book.worksheet_cells_reader(&name).map_err(xlsx_error)?;
    let mut rows = XlsxRows {
        cells,
        pending: None,
        seen: HashSet::new(),
        done: false,
        sheet: name,
    };
    table::assemble(&mut rows, limits, budget)
}

/// calamine's XLSX errors in the admin's words; the detail stays for support.
fn xlsx_error(e: XlsxError) -> ReadError {
    let detail = match &e {
        XlsxError::Zip(_) => format!("its zip archive is damaged ({e})"),
        XlsxError::FileNotFound(part) => format!("it lacks the part {part}"),
        _ => e.to_string(),
    };
    ReadError::Corrupt {
        format: Format::Xlsx,
        detail,
    }
}

fn ods_error(e: OdsError) -> ReadError {
    match e {
        OdsError::Password => ReadError::PasswordProtected,
        OdsError::CellLimitExceeded { .. } => ReadError::NotATable(TableProblem::FarTooManyCells),
        e => ReadError::Corrupt {
            format: Format::Ods,
            detail: e.to_string(),
        },
    }
}

/// A cell as calamine reads it, as the rest of the crate understands it.
fn value(data: Data) -> Value {
    match data {
        Data::Empty => Value::Empty,
        Data::String(s) => Value::Text(s),
        Data::Float(f) => Value::Number(f),
        // Exactly representable below 2^53; beyond, keep the digits as written.
        #[allow(clippy::cast_precision_loss)]
        Data::Int(i) if i.unsigned_abs() < (1 << 53) => Value::Number(i as f64),
        Data::Int(i) => Value::Text(i.to_string()),
        Data::Bool(b) => Value::Bool(b),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            if dt.is_datetime() && (1.0..2_958_466.0).contains(&serial) {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                match Month::try_from(m)
                    .ok()
                    .and_then(|m| Date::from_calendar_date(i32::from(y), m, d).ok())
                {
                    Some(date) => Value::Date(date),
                    None => Value::Number(serial),
                }
            } else {
                // A time of day or a duration: no calendar date; a date column refuses it.
                Value::Number(serial)
            }
        }
        Data::DateTimeIso(s) => dates::parse_text(&s).map_or(Value::Text(s), Value::Date),
        Data::DurationIso(s) => Value::Text(s),
        Data::Error(e) => Value::Error(e.to_string()),
    }
}

struct XlsxRows<'a> {
    cells: calamine::XlsxCellReader<'a, Cursor<&'a [u8]>>,
    /// The first cell of the next row, read while finishing the last.
    pending: Option<(u32, u32, Value)>,
    /// Rows handed on; writers put each row's cells together, so a row seen twice means
    /// a file we cannot read reliably.
    seen: HashSet<u32>,
    /// The sheet's data has ended.
    done: bool,
    sheet: String,
}

impl XlsxRows<'_> {
    /// The next cell with a value (calamine also reports formatted empty cells).
    fn next_cell(&mut self) -> Result<Option<(u32, u32, Value)>, ReadError> {
        loop {
            // Past the end the XML reader would run into the end of the document.
            if self.done {
                return Ok(None);
            }
            let Some(cell) = self.cells.next_cell().map_err(xlsx_error)? else {
                self.done = true;
                return Ok(None);
            };
            let (row, col) = cell.get_position();
            let v = value(cell.get_value().clone().into());
            if v == Value::Empty {
                continue;
            }
            if col >= MAX_COLUMNS {
                return Err(ReadError::Corrupt {
                    format: Format::Xlsx,
                    detail: format!(
                        "row {} has a cell beyond the last column XFD",
                        u64::from(row) + 1
                    ),
                });
            }
            return Ok(Some((row, col, v)));
        }
    }
}

fn place(cells: &mut Vec<Value>, col: u32, v: Value) {
    let col = col as usize;
    if cells.len() <= col {
        cells.resize(col + 1, Value::Empty);
    }
    cells[col] = v;
}

impl RowSource for XlsxRows<'_> {
    fn next_row(&mut self) -> Result<Option<SourceRow>, ReadError> {
        let first = match self.pending.take() {
            Some(cell) => cell,
            None => match self.next_cell()? {
                Some(cell) => cell,
                None => return Ok(None),
            },
        };
        let row = first.0;
        let mut cells = Vec::new();
        place(&mut cells, first.1, first.2);
        while let Some(cell) = self.next_cell()? {
            if cell.0 == row {
                place(&mut cells, cell.1, cell.2);
            } else {
                self.pending = Some(cell);
                break;
            }
        }
        if !self.seen.insert(row) {
            return Err(ReadError::Corrupt {
                format: Format::Xlsx,
                detail: format!(
                    "the cells of row {} are stored in two places",
                    u64::from(row) + 1
                ),
            });
        }
        Ok(Some(SourceRow {
            row: row as usize + 1,
            cells,
        }))
    }

    fn sheet(&self) -> Option<&str> {
        Some(&self.sheet)
    }
}

fn read_ods(
    bytes: &[u8],
    sheet: Option<&str>,
    limits: &Limits,
    budget: Budget,
) -> Result<EmployeeFile, ReadError> {
    let range = {
        let mut book: Ods<_> = Ods::new(Cursor::new(bytes)).map_err(ods_error)?;
        let name = pick_sheet(book.sheet_names(), sheet)?;
        let range = book.worksheet_range(&name).map_err(ods_error)?;
        (name, range)
        // The book (all sheets) is dropped here; only the chosen sheet stays.
    };
    let (name, range) = range;
    let mut rows = OdsRows {
        start: range.start().unwrap_or((0, 0)),
        range,
        next: 0,
        sheet: name,
    };
    table::assemble(&mut rows, limits, budget)
}

struct OdsRows {
    range: calamine::Range<Data>,
    /// The absolute (row, column) of the range's first cell.
    start: (u32, u32),
    next: usize,
    sheet: String,
}

impl RowSource for OdsRows {
    fn next_row(&mut self) -> Result<Option<SourceRow>, ReadError> {
        let Some(cells) = self.range.rows().nth(self.next) else {
            return Ok(None);
        };
        let offset = self.start.1 as usize;
        let mut out = Vec::with_capacity(offset + cells.len());
        out.resize(offset, Value::Empty);
        out.extend(cells.iter().cloned().map(value));
        let row = self.start.0 as usize + self.next + 1;
        self.next += 1;
        Ok(Some(SourceRow { row, cells: out }))
    }

    fn sheet(&self) -> Option<&str> {
        Some(&self.sheet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheets_by_name() {
        let names = || vec!["Tabelle1".to_owned(), "Mitarbeiter".to_owned()];
        assert_eq!(pick_sheet(names(), None).unwrap(), "Tabelle1");
        assert_eq!(
            pick_sheet(names(), Some("Mitarbeiter")).unwrap(),
            "Mitarbeiter"
        );
        assert_eq!(
            pick_sheet(names(), Some(" mitarbeiter")).unwrap(),
            "Mitarbeiter"
        );
        let err = pick_sheet(names(), Some("Personal")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the workbook has no sheet named \"Personal\"; its sheets are: \"Tabelle1\", \"Mitarbeiter\""
        );
    }
}
