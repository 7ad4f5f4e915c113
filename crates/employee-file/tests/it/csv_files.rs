//! CSV as German Excel and as Honestly's automated export write it.

use crate::support::{errors, ids, read};
use employee_file::{Format, Limits, ReadError};
use staffsync_core::EmploymentStatus;
use time::macros::date;

#[test]
fn windows_1252_semicolons_with_umlauts() {
    let text = "Personalnummer;E-Mail;Vorname;Nachname;Abteilung;Standort;Eintrittsdatum;Status;Kostenstelle\r\n\
                1001;joerg.mueller@example.com;Jörg;Müller;Vertrieb;Düsseldorf;01.03.2026;aktiv;Straße 5\r\n\
                1002;anna@example.com;Anna;Weiß;Einkauf;München;2025-10-01;Elternzeit;\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test file must not be UTF-8"
    );
    let file = read(&bytes, Format::Csv).unwrap();
    assert_eq!(file.errors, vec![]);
    assert_eq!(ids(&file), vec![(2, "1001"), (3, "1002")]);
    let jorg = &file.rows[0];
    assert_eq!(
        (jorg.first_name.as_str(), jorg.last_name.as_str()),
        ("Jörg", "Müller")
    );
    assert_eq!(jorg.office.as_deref(), Some("Düsseldorf"));
    assert_eq!(jorg.hire_date, Some(date!(2026 - 03 - 01)));
    assert_eq!(jorg.status, Some(EmploymentStatus::Active));
    assert_eq!(
        jorg.attributes,
        vec![("Kostenstelle".into(), "Straße 5".to_owned())]
    );
    assert_eq!(file.rows[1].status, Some(EmploymentStatus::Leave));
    assert!(file.rows[1].attributes.is_empty());
    assert!(file.columns.department && file.columns.office && file.columns.hire_date);
    assert!(!file.columns.team && !file.columns.reports_to);
}

#[test]
fn utf8_bom_with_a_line_break_inside_a_quoted_cell() {
    let text = "\u{feff}ImportId,Email,Firstname,Lastname,Position\n\
                1,a@example.com,Anna,\"Schmidt\",\"Head of\nSales, \"\"EMEA\"\"\"\n\
                2,b@example.com,Ben,Berg,\n\
                \n\
                3,not-an-address,Cem,Çelik,\n";
    let file = read(text.as_bytes(), Format::Csv).unwrap();
    assert_eq!(ids(&file), vec![(2, "1"), (3, "2")]);
    assert_eq!(
        file.rows[0].position.as_deref(),
        Some("Head of\nSales, \"EMEA\"")
    );
    // Row 4 is the blank line, as Excel shows the file; the break inside row 2's cell is
    // no row of its own.
    assert_eq!(
        errors(&file),
        vec![(
            5,
            "Email",
            "\"not-an-address\" is not a valid e-mail address"
        )]
    );
    assert_eq!(file.errors[0].import_id.as_deref(), Some("3"));
}

#[test]
fn bad_rows_are_named_and_the_rest_is_read() {
    let long = "x".repeat(101);
    let text = format!(
        "ImportId;Email;Firstname;Lastname;ReportsToId;HireDate;Team\n\
         1;boss@example.com;Bea;Boss;;;\n\
         2;;Karl;Kein;1;;\n\
         3;kaputt@;Kim;Kaputt;1;;\n\
         4;dup1@example.com;Dora;Doppelt;1;;\n\
         4;dup2@example.com;Dirk;Doppelt;1;;\n\
         5;e@example.com;Emil;Ende;99;;\n\
         6;f@example.com;Fritz;Lang;1;;{long}\n\
         7;g@example.com;Gina;Datum;1;31.02.2026;\n\
         8;h@example.com;Hans;Selbst;8;;\n\
         9;i@example.com;Ida;Gut;4;2026-01-15;\n"
    );
    let file = read(text.as_bytes(), Format::Csv).unwrap();
    // Emil (row 7) names a manager nobody in the file is: he is read, without one.
    assert_eq!(ids(&file), vec![(2, "1"), (7, "5"), (11, "9")]);
    assert_eq!(file.rows[1].reports_to, None);
    let warnings: Vec<(usize, &str, String)> = file
        .warnings
        .iter()
        .map(|w| (w.row, w.column.as_str(), w.message.clone()))
        .collect();
    assert_eq!(
        warnings,
        vec![(
            7,
            "ReportsToId",
            "ReportsToId \"99\" names nobody in this file; the row is imported without a manager"
                .to_owned()
        )]
    );
    assert_eq!(file.warnings[0].import_id.as_deref(), Some("5"));
    let dup = "ImportId \"4\" appears in rows 5 and 6: each person needs their own ImportId";
    assert_eq!(
        errors(&file),
        vec![
            (3, "Email", "Email is empty"),
            (4, "Email", "\"kaputt@\" is not a valid e-mail address"),
            (5, "ImportId", dup),
            (6, "ImportId", dup),
            (
                8,
                "Team",
                "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\" is 101 characters long; at most 100 are allowed"
            ),
            (
                9,
                "HireDate",
                "\"31.02.2026\" is not a date (write it as 2026-03-01 or 01.03.2026)"
            ),
            (
                10,
                "ReportsToId",
                "ReportsToId \"8\" is the person's own ImportId"
            ),
        ]
    );
    // Both duplicates keep their ImportId: the person is protected from removal.
    assert!(file.errors.iter().all(|e| e.import_id.is_some()));
    // Ida reports to ImportId 4: a person of this file, though their rows are refused.
    assert_eq!(
        file.rows[2].reports_to.as_ref().map(|r| r.as_str()),
        Some("4")
    );
}

#[test]
fn whole_file_refusals() {
    assert_eq!(read(b"", Format::Csv), Err(ReadError::Empty));
    assert_eq!(
        read(b"\xEF\xBB\xBF \r\n\r\n", Format::Csv),
        Err(ReadError::Empty)
    );
    let err = read(b"Name,Mail\nAnna,a@example.com\n", Format::Csv).unwrap_err();
    assert!(
        matches!(err, ReadError::MissingColumns { ref missing } if missing.len() == 4),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("the file has no column ImportId (also accepted: Personalnummer")
    );

    // The header alone is a file of nobody, not an error: the planner's guard decides.
    let file = read(b"ImportId,Email,Firstname,Lastname\r\n", Format::Csv).unwrap();
    assert!(file.rows.is_empty() && file.errors.is_empty());

    let unnamed = read(
        b"ImportId,Email,Firstname,Lastname,,Team\n1,a@example.com,A,B,x,\n",
        Format::Csv,
    );
    assert_eq!(
        unnamed.map_err(|e| e.to_string()),
        Err(
            "column 5 has values but no name in the header row (row 1): name it or delete it"
                .into()
        )
    );
    // Empty trailing columns (Excel's `;;;`) are nothing.
    let file = read(
        b"ImportId;Email;Firstname;Lastname;;;\n1;a@example.com;A;B;;;\n",
        Format::Csv,
    )
    .unwrap();
    assert_eq!(ids(&file), vec![(2, "1")]);
}

#[test]
fn too_many_rows_and_too_many_bytes() {
    let mut text = String::from("ImportId,Email,Firstname,Lastname\n");
    for i in 0..4 {
        text.push_str(&format!("{i},p{i}@example.com,P,{i}\n\n"));
    }
    let limits = Limits {
        max_rows: 3,
        ..Limits::default()
    };
    let read_with =
        |limits: &Limits| employee_file::read(text.as_bytes(), Format::Csv, None, limits);
    assert_eq!(read_with(&limits), Err(ReadError::TooManyRows { max: 3 }));
    // Blank lines are no people: exactly the limit is fine.
    assert_eq!(
        read_with(&Limits {
            max_rows: 4,
            ..limits
        })
        .unwrap()
        .rows
        .len(),
        4
    );
    let tiny = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        read_with(&tiny),
        Err(ReadError::TooLarge {
            size: text.len() as u64,
            max: 10
        })
    );
}

#[test]
fn row_numbers_with_every_line_ending() {
    for (ending, rows) in [("\r\n", [2, 4]), ("\n", [2, 4]), ("\r", [2, 3])] {
        // Bare '\r' files number records one after the other (their blank line is lost
        // to the CSV reader, which treats "\r\r" as one line end).
        let text = [
            "ImportId;Email;Vorname;Nachname",
            "1;@;A;B",
            "",
            "2;@;C;D",
            "",
        ]
        .join(ending);
        let file = read(text.as_bytes(), Format::Csv).unwrap();
        let got: Vec<usize> = file.errors.iter().map(|e| e.row).collect();
        assert_eq!(got, rows, "{ending:?}");
    }
}

/// The example of docs/employee-file.md reads as the page says.
#[test]
fn the_documented_example() {
    let doc = include_str!("../../../../docs/employee-file.md");
    let start = doc.find("```csv\n").unwrap() + "```csv\n".len();
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let file = read(example.as_bytes(), Format::Csv).unwrap();
    assert_eq!(ids(&file), vec![(2, "1001"), (3, "1002")]);
    assert_eq!(errors(&file), vec![(4, "E-Mail", "E-Mail is empty")]);
    assert_eq!(file.errors[0].import_id.as_deref(), Some("1003"));
    assert_eq!(&*file.columns.attributes, &["Kostenstelle".into()]);
    assert_eq!(
        file.rows[1].reports_to.as_ref().map(|r| r.as_str()),
        Some("1001")
    );
}
