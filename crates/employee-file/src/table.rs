//! From rows of cells to an [`EmployeeFile`]: the header, each row checked as it comes,
//! then what needs the whole file (duplicate ImportIds, ReportsToId naming nobody).
//!
//! Must never hold the file's cells longer than one row: readers hand rows one at a time
//! and only checked rows are kept. Must never let a row with a problem into `rows`.

use crate::budget::Budget;
use crate::header::{ColumnNaming, Field, Header};
use crate::refusal::TableProblem;
use crate::row::{self, Checked};
use crate::value::Value;
use crate::{EmployeeFile, FileRow, ImportId, Limits, ReadError, RowError, RowProblem};
use std::collections::{HashMap, HashSet};

/// One row of a sheet or CSV, as read.
#[derive(Debug)]
pub(crate) struct SourceRow {
    /// The spreadsheet's row number (1-based).
    pub(crate) row: usize,
    pub(crate) cells: Vec<Value>,
}

/// A reader's rows, in any order as long as each row comes once.
pub(crate) trait RowSource {
    fn next_row(&mut self) -> Result<Option<SourceRow>, ReadError>;
    /// The workbook sheet read; `None` for a CSV. A sheet names its columns by letter and
    /// must have the header in row 1; a CSV counts columns and may start with blank lines.
    fn sheet(&self) -> Option<&str>;

    fn naming(&self) -> ColumnNaming {
        match self.sheet() {
            Some(_) => ColumnNaming::Letters,
            None => ColumnNaming::Numbers,
        }
    }

    /// Said when no row has a value.
    fn empty_error(&self) -> ReadError {
        match self.sheet() {
            Some(name) => ReadError::NotATable(TableProblem::SheetEmpty {
                sheet: name.to_owned(),
            }),
            None => ReadError::Empty,
        }
    }
}

/// Reads the header and every row of `source`, each row charged to `budget` (what the
/// reader already holds of the workbook is charged in it).
pub(crate) fn assemble(
    source: &mut impl RowSource,
    limits: &Limits,
    mut budget: Budget,
) -> Result<EmployeeFile, ReadError> {
    let header = loop {
        let Some(first) = source.next_row()? else {
            return Err(source.empty_error());
        };
        charge(&mut budget, &first.cells)?;
        if first.cells.iter().all(Value::is_blank) {
            continue;
        }
        if source.sheet().is_some() && first.row != 1 {
            return Err(ReadError::NotATable(TableProblem::HeaderNotInRowOne {
                first_row: first.row,
            }));
        }
        let mut names = Vec::with_capacity(first.cells.len());
        for (col, cell) in first.cells.into_iter().enumerate() {
            names.push(cell.into_text().map_err(|_| {
                ReadError::NotATable(TableProblem::HeaderCellError {
                    column: source.naming().column(col),
                })
            })?);
        }
        break Header::parse(names, source.naming())?;
    };

    let mut good: Vec<FileRow> = Vec::new();
    let mut bad: Vec<(Option<ImportId>, Vec<RowError>)> = Vec::new();
    let mut count = 0usize;
    // Blank rows are skipped, but not without end: a reader may remember each row it
    // handed on (XLSX does, to spot a row stored twice).
    let max_read = limits.max_rows.saturating_mul(2).saturating_add(1_000);
    let mut read = 0usize;
    while let Some(SourceRow { row, cells }) = source.next_row()? {
        charge(&mut budget, &cells)?;
        read += 1;
        if cells.iter().all(Value::is_blank) {
            if read > max_read {
                return Err(ReadError::TooManyRows {
                    max: limits.max_rows,
                });
            }
            continue;
        }
        count += 1;
        if count > limits.max_rows {
            return Err(ReadError::TooManyRows {
                max: limits.max_rows,
            });
        }
        let Checked {
            import_id, outcome, ..
        } = row::check(&header, row, cells)?;
        match outcome {
            Ok(r) => good.push(r),
            Err(errors) => {
                budget.charge(
                    ERROR_CELLS.saturating_mul(errors.len() as u64),
                    errors.iter().map(|e| e.message.len() as u64).sum(),
                )?;
                bad.push((import_id, errors));
            }
        }
    }
    Ok(whole_file_checks(&header, good, bad))
}

/// What a row error costs against the budget, in cells: it holds its column's name, the
/// row's ImportId and its message (about 330 bytes measured, a cell about 80), and is
/// copied once into the file's list.
const ERROR_CELLS: u64 = 5;

/// A row's cells with a value, and their text, against the budget: what a checked row
/// keeps (its values, or an error naming each bad one).
fn charge(budget: &mut Budget, cells: &[Value]) -> Result<(), ReadError> {
    let (mut filled, mut text) = (0u64, 0u64);
    for cell in cells.iter().filter(|c| !c.is_blank()) {
        filled += 1;
        text += match cell {
            Value::Text(s) | Value::Error(s) => s.len() as u64,
            _ => 0,
        };
    }
    budget.charge(filled, text)
}

/// Duplicate ImportIds (every row with the id is an error: we cannot know which is right)
/// and ReportsToIds naming no row of the file (good or bad: a bad row is still a person):
/// such a row is read without a manager and named in the warnings.
fn whole_file_checks(
    header: &Header,
    good: Vec<FileRow>,
    bad: Vec<(Option<ImportId>, Vec<RowError>)>,
) -> EmployeeFile {
    let mut rows_by_id: HashMap<&str, Vec<usize>> = HashMap::with_capacity(good.len() + bad.len());
    for (id, row) in good.iter().map(|r| (r.import_id.as_str(), r.row)).chain(
        bad.iter()
            .filter_map(|(id, e)| Some((id.as_ref()?.as_str(), e.first()?.row))),
    ) {
        rows_by_id.entry(id).or_default().push(row);
    }
    let duplicated: HashMap<String, Vec<usize>> = rows_by_id
        .iter()
        .filter(|(_, rows)| rows.len() > 1)
        .map(|(id, rows)| {
            let mut rows = rows.clone();
            rows.sort_unstable();
            ((*id).to_owned(), rows)
        })
        .collect();
    let known: HashSet<&str> = rows_by_id.into_keys().collect();
    let unknown_boss: HashSet<usize> = good
        .iter()
        .filter(|r| {
            r.reports_to
                .as_ref()
                .is_some_and(|b| !known.contains(b.as_str()))
        })
        .map(|r| r.row)
        .collect();
    drop(known);

    let id_column = header.name_of(Field::ImportId).to_owned();
    let boss_column = header.name_of(Field::ReportsToId).to_owned();
    let duplicate_error = |row: usize, id: &str| {
        let problem = RowProblem::DuplicateImportId {
            id: id.to_owned(),
            rows: duplicated.get(id).cloned().unwrap_or_default(),
        };
        RowError::new(row, id_column.clone(), Some(id.to_owned()), problem)
    };

    let mut errors: Vec<RowError> = Vec::new();
    for (id, mut row_errors) in bad {
        if let (Some(id), Some(first)) = (&id, row_errors.first())
            && duplicated.contains_key(id.as_str())
        {
            row_errors.insert(0, duplicate_error(first.row, id.as_str()));
        }
        errors.extend(row_errors);
    }
    // In place: a second vector of 100,000 rows would be tens of megabytes more at peak.
    let mut warnings: Vec<RowError> = Vec::new();
    let mut rows = good;
    rows.retain_mut(|r| {
        let id = r.import_id.as_str();
        let duplicate = duplicated.contains_key(id);
        if duplicate {
            errors.push(duplicate_error(r.row, id));
            return false;
        }
        if unknown_boss.contains(&r.row) {
            // A manager who left (or a typo): the person is still who the row says, so
            // the row applies, only without a manager, and the admin is told which row.
            let boss = r.reports_to.take().map(|b| b.as_str().to_owned());
            let problem = RowProblem::UnknownManager {
                column: boss_column.clone(),
                value: boss.unwrap_or_default(),
            };
            warnings.push(RowError::new(
                r.row,
                boss_column.clone(),
                Some(id.to_owned()),
                problem,
            ));
        }
        true
    });
    // Stable: a row's errors stay in column order.
    errors.sort_by_key(|e| e.row);
    if !rows.is_sorted_by_key(|r| r.row) {
        rows.sort_by_key(|r| r.row);
    }
    EmployeeFile {
        columns: header.columns.clone(),
        rows,
        errors,
        warnings,
    }
}
