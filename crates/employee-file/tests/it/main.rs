//! The employee-file reader on files made by real tools (rust_xlsxwriter, spreadsheet-ods,
//! the csv crate, encoding_rs, zip), one test binary for all of them.
#![allow(clippy::unwrap_used)]

mod csv_files;
mod hostile;
mod ods_files;
mod round_trip;
mod support;
mod templates;
mod xlsx_files;
