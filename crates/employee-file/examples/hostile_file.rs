//! Writes the hostile employee files of issue 20 for `scripts/bench-hostile`, which
//! measures the peak memory of refusing them:
//! `cargo run --release -p employee-file --example hostile_file -- KIND OUT`.
//!
//! Kinds:
//! - `ods-sheets`: an ODS of a one-person list and 8 more sheets, each 1,000 × 2,499
//!   repeated number cells (just under 2,500,000 a sheet, the whole workbook's budget,
//!   and under the 5,000,000 a sheet that was the limit), a kilobyte packed;
//! - `ods-sheet`: the list and one such sheet (within the budget: read);
//! - `ods-text`: the list and one such sheet of 20-character texts (50 MB of text, within
//!   the budget: read);
//! - `xlsx-strings`: an XLSX whose shared strings are 260,000 texts of 1,000 characters
//!   (260 MB unpacked, packed about 70:1, so under both zip-bomb rules), a few MB packed;
//! - `xlsx-string-count`: an XLSX whose shared strings claim 2,000,000,000 entries
//!   (`uniqueCount`), which calamine reserves room for before reading one;
//! - `xlsx-one-text`: an XLSX whose sheet has one cell of 250 MB of text (packed 70:1);
//! - `xlsx-errors`: an XLSX of 150,000 people, each with 20 attribute cells showing `#N/A`
//!   (3,000,000 errors to report);
//! - `csv-cells`: a 20 MB CSV of 200,000 rows × 50 one-letter attribute cells.

use std::error::Error;
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;

const NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0""#;

/// `sheets` sheets of 1,000 × 2,499 repeated cells (`cell`) after a one-person list.
fn ods(sheets: usize, cell: &str) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} office:version="1.2"><office:body><office:spreadsheet>"#
    );
    // A good list of people first: only the other sheets make the file hostile.
    content.push_str(r#"<table:table table:name="Personal">"#);
    for row in [
        ["ImportId", "Email", "Firstname", "Lastname"],
        ["1", "a@example.com", "A", "B"],
    ] {
        content.push_str("<table:table-row>");
        for v in row {
            content.push_str(&format!(
                r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#
            ));
        }
        content.push_str("</table:table-row>");
    }
    content.push_str("</table:table>");
    for i in 1..=sheets {
        content.push_str(&format!(
            r#"<table:table table:name="S{i}"><table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="2499" {cell}</table:table-cell></table:table-row></table:table>"#
        ));
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored)?;
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")?;
    zip.start_file("content.xml", SimpleFileOptions::default())?;
    zip.write_all(content.as_bytes())?;
    zip.start_file("META-INF/manifest.xml", SimpleFileOptions::default())?;
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#)?;
    Ok(zip.finish()?.into_inner())
}

const NUMBER: &str = r#"office:value-type="float" office:value="1"><text:p>1</text:p>"#;
const TEXT: &str = r#"office:value-type="string"><text:p>abcdefghijklmnopqrst</text:p>"#;

/// A one-person workbook by rust_xlsxwriter whose part `part` is rewritten by `rewrite`
/// (given the original, writes the new one).
fn xlsx_with(
    part: &str,
    rewrite: impl Fn(&str, &mut dyn Write) -> std::io::Result<()>,
) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, (name, value)) in (0u16..).zip([
        ("ImportId", "1"),
        ("Email", "a@example.com"),
        ("Firstname", "A"),
        ("Lastname", "B"),
    ]) {
        sheet.write_string(0, col, name)?;
        sheet.write_string(1, col, value)?;
    }
    for col in 4..ERROR_COLUMNS + 4 {
        sheet.write_string(0, col, format!("A{col}"))?;
    }
    let base = book.save_to_buffer()?;
    let mut from = zip::ZipArchive::new(Cursor::new(base))?;
    let mut to = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..from.len() {
        let mut entry = from.by_index(i)?;
        let name = entry.name()?.into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text)?;
        let options = SimpleFileOptions::default().large_file(true);
        to.start_file(name.as_str(), options)?;
        if name == part {
            rewrite(&text, &mut to)?;
        } else {
            to.write_all(text.as_bytes())?;
        }
    }
    Ok(to.finish()?.into_inner())
}

/// `n` texts of 1,000 characters that deflate about 70:1: a run of one letter and a few
/// varying ones, so a part of them stays under the zip guard's 100:1.
fn noisy_texts(n: usize) -> impl Iterator<Item = String> {
    let run = "x".repeat(984);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n).map(move |_| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        format!("{run}{seed:016x}")
    })
}

fn xlsx_strings() -> Result<Vec<u8>, Box<dyn Error>> {
    xlsx_with("xl/sharedStrings.xml", |original, out| {
        let head = original.trim_end().trim_end_matches("</sst>");
        out.write_all(head.as_bytes())?;
        for text in noisy_texts(260_000) {
            write!(out, "<si><t>{text}</t></si>")?;
        }
        out.write_all(b"</sst>")
    })
}

fn xlsx_one_text() -> Result<Vec<u8>, Box<dyn Error>> {
    xlsx_with("xl/worksheets/sheet1.xml", |original, out| {
        let (head, _) = original.split_once("</row>").unwrap_or((original, ""));
        out.write_all(head.as_bytes())?;
        out.write_all(b"</row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>")?;
        for text in noisy_texts(250_000) {
            out.write_all(text.as_bytes())?;
        }
        out.write_all(b"</t></is></c></row></sheetData></worksheet>")
    })
}

fn xlsx_string_count() -> Result<Vec<u8>, Box<dyn Error>> {
    xlsx_with("xl/sharedStrings.xml", |original, out| {
        let start = original.find("<sst").unwrap_or(0);
        let (head, tail) = original.split_at(start);
        out.write_all(head.as_bytes())?;
        out.write_all(br#"<sst uniqueCount="2000000000""#)?;
        out.write_all(tail.trim_start_matches("<sst").as_bytes())
    })
}

/// Attribute columns of `xlsx-errors`.
const ERROR_COLUMNS: u16 = 20;

fn xlsx_errors() -> Result<Vec<u8>, Box<dyn Error>> {
    xlsx_with("xl/worksheets/sheet1.xml", |original, out| {
        let (head, _) = original.split_once("<sheetData>").unwrap_or((original, ""));
        out.write_all(head.as_bytes())?;
        out.write_all(b"<sheetData><row r=\"1\">")?;
        // rust_xlsxwriter numbers the shared strings row by row: the header's names
        // (0-23), then the person's (24-27).
        for (col, sst) in (0..4 + ERROR_COLUMNS).enumerate() {
            write!(out, "<c r=\"{}1\" t=\"s\"><v>{sst}</v></c>", column(col))?;
        }
        out.write_all(b"</row>")?;
        for r in 2..=150_000 {
            write!(
                out,
                "<row r=\"{r}\"><c r=\"A{r}\"><v>{r}</v></c><c r=\"B{r}\" t=\"inlineStr\"><is><t>p{r}@x.example</t></is></c><c r=\"C{r}\" t=\"s\"><v>26</v></c><c r=\"D{r}\" t=\"s\"><v>27</v></c>"
            )?;
            for col in 4..4 + usize::from(ERROR_COLUMNS) {
                write!(out, "<c r=\"{}{r}\" t=\"e\"><v>#N/A</v></c>", column(col))?;
            }
            out.write_all(b"</row>")?;
        }
        out.write_all(b"</sheetData></worksheet>")
    })
}

/// The letters of column `i` (0: A), up to ZZ.
fn column(i: usize) -> String {
    let letter = |n: usize| char::from(b'A' + (n % 26) as u8);
    if i < 26 {
        letter(i).to_string()
    } else {
        format!("{}{}", letter(i / 26 - 1), letter(i))
    }
}

fn csv_cells() -> Vec<u8> {
    let mut out = b"ImportId,Email,Firstname,Lastname".to_vec();
    for c in 0..35 {
        write!(out, ",A{c}").ok();
    }
    out.push(b'\n');
    for i in 0..200_000 {
        write!(out, "{i},p{i}@x.example,F,L").ok();
        out.extend(std::iter::repeat_n(&b",a"[..], 35).flatten());
        out.push(b'\n');
    }
    out
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, kind, out] = args.as_slice() else {
        return Err("usage: hostile_file ods-sheets|ods-sheet|ods-text|xlsx-strings|xlsx-string-count|xlsx-one-text|xlsx-errors|csv-cells OUT".into());
    };
    let bytes = match kind.as_str() {
        "ods-sheets" => ods(8, NUMBER)?,
        "ods-sheet" => ods(1, NUMBER)?,
        "ods-text" => ods(1, TEXT)?,
        "xlsx-strings" => xlsx_strings()?,
        "xlsx-string-count" => xlsx_string_count()?,
        "xlsx-one-text" => xlsx_one_text()?,
        "xlsx-errors" => xlsx_errors()?,
        "csv-cells" => csv_cells(),
        other => return Err(format!("unknown kind {other}").into()),
    };
    std::fs::write(out, bytes)?;
    Ok(())
}
