//! The shared strings of an XLSX, measured before calamine loads them.
//!
//! calamine reads the whole shared-strings part into memory when it opens a workbook
//! (every text of every sheet, used or not), and first reserves room for as many entries
//! as the part's `uniqueCount` claims: a 3 MB file under both zip-bomb rules can hold
//! hundreds of megabytes of text, and a 6 KB one can claim two billion entries, 48 GB
//! that abort the process when the allocator cannot reserve them. This streams every
//! shared-strings part once and charges its entries and text to the read's [`Budget`],
//! and reads every other part through [`xml_runs`] (one 250 MB text is 250 MB in
//! calamine's buffer). Must never hold the XML: it is read event by event and only
//! counters are kept.

use crate::budget::Budget;
use crate::xml_runs::{self, Runs};
use crate::{Format, ReadError};
use quick_xml::events::Event;
use std::io::{BufReader, Cursor};

/// Whether calamine could take the zip entry `name` for a workbook's shared strings (it
/// looks them up ignoring case and `\` for `/`, next to wherever the workbook part is).
fn is_shared_strings(name: &str) -> bool {
    let name = name.replace('\\', "/").to_ascii_lowercase();
    name == "sharedstrings.xml" || name.ends_with("/sharedstrings.xml")
}

/// Charges the entries and the text of an XLSX's shared strings to `budget`; refuses a
/// part with a run too long ([`xml_runs`]).
pub(crate) fn check(bytes: &[u8], budget: &mut Budget) -> Result<(), ReadError> {
    let corrupt = |detail: String| ReadError::Corrupt {
        format: Format::Xlsx,
        detail,
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("its zip directory is damaged: {e}")))?;
    for i in 0..zip.len() {
        let entry = zip
            .by_index(i)
            .map_err(|e| corrupt(format!("its zip archive is damaged: {e}")))?;
        if !entry.name().is_ok_and(|n| is_shared_strings(&n)) {
            // Any part may be one calamine reads (the relationships name them).
            xml_runs::scan(entry, Format::Xlsx)?;
            continue;
        }
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(Runs::new(entry)));
        // As lenient as calamine, which reads the part after this.
        xml.config_mut().check_end_names = false;
        let mut buf = Vec::new();
        loop {
            let event = xml
                .read_event_into(&mut buf)
                .map_err(|e| corrupt(format!("its shared strings are not well-formed XML: {e}")))?;
            match event {
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sst" => {
                    let claimed = e
                        .try_get_attribute("uniqueCount")
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.trim().parse().ok());
                    if claimed.is_some_and(|n: u64| !budget.fits_cells(n)) {
                        return Err(ReadError::TooManyCells {
                            max: budget.max_cells(),
                        });
                    }
                }
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "si" => {
                    budget.charge(1, 0)?;
                }
                Event::Text(t) => budget.charge(0, t.len() as u64)?,
                Event::CData(t) => budget.charge(0, t.len() as u64)?,
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_strings_wherever_calamine_finds_them() {
        assert!(is_shared_strings("xl/sharedStrings.xml"));
        assert!(is_shared_strings("other\\SHAREDSTRINGS.XML"));
        assert!(is_shared_strings("sharedStrings.xml"));
        assert!(!is_shared_strings("xl/notsharedStrings.xml"));
    }
}
