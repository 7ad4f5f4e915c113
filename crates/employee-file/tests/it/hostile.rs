//! Files that must be refused whole, with a clear reason and without a panic.

use crate::support::read;
use employee_file::{Format, Limits, ReadError};
use proptest::prelude::*;
use rust_xlsxwriter::Workbook;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

fn small_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in (0u16..).zip(["ImportId", "Email", "Firstname", "Lastname"]) {
        sheet.write_string(0, col, name).unwrap();
        sheet
            .write_string(1, col, ["1", "a@example.com", "A", "B"][usize::from(col)])
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// A zip with one entry of `size` zero bytes, deflated (a few KB per 10 MB).
fn zeros_zip(name: &str, size: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(
        name,
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size / chunk.len() {
        zip.write_all(&chunk).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn zip_bombs_are_refused_before_unpacking() {
    // One entry packed over 100:1 and over 10 MB: no spreadsheet XML packs that tightly.
    let bomb = zeros_zip("xl/worksheets/sheet1.xml", 16 << 20);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let err = read(&bomb, Format::Xlsx).unwrap_err();
    assert_eq!(
        err,
        ReadError::ZipBomb {
            max: Limits::default().max_uncompressed_bytes
        }
    );
    assert!(err.to_string().contains("zip bomb"), "{err}");

    // A normal workbook unpacking beyond the (lowered) total.
    let limits = Limits {
        max_uncompressed_bytes: 2_000,
        ..Limits::default()
    };
    let err = employee_file::read(&small_xlsx(), Format::Xlsx, None, &limits).unwrap_err();
    assert_eq!(err, ReadError::ZipBomb { max: 2_000 });
}

#[test]
fn password_protected_and_old_excel_files() {
    // Excel wraps an encrypted workbook in an OLE compound file, as .xls files are.
    let mut cfb = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    cfb.extend(std::iter::repeat_n(0u8, 4096));
    for format in [Format::Xlsx, Format::Ods, Format::Csv] {
        let err = read(&cfb, format).unwrap_err();
        assert_eq!(err, ReadError::PasswordProtected);
        assert!(
            err.to_string()
                .ends_with("save it as .xlsx without a password"),
            "{err}"
        );
    }
}

/// Refused as a damaged XLSX; the message for the admin.
fn corrupt_xlsx(bytes: &[u8]) -> String {
    let err = read(bytes, Format::Xlsx).unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::Corrupt {
                format: Format::Xlsx,
                ..
            }
        ),
        "{err:?}"
    );
    err.to_string()
}

#[test]
fn corrupt_workbooks() {
    let good = small_xlsx();
    // Cut short: the zip directory at the end is gone.
    corrupt_xlsx(&good[..good.len() / 2]);
    // Declared a workbook, but not a zip at all.
    corrupt_xlsx(b"ImportId,Email\n");
    // A zip, but no workbook inside.
    let message = corrupt_xlsx(&zeros_zip("readme.txt", 0));
    assert!(
        message.starts_with("the file is not a readable XLSX file"),
        "{message}"
    );
}

fn any_format() -> impl Strategy<Value = Format> {
    prop_oneof![Just(Format::Xlsx), Just(Format::Ods), Just(Format::Csv)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), format in any_format()) {
        let _ = read(&bytes, format);
    }

    #[test]
    fn damaged_workbooks_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = small_xlsx();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = read(&bytes, Format::Xlsx);
    }
}

/// An ODS as LibreOffice lays it out, with `rows` rows repeating one row of `cols` filled
/// cells, then LibreOffice's usual million empty rows.
fn repeating_ods(rows: u64, cols: u64) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated="{cols}" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("content.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.start_file("META-INF/manifest.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#)
        .unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn an_ods_that_unfolds_to_millions_of_cells() {
    // A kilobyte that calamine would expand to 98 million cells (gigabytes).
    let bomb = repeating_ods(6_000, 16_384);
    assert!(bomb.len() < 2_000);
    let err = read(&bomb, Format::Ods).unwrap_err();
    assert!(matches!(err, ReadError::NotATable(_)), "{err:?}");
    assert!(err.to_string().contains("save it as XLSX or CSV"), "{err}");

    // The same layout at a normal size is read (and found to lack the columns).
    let err = read(&repeating_ods(3, 4), Format::Ods).unwrap_err();
    assert!(matches!(err, ReadError::MissingColumns { .. }), "{err:?}");
}
