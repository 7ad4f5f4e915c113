//! The memory budget of one read: the cells and the text the reader holds at once, counted
//! across the whole workbook, not per sheet.
//!
//! calamine holds more than the sheet read: an ODS is unfolded whole (every sheet) when
//! it is opened, an XLSX's shared strings are loaded whole. The pre-scans (`ods_size`,
//! `xlsx_size`) charge that before calamine opens the file; `table::assemble` charges the
//! cells of every row it reads (all formats), which stay in the checked rows. Must never
//! be reset between sheets or parts: a budget per part is what let 8 sheets just under a
//! per-sheet limit take gigabytes.

use crate::{Limits, ReadError};

#[derive(Debug)]
pub(crate) struct Budget {
    cells: u64,
    text: u64,
    max_cells: u64,
    max_text: u64,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Self {
        Budget {
            cells: 0,
            text: 0,
            max_cells: limits.max_cells,
            max_text: limits.max_text_bytes,
        }
    }

    /// Counts `cells` more cells with a value and `text` more bytes of text; refuses the
    /// file once either total is beyond its limit.
    pub(crate) fn charge(&mut self, cells: u64, text: u64) -> Result<(), ReadError> {
        self.cells = self.cells.saturating_add(cells);
        self.text = self.text.saturating_add(text);
        if self.cells > self.max_cells {
            return Err(ReadError::TooManyCells {
                max: self.max_cells,
            });
        }
        if self.text > self.max_text {
            return Err(ReadError::TooMuchText { max: self.max_text });
        }
        Ok(())
    }

    /// Whether `cells` more would still fit (without counting them).
    pub(crate) fn fits_cells(&self, cells: u64) -> bool {
        self.cells.saturating_add(cells) <= self.max_cells
    }

    pub(crate) fn max_cells(&self) -> u64 {
        self.max_cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_totals_add_up_across_charges() {
        let limits = Limits {
            max_cells: 10,
            max_text_bytes: 100,
            ..Limits::default()
        };
        let mut budget = Budget::new(&limits);
        budget.charge(6, 60).unwrap();
        assert_eq!(
            budget.charge(5, 0).unwrap_err(),
            ReadError::TooManyCells { max: 10 }
        );
        let mut budget = Budget::new(&limits);
        budget.charge(1, 60).unwrap();
        assert_eq!(
            budget.charge(1, 41).unwrap_err(),
            ReadError::TooMuchText { max: 100 }
        );
    }
}
