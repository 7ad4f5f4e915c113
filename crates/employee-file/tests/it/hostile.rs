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

const ODS_NAMESPACES: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0""#;

/// An ODS whose sheets are the given `<table:table>` elements.
fn ods(tables: &[String]) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content {ODS_NAMESPACES} office:version="1.2"><office:body><office:spreadsheet>{}</office:spreadsheet></office:body></office:document-content>"#,
        tables.concat()
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

/// A sheet as LibreOffice lays it out, with `rows` rows repeating one row of `cols` filled
/// cells, then LibreOffice's usual million empty rows.
fn repeating_sheet(name: &str, rows: u64, cols: u64) -> String {
    format!(
        r#"<table:table table:name="{name}"><table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated="{cols}" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#
    )
}

fn repeating_ods(rows: u64, cols: u64) -> Vec<u8> {
    ods(&[repeating_sheet("S", rows, cols)])
}

/// A sheet with the required columns and one person.
fn one_person_sheet() -> String {
    let cell = |v: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#
        )
    };
    let row = |vs: [&str; 4]| {
        format!(
            "<table:table-row>{}</table:table-row>",
            vs.map(cell).concat()
        )
    };
    format!(
        r#"<table:table table:name="Personal">{}{}</table:table>"#,
        row(["ImportId", "Email", "Firstname", "Lastname"]),
        row(["1", "a@example.com", "A", "B"])
    )
}

#[test]
fn an_ods_that_unfolds_to_millions_of_cells() {
    // A kilobyte that calamine would expand to 98 million cells (gigabytes).
    let bomb = repeating_ods(6_000, 16_384);
    assert!(bomb.len() < 2_000);
    let err = read(&bomb, Format::Ods).unwrap_err();
    // Its first row's text, copied into every cell, is over the budget before its cells.
    assert_eq!(
        err,
        ReadError::TooMuchText {
            max: Limits::default().max_text_bytes
        }
    );

    // The same layout at a normal size is read (and found to lack the columns).
    let err = read(&repeating_ods(3, 4), Format::Ods).unwrap_err();
    assert!(matches!(err, ReadError::MissingColumns { .. }), "{err:?}");
}

#[test]
fn the_cell_budget_is_for_the_whole_workbook_not_a_sheet() {
    // Issue 20: calamine unfolds every sheet of an ODS, also those not read. A good list
    // of people, then 8 sheets each under the budget: together 20 million cells, gigabytes.
    let max = Limits::default().max_cells;
    let (rows, cols) = (1_000, 2_499);
    assert!(rows * cols < max);
    let mut sheets = vec![one_person_sheet()];
    sheets.extend((1..=8).map(|i| repeating_sheet(&format!("S{i}"), rows, cols)));
    let file = ods(&sheets);
    assert!(file.len() < 3_000, "{}", file.len());
    let err = read(&file, Format::Ods).unwrap_err();
    assert_eq!(err, ReadError::TooManyCells { max });
    assert!(
        err.to_string()
            .starts_with("the file has more than 2500000 cells with values (all its sheets"),
        "{err}"
    );

    // The list of people with one such sheet beside it is read.
    let file = ods(&[one_person_sheet(), repeating_sheet("S1", rows, cols)]);
    assert_eq!(read(&file, Format::Ods).unwrap().rows.len(), 1);
}

#[test]
fn ods_text_counts_every_repeated_copy() {
    // One 1,000-character text repeated into 100,000 cells is 100 MB once unfolded.
    let text = "x".repeat(1_000);
    let sheet = format!(
        r#"<table:table table:name="T"><table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="100" office:value-type="string"><text:p>{text}</text:p></table:table-cell></table:table-row></table:table>"#
    );
    let err = read(&ods(&[one_person_sheet(), sheet]), Format::Ods).unwrap_err();
    assert_eq!(
        err,
        ReadError::TooMuchText {
            max: Limits::default().max_text_bytes
        }
    );
}

/// `xlsx` with its part `name` replaced by what `new` makes of it.
fn with_part(xlsx: Vec<u8>, name: &str, new: impl Fn(&str) -> String) -> Vec<u8> {
    let mut from = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut to = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..from.len() {
        let mut entry = from.by_index(i).unwrap();
        let entry_name = entry.name().unwrap().into_owned();
        let mut part = String::new();
        std::io::Read::read_to_string(&mut entry, &mut part).unwrap();
        if entry_name == name {
            part = new(&part);
        }
        to.start_file(entry_name.as_str(), SimpleFileOptions::default())
            .unwrap();
        to.write_all(part.as_bytes()).unwrap();
    }
    to.finish().unwrap().into_inner()
}

/// `small_xlsx()` with its shared strings part replaced by `sst`.
fn xlsx_with_shared_strings(sst: &str) -> Vec<u8> {
    with_part(small_xlsx(), "xl/sharedStrings.xml", |_| sst.to_owned())
}

const SST_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;
/// `small_xlsx()`'s own texts, in its order (row by row).
const SST_OWN: &str = "<si><t>ImportId</t></si><si><t>Email</t></si><si><t>Firstname</t></si><si><t>Lastname</t></si><si><t>1</t></si><si><t>a@example.com</t></si><si><t>A</t></si><si><t>B</t></si>";

#[test]
fn shared_strings_are_measured_before_calamine_loads_them() {
    // The rewritten workbook reads as before.
    let same = xlsx_with_shared_strings(&format!("{SST_HEAD}>{SST_OWN}</sst>"));
    assert_eq!(read(&same, Format::Xlsx).unwrap().rows.len(), 1);

    // Issue 20: texts nobody uses are loaded whole (hundreds of MB from a 3 MB file).
    let long = format!("<si><t>{}</t></si>", "x".repeat(1_000));
    let sst = format!("{SST_HEAD}>{SST_OWN}{}</sst>", long.repeat(2_000));
    let limits = Limits {
        max_text_bytes: 1_000_000,
        ..Limits::default()
    };
    let file = xlsx_with_shared_strings(&sst);
    let err = employee_file::read(&file, Format::Xlsx, None, &limits).unwrap_err();
    assert_eq!(err, ReadError::TooMuchText { max: 1_000_000 });
    assert!(err.to_string().contains("bytes of text"), "{err}");

    // Each entry counts as a cell.
    let sst = format!(
        "{SST_HEAD}>{SST_OWN}{}</sst>",
        "<si><t>x</t></si>".repeat(2_000)
    );
    let limits = Limits {
        max_cells: 1_000,
        ..Limits::default()
    };
    let file = xlsx_with_shared_strings(&sst);
    let err = employee_file::read(&file, Format::Xlsx, None, &limits).unwrap_err();
    assert_eq!(err, ReadError::TooManyCells { max: 1_000 });
}

#[test]
fn a_claimed_count_of_shared_strings_is_not_trusted() {
    // calamine reserves room for `uniqueCount` entries before reading one: 48 GB here,
    // an allocation failure that aborts the whole process, not a panic.
    let sst = format!(r#"{SST_HEAD} uniqueCount="2000000000">{SST_OWN}</sst>"#);
    let file = xlsx_with_shared_strings(&sst);
    assert!(file.len() < 10_000);
    let err = read(&file, Format::Xlsx).unwrap_err();
    assert_eq!(
        err,
        ReadError::TooManyCells {
            max: Limits::default().max_cells
        }
    );
}

#[test]
fn the_rows_read_share_the_budget() {
    // 30 people × 4 cells: within 200 cells, not within 100.
    let mut csv = String::from("ImportId,Email,Firstname,Lastname\n");
    for i in 0..30 {
        csv.push_str(&format!("{i},p{i}@example.com,F,L\n"));
    }
    let with = |max_cells| Limits {
        max_cells,
        ..Limits::default()
    };
    assert!(employee_file::read(csv.as_bytes(), Format::Csv, None, &with(200)).is_ok());
    let err = employee_file::read(csv.as_bytes(), Format::Csv, None, &with(100)).unwrap_err();
    assert_eq!(err, ReadError::TooManyCells { max: 100 });

    // A row's errors are kept, and cost more than its cells: 10 people with a bad email.
    let mut csv = String::from("ImportId,Email,Firstname,Lastname\n");
    for i in 0..10 {
        csv.push_str(&format!("{i},not an address,F,L\n"));
    }
    let err = employee_file::read(csv.as_bytes(), Format::Csv, None, &with(60)).unwrap_err();
    assert_eq!(err, ReadError::TooManyCells { max: 60 });
}

#[test]
fn one_huge_text_is_refused_before_it_is_read_whole() {
    // An XML reader holds a whole text at once: 250 MB packs into 3 MB under the zip
    // guard's ratio. Refused at a run of 1 MiB without markup, in any part.
    let text = "x".repeat(2 << 20);
    let sheet = format!(
        r#"<table:table table:name="T"><table:table-row><table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell></table:table-row></table:table>"#
    );
    let err = read(&ods(&[one_person_sheet(), sheet]), Format::Ods).unwrap_err();
    assert!(
        matches!(
            err,
            ReadError::Corrupt {
                format: Format::Ods,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("longer than 1048576 bytes"),
        "{err}"
    );

    let sst = format!("{SST_HEAD}>{SST_OWN}<si><t>{text}</t></si></sst>");
    let err = read(&xlsx_with_shared_strings(&sst), Format::Xlsx).unwrap_err();
    assert!(
        err.to_string().contains("longer than 1048576 bytes"),
        "{err}"
    );

    // In the sheet itself, where no budget sees it before calamine has read it.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in (0u16..).zip(["ImportId", "Email", "Firstname", "Lastname"]) {
        sheet.write_string(0, col, name).unwrap();
    }
    // rust_xlsxwriter refuses strings over Excel's 32,767 characters: the text goes in by
    // rewriting the sheet.
    let cell = format!(r#"<row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row>"#);
    let file = with_part(
        book.save_to_buffer().unwrap(),
        "xl/worksheets/sheet1.xml",
        |part| part.replace("</sheetData>", &format!("{cell}</sheetData>")),
    );
    let err = read(&file, Format::Xlsx).unwrap_err();
    assert!(
        err.to_string().contains("longer than 1048576 bytes"),
        "{err}"
    );
}
