//! CSV: UTF-8 with or without BOM, or Windows-1252 (what German Excel saves), `,` or `;`
//! as found in the header line, quoted fields with line breaks inside.
//!
//! Must never misnumber rows: a line break inside a quoted cell does not start a new
//! spreadsheet row, a blank line does (as Excel shows the file). Must never copy the file
//! when it is UTF-8 already.

use crate::budget::Budget;
use crate::refusal::Unsupported;
use crate::table::{self, RowSource, SourceRow};
use crate::value::Value;
use crate::{EmployeeFile, Limits, ReadError};
use std::borrow::Cow;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) fn read(
    bytes: &[u8],
    limits: &Limits,
    budget: Budget,
) -> Result<EmployeeFile, ReadError> {
    let text = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut rows = CsvRows {
        text: text.as_bytes(),
        reader,
        record: csv::StringRecord::new(),
        breaks_in_cells: 0,
        last_row: 0,
    };
    table::assemble(&mut rows, limits, budget)
}

/// UTF-8 when the bytes are valid UTF-8 (a BOM is dropped), else Windows-1252, which
/// decodes every byte: a file in neither gives odd letters in its values, which the admin
/// sees in the preview, not a refusal.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ReadError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(ReadError::Unsupported(Unsupported::Utf16Csv));
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    Ok(match std::str::from_utf8(body) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(body)
                .0
        }
    })
}

/// `;` when the header line (up to its first line break outside quotes) has more
/// semicolons than commas outside quotes, else `,`.
fn delimiter(text: &str) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0usize, 0usize, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\n' | '\r' if !quoted => break,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

struct CsvRows<'a> {
    text: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    /// Line breaks inside quoted cells so far: lines that are no spreadsheet rows.
    breaks_in_cells: u64,
    last_row: usize,
}

impl RowSource for CsvRows<'_> {
    fn next_row(&mut self) -> Result<Option<SourceRow>, ReadError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                // The reader's position is just past the record's end (before the `\n`
                // of a `\r\n`). Its start line would miss blank lines before the record.
                let pos = self.reader.position();
                let ends_line = pos
                    .byte()
                    .checked_sub(1)
                    .and_then(|b| self.text.get(usize::try_from(b).ok()?))
                    == Some(&b'\n');
                let end_line = pos.line().saturating_sub(u64::from(ends_line));
                for field in &self.record {
                    self.breaks_in_cells += field.bytes().filter(|b| *b == b'\n').count() as u64;
                }
                let by_lines = usize::try_from(end_line.saturating_sub(self.breaks_in_cells))
                    .unwrap_or(usize::MAX);
                // Lines are counted at '\n'; a file with bare '\r' line ends (old Mac
                // Excel) would otherwise number every row 1.
                let row = by_lines.max(self.last_row + 1);
                self.last_row = row;
                let mut cells = Vec::with_capacity(self.record.len());
                for field in &self.record {
                    cells.push(if field.is_empty() {
                        Value::Empty
                    } else {
                        Value::Text(field.to_owned())
                    });
                }
                Ok(Some(SourceRow { row, cells }))
            }
            Err(e) => Err(ReadError::Corrupt {
                format: crate::Format::Csv,
                detail: e.to_string(),
            }),
        }
    }

    fn sheet(&self) -> Option<&str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_from_the_header_line_outside_quotes() {
        assert_eq!(
            delimiter("ImportId;Email;Vorname;Nachname\n1,2,3,4,5,6"),
            b';'
        );
        assert_eq!(
            delimiter("ImportId,Email,Firstname,Lastname\n1;2;3;4;5"),
            b','
        );
        assert_eq!(delimiter("\"a;b;c\",x,y\n"), b',');
        assert_eq!(delimiter("\"a,b,c\";x;y\r\n"), b';');
        assert_eq!(delimiter("ImportId"), b',');
    }

    #[test]
    fn decoding() {
        assert_eq!(decode(b"\xEF\xBB\xBFa\xC3\xA4").unwrap(), "aä");
        assert!(matches!(decode("aä".as_bytes()).unwrap(), Cow::Borrowed(_)));
        assert_eq!(
            decode(b"M\xFCller;Stra\xDFe;\x80").unwrap(),
            "Müller;Straße;€"
        );
        assert!(matches!(
            decode(b"\xFF\xFEa\0"),
            Err(ReadError::Unsupported(_))
        ));
    }
}
