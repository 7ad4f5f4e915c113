//! Any table of valid people, written by the csv crate or rust_xlsxwriter, reads back as
//! the same people in the same rows.

use employee_file::{FileRow, Format, Limits};
use proptest::prelude::*;
use rust_xlsxwriter::Workbook;
use std::collections::BTreeSet;

/// One person as written: ImportId, e-mail, first and last name, department, ReportsToId.
#[derive(Debug, Clone, PartialEq)]
struct Person {
    id: String,
    email: String,
    first: String,
    last: String,
    department: Option<String>,
    boss: Option<String>,
}

const HEADER: [&str; 6] = [
    "ImportId",
    "E-Mail",
    "Vorname",
    "Nachname",
    "Abteilung",
    "Vorgesetzter-ID",
];

impl Person {
    fn cells(&self) -> [&str; 6] {
        [
            &self.id,
            &self.email,
            &self.first,
            &self.last,
            self.department.as_deref().unwrap_or(""),
            self.boss.as_deref().unwrap_or(""),
        ]
    }

    fn from_row(r: &FileRow) -> Person {
        Person {
            id: r.import_id.as_str().to_owned(),
            email: r.email.as_str().to_owned(),
            first: r.first_name.clone(),
            last: r.last_name.clone(),
            department: r.department.clone(),
            boss: r.reports_to.as_ref().map(|b| b.as_str().to_owned()),
        }
    }
}

/// Text as people write it: umlauts, accents, the CSV's own delimiters and quotes, line
/// breaks inside; no whitespace at either end (the reader trims it).
fn text() -> impl Strategy<Value = String> {
    "[a-zA-ZäöüÄÖÜßéçøł0-9 ;,\"'\n-]{1,40}"
        .prop_map(|s| s.trim().to_owned())
        .prop_filter("non-empty", |s| !s.is_empty())
}

fn people() -> impl Strategy<Value = Vec<Person>> {
    let ids = proptest::collection::btree_set("[A-Za-z0-9-]{1,12}", 1..20);
    ids.prop_flat_map(|ids: BTreeSet<String>| {
        let ids: Vec<String> = ids.into_iter().collect();
        let n = ids.len();
        let rows = proptest::collection::vec(
            (
                "[a-z0-9.]{1,10}@[a-z]{1,8}\\.(de|com)",
                text(),
                text(),
                proptest::option::of(text()),
                proptest::option::of(any::<prop::sample::Index>()),
            ),
            n,
        );
        (Just(ids), rows)
    })
    .prop_map(|(ids, rows)| {
        ids.iter()
            .zip(rows)
            .map(|(id, (email, first, last, department, boss))| Person {
                id: id.clone(),
                email: email
                    .trim_start_matches('.')
                    .replace("..", ".")
                    .replacen('@', "x@", 1),
                first,
                last,
                department,
                // Anyone of the file but oneself.
                boss: boss
                    .map(|i| ids[i.index(ids.len())].clone())
                    .filter(|b| b != id),
            })
            .collect()
    })
}

fn csv_bytes(people: &[Person], delimiter: u8) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    out.write_record(HEADER).unwrap();
    for p in people {
        out.write_record(p.cells()).unwrap();
    }
    out.into_inner().unwrap()
}

fn xlsx_bytes(people: &[Person]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (row, cells) in
        (0u32..).zip(std::iter::once(HEADER).chain(people.iter().map(Person::cells)))
    {
        for (col, value) in (0u16..).zip(cells) {
            if !value.is_empty() {
                sheet.write_string(row, col, value).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn read_back(bytes: &[u8], format: Format) -> Vec<(usize, Person)> {
    let file = employee_file::read(bytes, format, None, &Limits::default()).unwrap();
    assert_eq!(file.errors, vec![]);
    file.rows
        .iter()
        .map(|r| (r.row, Person::from_row(r)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn csv_round_trips(people in people(), semicolon in any::<bool>()) {
        let bytes = csv_bytes(&people, if semicolon { b';' } else { b',' });
        let expected: Vec<(usize, Person)> = (2..).zip(people).collect();
        prop_assert_eq!(read_back(&bytes, Format::Csv), expected);
    }

    #[test]
    fn xlsx_round_trips(people in people()) {
        let bytes = xlsx_bytes(&people);
        let expected: Vec<(usize, Person)> = (2..).zip(people).collect();
        prop_assert_eq!(read_back(&bytes, Format::Xlsx), expected);
    }
}
