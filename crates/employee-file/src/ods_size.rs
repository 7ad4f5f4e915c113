//! The size an ODS workbook unfolds to, measured before calamine unfolds it.
//!
//! ODS repeats rows and cells by attribute (`table:number-rows-repeated="6000"` on a row
//! of 16,384 filled cells is a few hundred bytes of XML), and calamine expands every sheet
//! (not only the one read) into a rows × columns grid when it opens the file: gigabytes
//! from a tiny upload, which neither the file-size limit nor the zip guard sees. This
//! streams `content.xml` once and charges every sheet's filled area and text, repeats
//! counted, to the read's [`Budget`]: all sheets together, never one at a time; every part
//! is read through [`xml_runs`] (one 250 MB text is 250 MB in calamine's buffer). Must
//! never hold the XML: it is read event by event and only counters are kept.

use crate::budget::Budget;
use crate::xml_runs::{self, Runs};
use crate::{Format, ReadError};
use quick_xml::events::{BytesStart, Event};
use std::io::{BufReader, Cursor};

/// The filled area of one sheet so far, repeats counted.
#[derive(Debug)]
struct Area {
    /// Rows so far.
    rows: u64,
    first_row: Option<u64>,
    end_row: u64,
    first_col: u64,
    end_col: u64,
    /// The current row: its repeat count, next column, whether a cell is filled.
    row_repeats: u64,
    col: u64,
    row_filled: bool,
}

impl Area {
    fn new() -> Self {
        Area {
            rows: 0,
            first_row: None,
            end_row: 0,
            first_col: u64::MAX,
            end_col: 0,
            row_repeats: 1,
            col: 0,
            row_filled: false,
        }
    }

    fn cells(&self) -> u64 {
        let rows = self.first_row.map_or(0, |f| self.end_row.saturating_sub(f));
        rows.saturating_mul(self.end_col.saturating_sub(self.first_col))
    }

    fn cell(&mut self, e: &BytesStart<'_>, filled: bool) {
        let repeats = repeated(e, "table:number-columns-repeated");
        if filled {
            self.first_col = self.first_col.min(self.col);
            self.end_col = self.end_col.max(self.col.saturating_add(repeats));
            self.row_filled = true;
        }
        self.col = self.col.saturating_add(repeats);
    }

    fn end_row(&mut self) {
        if self.row_filled {
            self.first_row.get_or_insert(self.rows);
            self.end_row = self.rows.saturating_add(self.row_repeats);
        }
        self.rows = self.rows.saturating_add(self.row_repeats);
    }
}

/// The repeat count an attribute gives (1 when absent or unreadable: calamine then
/// refuses the file itself).
fn repeated(e: &BytesStart<'_>, attribute: &str) -> u64 {
    e.try_get_attribute(attribute)
        .ok()
        .flatten()
        .and_then(|a| a.value.trim().parse().ok())
        .unwrap_or(1)
}

fn has(e: &BytesStart<'_>, attribute: &str) -> bool {
    e.try_get_attribute(attribute).ok().flatten().is_some()
}

fn is_cell(e: &BytesStart<'_>) -> bool {
    matches!(
        e.name().as_ref(),
        "table:table-cell" | "table:covered-table-cell"
    )
}

/// Charges the filled areas and the text of all sheets of an ODS to `budget`; refuses a
/// part with a run too long ([`xml_runs`]).
pub(crate) fn check(bytes: &[u8], budget: &mut Budget) -> Result<(), ReadError> {
    let corrupt = |detail: String| ReadError::Corrupt {
        format: Format::Ods,
        detail,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("its zip directory is damaged: {e}")))?;
    for i in 0..zip.len() {
        let part = zip
            .by_index(i)
            .map_err(|e| corrupt(format!("its zip archive is damaged: {e}")))?;
        if part.name().is_ok_and(|n| n != "content.xml") {
            xml_runs::scan(part, Format::Ods)?;
        }
    }
    let Ok(content) = zip.by_name("content.xml") else {
        // calamine names what is missing.
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(Runs::new(content)));
    let mut buf = Vec::new();
    let mut area = Area::new();
    // Cells of the sheet charged so far; the repeats of the cell being read (0 outside a
    // cell): calamine copies a repeated cell's text into every cell it stands for.
    let mut charged = 0;
    let mut cell_repeats = 0;
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_runs::xml_error(&e, Format::Ods))?;
        match event {
            Event::Start(e) if e.name().as_ref() == "table:table-row" => {
                area.row_repeats = repeated(&e, "table:number-rows-repeated");
                area.col = 0;
                area.row_filled = false;
            }
            Event::Empty(e) if e.name().as_ref() == "table:table-row" => {
                area.row_repeats = repeated(&e, "table:number-rows-repeated");
                area.row_filled = false;
                area.end_row();
            }
            // A cell with content (text, a value) counts as filled, also without a type.
            Event::Start(e) if is_cell(&e) => {
                cell_repeats = repeated(&e, "table:number-columns-repeated");
                area.cell(&e, true);
            }
            Event::End(e)
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                cell_repeats = 0;
            }
            Event::Text(t) if cell_repeats > 0 => {
                let copies = cell_repeats.saturating_mul(area.row_repeats);
                budget.charge(0, (t.len() as u64).saturating_mul(copies))?;
            }
            Event::Empty(e) if is_cell(&e) => {
                let filled = has(&e, "office:value-type") || has(&e, "table:formula");
                area.cell(&e, filled);
            }
            Event::End(e) if e.name().as_ref() == "table:table-row" => {
                area.end_row();
                // The area only grows within a sheet: charge what it grew by.
                let cells = area.cells();
                budget.charge(cells.saturating_sub(charged), 0)?;
                charged = cells;
            }
            Event::End(e) if e.name().as_ref() == "table:table" => {
                area = Area::new();
                charged = 0;
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}
