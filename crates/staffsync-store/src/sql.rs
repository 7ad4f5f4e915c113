//! Small helpers shared by the query modules: timestamps, JSON columns, placeholders.
//!
//! Values here are backend-neutral: TEXT that sorts and parses the same on SQLite and
//! PostgreSQL; only the spelling of bind parameters in large batches differs. It must never format values into SQL text; values are bound.

use crate::Backend;
use crate::error::{Result, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::AnyConnection;
use sqlx::any::AnyArguments;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Rows per multi-row `INSERT`: far below SQLite's and PostgreSQL's parameter limits
/// for the widest table (15 columns), large enough to make 10,000 rows a few statements.
pub(crate) const BATCH_ROWS: usize = 500;

/// Now, in UTC, truncated to microseconds (what the TEXT form keeps).
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t)
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`: fixed width, so it also sorts as text.
pub(crate) fn ts(t: OffsetDateTime) -> String {
    let fmt =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    t.to_offset(time::UtcOffset::UTC)
        .format(fmt)
        .unwrap_or_else(|_| t.to_string())
}

pub(crate) fn parse_ts(s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| StoreError::corrupt(format!("timestamp {s:?}")))
}

pub(crate) fn parse_opt_ts(s: Option<String>) -> Result<Option<OffsetDateTime>> {
    s.as_deref().map(parse_ts).transpose()
}

pub(crate) fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::corrupt(format!("cannot encode JSON: {e}")))
}

pub(crate) fn from_json<T: DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::corrupt(format!("{what}: {e}")))
}

/// The `n`th (1-based) bind parameter in the backend's preferred spelling.
///
/// Statements with many parameters (the batches) use anonymous `?` on SQLite: sqlx
/// resolves every named parameter through `sqlite3_bind_parameter_name`, a linear scan,
/// which makes binding a 7,000-parameter `$n` statement quadratic (seconds for 10,000
/// rows in a debug build). PostgreSQL only knows `$n`. A statement must use one style
/// throughout, and `?`s are bound in order, so `n` must count up from 1 without gaps.
pub(crate) fn param(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${n}"),
    }
}

/// `(p1, p2, p3), (p4, p5, p6)` for `rows` rows of `cols` columns, numbering from
/// `first` (see [`param`]).
pub(crate) fn values_list(backend: Backend, rows: usize, cols: usize, first: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 6);
    let mut n = first;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push_str(&param(backend, n));
            n += 1;
        }
        s.push(')');
    }
    s
}

/// `count` parameters numbered from `first`, comma-separated, for `IN (…)` lists.
pub(crate) fn placeholders(backend: Backend, count: usize, first: usize) -> String {
    (first..first + count)
        .map(|n| param(backend, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts `rows` in statements of up to `batch` rows each (`statement` makes one from
/// its rows: SQL and owned arguments), making the next statement while the database runs
/// the one before: sqlx hands a statement to SQLite's worker thread (or PostgreSQL) on its
/// first poll, so the two overlap. Made one after the other, the run's thread and the
/// database each waited for the other: a first sync's feed and history rows are 1.1
/// million rows whose values (the feed's JSON, the history's details) take the run's
/// thread about as long again as a sixth of the database's work. Returns the rows inserted.
pub(crate) async fn insert_pipelined<R>(
    conn: &mut AnyConnection,
    rows: impl Iterator<Item = Result<R>>,
    batch: usize,
    statement: impl Fn(Vec<R>) -> Result<(String, AnyArguments<'static>)>,
) -> Result<usize> {
    let mut rows = rows.fuse();
    let mut make = || -> Result<Option<(String, AnyArguments<'static>, usize)>> {
        let chunk = rows.by_ref().take(batch).collect::<Result<Vec<R>>>()?;
        if chunk.is_empty() {
            return Ok(None);
        }
        let n = chunk.len();
        let (sql, args) = statement(chunk)?;
        Ok(Some((sql, args, n)))
    };
    let mut inserted = 0;
    let mut next = make()?;
    while let Some((sql, args, n)) = next {
        let (done, following) =
            futures::join!(sqlx::query_with(&sql, args).execute(&mut *conn), async {
                make()
            });
        done?;
        inserted += n;
        next = following?;
    }
    Ok(inserted)
}

/// Adds `value` to `args` (an encoding error is a value the store cannot keep).
pub(crate) fn add_arg<'q, T>(args: &mut AnyArguments<'q>, value: T) -> Result<()>
where
    T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Arguments as _;
    args.add(value)
        .map_err(|e| StoreError::corrupt(format!("cannot bind a value: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_roundtrip_and_placeholders() {
        let t = now();
        assert_eq!(parse_ts(&ts(t)).unwrap(), t);
        assert_eq!(
            values_list(Backend::Postgres, 2, 2, 3),
            "($3, $4), ($5, $6)"
        );
        assert_eq!(values_list(Backend::Sqlite, 1, 2, 1), "(?, ?)");
        assert_eq!(placeholders(Backend::Postgres, 3, 2), "$2, $3, $4");
    }
}
