//! The downloadable template reads back as exactly one good row.

use crate::support::read;
use employee_file::{Field, Format, Lang, TemplateFormat, template};
use time::macros::date;

#[test]
fn every_template_is_one_good_row() {
    for format in [TemplateFormat::Xlsx, TemplateFormat::Csv] {
        for lang in [Lang::De, Lang::En] {
            let bytes = template(format, lang);
            let read_as = match format {
                TemplateFormat::Xlsx => Format::Xlsx,
                TemplateFormat::Csv => Format::Csv,
            };
            let file = read(&bytes, read_as).unwrap();
            let case = format!("{format:?} {lang:?}");
            assert_eq!(file.errors, vec![], "{case}");
            assert_eq!(file.rows.len(), 1, "{case}");
            let row = &file.rows[0];
            assert_eq!((row.row, row.import_id.as_str()), (2, "1001"), "{case}");
            assert_eq!(row.hire_date, Some(date!(2026 - 03 - 01)), "{case}");
            assert!(row.attributes.is_empty(), "{case}");
            let c = &file.columns;
            assert!(
                c.language && c.reports_to && c.department && c.office && c.team,
                "{case}"
            );
            assert!(
                c.position && c.hire_date && c.termination_date && c.status,
                "{case}"
            );
            assert!(c.attributes.is_empty(), "{case}");
        }
    }
}

#[test]
fn csv_templates_as_excel_expects_them() {
    let de = template(TemplateFormat::Csv, Lang::De);
    assert!(de.starts_with(
        b"\xEF\xBB\xBFPersonalnummer;E-Mail;Vorname;Nachname;Sprache;Vorgesetzter-ID;"
    ));
    let en = String::from_utf8(template(TemplateFormat::Csv, Lang::En)).unwrap();
    let header = en
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let expected: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(header, expected.join(","));
    assert_eq!(
        header,
        "ImportId,Email,Firstname,Lastname,Language,ReportsToId,Department,Office,Team,Position,HireDate,TerminationDate,Status"
    );
}
