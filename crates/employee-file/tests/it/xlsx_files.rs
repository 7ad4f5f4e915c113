//! XLSX written by rust_xlsxwriter, as Excel keeps them: numbers, date cells, formulas
//! with cached results, several sheets.

use crate::support::{errors, ids, read};
use employee_file::{Format, Limits, ReadError, TableProblem};
use rust_xlsxwriter::{
    ExcelDateTime, Format as CellFormat, Formula, Workbook, Worksheet, XlsxError,
};
use time::macros::date;

/// A workbook whose sheets `fill` writes.
fn workbook(fill: impl FnOnce(&mut Workbook) -> Result<(), XlsxError>) -> Vec<u8> {
    let mut book = Workbook::new();
    fill(&mut book).unwrap();
    book.save_to_buffer().unwrap()
}

fn strings(sheet: &mut Worksheet, row: u32, values: &[&str]) -> Result<(), XlsxError> {
    for (col, v) in (0u16..).zip(values) {
        if !v.is_empty() {
            sheet.write_string(row, col, *v)?;
        }
    }
    Ok(())
}

#[test]
fn cells_as_excel_keeps_them_on_a_sheet_chosen_by_name() {
    let bytes = workbook(|book| {
        let info = book.add_worksheet().set_name("Hinweise")?;
        info.write_string(0, 0, "Bitte das Blatt Mitarbeiter ausfüllen")?;
        let sheet = book.add_worksheet().set_name("Mitarbeiter")?;
        let date = CellFormat::new().set_num_format("dd.mm.yyyy");
        strings(
            sheet,
            0,
            &[
                "Personalnummer",
                "E-Mail",
                "Vorname",
                "Nachname",
                "Vorgesetzter-ID",
                "Eintrittsdatum",
                "Austrittsdatum",
                "Team",
                "Ebene",
            ],
        )?;
        // ImportIds typed as numbers, a real date cell, a formula with its cached result.
        sheet.write_number(1, 0, 1001)?;
        strings(sheet, 1, &["", "chefin@example.com", "Clara", "Chef"])?;
        sheet.write_date_with_format(1, 5, &ExcelDateTime::from_ymd(2020, 1, 15)?, &date)?;
        sheet.write_number(1, 8, 2.5)?;

        sheet.write_number(2, 0, 1002)?;
        sheet.write_formula(
            2,
            1,
            Formula::new("=LOWER(\"Ben@Example.com\")").set_result("ben@example.com"),
        )?;
        strings(sheet, 2, &["", "", "Ben", "Bauer"])?;
        sheet.write_number(2, 4, 1001)?;
        // A serial without a date format, and a typed German date.
        sheet.write_number(2, 5, 46082)?;
        sheet.write_string(2, 6, "31.12.2026")?;
        sheet.write_formula(2, 7, Formula::new("=\"Nord\"&\"-\"&1").set_result("Nord-1"))?;

        // A formula whose cached result is an error: that row is named, not guessed.
        sheet.write_string(3, 0, "A-7")?;
        sheet.write_formula(
            3,
            1,
            Formula::new("=VLOOKUP(1,Z1:Z2,2,FALSE)").set_result("#N/A"),
        )?;
        strings(sheet, 3, &["", "", "Eva", "Fehler"])?;
        Ok(())
    });

    let file = employee_file::read(
        &bytes,
        Format::Xlsx,
        Some("Mitarbeiter"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(ids(&file), vec![(2, "1001"), (3, "1002")]);
    assert_eq!(
        errors(&file),
        vec![(
            4,
            "E-Mail",
            "the cell shows the error #N/A instead of a value"
        )]
    );
    let (clara, ben) = (&file.rows[0], &file.rows[1]);
    assert_eq!(clara.hire_date, Some(date!(2020 - 01 - 15)));
    assert_eq!(clara.attributes, vec![("Ebene".into(), "2.5".to_owned())]);
    assert_eq!(ben.email.as_str(), "ben@example.com");
    assert_eq!(ben.reports_to.as_ref().map(|r| r.as_str()), Some("1001"));
    assert_eq!(ben.hire_date, Some(date!(2026 - 03 - 01)));
    assert_eq!(ben.termination_date, Some(date!(2026 - 12 - 31)));
    assert_eq!(ben.team.as_deref(), Some("Nord-1"));
    assert_eq!(&*file.columns.attributes, &["Ebene".into()]);

    // The first sheet by default: the notes sheet is no table of people.
    let err = read(&bytes, Format::Xlsx).unwrap_err();
    assert!(matches!(err, ReadError::MissingColumns { .. }), "{err:?}");
    let err = employee_file::read(&bytes, Format::Xlsx, Some("Personal"), &Limits::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the workbook has no sheet named \"Personal\"; its sheets are: \"Hinweise\", \"Mitarbeiter\""
    );
}

#[test]
fn sheets_that_are_not_tables() {
    let empty = workbook(|book| {
        book.add_worksheet().set_name("Leer")?;
        Ok(())
    });
    assert_eq!(
        read(&empty, Format::Xlsx),
        Err(ReadError::NotATable(TableProblem::SheetEmpty {
            sheet: "Leer".into()
        }))
    );

    let title_first = workbook(|book| {
        let sheet = book.add_worksheet();
        strings(sheet, 2, &["ImportId", "Email", "Firstname", "Lastname"])?;
        Ok(())
    });
    let err = read(&title_first, Format::Xlsx).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("row 1 is empty: the first row must name the columns"),
        "{err}"
    );

    let unnamed = workbook(|book| {
        let sheet = book.add_worksheet();
        strings(
            sheet,
            0,
            &["ImportId", "Email", "Firstname", "Lastname", "", "Team"],
        )?;
        strings(sheet, 1, &["1", "a@example.com", "A", "B", "x", "T"])?;
        Ok(())
    });
    let err = read(&unnamed, Format::Xlsx).unwrap_err();
    assert!(matches!(err, ReadError::UnnamedColumn { .. }), "{err:?}");
    assert!(err.to_string().starts_with("column E has values"), "{err}");
    assert!(err.german().starts_with("Spalte E hat Werte"), "{err}");
}

#[test]
fn the_bytes_decide_over_the_declared_format() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet();
        strings(sheet, 0, &["ImportId", "Email", "Firstname", "Lastname"])?;
        strings(sheet, 1, &["1", "a@example.com", "A", "B"])?;
        Ok(())
    });
    assert_eq!(Format::sniff(&bytes), Format::Xlsx);
    for declared in [Format::Csv, Format::Ods, Format::Xlsx] {
        assert_eq!(
            ids(&read(&bytes, declared).unwrap()),
            vec![(2, "1")],
            "{declared:?}"
        );
    }
}
