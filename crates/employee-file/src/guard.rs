//! Checks before a workbook is opened: password-protected and old `.xls` files (both OLE
//! compound files), and zip bombs.
//!
//! Must never decompress anything: the zip's central directory (read with the `zip`
//! crate, which calamine uses anyway) says how large each entry unpacks, and the `zip`
//! reader refuses to unpack an entry beyond its declared size, so the sum checked here
//! bounds what calamine can inflate.

use crate::{Format, Limits, ReadError};
use std::io::Cursor;

/// The magic of an OLE compound file: an encrypted OOXML workbook (Excel wraps it so) or
/// a pre-2007 `.xls`.
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// An entry this much larger than it is packed is not spreadsheet XML (that packs 5-20×)…
const MAX_RATIO: u64 = 100;
/// …once it is large enough to matter.
const RATIO_FROM_BYTES: u64 = 10 * 1024 * 1024;
/// A workbook has a few dozen parts; thousands only make the directory itself expensive.
const MAX_ENTRIES: usize = 10_000;

pub(crate) fn is_cfb(bytes: &[u8]) -> bool {
    bytes.starts_with(CFB_MAGIC)
}

/// Refuses a workbook whose entries together unpack beyond
/// `limits.max_uncompressed_bytes`, or with one entry packed absurdly tightly.
pub(crate) fn check_zip(bytes: &[u8], format: Format, limits: &Limits) -> Result<(), ReadError> {
    let corrupt = |detail: String| ReadError::Corrupt { format, detail };
    let zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("its zip directory is damaged: {e}")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(corrupt(format!(
            "it has {} parts, a workbook has a few dozen",
            zip.len()
        )));
    }
    let bomb = ReadError::ZipBomb {
        max: limits.max_uncompressed_bytes,
    };
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_data(i)
            .map_err(|e| corrupt(format!("its zip directory is damaged: {e}")))?;
        if entry.encrypted() {
            return Err(ReadError::PasswordProtected);
        }
        let size = entry.size();
        total = total.saturating_add(size);
        if total > limits.max_uncompressed_bytes {
            return Err(bomb);
        }
        if size > RATIO_FROM_BYTES && size / entry.compressed_size().max(1) > MAX_RATIO {
            return Err(bomb);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfb_magic() {
        assert!(is_cfb(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"));
        assert!(!is_cfb(b"PK\x03\x04"));
        assert!(!is_cfb(b"\xD0\xCF"));
    }

    #[test]
    fn a_broken_zip_is_corrupt_not_a_panic() {
        let err = check_zip(b"PK\x03\x04 not really", Format::Xlsx, &Limits::default());
        assert!(
            matches!(
                err,
                Err(ReadError::Corrupt {
                    format: Format::Xlsx,
                    ..
                })
            ),
            "{err:?}"
        );
    }
}
