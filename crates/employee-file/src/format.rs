//! Which of the three formats an upload is: by its `Content-Type`, its file name, or its
//! first bytes.
//!
//! Must never open more of the file than its zip directory to decide.

use crate::Format;
use std::io::Cursor;

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ODS_TYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

impl Format {
    /// The format a `Content-Type` names (parameters such as `charset` ignored).
    pub fn from_content_type(content_type: &str) -> Option<Format> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case(XLSX_TYPE) {
            Some(Format::Xlsx)
        } else if essence.eq_ignore_ascii_case(ODS_TYPE) {
            Some(Format::Ods)
        } else if essence.eq_ignore_ascii_case("text/csv")
            || essence.eq_ignore_ascii_case("application/csv")
        {
            Some(Format::Csv)
        } else {
            None
        }
    }

    /// The format a file name's extension names (case-insensitive).
    pub fn from_file_name(name: &str) -> Option<Format> {
        let (_, ext) = name.trim().rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "xlsx" => Some(Format::Xlsx),
            "ods" => Some(Format::Ods),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The format the bytes have: a zip with `xl/workbook.xml` is XLSX, one with the ODS
    /// `mimetype` or `content.xml` is ODS, any other zip is taken as XLSX (and refused as
    /// corrupt when read); everything else is CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        if !bytes.starts_with(b"PK\x03\x04") && !bytes.starts_with(b"PK\x05\x06") {
            return Format::Csv;
        }
        let Ok(zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
            return Format::Xlsx;
        };
        if zip.index_for_name("xl/workbook.xml").is_some() {
            Format::Xlsx
        } else if zip.index_for_name("mimetype").is_some()
            || zip.index_for_name("content.xml").is_some()
        {
            Format::Ods
        } else {
            Format::Xlsx
        }
    }

    /// The name admins know: "XLSX", "ODS", "CSV".
    pub fn label(self) -> &'static str {
        match self {
            Format::Xlsx => "XLSX",
            Format::Ods => "ODS",
            Format::Csv => "CSV",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(Format::from_content_type(XLSX_TYPE), Some(Format::Xlsx));
        assert_eq!(
            Format::from_content_type(" Application/Vnd.Oasis.Opendocument.Spreadsheet "),
            Some(Format::Ods)
        );
        assert_eq!(
            Format::from_content_type("text/csv; charset=windows-1252"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_content_type("application/csv"),
            Some(Format::Csv)
        );
        assert_eq!(Format::from_content_type("application/vnd.ms-excel"), None);
        assert_eq!(Format::from_content_type(""), None);
    }

    #[test]
    fn file_names() {
        assert_eq!(
            Format::from_file_name("Mitarbeiter.XLSX"),
            Some(Format::Xlsx)
        );
        assert_eq!(Format::from_file_name("a.b.ods"), Some(Format::Ods));
        assert_eq!(Format::from_file_name("employees.csv"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("employees.xls"), None);
        assert_eq!(Format::from_file_name("csv"), None);
    }

    #[test]
    fn sniffing_without_a_zip() {
        assert_eq!(Format::sniff(b"ImportId;Email"), Format::Csv);
        assert_eq!(Format::sniff(b""), Format::Csv);
        assert_eq!(Format::sniff(b"PK\x03\x04garbage"), Format::Xlsx);
    }
}
