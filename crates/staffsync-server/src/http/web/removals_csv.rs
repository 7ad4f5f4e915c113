//! `GET /history/{run}/removals.csv`: who a run removes (or, held, would remove) as a
//! spreadsheet, so an HR admin can check the list with colleagues before accepting it.
//!
//! One row per person: name, e-mail, source id, department, reason; the header in the
//! page's language. UTF-8 with a BOM so Excel opens umlauts right, `;` for German and `,`
//! for English (as the employee file template). Names and e-mails come from the
//! directory, so a person already erased is listed by id, department and reason only.
//! Every cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab or a
//! carriage return first) is written with a leading `'`: the names come from the
//! customer's HR system, and a list opened in Excel must never run what someone typed
//! there. This module only reads.

use super::i18n::Lang;
use super::integration::not_found;
use super::{Ctx, WebResult, WebState};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse as _;
use staffsync_store::RunId;

/// One removal as the list shows it.
pub(crate) struct RemovalRow {
    pub name: String,
    pub email: String,
    pub shown_id: String,
    pub department: String,
    pub reason: String,
}

/// `GET /history/{run}/removals.csv`.
pub(crate) async fn download(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(run): Path<i64>,
) -> WebResult {
    let store = &state.app.store;
    let Some(summary) = store.run(ctx.account.id, RunId(run)).await? else {
        return Ok(not_found(ctx.page("history")));
    };
    let rows = super::history::removal_rows(&state, &ctx, summary.id).await?;
    let header = [
        ctx.t(key!("field.name")),
        ctx.t(key!("field.email")),
        ctx.source().id_name(ctx.lang()),
        ctx.t(key!("field.department")),
        ctx.t(key!("prev.why")),
    ];
    let bytes = csv_bytes(ctx.lang(), header, &rows)?;
    let name = match ctx.lang() {
        Lang::De => format!("entfernungen-{run}.csv"),
        Lang::En => format!("removals-{run}.csv"),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The CSV file: BOM, header, one line per row, every cell guarded.
fn csv_bytes(lang: Lang, header: [&str; 5], rows: &[RemovalRow]) -> Result<Vec<u8>, csv::Error> {
    let delimiter = match lang {
        Lang::De => b';',
        Lang::En => b',',
    };
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        w.write_record(header.map(guarded))?;
        for r in rows {
            w.write_record(
                [&r.name, &r.email, &r.shown_id, &r.department, &r.reason]
                    .map(|cell| guarded(cell)),
            )?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// `cell`, with a leading `'` when a spreadsheet would take it for a formula.
fn guarded(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_defused_and_umlauts_survive() {
        let row = RemovalRow {
            name: "=HYPERLINK(\"http://x\";\"Jürgen\")".into(),
            email: "@evil".into(),
            shown_id: "-42".into(),
            department: "Vertrieb; Süd".into(),
            reason: "+1 \"quoted\"".into(),
        };
        let bytes = csv_bytes(
            Lang::De,
            ["Name", "E-Mail", "ID", "Abteilung", "Grund"],
            &[row],
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        let mut lines = text.trim_start_matches('\u{feff}').split("\r\n");
        assert_eq!(lines.next(), Some("Name;E-Mail;ID;Abteilung;Grund"));
        assert_eq!(
            lines.next(),
            Some(
                "\"'=HYPERLINK(\"\"http://x\"\";\"\"Jürgen\"\")\";'@evil;'-42;\"Vertrieb; Süd\";\"'+1 \"\"quoted\"\"\""
            )
        );
        assert_eq!(guarded("Anna"), "Anna");
        assert_eq!(guarded("\tx"), "'\tx");
    }
}
