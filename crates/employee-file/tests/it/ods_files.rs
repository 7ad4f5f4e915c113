//! ODS written by spreadsheet-ods (not ours), and by LibreOffice where it is installed.

use crate::support::{errors, ids, read};
use chrono::NaiveDate;
use employee_file::{Format, Limits};
use spreadsheet_ods::{Sheet, WorkBook};
use time::macros::date;

fn ods(sheets: Vec<Sheet>) -> Vec<u8> {
    let mut book = WorkBook::new_empty();
    for sheet in sheets {
        book.push_sheet(sheet);
    }
    spreadsheet_ods::write_ods_buf(&mut book, Vec::new()).unwrap()
}

#[test]
fn an_ods_with_dates_and_numbers() {
    let mut notes = Sheet::new("Notizen");
    notes.set_value(0, 0, "nichts hier");
    let mut people = Sheet::new("Personal");
    for (col, name) in (0u32..).zip([
        "Personalnummer",
        "E-Mail",
        "Vorname",
        "Nachname",
        "Eintrittsdatum",
        "Sprache",
        "Standort",
    ]) {
        people.set_value(0, col, name);
    }
    people.set_value(1, 0, 7.0);
    people.set_value(1, 1, "zoe@example.com");
    people.set_value(1, 2, "Zoë");
    people.set_value(1, 3, "Zürn");
    people.set_value(1, 4, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    people.set_value(1, 5, "DE");
    // Row 3 blank; row 4 a bad date typed as text, the office left out.
    people.set_value(3, 0, "8");
    people.set_value(3, 1, "yan@example.com");
    people.set_value(3, 2, "Yan");
    people.set_value(3, 3, "Yu");
    people.set_value(3, 4, "2026-02-30");
    let bytes = ods(vec![notes, people]);

    assert_eq!(Format::sniff(&bytes), Format::Ods);
    let file =
        employee_file::read(&bytes, Format::Ods, Some("Personal"), &Limits::default()).unwrap();
    assert_eq!(ids(&file), vec![(2, "7")]);
    let zoe = &file.rows[0];
    assert_eq!(
        (zoe.first_name.as_str(), zoe.last_name.as_str()),
        ("Zoë", "Zürn")
    );
    assert_eq!(zoe.hire_date, Some(date!(2026 - 03 - 01)));
    assert_eq!(zoe.language.as_deref(), Some("de"));
    assert_eq!(zoe.office, None);
    assert!(file.columns.office);
    assert_eq!(
        errors(&file),
        vec![(
            4,
            "Eintrittsdatum",
            "\"2026-02-30\" is not a date (write it as 2026-03-01 or 01.03.2026)"
        )]
    );
}

#[test]
fn an_ods_whose_first_row_is_empty_is_not_a_table() {
    let mut sheet = Sheet::new("Tabelle1");
    for (col, name) in (1u32..).zip(["ImportId", "Email", "Firstname", "Lastname"]) {
        sheet.set_value(1, col, name);
    }
    let err = read(&ods(vec![sheet]), Format::Ods).unwrap_err();
    assert!(
        err.to_string()
            .contains("but the first values are in row 2"),
        "{err}"
    );
}

/// LibreOffice's own ODS and XLSX, converted from a CSV. Needs `soffice` on the PATH;
/// `scripts/test` leaves it out by name where there is none (CI has none).
#[test]
fn libreoffice_conversions() {
    let soffice = ["soffice", "libreoffice"]
        .into_iter()
        .find(|bin| {
            std::process::Command::new(bin)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("this test needs LibreOffice (soffice on the PATH); scripts/test skips it without");
    let dir = std::env::temp_dir().join(format!("employee-file-soffice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("people.csv");
    std::fs::write(
        &csv,
        "ImportId,Email,Firstname,Lastname,HireDate\n1001,a@example.com,Änne,Ölmann,2026-03-01\n",
    )
    .unwrap();
    for (ext, format) in [("ods", Format::Ods), ("xlsx", Format::Xlsx)] {
        let status = std::process::Command::new(soffice)
            // Comma-separated, double quotes, UTF-8 (76), from line 1.
            .args([
                "--headless",
                "--infilter=CSV:44,34,76,1",
                "--convert-to",
                ext,
                "--outdir",
            ])
            .arg(&dir)
            .arg(&csv)
            .status()
            .unwrap();
        assert!(status.success());
        let bytes = std::fs::read(dir.join(format!("people.{ext}"))).unwrap();
        let file = read(&bytes, format).unwrap();
        assert_eq!(ids(&file), vec![(2, "1001")], "{ext}");
        assert_eq!(file.rows[0].first_name, "Änne");
        assert_eq!(file.rows[0].hire_date, Some(date!(2026 - 03 - 01)), "{ext}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
