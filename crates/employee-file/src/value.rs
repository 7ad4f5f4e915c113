//! One cell's value as the readers hand it on: text from a CSV, or what a workbook cell
//! holds (text, number, date, boolean, an error such as `#N/A`).
//!
//! Must never lose what the admin sees: numbers become the text Excel shows for them
//! (`1001`, not `1001.0`), date cells become dates, error cells stay errors.

use crate::dates;
use time::Date;

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum Value {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    /// A cell formatted as a date (Excel serial with a date format, ODS `date-value`).
    Date(Date),
    Bool(bool),
    /// A cell showing a spreadsheet error (`#N/A`, `#REF!`): the formula's cached result.
    Error(String),
}

/// Why a cell does not give what its column needs; the caller words the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The cell shows a spreadsheet error (`#N/A`).
    CellError(String),
    /// Not a date; carries the value as text.
    NotADate(String),
}

impl Value {
    /// Empty, or text that is only whitespace.
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The value as text, trimmed.
    pub(crate) fn into_text(self) -> Result<String, Problem> {
        Ok(match self {
            Value::Empty => String::new(),
            Value::Text(s) => trim_owned(s),
            Value::Number(n) => number_text(n),
            Value::Date(d) => iso(d),
            Value::Bool(b) => if b { "TRUE" } else { "FALSE" }.to_owned(),
            Value::Error(e) => return Err(Problem::CellError(e)),
        })
    }

    /// The value as a calendar date; `Ok(None)` when blank.
    pub(crate) fn into_date(self) -> Result<Option<Date>, Problem> {
        match self {
            Value::Date(d) => Ok(Some(d)),
            // A number in a date column is an Excel serial whose cell lost its date format.
            Value::Number(n) => dates::from_serial(n)
                .map(Some)
                .ok_or_else(|| Problem::NotADate(number_text(n))),
            Value::Error(e) => Err(Problem::CellError(e)),
            other => {
                let text = other.into_text()?;
                if text.is_empty() {
                    return Ok(None);
                }
                dates::parse_text(&text)
                    .map(Some)
                    .ok_or(Problem::NotADate(text))
            }
        }
    }
}

/// Trims without copying when there is nothing to trim (the common case).
fn trim_owned(s: String) -> String {
    let t = s.trim();
    if t.len() == s.len() { s } else { t.to_owned() }
}

/// What a spreadsheet shows for a number in a General cell: integral numbers without a
/// fraction (an ImportId typed as 1001 is stored as 1001.0).
pub(crate) fn number_text(n: f64) -> String {
    // 2^53: every integer below is exact in an f64, so the cast neither rounds nor wraps.
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        i.to_string()
    } else {
        n.to_string()
    }
}

pub(crate) fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn numbers_read_as_shown() {
        assert_eq!(number_text(1001.0), "1001");
        assert_eq!(number_text(-7.0), "-7");
        assert_eq!(number_text(0.0), "0");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(number_text(f64::NAN), "NaN");
    }

    #[test]
    fn dates_from_every_shape() {
        let d = date!(2026 - 03 - 01);
        assert_eq!(Value::Date(d).into_date(), Ok(Some(d)));
        assert_eq!(Value::Number(46082.0).into_date(), Ok(Some(d)));
        assert_eq!(Value::Text("01.03.2026".into()).into_date(), Ok(Some(d)));
        assert_eq!(Value::Text("  ".into()).into_date(), Ok(None));
        assert_eq!(
            Value::Text("bald".into()).into_date(),
            Err(Problem::NotADate("bald".into()))
        );
        assert_eq!(
            Value::Number(-1.0).into_date(),
            Err(Problem::NotADate("-1".into()))
        );
        assert_eq!(Value::Date(d).into_text(), Ok("2026-03-01".into()));
    }
}
