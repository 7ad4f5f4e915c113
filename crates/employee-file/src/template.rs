//! The template admins download: the header row in English or German and one example
//! person, as XLSX or CSV, readable by this crate as exactly one good row.
//!
//! Must never offer a column name `header` does not accept (the names come from
//! [`Field::name`] / [`Field::german_name`]), nor an example row the reader refuses.

use crate::Field;

/// The formats the template comes in (ODS users open the XLSX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateFormat {
    Xlsx,
    Csv,
}

/// The language of the template's column names and example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    De,
    En,
}

impl TemplateFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            TemplateFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            TemplateFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    /// A download name, e.g. `Mitarbeiter-Vorlage.xlsx`.
    pub fn file_name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TemplateFormat::Xlsx, Lang::De) => "Mitarbeiter-Vorlage.xlsx",
            (TemplateFormat::Xlsx, Lang::En) => "employee-template.xlsx",
            (TemplateFormat::Csv, Lang::De) => "Mitarbeiter-Vorlage.csv",
            (TemplateFormat::Csv, Lang::En) => "employee-template.csv",
        }
    }
}

/// The example person, in `Field::ALL` order (ReportsToId empty: one row has nobody to
/// report to).
fn example(lang: Lang) -> [&'static str; 13] {
    match lang {
        Lang::En => [
            "1001",
            "anna.schmidt@example.com",
            "Anna",
            "Schmidt",
            "en",
            "",
            "Sales",
            "Berlin",
            "Team North",
            "Account Manager",
            "2026-03-01",
            "",
            "active",
        ],
        Lang::De => [
            "1001",
            "anna.schmidt@example.com",
            "Anna",
            "Schmidt",
            "de",
            "",
            "Vertrieb",
            "Berlin",
            "Team Nord",
            "Account Managerin",
            "01.03.2026",
            "",
            "aktiv",
        ],
    }
}

fn column_name(field: Field, lang: Lang) -> &'static str {
    match lang {
        Lang::En => field.name(),
        Lang::De => field.german_name(),
    }
}

/// The template file's bytes.
pub fn template(format: TemplateFormat, lang: Lang) -> Vec<u8> {
    match format {
        TemplateFormat::Csv => csv_template(lang),
        // Only constant names, strings and one date go in: the writer has nothing to refuse.
        TemplateFormat::Xlsx => xlsx_template(lang).expect("the template is a valid workbook"),
    }
}

/// UTF-8 with a BOM (so Excel opens umlauts right); `;` for German, as German Excel
/// expects it, `,` for English.
fn csv_template(lang: Lang) -> Vec<u8> {
    let delimiter = match lang {
        Lang::De => ";",
        Lang::En => ",",
    };
    let header: Vec<&str> = Field::ALL.iter().map(|f| column_name(*f, lang)).collect();
    let mut out = String::from("\u{feff}");
    out.push_str(&header.join(delimiter));
    out.push_str("\r\n");
    out.push_str(&example(lang).join(delimiter));
    out.push_str("\r\n");
    out.into_bytes()
}

fn xlsx_template(lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let (sheet_name, date_format) = match lang {
        Lang::De => ("Mitarbeiter", "dd.mm.yyyy"),
        Lang::En => ("Employees", "yyyy-mm-dd"),
    };
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format(date_format);
    // Text format for the id columns, so Excel keeps "0042" as typed.
    let text = Format::new().set_num_format("@");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    for (col, field) in (0u16..).zip(Field::ALL) {
        sheet.write_string_with_format(0, col, column_name(field, lang), &bold)?;
        sheet.set_column_width(col, 18)?;
        match field {
            Field::HireDate | Field::TerminationDate => {
                sheet.set_column_format(col, &date)?;
            }
            Field::ImportId | Field::ReportsToId => {
                sheet.set_column_format(col, &text)?;
            }
            _ => {}
        }
    }
    for (col, (field, value)) in (0u16..).zip(Field::ALL.into_iter().zip(example(lang))) {
        if value.is_empty() {
            continue;
        }
        if field == Field::HireDate {
            sheet.write_date_with_format(1, col, &ExcelDateTime::from_ymd(2026, 3, 1)?, &date)?;
        } else if field == Field::ImportId {
            sheet.write_string_with_format(1, col, value, &text)?;
        } else {
            sheet.write_string(1, col, value)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}
