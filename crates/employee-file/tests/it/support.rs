//! Helpers shared by the test modules.

use employee_file::{EmployeeFile, Format, Limits, ReadError, RowError};

pub fn read(bytes: &[u8], format: Format) -> Result<EmployeeFile, ReadError> {
    employee_file::read(bytes, format, None, &Limits::default())
}

/// (row, column, message) of each error, for compact assertions.
pub fn errors(file: &EmployeeFile) -> Vec<(usize, &str, &str)> {
    file.errors
        .iter()
        .map(
            |RowError {
                 row,
                 column,
                 message,
                 ..
             }| (*row, column.as_str(), message.as_str()),
        )
        .collect()
}

/// (row, ImportId) of each good row.
pub fn ids(file: &EmployeeFile) -> Vec<(usize, &str)> {
    file.rows
        .iter()
        .map(|r| (r.row, r.import_id.as_str()))
        .collect()
}
