//! Terminal output: logging setup, progress bars and tables. Nothing here decides anything.
//!
//! Progress and logs go to stderr, so stdout carries only results (and only JSON with
//! `--json`). Never print a secret from here.
//!
//! Results are written with [`outln!`](crate::outln), never `println!`: `println!` panics
//! when stdout is a closed pipe (`staffsync employees acme | head -2`). A write error
//! travels up as an error instead, and [`is_closed_pipe`] lets the command end quietly,
//! like other Unix tools. (Resetting SIGPIPE to its default would do the same for stdout,
//! but would also let a closed pipe kill `serve` or a sync half-way, without a word.)

use crate::cli::{Global, LogFormat};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal as _, Write};
use tracing_subscriber::EnvFilter;

/// `println!` that returns the write's `io::Result` instead of panicking.
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_line(format_args!($($arg)*))
    };
}

/// Writes one line to stdout (see [`outln!`](crate::outln)).
pub fn write_line(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")
}

/// Whether `error` is, at its root, a write to a closed pipe: the reader has gone (`| head`),
/// and there is nobody left to tell.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

/// Colours only for a person at a terminal: never in a file or a pipe, and never when
/// `NO_COLOR` is set to anything but the empty string (no-color.org).
fn use_colour(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

pub fn init_logging(global: &Global) {
    let filter = EnvFilter::try_from_env("STAFFSYNC_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    let ansi = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR"),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match global.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// A progress bar on stderr for reading employees; invisible when stderr is not a terminal.
pub fn fetch_progress() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} reading employees {pos}/{len} [{bar:30}] {elapsed} ({per_sec})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A point in time for a table: `2026-11-28 00:51 UTC`, the same in every command.
/// (`--json` keeps RFC 3339 with seconds.)
pub fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `n` and the noun for that many: `count(1, "person", "people")` is `1 person`,
/// `count(3, …)` is `3 people` (0 takes the plural: `0 people`).
pub fn count<N>(n: N, one: &str, many: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8>,
{
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

/// Why the deletion guard held a run, in one line: "8 of 20 people would be removed, …",
/// "IDs changed for 10 of 20 people, …" (more re-keys at once than the guard allows:
/// issue 24), or both. `id_name` is what the source calls a person's id.
pub fn held_line(removing: usize, rekeying: usize, size: usize, id_name: &str) -> String {
    let of = count(size, "person", "people");
    match (removing, rekeying) {
        (r, 0) => format!("{r} of {of} would be removed, more than the deletion guard allows."),
        (0, k) => format!(
            "IDs changed for {k} of {of} (a new {id_name} with the same e-mail address), more \
             than the deletion guard allows: the same people, kept, once you accept."
        ),
        (r, k) => format!(
            "{r} of {of} would be removed and IDs changed for {k} (a new {id_name} with the \
             same e-mail address), more than the deletion guard allows."
        ),
    }
}

/// Prints rows as aligned columns (display width by chars; good enough for names).
pub fn print_table(headers: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            text.push_str(cell);
            if i + 1 < cells.len() {
                text.push_str(&" ".repeat(w.saturating_sub(cell.chars().count()) + 2));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(headers.to_vec())?;
    for row in rows {
        line(row.iter().map(String::as_str).collect())?;
    }
    out.flush()
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    outln!("{text}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_at_a_terminal_and_never_with_no_color() {
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some("".into())));
        assert!(!use_colour(true, Some("1".into())));
        assert!(!use_colour(false, None));
    }

    #[test]
    fn timestamps_are_minutes_in_utc() {
        let t = time::macros::datetime!(2026-11-28 1:51:31.400941 +01:00);
        assert_eq!(timestamp(t), "2026-11-28 00:51 UTC");
    }

    #[test]
    fn counts_take_the_singular_for_one_only() {
        assert_eq!(count(1usize, "row", "rows"), "1 row");
        assert_eq!(count(0usize, "row", "rows"), "0 rows");
        assert_eq!(count(2u64, "person", "people"), "2 people");
        assert_eq!(count(1i64, "person", "people"), "1 person");
    }

    #[test]
    fn a_closed_pipe_is_recognised_through_the_context_chain() {
        let e = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("printing");
        assert!(is_closed_pipe(&e));
        assert!(!is_closed_pipe(&anyhow::anyhow!("other")));
    }
}
