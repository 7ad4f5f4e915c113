//! Writes a company of N people as an employee file, for `scripts/bench-import`:
//! `cargo run --release -p employee-file --example bench_file -- N csv|xlsx OUT`.
//!
//! Columns as a customer's export has them: the required four, Department, Office, Team,
//! Position, HireDate, ReportsToId (everyone reports to the person at a tenth of their
//! index) and two attribute columns. XLSX is written by rust_xlsxwriter (with real date
//! cells), CSV by the csv crate (UTF-8, comma).

use std::error::Error;

const DEPARTMENTS: [&str; 8] = [
    "Vertrieb",
    "Marketing",
    "Engineering",
    "Personal",
    "Finanzen",
    "Recht",
    "Einkauf",
    "Logistik",
];
const OFFICES: [&str; 5] = ["Berlin", "München", "Hamburg", "Wien", "Zürich"];
const HEADER: [&str; 12] = [
    "ImportId",
    "Email",
    "Firstname",
    "Lastname",
    "Department",
    "Office",
    "Team",
    "Position",
    "HireDate",
    "ReportsToId",
    "Kostenstelle",
    "Vertragsart",
];

/// Row `i` as text (the hire date as `YYYY-MM-DD`).
fn row(i: usize) -> [String; 12] {
    let hire = time::Date::from_calendar_date(2010, time::Month::January, 1)
        .map(|d| d + time::Duration::days((i * 37 % 5_900) as i64))
        .map(|d| d.to_string())
        .unwrap_or_default();
    [
        format!("E{i:06}"),
        format!("person{i}@bench.example"),
        format!("Vorname{i}"),
        format!("Nachname{i}"),
        DEPARTMENTS[i % DEPARTMENTS.len()].to_owned(),
        OFFICES[i % OFFICES.len()].to_owned(),
        format!("Team {}", i % 60),
        format!("Position {}", i % 40),
        hire,
        if i >= 10 {
            format!("E{:06}", i / 10)
        } else {
            String::new()
        },
        format!("KST-{}", i % 25),
        if i.is_multiple_of(7) {
            "Teilzeit"
        } else {
            "Vollzeit"
        }
        .to_owned(),
    ]
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, n, format, out] = args.as_slice() else {
        return Err("usage: bench_file N csv|xlsx OUT".into());
    };
    let n: usize = n.parse()?;
    match format.as_str() {
        "csv" => {
            let mut w = csv::Writer::from_path(out)?;
            w.write_record(HEADER)?;
            for i in 0..n {
                w.write_record(row(i))?;
            }
            w.flush()?;
        }
        "xlsx" => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            let dates = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
            for (c, h) in HEADER.iter().enumerate() {
                sheet.write_string(0, c as u16, *h)?;
            }
            for i in 0..n {
                let r = (i + 1) as u32;
                for (c, value) in row(i).iter().enumerate() {
                    if c == 8 {
                        let d = rust_xlsxwriter::ExcelDateTime::parse_from_str(value)?;
                        sheet.write_datetime_with_format(r, c as u16, &d, &dates)?;
                    } else if !value.is_empty() {
                        sheet.write_string(r, c as u16, value)?;
                    }
                }
            }
            book.save(out)?;
        }
        other => return Err(format!("unknown format {other} (csv or xlsx)").into()),
    }
    Ok(())
}
